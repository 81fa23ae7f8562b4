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
   * Starts the native stage from its sealed memfd copy: fds 3..3+preserve-1 as
   * they are, {@code syncFd} as fd 3+preserve, then {@code extra} (may be null),
   * and the caller's stdio unless {@code stdio} (may be null; -1 keeps one) says
   * otherwise.
   *
   * @return the stage's pid
   */
  public static native int spawnStage(int syncFd, int preserve, int[] extra, int[] stdio);

  /** A SOCK_SEQPACKET socketpair, both ends close-on-exec. */
  public static native int[] socketPair();

  public static native void send(int fd, byte[] buf, int off, int len);

  /**
   * @param fdOut gets an fd that came with the message (SCM_RIGHTS), or -1; may be null
   * @return bytes received, 0 at the end of the stream, -1 if the timeout passed
   */
  public static native int recv(int fd, byte[] buf, int timeoutMillis, int[] fdOut);

  /** A connected AF_UNIX stream socket. */
  public static native int connectUnix(String path);

  /**
   * A detached clone of the mount at {@code path} (open_tree; with its
   * submounts when {@code recursive}), idmapped to the user namespace
   * {@code usernsFd} (the submounts too when {@code ridmap}).
   */
  public static native int idmappedTree(String path, int usernsFd, boolean recursive,
      boolean ridmap);

  /** Sends {@code data} with {@code fds} (SCM_RIGHTS). */
  public static native void sendFds(int socket, byte[] data, int[] fds);

  /** open(2) with O_CLOEXEC added. */
  public static native int open(String path, int flags);

  /** @return bytes read, 0 at the end (EIO of a closed pty counts as the end) */
  public static native int read(int fd, byte[] buf);

  public static native void write(int fd, byte[] buf, int off, int len);

  public static native boolean isatty(int fd);

  /** Puts a terminal in raw mode; returns the settings to restore. */
  public static native byte[] makeRaw(int fd);

  public static native void restoreTerminal(int fd, byte[] saved);

  /** @return {rows, cols} */
  public static native int[] windowSize(int fd);

  public static native void setWindowSize(int fd, int rows, int cols);

  /**
   * ioctl(master, TIOCGPTPEER, O_RDWR|O_NOCTTY|O_CLOEXEC): a new fd of the slave of the pty
   * whose master is {@code master}, close-on-exec, never a controlling terminal.
   */
  public static native int ptyPeer(int master);

  /** {@code poll(2)} results ({@link #poll}). */
  public static final int POLLIN = 0x1;
  public static final int POLLERR = 0x8;
  public static final int POLLHUP = 0x10;
  public static final int POLLNVAL = 0x20;

  /**
   * Waits until one of {@code fds} (at most 8) is readable, hung up or in error, or
   * {@code timeoutMillis} pass (-1: forever); {@code revents[i]} gets {@code fds[i]}'s events.
   *
   * @return how many fds have events; 0 when the timeout passed
   */
  public static native int poll(int[] fds, int[] revents, int timeoutMillis);

  /** seccomp_init(3) with the default action; the handle is for the calls below. */
  public static native long seccompInit(int defaultAction);

  public static native void seccompRelease(long ctx);

  /** Adds an architecture by libseccomp's name; false when libseccomp does not know it. */
  public static native boolean seccompArchAdd(long ctx, String name);

  /**
   * A syscall's number for libseccomp: on this architecture, or a negative
   * pseudo number (below -10000) for one that only another architecture has
   * (socketcall on x86_64); -1 when libseccomp knows no such syscall.
   */
  public static native int seccompSyscall(String name);

  public static native void seccompRule(long ctx, int action, int syscall, int[] index, int[] op,
      long[] value, long[] valueTwo);

  public static native void seccompAttr(long ctx, int attr, int value);

  /** The filter as struct sock_filter[]. */
  public static native byte[] seccompExport(long ctx);

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

  /**
   * Forwards HUP, INT, TERM and the other signals a user sends to {@code pid}
   * (for run); SIGWINCH instead writes a byte to {@code winchFd} when it is not -1.
   */
  public static native void forwardSignals(int pid, int winchFd);

  /** memfd_create(2), close-on-exec. */
  public static native int memfd(String name);

  /** pipe2(O_CLOEXEC): {read end, write end}. */
  public static native int[] pipe();

  /** Moves interface {@code name} into the network namespace of {@code netnsFd} as {@code newName}. */
  public static native void moveLink(String name, int netnsFd, String newName);

  /** Loads a cgroup v2 device filter (eBPF instructions); returns the program's fd. */
  public static native int bpfLoadDeviceFilter(byte[] instructions);

  /** Attaches a device filter to the cgroup open at {@code cgroupFd}. */
  public static native void bpfAttachDeviceFilter(int cgroupFd, int programFd);

  /** Opens (creating, mode 0600) and flock(LOCK_EX)s {@code path}, waiting; closing the fd unlocks. */
  public static native int lock(String path);

  public static native int geteuid();

  public static native String strerror(int errno);
}
