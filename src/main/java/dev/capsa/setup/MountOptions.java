package dev.capsa.setup;

import static dev.capsa.linux.Mounts.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Linux mount options of config.md, split the way the kernel takes them:
 * mount(2) flags, propagation flags (which mount(2) takes in a call of their
 * own), mount_setattr(2) attributes for the recursive {@code r*} options, and
 * the rest as the filesystem's data string.
 *
 * @param flags the MS_* flags to set
 * @param cleared the MS_* flags that an option such as {@code rw} or {@code suid} turned off
 * @param propagation MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE, maybe with MS_REC
 * @param recursiveSet MOUNT_ATTR_* to set on the whole subtree
 * @param recursiveClear MOUNT_ATTR_* to clear on the whole subtree
 * @param data the filesystem-specific options, comma-separated
 * @param extensions options capsa knows but handles itself ({@code idmap}, {@code tmpcopyup}...)
 */
public record MountOptions(
    long flags,
    long cleared,
    long propagation,
    long recursiveSet,
    long recursiveClear,
    String data,
    List<String> extensions) {

  private record Flag(boolean clear, long value) {}

  /** Options that set or clear a mount(2) flag, by name. */
  static final Map<String, Flag> FLAGS = new LinkedHashMap<>();
  /** The propagation options. */
  static final Map<String, Long> PROPAGATION = new LinkedHashMap<>();
  /** The recursive options of mount_setattr(2). */
  static final Map<String, Flag> RECURSIVE = new LinkedHashMap<>();
  /**
   * The recursive atime options, each an atime mode: mount_setattr(2) takes
   * one mode with the whole MOUNT_ATTR__ATIME field cleared, never a partial
   * clear, so "off" options mean the kernel's default, relatime; norelatime,
   * as mount(8) says, means strictatime.
   */
  static final Map<String, Long> RECURSIVE_ATIME = Map.of(
      "rnoatime", MOUNT_ATTR_NOATIME,
      "ratime", MOUNT_ATTR_RELATIME,
      "rstrictatime", MOUNT_ATTR_STRICTATIME,
      "rnostrictatime", MOUNT_ATTR_RELATIME,
      "rrelatime", MOUNT_ATTR_RELATIME,
      "rnorelatime", MOUNT_ATTR_STRICTATIME);

  /** The atime options of mount(2): each replaces the others (the last one wins). */
  private static final long ATIME_FLAGS = MS_NOATIME | MS_STRICTATIME | MS_RELATIME;

  /** Options with a meaning beyond a flag, handled by the compiler. */
  static final Set<String> EXTENSIONS = Set.of("idmap", "ridmap", "tmpcopyup");

  static {
    set("bind", MS_BIND);
    set("rbind", MS_BIND | MS_REC);
    set("defaults", 0);
    set("ro", MS_RDONLY);
    clear("rw", MS_RDONLY);
    set("nosuid", MS_NOSUID);
    clear("suid", MS_NOSUID);
    set("nodev", MS_NODEV);
    clear("dev", MS_NODEV);
    set("noexec", MS_NOEXEC);
    clear("exec", MS_NOEXEC);
    set("sync", MS_SYNCHRONOUS);
    clear("async", MS_SYNCHRONOUS);
    set("remount", MS_REMOUNT);
    set("mand", MS_MANDLOCK);
    clear("nomand", MS_MANDLOCK);
    set("dirsync", MS_DIRSYNC);
    set("nosymfollow", MS_NOSYMFOLLOW);
    clear("symfollow", MS_NOSYMFOLLOW);
    set("noatime", MS_NOATIME);
    clear("atime", MS_NOATIME);
    set("nodiratime", MS_NODIRATIME);
    clear("diratime", MS_NODIRATIME);
    set("silent", MS_SILENT);
    clear("loud", MS_SILENT);
    set("relatime", MS_RELATIME);
    clear("norelatime", MS_RELATIME);
    set("iversion", MS_I_VERSION);
    clear("noiversion", MS_I_VERSION);
    set("strictatime", MS_STRICTATIME);
    clear("nostrictatime", MS_STRICTATIME);
    set("lazytime", MS_LAZYTIME);
    clear("nolazytime", MS_LAZYTIME);

    PROPAGATION.put("private", MS_PRIVATE);
    PROPAGATION.put("rprivate", MS_PRIVATE | MS_REC);
    PROPAGATION.put("shared", MS_SHARED);
    PROPAGATION.put("rshared", MS_SHARED | MS_REC);
    PROPAGATION.put("slave", MS_SLAVE);
    PROPAGATION.put("rslave", MS_SLAVE | MS_REC);
    PROPAGATION.put("unbindable", MS_UNBINDABLE);
    PROPAGATION.put("runbindable", MS_UNBINDABLE | MS_REC);

    recursive("rro", false, MOUNT_ATTR_RDONLY);
    recursive("rrw", true, MOUNT_ATTR_RDONLY);
    recursive("rnosuid", false, MOUNT_ATTR_NOSUID);
    recursive("rsuid", true, MOUNT_ATTR_NOSUID);
    recursive("rnodev", false, MOUNT_ATTR_NODEV);
    recursive("rdev", true, MOUNT_ATTR_NODEV);
    recursive("rnoexec", false, MOUNT_ATTR_NOEXEC);
    recursive("rexec", true, MOUNT_ATTR_NOEXEC);
    recursive("rnodiratime", false, MOUNT_ATTR_NODIRATIME);
    recursive("rdiratime", true, MOUNT_ATTR_NODIRATIME);
    // The atime options name a mode, not a bit (see RECURSIVE_ATIME).
    recursive("rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW);
    recursive("rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW);
  }

  private static void set(String name, long flag) {
    FLAGS.put(name, new Flag(false, flag));
  }

  private static void clear(String name, long flag) {
    FLAGS.put(name, new Flag(true, flag));
  }

  private static void recursive(String name, boolean clear, long attr) {
    RECURSIVE.put(name, new Flag(clear, attr));
  }

  /** Every option name capsa understands (for {@code features}). */
  public static List<String> known() {
    List<String> all = new ArrayList<>(FLAGS.keySet());
    all.addAll(PROPAGATION.keySet());
    all.addAll(RECURSIVE.keySet());
    all.addAll(RECURSIVE_ATIME.keySet());
    all.addAll(EXTENSIONS);
    all.sort(null);
    return all;
  }

  /** Splits a mount's options; later options win over earlier ones, as in mount(8). */
  public static MountOptions parse(List<String> options) {
    long flags = 0;
    long cleared = 0;
    long propagation = 0;
    long recSet = 0;
    long recClear = 0;
    long recAtime = -1;
    List<String> data = new ArrayList<>();
    List<String> extensions = new ArrayList<>();
    for (String o : options) {
      Flag f = FLAGS.get(o);
      Long p = PROPAGATION.get(o);
      Flag r = RECURSIVE.get(o);
      Long ra = RECURSIVE_ATIME.get(o);
      if (f != null) {
        if (!f.clear && (f.value & ATIME_FLAGS) != 0) {
          flags &= ~ATIME_FLAGS;
        }
        if (f.clear) {
          flags &= ~f.value;
          cleared |= f.value;
        } else {
          flags |= f.value;
          cleared &= ~f.value;
        }
      } else if (p != null) {
        propagation = p;
      } else if (ra != null) {
        recAtime = ra;
      } else if (r != null) {
        if (r.clear) {
          recClear |= r.value;
          recSet &= ~r.value;
        } else {
          recSet |= r.value;
          recClear &= ~r.value;
        }
      } else if (EXTENSIONS.contains(o)) {
        extensions.add(o);
      } else {
        data.add(o);
      }
    }
    if (recAtime >= 0) {
      recSet |= recAtime;
      recClear |= MOUNT_ATTR__ATIME;
    }
    return new MountOptions(flags, cleared, propagation, recSet, recClear, String.join(",", data),
        List.copyOf(extensions));
  }

  /** True for {@code bind} and {@code rbind}. */
  public boolean bind() {
    return (flags & MS_BIND) != 0;
  }

  /**
   * The per-mount attributes for a bind mount: mount(2) ignores these flags when
   * it makes a bind mount, so they are applied with mount_setattr(2), which,
   * unlike a remount, leaves the attributes nobody asked to change alone.
   *
   * @return {set, clear}
   */
  public long[] bindAttributes() {
    long set = 0;
    long clr = 0;
    long[][] map = {
      {MS_RDONLY, MOUNT_ATTR_RDONLY}, {MS_NOSUID, MOUNT_ATTR_NOSUID}, {MS_NODEV, MOUNT_ATTR_NODEV},
      {MS_NOEXEC, MOUNT_ATTR_NOEXEC}, {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
      {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    };
    for (long[] m : map) {
      if ((flags & m[0]) != 0) {
        set |= m[1];
      } else if ((cleared & m[0]) != 0) {
        clr |= m[1];
      }
    }
    long atime = -1;
    if ((flags & MS_NOATIME) != 0) {
      atime = MOUNT_ATTR_NOATIME;
    } else if ((flags & MS_STRICTATIME) != 0) {
      atime = MOUNT_ATTR_STRICTATIME;
    } else if ((flags & MS_RELATIME) != 0 || (cleared & (MS_NOATIME | MS_STRICTATIME)) != 0) {
      atime = MOUNT_ATTR_RELATIME;
    }
    if (atime >= 0) {
      set |= atime;
      clr |= MOUNT_ATTR__ATIME;
    }
    return new long[] {set, clr};
  }

  /** Superblock flags, which a bind mount cannot change. */
  public long superblockFlags() {
    return flags & (MS_SYNCHRONOUS | MS_MANDLOCK | MS_DIRSYNC | MS_SILENT | MS_I_VERSION | MS_LAZYTIME);
  }
}
