package dev.capsa.cli;

import dev.capsa.linux.Errno;
import dev.capsa.linux.Native;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.runtime.ProcStat;

/**
 * The caller's terminal joined to the container's pty: stdin to the master
 * in a thread, the master to stdout here; raw mode while it lasts; a window
 * change resizes the pty (the kernel then tells the container's foreground
 * process group).
 *
 * <p>The bridge holds an fd of the pty's slave itself, as conmon does. The
 * kernel makes read(2) of a master fail with EIO, and poll(2) report POLLHUP,
 * whenever no fd of its slave is open (the slave's last close sets
 * TTY_OTHER_CLOSED on the master; the next open of the slave clears it). A
 * container process may close or redirect all of its stdio and open the
 * terminal again later: systemd as PID 1 points its stdio at /dev/null, then
 * writes its status to /dev/console, which is the slave. Copying until EIO
 * would stop at the first moment no slave fd is open and never read again;
 * once the pty's buffers fill, the container process blocks in write(2) for
 * good. With our own slave fd the master never reads EIO while the bridge
 * lives, so the copying ends instead when the container process exits (its
 * pidfd becomes readable), after draining what the master still holds.
 */
final class TerminalBridge {
  /** How long to wait for the process after a hangup of the pty before looking again. */
  private static final int HANGUP_PAUSE_MILLIS = 100;

  private final int master;
  private final int[] winch = Native.pipe();
  private byte[] saved;
  /** Our fd of the pty's slave (close-on-exec, so no child gets it); -1 when not held. */
  private int slave = -1;
  /** Set when stdout failed: the master is still read (and the output dropped). */
  private boolean discard;

  TerminalBridge(int master) {
    this.master = master;
    holdSlave();
    if (Native.isatty(0)) {
      saved = Native.makeRaw(0);
      resize();
    }
    daemon("capsa-stdin", this::copyStdin);
    daemon("capsa-winch", this::watchWindow);
  }

  int winchFd() {
    return winch[1];
  }

  private void resize() {
    try {
      int[] size = Native.windowSize(0);
      Native.setWindowSize(master, size[0], size[1]);
    } catch (SyscallException e) {
      Log.debug("window size: " + e.getMessage());
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private void copyStdin() {
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = Native.read(0, buf)) > 0) {
        Native.write(master, buf, 0, n);
      }
    } catch (SyscallException e) {
      Log.debug("stdin: " + e.getMessage());
    }
  }

  private void watchWindow() {
    byte[] buf = new byte[16];
    try {
      while (Native.read(winch[0], buf) > 0) {
        if (Native.isatty(0)) {
          resize();
        }
      }
    } catch (SyscallException e) {
      Log.debug("window: " + e.getMessage());
    }
  }

  /**
   * Opens a new fd of the slave through the master (TIOCGPTPEER), in place of the one held;
   * leaves none held if the kernel refuses (before Linux 4.13). A vhangup(2) in the container
   * does not undo the hold: our fd is hung up, but still counts as an open slave.
   */
  private void holdSlave() {
    releaseSlave();
    try {
      slave = Native.ptyPeer(master);
    } catch (SyscallException e) {
      Log.debug("pty: cannot hold the slave: " + e.getMessage());
    }
  }

  private void releaseSlave() {
    int fd = slave;
    slave = -1;
    closeQuietly(fd);
  }

  /** A pidfd of {@code pid} to copy until, or -1 (then: until the pty's slave is closed). */
  static int watch(int pid) {
    try {
      return Native.pidfdOpen(pid);
    } catch (SyscallException e) {
      Log.debug("pidfd of " + pid + ": " + e.getMessage());
      return -1;
    }
  }

  /**
   * {@link #watch} of a child of {@code parent} that its parent reaps (exec's process,
   * the stage's child): if it was reaped before pidfd_open, the pid may name another
   * process by now. Only a process whose parent is still {@code parent}, read after the
   * pidfd pins it, is ours; otherwise -1.
   */
  static int watchChild(int pid, int parent) {
    int pidfd = watch(pid);
    if (pidfd >= 0) {
      ProcStat stat = ProcStat.read(pid);
      if (stat == null || stat.ppid() != parent) {
        Log.debug("process " + pid + " is no longer the child of " + parent);
        closeQuietly(pidfd);
        return -1;
      }
    }
    return pidfd;
  }

  /** Closes {@code fd} unless it is -1; a failure is only logged. */
  static void closeQuietly(int fd) {
    if (fd >= 0) {
      try {
        Native.close(fd);
      } catch (SyscallException e) {
        Log.debug("close: " + e.getMessage());
      }
    }
  }

  /**
   * Copies the pty's output to stdout until the process behind {@code pidfd} exits, then
   * what the master still holds, and lets go of the slave. With no pidfd (-1: the process
   * is gone already, or cannot be watched), it copies until every other holder of the slave
   * has closed it, as a plain pty reader would.
   */
  void copyUntilExit(int pidfd) {
    byte[] buf = new byte[8192];
    try {
      if (pidfd >= 0) {
        copyWhileRunning(pidfd, buf);
        drain(buf);
      } else {
        releaseSlave();
        int n;
        while ((n = Native.read(master, buf)) > 0) {
          out(buf, n);
        }
      }
    } catch (SyscallException e) {
      Log.debug("pty: " + e.getMessage());
    } finally {
      releaseSlave();
    }
  }

  /** Blocks in poll(2) on the master and the pidfd: no wake-ups while nothing happens. */
  private void copyWhileRunning(int pidfd, byte[] buf) {
    int[] fds = {master, pidfd};
    int[] revents = new int[2];
    int[] processOnly = {pidfd};
    int[] processEvents = new int[1];
    while (true) {
      Native.poll(fds, revents, -1);
      if ((revents[0] & Native.POLLNVAL) != 0) {
        throw new SyscallException("poll", "pty master", Errno.EBADF);
      }
      boolean hungUp = false;
      if ((revents[0] & Native.POLLIN) != 0) {
        int n = Native.read(master, buf);
        if (n > 0) {
          out(buf, n);
        } else {
          hungUp = true; // EIO: read drained the master, and no slave is open
        }
      } else if ((revents[0] & (Native.POLLHUP | Native.POLLERR)) != 0) {
        hungUp = true;
      }
      if (revents[1] != 0) {
        return;
      }
      if (hungUp) {
        // No slave open after all: the kernel would not give us one, or ours is gone. Try
        // to hold one again (which also makes the master readable again), then wait a moment
        // for the process alone: while no slave is open POLLHUP stays set, and polling the
        // master again right away would spin.
        holdSlave();
        if (Native.poll(processOnly, processEvents, HANGUP_PAUSE_MILLIS) > 0) {
          return;
        }
      }
    }
  }

  /**
   * The most {@link #drain} copies. A pty holds at most a few tens of KiB on its way to the
   * master (the line discipline's 4 KiB and the flip buffers' 64 KiB); more than that comes
   * from another process of the container that still writes (one without a pid namespace
   * outlives the first), and copying it would never end.
   */
  private static final long DRAIN_LIMIT = 256 * 1024;

  /**
   * What the process wrote before it exited, all of it: poll(2) and read(2) of a pty first
   * push what the kernel still has on its way to the master's buffer (flush_to_ldisc), so
   * a master that polls without POLLIN holds nothing more.
   */
  private void drain(byte[] buf) {
    int[] fd = {master};
    int[] revents = new int[1];
    long left = DRAIN_LIMIT;
    while (left > 0 && Native.poll(fd, revents, 0) > 0 && (revents[0] & Native.POLLIN) != 0) {
      int n = Native.read(master, buf);
      if (n <= 0) {
        return;
      }
      out(buf, n);
      left -= n;
    }
    if (left <= 0) {
      Log.debug("pty: still written to after its process exited; stopped copying");
    }
  }

  private void out(byte[] buf, int n) {
    if (discard) {
      return;
    }
    try {
      Native.write(1, buf, 0, n);
    } catch (SyscallException e) {
      // Keep reading the master all the same: the container must not block on a full pty.
      Log.debug("stdout: " + e.getMessage() + "; dropping the container's output from now on");
      discard = true;
    }
  }

  void close() {
    releaseSlave();
    if (saved != null) {
      Native.restoreTerminal(0, saved);
      saved = null;
    }
  }
}
