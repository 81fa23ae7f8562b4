package dev.capsa.setup;

import java.util.ArrayList;
import java.util.List;

/**
 * One step of a setup program, executed by the native stage ({@code native/stage.c}).
 * Each record mirrors one opcode of {@code native/protocol.h}; {@link #code()},
 * {@link #ints()} and {@link #strings()} are its wire form. Paths marked "in root"
 * are resolved by the stage beneath the container's root without leaving it.
 */
public sealed interface Op {
  /** The opcode of protocol.h. */
  int code();

  /** Integer arguments, in protocol.h order. */
  default long[] ints() {
    return new long[0];
  }

  /** String arguments, in protocol.h order. */
  default String[] strings() {
    return new String[0];
  }

  /** Where a mount target is: a host path, or a path beneath the root register. */
  enum Target { HOST, IN_ROOT }

  /** What to make at a missing mount target. */
  enum Create { NONE, DIR, FILE }

  /** unshare(2) with the CLONE_NEW* flags. */
  record Unshare(long flags) implements Op {
    public int code() { return 1; }
    public long[] ints() { return new long[] {flags}; }
  }

  /**
   * setns(2) into the namespace at {@code path}, which must be of type
   * {@code nstype}; with a {@code slot} >= 0, through the fd OpenNs kept there.
   */
  record Setns(String path, long nstype, int slot) implements Op {
    /** Opened by path when joined. */
    public Setns(String path, long nstype) {
      this(path, nstype, -1);
    }

    public int code() { return 2; }
    public long[] ints() { return slot < 0 ? new long[] {nstype} : new long[] {nstype, slot}; }
    public String[] strings() { return new String[] {path}; }
  }

  /** Opens a namespace file into a slot, to join it later (paths change once joined). */
  record OpenNs(String path, int slot) implements Op {
    public int code() { return 43; }
    public long[] ints() { return new long[] {slot}; }
    public String[] strings() { return new String[] {path}; }
  }

  /**
   * fork(2): the child becomes a session leader and goes on; the parent reports
   * the child's pid and exits, or, with {@code awaitChild}, first waits for the child
   * and reports its wait status (for hooks run through the stage).
   */
  record Fork(boolean awaitChild) implements Op {
    public int code() { return 3; }
    public long[] ints() { return new long[] {awaitChild ? 1 : 0}; }
  }

  /** Stops until the runtime answers; {@code tag} says why. */
  record Sync(int tag) implements Op {
    public int code() { return 4; }
    public long[] ints() { return new long[] {tag}; }
  }

  /** Sets the root register to the directory at host path {@code path}. */
  record OpenRoot(String path) implements Op {
    public int code() { return 5; }
    public String[] strings() { return new String[] {path}; }
  }

  /** mount(2); an empty string passes NULL. */
  record Mount(String source, String target, String fstype, long flags, String data,
      Target kind, Create create) implements Op {
    public int code() { return 6; }
    public long[] ints() { return new long[] {flags, kind.ordinal(), create.ordinal()}; }
    public String[] strings() { return new String[] {source, target, fstype, data}; }
  }

  /** mount_setattr(2) on a path in root. */
  record MountSetattr(String target, long attrSet, long attrClr, long propagation,
      boolean recursive) implements Op {
    public int code() { return 7; }
    public long[] ints() {
      return new long[] {attrSet, attrClr, propagation, recursive ? 1 : 0};
    }
    public String[] strings() { return new String[] {target}; }
  }

  /** mkdir -p of a path in root. */
  record Mkdir(String path, int mode) implements Op {
    public int code() { return 8; }
    public long[] ints() { return new long[] {mode}; }
    public String[] strings() { return new String[] {path}; }
  }

  /** symlink(2) at {@code link} (in root); {@code replace} removes what is there first. */
  record Symlink(String target, String link, boolean replace) implements Op {
    public int code() { return 9; }
    public long[] ints() { return new long[] {replace ? 1 : 0}; }
    public String[] strings() { return new String[] {target, link}; }
  }

  /** mknod(2) of a path in root with the exact mode and owner. */
  record Mknod(String path, int mode, long major, long minor, long uid, long gid) implements Op {
    public int code() { return 10; }
    public long[] ints() { return new long[] {mode, major, minor, uid, gid}; }
    public String[] strings() { return new String[] {path}; }
  }

  /** pivot_root(2) into {@code rootfs} and detach the old root. */
  record PivotRoot(String rootfs) implements Op {
    public int code() { return 11; }
    public String[] strings() { return new String[] {rootfs}; }
  }

  /** MS_MOVE of {@code rootfs} onto / and chroot(2) (--no-pivot). */
  record MoveRoot(String rootfs) implements Op {
    public int code() { return 12; }
    public String[] strings() { return new String[] {rootfs}; }
  }

  /** sethostname(2). */
  record SetHostname(String name) implements Op {
    public int code() { return 13; }
    public String[] strings() { return new String[] {name}; }
  }

  /** setdomainname(2). */
  record SetDomainname(String name) implements Op {
    public int code() { return 14; }
    public String[] strings() { return new String[] {name}; }
  }

  /** Writes {@code data} to an existing file (a host path, or a path in root). */
  record WriteFile(String path, String data, boolean inRoot) implements Op {
    public int code() { return 15; }
    public long[] ints() { return new long[] {inRoot ? 1 : 0}; }
    public String[] strings() { return new String[] {path, data}; }
  }

  /** Masks a path in root: /dev/null over a file, a read-only tmpfs over a directory. */
  record MaskPath(String path) implements Op {
    public int code() { return 16; }
    public String[] strings() { return new String[] {path}; }
  }

  /** Makes a path in root a read-only bind mount of itself. */
  record ReadonlyPath(String path) implements Op {
    public int code() { return 17; }
    public String[] strings() { return new String[] {path}; }
  }

  /** prlimit(2) on the process itself; soft and hard are uint64 bit patterns. */
  record SetRlimit(int resource, long soft, long hard) implements Op {
    public int code() { return 18; }
    public long[] ints() { return new long[] {resource, soft, hard}; }
  }

  /** chdir(2). */
  record Chdir(String path) implements Op {
    public int code() { return 19; }
    public String[] strings() { return new String[] {path}; }
  }

  /** setgroups(2); an empty list clears the supplementary groups. */
  record SetGroups(List<Long> gids) implements Op {
    public int code() { return 20; }
    public long[] ints() {
      long[] out = new long[gids.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = gids.get(i);
      }
      return out;
    }
  }

  /** setresgid(2) with all three ids. */
  record SetResGid(long gid) implements Op {
    public int code() { return 21; }
    public long[] ints() { return new long[] {gid}; }
  }

  /** setresuid(2) with all three ids. */
  record SetResUid(long uid) implements Op {
    public int code() { return 22; }
    public long[] ints() { return new long[] {uid}; }
  }

  /** umask(2). */
  record Umask(int mask) implements Op {
    public int code() { return 23; }
    public long[] ints() { return new long[] {mask}; }
  }

  /** Drops from the bounding set every capability 0..lastCap not in {@code keep}. */
  record CapBsetDrop(long keep, int lastCap) implements Op {
    public int code() { return 24; }
    public long[] ints() { return new long[] {keep, lastCap}; }
  }

  /** capset(2) with 64-bit masks. */
  record Capset(long effective, long permitted, long inheritable) implements Op {
    public int code() { return 25; }
    public long[] ints() { return new long[] {effective, permitted, inheritable}; }
  }

  /** Clears the ambient set and raises the capabilities in {@code ambient}. */
  record CapAmbient(long ambient, int lastCap) implements Op {
    public int code() { return 26; }
    public long[] ints() { return new long[] {ambient, lastCap}; }
  }

  /** prctl(PR_SET_KEEPCAPS). */
  record KeepCaps(boolean keep) implements Op {
    public int code() { return 27; }
    public long[] ints() { return new long[] {keep ? 1 : 0}; }
  }

  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  record NoNewPrivs() implements Op {
    public int code() { return 28; }
  }

  /** Opens the exec fifo (host path) that {@code start} will write. */
  record OpenGate(String fifo) implements Op {
    public int code() { return 29; }
    public String[] strings() { return new String[] {fifo}; }
  }

  /** Reports READY and waits until {@code start} writes the exec fifo. */
  record WaitGate() implements Op {
    public int code() { return 30; }
  }

  /** Resolves {@code file} as execvp(3) would with {@code path}; fails if absent. */
  record FindExec(String file, String path) implements Op {
    public int code() { return 31; }
    public String[] strings() { return new String[] {file, path}; }
  }

  /** Loads a seccomp filter; with SECCOMP_FILTER_FLAG_NEW_LISTENER sends the listener fd to Java. */
  record Seccomp(long flags, String bpfHex) implements Op {
    public int code() { return 33; }
    public long[] ints() { return new long[] {flags}; }
    public String[] strings() { return new String[] {bpfHex}; }
  }

  /**
   * A pty from the container's devpts, its master sent over {@code consoleFd}
   * (after pivot_root); {@code console}: also bound on /dev/console, as for a
   * container's first process (an exec'd process leaves the container's
   * console alone).
   */
  record Terminal(int consoleFd, long rows, long cols, long uid, boolean console) implements Op {
    public Terminal(int consoleFd, long rows, long cols, long uid) {
      this(consoleFd, rows, cols, uid, true);
    }
    public int code() { return 34; }
    public long[] ints() { return new long[] {consoleFd, rows, cols, uid, console ? 1 : 0}; }
  }

  /** sched_setattr(2). */
  record Sched(int policy, long flags, int nice, int priority, long runtime, long deadline,
      long period) implements Op {
    public int code() { return 35; }
    public long[] ints() {
      return new long[] {policy, flags, nice, priority, runtime, deadline, period};
    }
  }

  /** ioprio_set(2) of the process itself. */
  record IoPrio(int value) implements Op {
    public int code() { return 36; }
    public long[] ints() { return new long[] {value}; }
  }

  /** sched_setaffinity(2) with a CPU mask (64 CPUs a word). */
  record Affinity(List<Long> mask) implements Op {
    public int code() { return 37; }
    public long[] ints() {
      long[] out = new long[mask.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = mask.get(i);
      }
      return out;
    }
  }

  /** personality(2). */
  record Personality(long persona) implements Op {
    public int code() { return 38; }
    public long[] ints() { return new long[] {persona}; }
  }

  /** set_mempolicy(2): mode with its flags, and a node mask (64 nodes a word). */
  record MemPolicy(long mode, List<Long> nodes) implements Op {
    public int code() { return 39; }
    public long[] ints() {
      long[] out = new long[nodes.size() + 1];
      out[0] = mode;
      for (int i = 0; i < nodes.size(); i++) {
        out[i + 1] = nodes.get(i);
      }
      return out;
    }
  }

  /**
   * Mounts the detached mount Java sent for {@code slot} (an idmapped bind
   * mount made from the host) at {@code target} (in root), made as for
   * {@link Mount}.
   */
  record MoveTree(int slot, String target, Create create) implements Op {
    public int code() { return 44; }
    public long[] ints() { return new long[] {slot, create.ordinal()}; }
    public String[] strings() { return new String[] {target}; }
  }

  /** Replaces the mount at {@code target} (in root) by an idmapped clone of it. */
  record Idmap(String target, String usernsPath, boolean recursive) implements Op {
    public int code() { return 40; }
    public long[] ints() { return new long[] {recursive ? 1 : 0}; }
    public String[] strings() { return new String[] {target, usernsPath}; }
  }

  /** Keeps an fd of a directory (in root) that a tmpcopyup mount is about to cover. */
  record SaveDir(String path) implements Op {
    public int code() { return 41; }
    public String[] strings() { return new String[] {path}; }
  }

  /** Copies the saved directory into the new mount at {@code path}. */
  record CopyUp(String path) implements Op {
    public int code() { return 42; }
    public String[] strings() { return new String[] {path}; }
  }

  /** execve(2) of the file FindExec resolved. */
  record Exec(List<String> args, List<String> env) implements Op {
    public int code() { return 32; }
    public long[] ints() { return new long[] {args.size()}; }
    public String[] strings() {
      List<String> all = new ArrayList<>(args);
      all.addAll(env);
      return all.toArray(new String[0]);
    }
  }
}
