package dev.capsa.linux;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JNI syscall layer ({@code native/capsa_jni.c}): each method is one or two
 * system calls and throws {@link SyscallException} on failure.
 *
 * <p>JNI rather than java.lang.foreign: the first FFM downcall costs about 50 ms of
 * start-up, a third of a runtime call (DESIGN.md).
 */
public final class Native {
  static {
    System.load(library().toString());
  }

  private Native() {}

  /**
   * Where libcapsa.so is: {@code -Dcapsa.lib}, else in {@code -Dcapsa.home}
   * (the directory build/package.sh fills, e.g. target/capsa).
   */
  static Path library() {
    String lib = System.getProperty("capsa.lib");
    if (lib != null) {
      return Path.of(lib);
    }
    String home = System.getProperty("capsa.home");
    if (home == null) {
      throw new IllegalStateException("capsa.lib is not set: start capsa through bin/capsa");
    }
    Path path = Path.of(home, "libcapsa.so");
    if (!Files.exists(path)) {
      throw new IllegalStateException(path + " is missing: run make");
    }
    return path;
  }

  /**
   * Starts the native stage from its sealed memfd copy, with the caller's stdio,
   * the fds 3..3+preserve-1 and {@code syncFd} as fd 3+preserve.
   *
   * @return the stage's pid
   */
  public static native int spawnStage(int syncFd, int preserve);

  /** A SOCK_SEQPACKET socketpair, both ends close-on-exec. */
  public static native int[] socketPair();

  public static native void send(int fd, byte[] buf, int off, int len);

  /** @return bytes received, 0 at the end of the stream, -1 if the timeout passed */
  public static native int recv(int fd, byte[] buf, int timeoutMillis);

  public static native void close(int fd);

  /** @return the raw wait status; -1 when {@code noHang} and the child still runs */
  public static native int waitPid(int pid, boolean noHang);

  public static native void kill(int pid, int signal);

  public static native int pidfdOpen(int pid);

  public static native void pidfdSendSignal(int pidfd, int signal);

  /** @return true when the process exited within the timeout (-1: wait forever) */
  public static native boolean pidfdAwaitExit(int pidfd, int timeoutMillis);

  public static native void mkfifo(String path, int mode);

  /** Writes one byte to the exec fifo without blocking; ENXIO: no reader left. */
  public static native void releaseGate(String path);

  public static native void setChildSubreaper();

  /** Opens (creating, mode 0600) and flock(LOCK_EX)s {@code path}, waiting; closing the fd unlocks. */
  public static native int lock(String path);

  /** Forwards HUP, INT, TERM and the other signals a user sends to {@code pid} (for run). */
  public static native void forwardSignals(int pid);

  public static native int geteuid();

  public static native String strerror(int errno);
}
