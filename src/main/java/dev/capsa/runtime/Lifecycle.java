package dev.capsa.runtime;

import dev.capsa.cgroups.Cgroup;
import dev.capsa.cgroups.SystemdScope;
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
   * writing the byte the container process waits for on its exec fifo. The
   * status it leaves is "running" because the fifo is gone (state.json keeps
   * "created": the launcher's start, native/launcher.c, does not rewrite it
   * either).
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
      if (!hooks.startContainer().isEmpty()) {
        try {
          // In the container's namespaces, before the user's program runs.
          HookRunner.run("startContainer", hooks.startContainer(),
              Creator.hookState(s, Status.CREATED, Creator.pidInContainer(s.pid())), s.pid());
        } catch (ContainerException e) {
          destroyAfterFailedHook(c, s, hooks);
          throw e;
        }
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
      if (!hooks.poststart().isEmpty()) {
        try {
          HookRunner.run("poststart", hooks.poststart(),
              Creator.hookState(s, Status.RUNNING, s.pid()), 0);
        } catch (ContainerException e) {
          destroyAfterFailedHook(c, s, hooks);
          throw e;
        }
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
    destroy(c, s, hooks);
  }

  /**
   * Step 12 of runtime.md's lifecycle for a container whose process has
   * exited: its other processes, its cgroup (if create made it) and its state
   * go; then the poststop hooks run.
   */
  private static void destroy(Container c, ContainerState s, Hooks hooks) {
    Cgroup cg = Container.cgroup(s);
    if (cg != null) {
      // Without a pid namespace the container's other processes outlive its
      // first one; with or without, nothing of it may outlive delete.
      if (!cg.pids().isEmpty()) {
        signalAll(s, Signals.SIGKILL);
      }
      if (s.cgroupOwned()) {
        RuntimeException stopFailed = null;
        if (s.systemdUnit() != null) {
          try {
            SystemdScope.stop(s.systemdUnit());
          } catch (RuntimeException e) {
            // The directories go anyway (the processes are dead); then the error.
            stopFailed = e;
          }
        }
        try {
          cg.destroy();
          if (stopFailed != null) {
            throw stopFailed;
          }
        } catch (RuntimeException e) {
          throw new ContainerException("cannot delete container \"" + c.id() + "\": "
              + e.getMessage());
        }
      }
    }
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
    for (String failure : HookRunner.runAll("poststop", hooks.poststop(),
        Creator.hookState(state, Status.STOPPED, 0))) {
      Log.warn(failure);
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
        signalAll(s, signal);
      }
      if (!c.signal(s, signal) && !all) {
        throw new ContainerException("cannot kill container \"" + id + "\": its process is gone");
      }
    }
  }

  /**
   * Signals every process of the container: those in its cgroup, frozen
   * meanwhile so that none can fork a child the signal misses (runc's
   * signalAllProcesses); without a cgroup, those in its pid namespace.
   */
  private static void signalAll(ContainerState s, int signal) {
    Cgroup cg = Container.cgroup(s);
    if (cg != null) {
      boolean wasFrozen = cg.frozen();
      boolean froze = false;
      try {
        if (!wasFrozen && signal != Signals.SIGKILL) {
          cg.freeze();
          froze = true;
        }
      } catch (RuntimeException e) {
        Log.debug("kill --all without freezing: " + e.getMessage());
      }
      try {
        for (int p : cg.pids()) {
          try {
            Native.kill(p, signal);
          } catch (SyscallException e) {
            // ESRCH: it exited meanwhile.
          }
        }
      } finally {
        if (froze || (wasFrozen && signal == Signals.SIGKILL)) {
          // A frozen task dies of SIGKILL only once thawed (cgroup v1).
          cg.thaw();
        }
      }
      return;
    }
    String ns = pidNamespace(s.pid());
    if (ns == null || ns.equals(pidNamespace((int) ProcessHandle.current().pid()))) {
      throw new ContainerException("kill --all: container \"" + s.id()
          + "\" shares the host's pid namespace and has no cgroup to find its processes by");
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
    Container c;
    Container.Lock held;
    try {
      c = store.open(id);
      held = c.lock();
    } catch (ContainerException e) {
      if (force && !store.exists(id)) {
        // Another delete (or run's own cleanup) removed it while we waited
        // for its lock: what --force asked for is done.
        return;
      }
      throw e;
    }
    try (Container.Lock lock = held) {
      ContainerState s = c.load();
      Status status = c.status(s);
      if (status != Status.STOPPED) {
        if (!force) {
          throw new ContainerException("cannot delete container \"" + id + "\": it is "
              + status.json() + ", not stopped (use --force to kill it first)");
        }
        killAndWait(s);
      }
      destroy(c, s, c.hooks());
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
        Cgroup cg = Container.cgroup(s);
        if (cg != null && cg.frozen()) {
          // A paused container: on cgroup v1 SIGKILL waits for the thaw.
          cg.thaw();
        }
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

  /** runc's pause: freezes every process of the container. */
  public static void pause(StateStore store, String id) {
    freeze(store, id, true);
  }

  /** runc's resume: thaws a paused container. */
  public static void resume(StateStore store, String id) {
    freeze(store, id, false);
  }

  private static void freeze(StateStore store, String id, boolean freeze) {
    Container c = store.open(id);
    try (Container.Lock lock = c.lock()) {
      ContainerState s = c.load();
      Status status = c.status(s);
      Status wanted = freeze ? Status.RUNNING : Status.PAUSED;
      if (status != wanted && !(freeze && status == Status.CREATED)) {
        throw new ContainerException("cannot " + (freeze ? "pause" : "resume") + " container \""
            + id + "\": it is " + status.json() + ", not " + wanted.json());
      }
      Cgroup cg = Container.cgroup(s);
      if (cg == null) {
        throw new ContainerException("container \"" + id + "\" has no cgroup to freeze");
      }
      if (freeze) {
        cg.freeze();
      } else {
        cg.thaw();
      }
    }
  }

  /** The processes of the container (its cgroup's), host pids. */
  public static java.util.Set<Integer> pids(StateStore store, String id) {
    Container c = store.open(id);
    ContainerState s = c.load();
    Cgroup cg = Container.cgroup(s);
    if (cg == null) {
      return c.status(s) == Status.STOPPED ? java.util.Set.of() : java.util.Set.of(s.pid());
    }
    return cg.pids();
  }

  /** The container's process as config.json gave it, for exec to start from. */
  public static dev.capsa.spec.Spec.Process process(StateStore store, String id) {
    dev.capsa.spec.Spec spec = store.open(id).config();
    if (spec.process() == null) {
      throw new ContainerException("container \"" + id + "\" has no process to start from");
    }
    return spec.process();
  }

  /** The container's resource usage (events --stats). */
  public static java.util.Map<String, Object> stats(StateStore store, String id) {
    Cgroup cg = Container.cgroup(store.open(id).load());
    if (cg == null) {
      throw new ContainerException("container \"" + id + "\" has no cgroup");
    }
    return dev.capsa.cgroups.Stats.read(cg);
  }

  /** OOM kills so far in the container's cgroup. */
  public static long oomKills(StateStore store, String id) {
    Cgroup cg = Container.cgroup(store.open(id).load());
    return cg == null ? 0 : dev.capsa.cgroups.Stats.oomKills(cg);
  }

  /** True while the container's process runs (or waits at the gate). */
  public static boolean isAlive(StateStore store, String id) {
    try {
      Container c = store.open(id);
      return c.status(c.load()) != Status.STOPPED;
    } catch (ContainerException e) {
      return false;
    }
  }

  /**
   * runc's update: writes new resources to the container's cgroup; with
   * memory.checkBeforeUpdate, a limit below the current usage is refused.
   */
  public static void update(StateStore store, String id, dev.capsa.spec.Resources r) {
    Container c = store.open(id);
    try (Container.Lock lock = c.lock()) {
      ContainerState s = c.load();
      Status status = c.status(s);
      if (status == Status.STOPPED) {
        throw new ContainerException("cannot update container \"" + id + "\": it is stopped");
      }
      Cgroup cg = Container.cgroup(s);
      if (cg == null) {
        throw new ContainerException("container \"" + id + "\" has no cgroup");
      }
      if (r.memory() != null && Boolean.TRUE.equals(r.memory().checkBeforeUpdate())
          && r.memory().limit() != null && r.memory().limit() > 0) {
        long usage = ((Number) ((java.util.Map<?, ?>) ((java.util.Map<?, ?>)
            dev.capsa.cgroups.Stats.read(cg).get("memory")).get("usage")).get("usage")).longValue();
        if (r.memory().limit() < usage) {
          throw new ContainerException("linux.resources.memory.limit: " + r.memory().limit()
              + " is below the current usage " + usage + " (checkBeforeUpdate)");
        }
      }
      try {
        // The plan first: it checks the values, and systemd gets only valid ones.
        dev.capsa.cgroups.ResourcePlan plan = dev.capsa.cgroups.ResourcePlan.of(r, cg.layout(),
            true);
        if (s.systemdUnit() != null) {
          SystemdScope.setProperties(s.systemdUnit(), withCurrentPeriod(r, cg), cg.layout());
        }
        cg.apply(plan);
      } catch (dev.capsa.spec.SpecException e) {
        throw new ContainerException(e.getMessage());
      }
    }
  }

  /**
   * A quota without a period is a share of the container's current period
   * (systemd's CPUQuotaPerSecUSec needs both), as runc reads it.
   */
  private static dev.capsa.spec.Resources withCurrentPeriod(dev.capsa.spec.Resources r,
      Cgroup cg) {
    dev.capsa.spec.Resources.Cpu c = r.cpu();
    if (c == null || c.quota() == null || c.quota() <= 0 || c.period() != null) {
      return r;
    }
    Long period = cg.cpuPeriod();
    if (period == null) {
      return r;
    }
    return new dev.capsa.spec.Resources(r.memory(), new dev.capsa.spec.Resources.Cpu(
        c.shares(), c.quota(), c.burst(), period, c.realtimeRuntime(), c.realtimePeriod(),
        c.cpus(), c.mems(), c.idle()), r.pids(), r.blockIO(), r.hugepageLimits(), r.network(),
        r.rdma(), r.devices(), r.unified());
  }

  /** runtime.md "Query State", with runc's extra fields. */
  public static Map<String, Object> state(StateStore store, String id) {
    Container c = store.open(id);
    ContainerState s = c.load();
    return s.oci(c.status(s), "");
  }
}
