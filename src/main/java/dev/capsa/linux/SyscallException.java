package dev.capsa.linux;

/**
 * A failed system call: which call, the path it concerned (if any) and the
 * errno, as crun reports them. Thrown by {@link Native}.
 */
public final class SyscallException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String syscall;
  private final String path;
  private final int errno;

  /** Called from the JNI library. */
  public SyscallException(String syscall, String path, int errno) {
    super(describe(syscall, path, errno));
    this.syscall = syscall;
    this.path = path;
    this.errno = errno;
  }

  private static String describe(String syscall, String path, int errno) {
    return syscall + (path == null ? "" : " " + path) + ": " + Errno.describe(errno);
  }

  /** The system call, as named by its man page. */
  public String syscall() {
    return syscall;
  }

  /** The path the call concerned, or null. */
  public String path() {
    return path;
  }

  /** The errno the call failed with. */
  public int errno() {
    return errno;
  }
}
