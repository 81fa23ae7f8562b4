package dev.capsa.linux;

/** Names of Linux errno values (x86-64 and the generic table agree on these). */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int EBADF = 9;
  public static final int ECHILD = 10;
  public static final int EAGAIN = 11;
  public static final int EACCES = 13;
  public static final int EEXIST = 17;
  public static final int ENOTDIR = 20;
  public static final int EINVAL = 22;
  public static final int ENXIO = 6;
  public static final int ENOSYS = 38;
  public static final int EPROTO = 71;

  private static final String[] NAMES = {
    null, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
    "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
    "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
    "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG",
    "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", null, "ENOMSG", "EIDRM",
  };

  private Errno() {}

  /** The symbolic name, such as {@code EPERM}, or {@code errno N}. */
  public static String name(int errno) {
    if (errno > 0 && errno < NAMES.length && NAMES[errno] != null) {
      return NAMES[errno];
    }
    return switch (errno) {
      case 71 -> "EPROTO";
      case 75 -> "EOVERFLOW";
      case 95 -> "EOPNOTSUPP";
      case 104 -> "ECONNRESET";
      case 111 -> "ECONNREFUSED";
      default -> "errno " + errno;
    };
  }

  /**
   * {@code EPERM (operation not permitted)}: strerror's text with a small
   * first letter, as Go (so runc) words errno values. Engines match these
   * words in the runtime's error: Docker's client exits 127 for "no such file
   * or directory" and 126 for "permission denied", case-sensitively.
   */
  public static String describe(int errno) {
    String text;
    try {
      text = Native.strerror(errno);
    } catch (UnsatisfiedLinkError e) {
      return name(errno);
    }
    if (!text.isEmpty() && Character.isUpperCase(text.charAt(0))
        && (text.length() == 1 || !Character.isUpperCase(text.charAt(1)))) {
      text = Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
    return name(errno) + " (" + text + ")";
  }
}
