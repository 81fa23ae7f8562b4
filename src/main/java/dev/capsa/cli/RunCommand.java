package dev.capsa.cli;

import dev.capsa.linux.Native;
import dev.capsa.log.Log;
import dev.capsa.runtime.ContainerException;
import dev.capsa.runtime.Creator;
import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code capsa run}: create, start, wait, delete. capsa becomes the container
 * process's subreaper, so it can wait for it; it forwards the signals it gets
 * and exits with the container's status (128+N when a signal N killed it).
 * With a terminal and no --console-socket, capsa holds the pty master and
 * joins it to its own terminal (raw mode, window size) until the container
 * process exits ({@link TerminalBridge}).
 */
final class RunCommand implements Command {
  private static final List<Args.Option> OPTIONS;

  static {
    List<Args.Option> o = new ArrayList<>(CreateCommand.OPTIONS);
    o.add(Args.Option.flag("detach", "d", "do not wait: leave the container running"));
    o.add(Args.Option.flag("keep", null, "do not delete the container after it exits"));
    OPTIONS = List.copyOf(o);
  }

  @Override
  public String name() {
    return "run";
  }

  @Override
  public String summary() {
    return "create and start a container, and wait for it";
  }

  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public List<Args.Option> options() {
    return OPTIONS;
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    String id = a.id(name());
    boolean detach = a.flag("detach");
    if (!detach) {
      // When the stage's first process exits, the container process becomes ours to reap.
      Native.setChildSubreaper();
    }
    Creator.Created created =
        Creator.create(g.store(), id, CreateCommand.options(a, !detach, !detach, g.systemdCgroup()));
    int pid = created.container().load().pid();
    int master = created.ptyMaster();
    TerminalBridge terminal = master >= 0 ? new TerminalBridge(master) : null;
    // The bridge copies until the container process exits: a pidfd taken before start, while
    // the process waits at the exec fifo, so it cannot be anyone else's.
    int pidfd = terminal != null && !detach ? TerminalBridge.watch(pid) : -1;
    if (!detach) {
      Native.forwardSignals(pid, terminal == null ? -1 : terminal.winchFd());
    }
    try {
      Lifecycle.start(g.store(), id);
    } catch (ContainerException e) {
      if (terminal != null) {
        terminal.close();
      }
      TerminalBridge.closeQuietly(pidfd);
      try {
        Lifecycle.delete(g.store(), id, true);
      } catch (ContainerException gone) {
        // A failed hook has already destroyed it.
      }
      throw e;
    }
    if (detach) {
      if (terminal != null) {
        terminal.close();
      }
      return 0;
    }
    Log.debug("started");
    if (terminal != null) {
      terminal.copyUntilExit(pidfd);
      TerminalBridge.closeQuietly(pidfd);
    }
    int status = Native.waitPid(pid, false);
    if (terminal != null) {
      terminal.close();
    }
    Log.debug("container process exited");
    if (!a.flag("keep")) {
      try {
        Lifecycle.delete(g.store(), id, true);
      } catch (ContainerException e) {
        // Someone deleted it (delete --force) while we waited: its status still counts.
        Log.debug("delete after run: " + e.getMessage());
      }
    }
    return exitCode(status);
  }

  /** The shell's convention: the exit status, or 128+N for death by signal N. */
  static int exitCode(int waitStatus) {
    int signal = waitStatus & 0x7f;
    if (signal == 0) {
      return (waitStatus >> 8) & 0xff;
    }
    Log.debug("container process killed by signal " + signal);
    return 128 + signal;
  }
}
