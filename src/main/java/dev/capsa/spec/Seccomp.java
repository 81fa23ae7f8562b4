package dev.capsa.spec;

import java.util.List;

/**
 * {@code linux.seccomp} (config-linux.md "Seccomp"). Lists are never null.
 *
 * @param defaultErrnoRet null: EPERM
 */
public record Seccomp(
    String defaultAction,
    Long defaultErrnoRet,
    List<String> architectures,
    List<String> flags,
    String listenerPath,
    String listenerMetadata,
    List<Syscall> syscalls) {

  /** One entry of {@code syscalls}. */
  public record Syscall(List<String> names, String action, Long errnoRet, List<Arg> args) {}

  /** One argument condition; value and valueTwo are uint64 bit patterns. */
  public record Arg(long index, long value, long valueTwo, String op) {}
}
