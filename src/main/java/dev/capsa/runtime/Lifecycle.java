package dev.capsa.runtime;

import dev.capsa.linux.Errno;
import dev.capsa.linux.Native;
import dev.capsa.linux.Signals;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.spec.Hooks;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The operations of runtime.md after create: start, kill, delete, and the state query. */
public final class Lifecycle {
  private Lifecycle() {}

  /**
   * runtime.md "Start": runs the user's program of a created container, by
   * writing the byte the container process waits for on its exec fifo.
   */
  public static void start(StateStore store, String id) {
    Container c = store.open(id);
    try (Container.Lock lock = c.lock()) {
      ContainerState s = c.load();
      Status status = c.status(s);
      if (status != Status.CREATED) {
        throw new ContainerException("cannot start container \"" + id + "\": it is "
            + status.json() + ", not created");
      }
      Hooks hooks = c.hooks();
      try {
        // In the container's namespaces, before the user's program runs.
        HookRunner.run("startContainer", hooks.startContainer(),
            Creator.hookState(s, Status.CREATED, Creator.pidInContainer(s.pid())), s.pid());
      } catch (ContainerException e) {
        destroyAfterFailedHook(c, s, hooks);
        throw e;
      }
      try {
        Native.releaseGate(c.fifo().toString());
      } catch (SyscallException e) {
        if (e.errno() == Errno.ENXIO) {
          throw new ContainerException("cannot start container \"" + id
              + "\": its process exited before start");
        }
        throw e;
      }
      try {
        Files.deleteIfExists(c.fifo());
      } catch (IOException e) {
        throw new ContainerException("removing " + c.fifo() + ": " + e, e);
      }
      c.save(s.withStatus(Status.RUNNING));
      try {
        HookRunner.run("poststart", hooks.poststart(),
            Creator.hookState(s, Status.RUNNING, s.pid()), 0);
      } catch (ContainerException e) {
        destroyAfterFailedHook(c, s, hooks);
        throw e;
      }
    }
  }

  /**
   * runtime.md: a failed startContainer or poststart hook stops the container
   * and continues the lifecycle at step 12: it is destroyed, and its poststop
   * hooks run.
   */
  private static void destroyAfterFailedHook(Container c, ContainerState s, Hooks hooks) {
    killAndWait(s);
    c.destroy();
    poststop(c, hooks, s);
  }

  /** Runs the poststop hooks of a deleted container; a failure is only a warning. */
  static void poststop(Container c, Hooks hooks) {
    poststop(c, hooks, null);
  }

  private static void poststop(Container c, Hooks hooks, ContainerState s) {
    if (hooks.poststop().isEmpty()) {
      return;
    }
    ContainerState state = s;
    if (state == null) {
      try {
        state = c.load();
      } catch (ContainerException e) {
        state = new ContainerState(c.id(), Status.STOPPED, 0, 0, 0, "", "", "", java.util.Map.of());
      }
    }
    try {
      HookRunner.run("poststop", hooks.poststop(), Creator.hookState(state, Status.STOPPED, 0), 0);
    } catch (ContainerException e) {
      Log.warn(e.getMessage());
    }
  }

  /**
   * runtime.md "Kill": sends {@code signal} to the container process; with
   * {@code all}, to every process in the container's pid namespace.
   */
  public static void kill(StateStore store, String id, int signal, boolean all) {
    Container c = store.open(id);
    try (Container.Lock lock = c.lock()) {
      ContainerState s = c.load();
      Status status = c.status(s);
      if (status != Status.CREATED && status != Status.RUNNING && status != Status.PAUSED) {
        throw new ContainerException("cannot kill container \"" + id + "\": it is "
            + status.json() + ", not created or running");
      }
      if (all) {
        signalNamespace(s, signal);
      }
      if (!c.signal(s, signal) && !all) {
        throw new ContainerException("cannot kill container \"" + id + "\": its process is gone");
      }
    }
  }

  /**
   * Signals every process that shares the container process's pid namespace;
   * without a pid namespace of its own, the container's processes cannot be
   * told apart from the host's here (that takes its cgroup).
   */
  private static void signalNamespace(ContainerState s, int signal) {
    String ns = pidNamespace(s.pid());
    if (ns == null || ns.equals(pidNamespace((int) ProcessHandle.current().pid()))) {
      throw new ContainerException("kill --all: container \"" + s.id()
          + "\" shares the host's pid namespace; capsa cannot find its processes without its cgroup");
    }
    for (int p : pids()) {
      if (p != s.pid() && ns.equals(pidNamespace(p))) {
        try {
          Native.kill(p, signal);
        } catch (SyscallException e) {
          // ESRCH: it exited meanwhile.
        }
      }
    }
  }

  private static String pidNamespace(int pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")).toString();
    } catch (IOException e) {
      return null;
    }
  }

  private static List<Integer> pids() {
    List<Integer> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path d : dirs) {
        String name = d.getFileName().toString();
        if (Signals.digits(name)) {
          out.add(Integer.parseInt(name));
        }
      }
    } catch (IOException e) {
      throw new ContainerException("listing /proc: " + e, e);
    }
    return out;
  }

  /**
   * runtime.md "Delete": removes what create made. A container that is not
   * stopped is an error, unless {@code force}, which kills it first.
   */
  public static void delete(StateStore store, String id, boolean force) {
    if (force && !store.exists(id)) {
      // runc: --force of a container that is not there succeeds, and clears
      // the remains of a create that died before writing its state.
      store.removeRemains(id);
      return;
    }
    Container c = store.open(id);
    try (Container.Lock lock = c.lock()) {
      ContainerState s = c.load();
      Status status = c.status(s);
      if (status != Status.STOPPED) {
        if (!force) {
          throw new ContainerException("cannot delete container \"" + id + "\": it is "
              + status.json() + ", not stopped (use --force to kill it first)");
        }
        killAndWait(s);
      }
      Hooks hooks = c.hooks();
      c.destroy();
      poststop(c, hooks, s);
    }
  }

  /** SIGKILL to the container process, then wait (up to 10 s) until it is gone. */
  private static void killAndWait(ContainerState s) {
    int pidfd;
    try {
      pidfd = Native.pidfdOpen(s.pid());
    } catch (SyscallException e) {
      return;
    }
    try {
      if (Container.alive(s)) {
        Native.pidfdSendSignal(pidfd, Signals.SIGKILL);
        if (!Native.pidfdAwaitExit(pidfd, 10_000)) {
          throw new ContainerException("container \"" + s.id() + "\": process " + s.pid()
              + " did not exit within 10 s of SIGKILL");
        }
      }
    } catch (SyscallException e) {
      if (e.errno() != Errno.ESRCH) {
        throw e;
      }
    } finally {
      Native.close(pidfd);
    }
  }

  /** runtime.md "Query State", with runc's extra fields. */
  public static Map<String, Object> state(StateStore store, String id) {
    Container c = store.open(id);
    ContainerState s = c.load();
    return s.oci(c.status(s), "");
  }
}
