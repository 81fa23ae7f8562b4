package dev.capsa.spec;

import java.util.List;
import java.util.Map;

/**
 * The {@code linux} section of config.json (config-linux.md). Parts that capsa
 * does not apply yet are kept as JSON trees so that they are refused by name.
 *
 * @param netDevices host interface name to the name in the container (the same when unset)
 */
public record Linux(
    List<Namespace> namespaces,
    List<IdMapping> uidMappings,
    List<IdMapping> gidMappings,
    Map<String, TimeOffset> timeOffsets,
    List<Device> devices,
    Map<String, String> netDevices,
    String cgroupsPath,
    Resources resources,
    String rootfsPropagation,
    Seccomp seccomp,
    Map<String, String> sysctl,
    List<String> maskedPaths,
    List<String> readonlyPaths,
    String mountLabel,
    Object intelRdt,
    MemoryPolicy memoryPolicy,
    Personality personality) {

  /** One clock of {@code linux.timeOffsets}. */
  public record TimeOffset(long secs, long nanosecs) {}

  /** {@code linux.memoryPolicy}; flags never null. */
  public record MemoryPolicy(String mode, String nodes, List<String> flags) {}

  /** {@code linux.personality}; flags never null. */
  public record Personality(String domain, List<String> flags) {}

  /** One entry of {@code linux.namespaces}; {@code path} null means a new one. */
  public record Namespace(String type, String path) {}

  /**
   * One entry of {@code linux.devices}.
   *
   * @param fileMode decimal permission bits, or null
   */
  public record Device(
      String type, String path, long major, long minor, Long fileMode, Long uid, Long gid) {}
}
