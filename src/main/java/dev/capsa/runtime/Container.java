package dev.capsa.runtime;

import dev.capsa.cgroups.Cgroup;
import dev.capsa.cgroups.Layout;
import dev.capsa.linux.Errno;
import dev.capsa.linux.FileIo;
import dev.capsa.linux.Native;
import dev.capsa.linux.SyscallException;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Hooks;
import dev.capsa.spec.Spec;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One container's state directory, {@code <root>/<id>}:
 *
 * <pre>
 *   state.json   ContainerState, replaced atomically (write + rename)
 *   exec.fifo    the create→start gate; exists while the container is "created"
 *   config.json  config.json as create read it, for exec
 *   hooks.json   the hooks of config.json at create, for start and delete
 *   fastpath     what start and delete may do without a JVM ({@link FastPath})
 *   lock         serializes commands on this container (flock)
 * </pre>
 */
public final class Container {
  static final String STATE = "state.json";
  static final String FIFO = "exec.fifo";
  private static final String HOOKS = "hooks.json";
  private static final String CONFIG = "config.json";
  private static final String LOCK = "lock";

  private final StateStore store;
  private final String id;
  private final Path dir;

  Container(StateStore store, String id, Path dir) {
    this.store = store;
    this.id = id;
    this.dir = dir;
  }

  public String id() {
    return id;
  }

  public Path directory() {
    return dir;
  }

  public StateStore store() {
    return store;
  }

  Path fifo() {
    return dir.resolve(FIFO);
  }

  /**
   * Takes the container's lock, waiting for another command to finish with it.
   * Re-checks that the container still exists: the holder may have deleted it.
   */
  public Lock lock() {
    Lock lock = lockNew();
    if (!Files.exists(dir.resolve(STATE))) {
      lock.close();
      throw new ContainerException("container \"" + id + "\" does not exist");
    }
    return lock;
  }

  /** Takes the lock of a container whose state is not written yet. */
  Lock lockNew() {
    try {
      return new Lock(Native.lock(dir.resolve(LOCK).toString()));
    } catch (SyscallException e) {
      if (e.errno() == Errno.ENOENT) {
        throw new ContainerException("container \"" + id + "\" does not exist");
      }
      throw new ContainerException("locking container \"" + id + "\": " + e.getMessage(), e);
    }
  }

  /** A held container lock (flock(2) on the lock file). */
  public static final class Lock implements AutoCloseable {
    private int fd;

    Lock(int fd) {
      this.fd = fd;
    }

    @Override
    public void close() {
      if (fd >= 0) {
        Native.close(fd);
        fd = -1;
      }
    }
  }

  /** The recorded state; a container deleted meanwhile is an error. */
  public ContainerState load() {
    try {
      return ContainerState.fromJson(FileIo.read(dir.resolve(STATE)));
    } catch (NoSuchFileException e) {
      throw new ContainerException("container \"" + id + "\" does not exist");
    } catch (IOException | RuntimeException e) {
      throw new ContainerException("reading the state of container \"" + id + "\": " + e, e);
    }
  }

  /** Replaces state.json atomically, so a reader never sees half a file. */
  void save(ContainerState state) {
    replace(STATE, state.toJson());
  }

  /**
   * Writes {@code name} in the state directory whole (a temporary file, then
   * rename): the readers that take no lock (state, the launcher) never see
   * half of it.
   */
  private void replace(String name, String text) {
    Path tmp = dir.resolve(name + ".tmp");
    try {
      FileIo.write(tmp, text);
      try {
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new ContainerException("writing the state of container \"" + id + "\": " + e, e);
    }
  }

  /** Keeps config.json as create read it: exec starts processes from it. */
  void saveConfig(String text) {
    try {
      FileIo.write(dir.resolve(CONFIG), text);
    } catch (IOException e) {
      throw new ContainerException("writing the config of container \"" + id + "\": " + e, e);
    }
  }

  /** The config.json create read (any later change of the bundle's does not count). */
  Spec config() {
    try {
      return ConfigParser.parseTrusted(FileIo.read(dir.resolve(CONFIG)));
    } catch (IOException | RuntimeException e) {
      throw new ContainerException("reading the config of container \"" + id + "\": " + e, e);
    }
  }

  /** Keeps what start and delete may do without a JVM (see {@link FastPath}). */
  void saveFastPath(FastPath fastPath) {
    // Replaced whole, like state.json: the launcher's `state` reads it without the lock.
    replace(FastPath.FILE, fastPath.encode());
  }

  /** Keeps the container's hooks for start and delete. */
  void saveHooks(Hooks hooks) {
    try {
      FileIo.write(dir.resolve(HOOKS), ConfigParser.hooksJson(hooks));
    } catch (IOException e) {
      throw new ContainerException("writing the hooks of container \"" + id + "\": " + e, e);
    }
  }

  /** The hooks create kept, or none. */
  Hooks hooks() {
    try {
      return ConfigParser.parseHooks(FileIo.read(dir.resolve(HOOKS)));
    } catch (NoSuchFileException e) {
      return Hooks.NONE;
    } catch (IOException | RuntimeException e) {
      throw new ContainerException("reading the hooks of container \"" + id + "\": " + e, e);
    }
  }

  /** The live status: derived from the container process, never from a stale file. */
  public Status status() {
    return status(load());
  }

  /** The live status of a loaded state. */
  public Status status(ContainerState s) {
    if (s.status() == Status.CREATING) {
      // Still creating while the create command lives; a create that died
      // left a container that is, for every purpose, stopped.
      ProcStat creator = ProcStat.read(s.creator());
      boolean creatorAlive = creator != null && !creator.exited();
      return creatorAlive && (s.pid() == 0 || alive(s)) ? Status.CREATING : Status.STOPPED;
    }
    if (!alive(s)) {
      return Status.STOPPED;
    }
    if (!s.cgroup().isEmpty() && Cgroup.frozen(s.cgroup())) {
      return Status.PAUSED;
    }
    return Files.exists(fifo()) ? Status.CREATED : Status.RUNNING;
  }

  /** The container's cgroup as create recorded it (null when it has none). */
  static Cgroup cgroup(ContainerState s) {
    return s.cgroup().isEmpty() ? null : Cgroup.at(Layout.ofHost(), s.cgroup());
  }

  /** True while the recorded container process runs (a zombie has exited). */
  static boolean alive(ContainerState s) {
    if (s.pid() <= 0) {
      return false;
    }
    ProcStat st = ProcStat.read(s.pid());
    return st != null && !st.exited() && st.startTime() == s.pidStartTime();
  }

  /**
   * Sends {@code signal} to the container process through a pidfd, after
   * checking that the pid still names our process: a pid reused by another
   * process must never receive it.
   *
   * @return false when the process was already gone
   */
  boolean signal(ContainerState s, int signal) {
    int pidfd;
    try {
      pidfd = Native.pidfdOpen(s.pid());
    } catch (SyscallException e) {
      if (e.errno() == Errno.ESRCH) {
        return false;
      }
      throw e;
    }
    try {
      if (!alive(s)) {
        return false;
      }
      Native.pidfdSendSignal(pidfd, signal);
      return true;
    } catch (SyscallException e) {
      if (e.errno() == Errno.ESRCH) {
        return false;
      }
      throw e;
    } finally {
      Native.close(pidfd);
    }
  }

  /** Removes the state directory and everything in it. */
  void destroy() {
    try {
      // Mark first, so a command that waited for our lock sees the container gone.
      Files.deleteIfExists(dir.resolve(STATE));
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    } catch (NoSuchFileException e) {
      // Removed by a create's own cleanup meanwhile: gone is what we wanted.
    } catch (IOException e) {
      throw new ContainerException("removing the state of container \"" + id + "\": " + e, e);
    }
  }
}
