package dev.capsa.runtime;

import dev.capsa.linux.Errno;
import dev.capsa.linux.FileIo;
import dev.capsa.linux.Namespaces;
import dev.capsa.linux.Native;
import dev.capsa.linux.Signals;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.log.Times;
import dev.capsa.setup.Op;
import dev.capsa.setup.Program;
import dev.capsa.setup.SetupCompiler;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Spec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The create operation (runtime.md "Create"): compiles config.json, spawns the
 * native stage with the program, and follows it until the container process
 * waits at the gate. Any failure undoes everything: the container process is
 * killed (its mount namespace, and so every mount it made, goes with it) and
 * the state directory is removed, so a failed create leaves nothing behind.
 */
public final class Creator {
  private final StateStore store;
  private final String id;
  private final CreateOptions options;

  private Container container;
  private Program program;
  private StageSession session;
  private boolean stageReaped;
  private int pid;
  private int pidfd = -1;
  private volatile boolean finished;

  private Creator(StateStore store, String id, CreateOptions options) {
    this.store = store;
    this.id = id;
    this.options = options;
  }

  /** Creates container {@code id}; returns it in status created. */
  public static Container create(StateStore store, String id, CreateOptions options) {
    return new Creator(store, id, options).run();
  }

  private Container run() {
    StateStore.checkId(id);
    Log.debug("id checked");
    Path bundle = options.bundle().toAbsolutePath().normalize();
    String config = readConfig(bundle);
    Log.debug("read config.json");
    Spec spec = ConfigParser.parse(config);
    Log.debug("parsed and validated config.json");
    if (options.consoleSocket() != null && (spec.process() == null || !spec.process().terminal())) {
      throw new ContainerException(
          "--console-socket: the container has no terminal (process.terminal is not true)");
    }
    Path fifo = store.root().resolve(id).resolve(Container.FIFO);
    SetupCompiler.Host host = SetupCompiler.Host.current();
    Log.debug("host read");
    SetupCompiler.Result compiled = SetupCompiler.compile(
        new SetupCompiler.Request(spec, bundle, fifo, options.noPivot()), host);
    for (String w : compiled.warnings()) {
      Log.warn(w);
    }
    program = compiled.program();
    Log.debug("compiled " + program.size() + " ops");
    if (Log.debugEnabled() && System.getenv("CAPSA_DEBUG_PROGRAM") != null) {
      Log.debug("setup program of " + id + ":\n" + program);
    }

    container = store.createDirectory(id);
    Log.debug("directory made");
    // A signal that ends this JVM mid-create must not leave a half-made container.
    Thread hook = new Thread(this::undo, "capsa-create-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try (Container.Lock lock = container.lockNew()) {
      ContainerState state = new ContainerState(id, Status.CREATING, 0, 0,
          (int) ProcessHandle.current().pid(), bundle.toString(),
          bundle.resolve(spec.root().path()).normalize().toString(), Times.now(),
          spec.annotations() == null ? Map.of() : spec.annotations());
      container.save(state);
      Log.debug("state saved");
      Native.mkfifo(fifo.toString(), 0600);
      follow();
      Log.debug("container process " + pid + " waits at the gate");
      ProcStat stat = ProcStat.read(pid);
      if (stat == null || stat.exited()) {
        throw new ContainerException("the container process exited during create");
      }
      state = state.withPid(pid, stat.startTime()).withStatus(Status.CREATED);
      container.save(state);
      if (options.pidFile() != null) {
        writePidFile(options.pidFile(), pid);
      }
      finished = true;
      return container;
    } catch (RuntimeException e) {
      undo();
      throw e;
    } finally {
      closeQuietly();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs, and finds the work finished.
      }
    }
  }

  private static String readConfig(Path bundle) {
    try {
      return FileIo.read(bundle.resolve("config.json"));
    } catch (NoSuchFileException e) {
      throw new ContainerException("bundle " + bundle + ": config.json does not exist");
    } catch (IOException e) {
      throw new ContainerException("bundle " + bundle + ": reading config.json: " + e, e);
    }
  }

  /** Runs the stage's side of the protocol until the container waits at the gate. */
  private void follow() {
    session = StageSession.spawn(options.preserveFds());
    Log.debug("stage spawned");
    session.sendProgram(program.encode());
    Log.debug("native stage " + session.stagePid() + " started");
    while (true) {
      StageSession.Message m = session.next();
      switch (m.type()) {
        case StageSession.MSG_PID -> {
          pid = m.a();
          // The pidfd pins the process: from here on we can never signal a
          // stranger who got its pid.
          pidfd = Native.pidfdOpen(pid);
          reapStage();
          Log.debug("container " + id + ": process " + pid);
        }
        case StageSession.MSG_SYNC -> session.sendContinue();
        case StageSession.MSG_READY -> {
          return;
        }
        case StageSession.MSG_ERROR -> throw failure(m);
        case 0 -> throw new ContainerException("creating container " + id
            + ": the native stage exited without a report" + stageStatus());
        default -> throw new ContainerException("native stage: unknown message " + m.type());
      }
    }
  }

  private void reapStage() {
    if (!stageReaped) {
      stageReaped = true;
      int status = Native.waitPid(session.stagePid(), false);
      if (status != 0) {
        Log.debug("native stage exited with status " + status);
      }
    }
  }

  private String stageStatus() {
    if (stageReaped) {
      return "";
    }
    stageReaped = true;
    int status = Native.waitPid(session.stagePid(), false);
    if ((status & 0x7f) == 0) {
      return " (exit status " + ((status >> 8) & 0xff) + ")";
    }
    return " (killed by " + Signals.name(status & 0x7f) + ")";
  }

  /** Turns an op's failure into a message in the words of config.json. */
  private ContainerException failure(StageSession.Message m) {
    int index = m.a();
    int errno = m.b();
    if (index < 0 || index >= program.size()) {
      return new ContainerException("native stage: " + m.text() + ": " + Errno.describe(errno));
    }
    String field = program.field(index);
    Op op = program.op(index);
    if (op instanceof Op.Setns s && errno == Errno.EINVAL) {
      String type = "?";
      for (Map.Entry<String, Long> e : Namespaces.FLAGS.entrySet()) {
        if (e.getValue() == s.nstype()) {
          type = e.getKey();
        }
      }
      return new ContainerException(field + ": " + s.path() + " is not a " + type
          + " namespace (setns: " + Errno.describe(errno) + ")");
    }
    return new ContainerException(field + ": " + m.text() + ": " + Errno.describe(errno));
  }

  /** Kills what was started and removes the state directory. Idempotent. */
  private synchronized void undo() {
    if (finished || container == null) {
      return;
    }
    finished = true;
    try {
      if (pidfd >= 0) {
        try {
          Native.pidfdSendSignal(pidfd, Signals.SIGKILL);
          Native.pidfdAwaitExit(pidfd, 10_000);
        } catch (SyscallException e) {
          // ESRCH: already gone.
        }
        if (options.reap()) {
          reapQuietly(pid);
        }
      } else if (session != null && !stageReaped) {
        try {
          Native.kill(session.stagePid(), Signals.SIGKILL);
        } catch (SyscallException e) {
          // Already gone.
        }
        reapQuietly(session.stagePid());
        stageReaped = true;
      }
    } finally {
      container.destroy();
    }
  }

  private static void reapQuietly(int child) {
    try {
      Native.waitPid(child, false);
    } catch (SyscallException e) {
      // ECHILD: someone else reaped it.
    }
  }

  private void closeQuietly() {
    if (session != null) {
      session.close();
      session = null;
    }
    if (pidfd >= 0) {
      Native.close(pidfd);
      pidfd = -1;
    }
  }

  /** Writes the pid file atomically, as runc does: a reader sees all of it or nothing. */
  static void writePidFile(Path file, int pid) {
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".capsa-tmp");
    try {
      FileIo.write(tmp, Integer.toString(pid));
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new ContainerException("--pid-file " + file + ": " + e, e);
    }
  }
}
