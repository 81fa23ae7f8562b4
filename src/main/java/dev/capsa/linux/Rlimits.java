package dev.capsa.linux;

import java.util.List;

/** The RLIMIT_* resources of getrlimit(2), indexed by their number. */
public final class Rlimits {
  public static final List<String> NAMES = List.of(
      "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
      "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
      "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME");

  private Rlimits() {}

  /** The resource number, or -1 when the name maps to no Linux resource. */
  public static int number(String name) {
    return NAMES.indexOf(name);
  }
}
