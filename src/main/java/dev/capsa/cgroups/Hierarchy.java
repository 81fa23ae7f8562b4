package dev.capsa.cgroups;

import dev.capsa.linux.FileIo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One mounted cgroup hierarchy of the host, and this process's cgroup in it.
 * The layout (v1, v2 or hybrid) is read from /proc/self/mountinfo, never guessed.
 *
 * @param mountPoint where the hierarchy is mounted, e.g. /sys/fs/cgroup/cpu
 * @param v2 true for the unified (cgroup2) hierarchy
 * @param options for v1, the mount's controllers and name, e.g. "cpu" or
 *     "name=systemd"; empty for v2
 * @param cgroup this process's cgroup in the hierarchy, e.g. "/user.slice"
 */
public record Hierarchy(String mountPoint, boolean v2, String options, String cgroup) {

  private static final Set<String> GENERIC =
      Set.of("rw", "ro", "nosuid", "nodev", "noexec", "relatime", "noatime", "strictatime",
          "nsdelegate", "memory_recursiveprot", "memory_localevents", "favordynmods", "clone_children",
          "noprefix", "xattr", "cpuset_v2_mode", "memory_hugetlb_accounting", "pids_localevents");

  /** The hierarchies mounted on this host, in mountinfo order. */
  public static List<Hierarchy> ofHost() {
    try {
      return parse(List.of(FileIo.read(Path.of("/proc/self/mountinfo")).split("\n")),
          List.of(FileIo.read(Path.of("/proc/self/cgroup")).split("\n")));
    } catch (IOException e) {
      throw new IllegalStateException("reading /proc/self/mountinfo: " + e.getMessage(), e);
    }
  }

  /** Parses mountinfo(5) and cgroups(7) /proc/PID/cgroup lines. */
  public static List<Hierarchy> parse(List<String> mountinfo, List<String> procCgroup) {
    Map<String, String> v1Paths = new HashMap<>();
    String v2Path = "/";
    for (String line : procCgroup) {
      String[] f = line.split(":", 3);
      if (f.length != 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        v2Path = f[2];
      } else {
        v1Paths.put(f[1], f[2]);
      }
    }
    List<Hierarchy> out = new ArrayList<>();
    // A hierarchy can be mounted more than once: a bind of / (mount --rbind /
    // /mnt) repeats every cgroup mount below /mnt. It is still one hierarchy,
    // and capsa mounts each hierarchy once into a container (a second mount of
    // the same hierarchy on the same target fails with EBUSY): the one under
    // /sys/fs/cgroup, else the first in mountinfo order (the original comes
    // before its copies).
    Map<String, Integer> seen = new HashMap<>();
    for (String line : mountinfo) {
      int dash = line.indexOf(" - ");
      if (dash < 0) {
        continue;
      }
      String[] pre = line.substring(0, dash).split(" ");
      String[] post = line.substring(dash + 3).split(" ");
      if (pre.length < 5 || post.length < 3) {
        continue;
      }
      String mountPoint = unescape(pre[4]);
      String root = unescape(pre[3]);
      switch (post[0]) {
        case "cgroup2" ->
            add(out, seen, "cgroup2", new Hierarchy(mountPoint, true, "", relative(v2Path, root)));
        case "cgroup" -> {
          List<String> opts = new ArrayList<>();
          for (String o : post[2].split(",")) {
            if (!GENERIC.contains(o) && !o.startsWith("release_agent=")) {
              opts.add(o);
            }
          }
          String options = String.join(",", opts);
          add(out, seen, options, new Hierarchy(mountPoint, false, options,
              relative(v1Paths.getOrDefault(options, "/"), root)));
        }
        default -> { }
      }
    }
    return List.copyOf(out);
  }

  private static void add(List<Hierarchy> out, Map<String, Integer> seen, String key,
      Hierarchy h) {
    Integer at = seen.get(key);
    if (at == null) {
      seen.put(key, out.size());
      out.add(h);
    } else if (!standard(out.get(at).mountPoint()) && standard(h.mountPoint())) {
      out.set(at, h);
    }
  }

  private static boolean standard(String mountPoint) {
    return mountPoint.equals("/sys/fs/cgroup") || mountPoint.startsWith("/sys/fs/cgroup/");
  }

  /**
   * A cgroup of /proc/self/cgroup relative to the root of its hierarchy's
   * mount: where the mount shows only part of the tree (inside another
   * container), the directory is the mount point plus the rest of the path.
   */
  static String relative(String cgroup, String mountRoot) {
    if (mountRoot.equals("/")) {
      return cgroup;
    }
    if (cgroup.equals(mountRoot)) {
      return "/";
    }
    if (cgroup.startsWith(mountRoot + "/")) {
      return cgroup.substring(mountRoot.length());
    }
    return cgroup;
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The last component of the mount point: the directory name under /sys/fs/cgroup. */
  public String name() {
    return mountPoint.substring(mountPoint.lastIndexOf('/') + 1);
  }

  // equals and hashCode written out: a record's generated ones bootstrap
  // through invokedynamic (ObjectMethods) on first use, which costs every
  // command that keys a map by hierarchy several milliseconds of start-up.
  @Override
  public boolean equals(Object o) {
    return o instanceof Hierarchy h && v2 == h.v2 && mountPoint.equals(h.mountPoint)
        && options.equals(h.options) && cgroup.equals(h.cgroup);
  }

  @Override
  public int hashCode() {
    return mountPoint.hashCode();
  }
}
