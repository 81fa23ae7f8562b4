package dev.capsa.runtime;

import dev.capsa.json.Json;
import dev.capsa.spec.OciVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What capsa records of a container in {@code <root>/<id>/state.json}: the
 * spec's state (state-schema.json) and what capsa itself needs to find the
 * container process again. The recorded status is only what the last
 * command did; {@link Container#status()} derives the live one.
 *
 * @param pid the container process as seen from the runtime's pid namespace, 0 before it exists
 * @param pidStartTime its start time in /proc/PID/stat, to detect pid reuse
 * @param creator the pid of the {@code create} that is still setting the container up
 * @param created when create began, RFC 3339
 * @param rootfs the container's root filesystem on the host
 * @param cgroup the container's cgroup directories, one per hierarchy
 * @param cgroupOwned create made the cgroup (delete removes it); false when it joined one
 * @param systemdUnit the transient scope systemd made for the cgroup ({@code --systemd-cgroup}),
 *     or null
 */
public record ContainerState(
    String id,
    Status status,
    int pid,
    long pidStartTime,
    int creator,
    String bundle,
    String rootfs,
    String created,
    Map<String, String> annotations,
    List<String> cgroup,
    boolean cgroupOwned,
    String systemdUnit) {

  /** A container without a cgroup recorded. */
  public ContainerState(String id, Status status, int pid, long pidStartTime, int creator,
      String bundle, String rootfs, String created, Map<String, String> annotations) {
    this(id, status, pid, pidStartTime, creator, bundle, rootfs, created, annotations, List.of(),
        false, null);
  }

  public ContainerState withStatus(Status s) {
    return new ContainerState(id, s, pid, pidStartTime, creator, bundle, rootfs, created, annotations,
        cgroup, cgroupOwned, systemdUnit);
  }

  public ContainerState withPid(int p, long startTime) {
    return new ContainerState(id, status, p, startTime, creator, bundle, rootfs, created, annotations,
        cgroup, cgroupOwned, systemdUnit);
  }

  public ContainerState withCgroup(List<String> dirs, boolean owned, String unit) {
    return new ContainerState(id, status, pid, pidStartTime, creator, bundle, rootfs, created,
        annotations, List.copyOf(dirs), owned, unit);
  }

  /** The persisted form. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ociVersion", OciVersion.SUPPORTED);
    m.put("id", id);
    m.put("status", status.json());
    m.put("pid", pid);
    m.put("bundle", bundle);
    m.put("rootfs", rootfs);
    m.put("created", created);
    if (annotations != null && !annotations.isEmpty()) {
      m.put("annotations", annotations);
    }
    m.put("capsa.pidStartTime", pidStartTime);
    m.put("capsa.creator", creator);
    m.put("capsa.cgroup", cgroup);
    m.put("capsa.cgroupOwned", cgroupOwned);
    if (systemdUnit != null) {
      m.put("capsa.systemdUnit", systemdUnit);
    }
    return Json.writePretty(m);
  }

  /** Reads what {@link #toJson()} wrote. */
  @SuppressWarnings("unchecked")
  public static ContainerState fromJson(String text) {
    Map<String, Object> m = (Map<String, Object>) Json.parse(text);
    return new ContainerState(
        (String) m.get("id"),
        Status.of((String) m.get("status")),
        ((Number) m.get("pid")).intValue(),
        ((Number) m.get("capsa.pidStartTime")).longValue(),
        ((Number) m.get("capsa.creator")).intValue(),
        (String) m.get("bundle"),
        (String) m.get("rootfs"),
        (String) m.get("created"),
        (Map<String, String>) m.get("annotations"),
        m.get("capsa.cgroup") == null ? List.of() : (List<String>) m.get("capsa.cgroup"),
        Boolean.TRUE.equals(m.get("capsa.cgroupOwned")),
        (String) m.get("capsa.systemdUnit"));
  }

  /**
   * The state as the spec defines it (runtime.md "State", state-schema.json),
   * with runc's additions {@code rootfs}, {@code created} and {@code owner},
   * for a live status.
   */
  public Map<String, Object> oci(Status live, String owner) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ociVersion", OciVersion.SUPPORTED);
    m.put("id", id);
    m.put("pid", live == Status.STOPPED ? 0 : pid);
    m.put("status", live.json());
    m.put("bundle", bundle);
    m.put("rootfs", rootfs);
    m.put("created", created);
    if (annotations != null && !annotations.isEmpty()) {
      m.put("annotations", annotations);
    }
    m.put("owner", owner);
    return m;
  }
}
