package dev.capsa.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The config.json that {@code capsa spec} writes: runc's defaults (its
 * {@code specconv.Example}), as a JSON tree. Without {@code linux.resources}
 * until capsa manages cgroups.
 */
public final class DefaultSpec {
  private static final List<String> CAPS = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");

  private DefaultSpec() {}

  /** The config for a container run by root. */
  public static Map<String, Object> standard() {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("ociVersion", OciVersion.SUPPORTED);
    Map<String, Object> process = new LinkedHashMap<>();
    process.put("terminal", true);
    process.put("user", map("uid", 0, "gid", 0));
    process.put("args", List.of("sh"));
    process.put("env", List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm"));
    process.put("cwd", "/");
    Map<String, Object> caps = new LinkedHashMap<>();
    caps.put("bounding", CAPS);
    caps.put("effective", CAPS);
    caps.put("permitted", CAPS);
    process.put("capabilities", caps);
    process.put("rlimits", List.of(map("type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024)));
    process.put("noNewPrivileges", true);
    spec.put("process", process);
    spec.put("root", map("path", "rootfs", "readonly", true));
    spec.put("hostname", "capsa");
    List<Object> mounts = new ArrayList<>();
    mounts.add(mount("/proc", "proc", "proc", List.of()));
    mounts.add(mount("/dev", "tmpfs", "tmpfs",
        List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
    mounts.add(mount("/dev/pts", "devpts", "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
    mounts.add(mount("/dev/shm", "tmpfs", "shm",
        List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
    mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
    mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
    mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup",
        List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
    spec.put("mounts", mounts);
    Map<String, Object> linux = new LinkedHashMap<>();
    List<Object> namespaces = new ArrayList<>();
    for (String ns : List.of("pid", "network", "ipc", "uts", "mount", "cgroup")) {
      namespaces.add(map("type", ns));
    }
    linux.put("namespaces", namespaces);
    linux.put("maskedPaths", List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware", "/proc/scsi"));
    linux.put("readonlyPaths", List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger"));
    spec.put("linux", linux);
    return spec;
  }

  /**
   * runc's {@code spec --rootless}: a user namespace mapping the caller to
   * root, no network namespace, /sys bound from the host, no mqueue/cgroup fs.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> rootless(long uid, long gid) {
    Map<String, Object> spec = standard();
    Map<String, Object> linux = (Map<String, Object>) spec.get("linux");
    List<Object> namespaces = new ArrayList<>();
    for (String ns : List.of("pid", "ipc", "uts", "mount", "cgroup", "user")) {
      namespaces.add(map("type", ns));
    }
    linux.put("namespaces", namespaces);
    linux.put("uidMappings", List.of(map("containerID", 0, "hostID", uid, "size", 1)));
    linux.put("gidMappings", List.of(map("containerID", 0, "hostID", gid, "size", 1)));
    List<Object> mounts = new ArrayList<>();
    for (Object o : (List<Object>) spec.get("mounts")) {
      Map<String, Object> m = (Map<String, Object>) o;
      String dest = (String) m.get("destination");
      if (dest.equals("/sys")) {
        mounts.add(mount("/sys", "none", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro")));
      } else if (dest.equals("/dev/pts")) {
        mounts.add(mount("/dev/pts", "devpts", "devpts",
            List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")));
      } else if (!dest.equals("/dev/mqueue") && !dest.equals("/sys/fs/cgroup")) {
        mounts.add(m);
      }
    }
    spec.put("mounts", mounts);
    return spec;
  }

  private static Map<String, Object> mount(String dest, String type, String source, List<String> options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("destination", dest);
    m.put("type", type);
    m.put("source", source);
    if (!options.isEmpty()) {
      m.put("options", options);
    }
    return m;
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
