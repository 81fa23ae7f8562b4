package dev.capsa.spec;

import java.util.List;
import java.util.Map;

/**
 * The {@code linux} section of config.json (config-linux.md). Parts that capsa
 * does not apply yet are kept as JSON trees so that they are refused by name.
 */
public record Linux(
    List<Namespace> namespaces,
    Object uidMappings,
    Object gidMappings,
    Object timeOffsets,
    List<Device> devices,
    Object netDevices,
    String cgroupsPath,
    Object resources,
    String rootfsPropagation,
    Object seccomp,
    Map<String, String> sysctl,
    List<String> maskedPaths,
    List<String> readonlyPaths,
    String mountLabel,
    Object intelRdt,
    Object memoryPolicy,
    Object personality) {

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
