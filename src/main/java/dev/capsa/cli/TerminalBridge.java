package dev.capsa.cli;

import dev.capsa.linux.Native;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;

/**
 * The caller's terminal joined to the container's pty: stdin to the master
 * in a thread, the master to stdout here; raw mode while it lasts; a window
 * change resizes the pty (the kernel then tells the container's foreground
 * process group).
 */
final class TerminalBridge {
  private final int master;
  private final int[] winch = Native.pipe();
  private byte[] saved;

  TerminalBridge(int master) {
    this.master = master;
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

  /** Copies the pty's output until every holder of its other end has closed it. */
  void copyUntilClosed() {
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = Native.read(master, buf)) > 0) {
        Native.write(1, buf, 0, n);
      }
    } catch (SyscallException e) {
      Log.debug("pty: " + e.getMessage());
    }
  }

  void close() {
    if (saved != null) {
      Native.restoreTerminal(0, saved);
      saved = null;
    }
  }
}
