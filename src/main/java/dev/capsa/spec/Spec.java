package dev.capsa.spec;

import java.util.List;
import java.util.Map;

/**
 * A container's {@code config.json} (config.md), as far as a Linux runtime reads
 * it. Field names are the spec's JSON names. Parts that capsa does not apply yet
 * are kept as their JSON trees ({@code Object}) so that the setup compiler can
 * refuse them by name instead of ignoring them.
 *
 * @param otherPlatforms the sections for other platforms that are present
 *     (solaris, windows, vm, zos, freebsd), by name
 */
public record Spec(
    String ociVersion,
    Process process,
    Root root,
    String hostname,
    String domainname,
    List<Mount> mounts,
    Hooks hooks,
    Map<String, String> annotations,
    Linux linux,
    List<String> otherPlatforms) {

  /** {@code root}: the container's root filesystem. */
  public record Root(String path, boolean readonly) {}

  /**
   * One entry of {@code mounts}.
   *
   * @param uidMappings the mount's idmapping, or null
   * @param gidMappings the mount's idmapping, or null
   */
  public record Mount(
      String destination,
      String type,
      String source,
      List<String> options,
      List<IdMapping> uidMappings,
      List<IdMapping> gidMappings) {

    /** The options, never null. */
    public List<String> optionList() {
      return options == null ? List.of() : options;
    }
  }

  /**
   * {@code process}.
   *
   * @param oomScoreAdj null when unset: the runtime must then not touch it
   */
  public record Process(
      boolean terminal,
      ConsoleSize consoleSize,
      String cwd,
      List<String> env,
      List<String> args,
      String commandLine,
      User user,
      Capabilities capabilities,
      List<Rlimit> rlimits,
      boolean noNewPrivileges,
      Integer oomScoreAdj,
      String apparmorProfile,
      String selinuxLabel,
      Scheduler scheduler,
      IoPriority ioPriority,
      CpuAffinity execCPUAffinity) {}

  /** {@code process.consoleSize}. */
  public record ConsoleSize(long height, long width) {}

  /** {@code process.scheduler}; absent numbers are 0 and flags empty, as config.md says. */
  public record Scheduler(String policy, int nice, int priority, List<String> flags, long runtime,
      long deadline, long period) {}

  /** {@code process.ioPriority}. */
  public record IoPriority(String ioClass, int priority) {}

  /** {@code process.execCPUAffinity}; either list may be null. */
  public record CpuAffinity(String initial, String finalCpus) {}

  /** {@code process.user} (POSIX). {@code umask} is null when unset. */
  public record User(long uid, long gid, Integer umask, List<Long> additionalGids) {}

  /** One entry of {@code process.rlimits}; soft and hard are uint64 bit patterns. */
  public record Rlimit(String type, long soft, long hard) {}

  /** {@code process.capabilities}: each set is null when absent. */
  public record Capabilities(
      List<String> bounding,
      List<String> effective,
      List<String> inheritable,
      List<String> permitted,
      List<String> ambient) {}
}
