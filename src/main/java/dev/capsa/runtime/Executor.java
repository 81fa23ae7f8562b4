package dev.capsa.runtime;

import dev.capsa.cgroups.Cgroup;
import dev.capsa.json.Json;
import dev.capsa.linux.Errno;
import dev.capsa.linux.FileIo;
import dev.capsa.linux.Native;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.setup.Program;
import dev.capsa.setup.SetupCompiler;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.Spec;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * runc's exec: a new process in a running container. The native stage moves
 * into the container's cgroup, joins its namespaces by setns (the JVM never
 * enters a container), forks into its pid namespace, takes the process's
 * credentials, capabilities, rlimits and the container's seccomp filter, and
 * executes it.
 */
public final class Executor {
  /** runc's status when the process could not be started at all. */
  public static final int EXEC_FAILED = 255;

  /** A started exec: the process's pid and, without --detach, a way to wait for it. */
  public record Started(int pid, StageSession session, int ptyMaster, Program program) {
    /** The stage the process is a child of: it waits for it, and reaps it. */
    public int stagePid() {
      return session.stagePid();
    }

    /**
     * Waits for the process; its wait status, or -1 when the stage vanished.
     * A process that failed before its execve is an error (status 255).
     */
    public int await() {
      String failed = null;
      try {
        while (true) {
          StageSession.Message m = session.next();
          if (m.type() == StageSession.MSG_ERROR) {
            failed = failure(program, m);
          } else if (m.type() == StageSession.MSG_EXIT) {
            if (failed != null) {
              throw new ContainerException(failed, EXEC_FAILED);
            }
            return m.a();
          } else if (m.type() == 0) {
            if (failed != null) {
              throw new ContainerException(failed, EXEC_FAILED);
            }
            return -1;
          }
        }
      } finally {
        session.close();
        try {
          Native.waitPid(session.stagePid(), false);
        } catch (SyscallException e) {
          // Reaped already.
        }
      }
    }
  }

  private Executor() {}

  public static Started exec(StateStore store, String id, ExecOptions o) {
    Container c = store.open(id);
    ContainerState s = c.load();
    Status status = c.status(s);
    if (status == Status.STOPPED || status == Status.CREATING) {
      throw new ContainerException("cannot exec in container \"" + id + "\": it is " + status.json());
    }
    if (status == Status.PAUSED && !o.ignorePaused()) {
      throw new ContainerException("cannot exec in container \"" + id
          + "\": it is paused (--ignore-paused to try anyway)");
    }
    Spec config = c.config();
    Set<String> join = HookRunner.namespacesToJoin(s.pid());
    int consoleOurs = -1;
    int consoleStage = -1;
    boolean terminal = o.process().terminal();
    if (terminal) {
      if (o.consoleSocket() != null) {
        consoleStage = Native.connectUnix(o.consoleSocket());
      } else if (o.foregroundTerminal()) {
        int[] pair = Native.socketPair();
        consoleOurs = pair[0];
        consoleStage = pair[1];
      }
    } else if (o.consoleSocket() != null) {
      throw new ContainerException("--console-socket: the process has no terminal (use --tty)");
    }
    SetupCompiler.Result compiled = SetupCompiler.compileExec(new SetupCompiler.ExecRequest(
        config, o.process(), s.pid(), join, o.detach(), consoleStage >= 0 ? 3 + o.preserveFds() + 1 : -1,
        List.of(), setgroupsDenied(s.pid())), SetupCompiler.Host.current());
    for (String w : compiled.warnings()) {
      Log.warn(w);
    }
    Program program = compiled.program();
    Cgroup cg = Container.cgroup(s);
    StageSession session = StageSession.spawn(o.preserveFds(),
        consoleStage >= 0 ? new int[] {consoleStage} : null, null);
    if (consoleStage >= 0) {
      Native.close(consoleStage);
    }
    boolean handedOver = false;
    try {
      session.sendProgram(program.encode());
      int pid = 0;
      while (true) {
        StageSession.Message m = session.next();
        switch (m.type()) {
          case StageSession.MSG_SYNC -> {
            enterCgroup(cg, o.subCgroup(), session.stagePid());
            session.sendContinue();
          }
          case StageSession.MSG_PID -> {
            pid = m.a();
            if (o.pidFile() != null) {
              Creator.writePidFile(o.pidFile(), pid);
            }
            if (!o.detach()) {
              int master = consoleOurs >= 0 ? receiveMaster(consoleOurs) : -1;
              handedOver = true;
              return new Started(pid, session, master, program);
            }
          }
          case StageSession.MSG_FD -> seccompAgent(config, m.fd(), s, pid);
          case StageSession.MSG_ERROR -> throw new ContainerException(
              failure(program, m), EXEC_FAILED);
          case 0 -> {
            // --detach: the stage's end closes when the process executes.
            if (pid == 0) {
              throw new ContainerException("exec: the native stage exited without a report",
                  EXEC_FAILED);
            }
            return new Started(pid, null, -1, program);
          }
          default -> throw new ContainerException("native stage: unknown message " + m.type());
        }
      }
    } finally {
      if (consoleOurs >= 0) {
        Native.close(consoleOurs);
      }
      if (!handedOver) {
        session.close();
        try {
          Native.waitPid(session.stagePid(), false);
        } catch (SyscallException e) {
          // Reaped already.
        }
      }
    }
  }

  /** user_namespaces(7): setgroups is "deny" in a namespace an unprivileged user mapped. */
  private static boolean setgroupsDenied(int pid) {
    try {
      return FileIo.read(Path.of("/proc/" + pid + "/setgroups")).trim().equals("deny");
    } catch (IOException e) {
      return false;
    }
  }

  private static void enterCgroup(Cgroup cg, String sub, int pid) {
    if (cg == null) {
      return;
    }
    if (sub == null || sub.isEmpty()) {
      cg.enter(pid);
      return;
    }
    try {
      cg.enterSub(sub, pid);
    } catch (SpecException e) {
      throw new ContainerException(e.getMessage());
    }
  }

  private static int receiveMaster(int fd) {
    int[] got = {-1};
    int n = Native.recv(fd, new byte[256], 10_000, got);
    if (n <= 0 || got[0] < 0) {
      throw new ContainerException("exec --tty: the pty master did not arrive", EXEC_FAILED);
    }
    return got[0];
  }

  private static String failure(Program program, StageSession.Message m) {
    String err = m.b() == 0 ? "" : ": " + Errno.describe(m.b());
    int i = m.a();
    String field = i >= 0 && i < program.size() ? program.field(i) + ": " : "";
    return "exec failed: " + field + m.text() + err;
  }

  /** The seccomp listener of the new process goes to the container's agent too. */
  private static void seccompAgent(Spec config, int fd, ContainerState s, int pid) {
    try {
      if (fd < 0) {
        return;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ociVersion", OciVersion.SUPPORTED);
      m.put("fds", List.of("seccompFd"));
      m.put("pid", pid);
      if (config.linux().seccomp().listenerMetadata() != null) {
        m.put("metadata", config.linux().seccomp().listenerMetadata());
      }
      m.put("state", Json.parse(Creator.hookState(s, Status.RUNNING, s.pid())));
      int sock = Native.connectUnix(config.linux().seccomp().listenerPath());
      try {
        Native.sendFds(sock, Json.write(m).getBytes(StandardCharsets.UTF_8), new int[] {fd});
      } finally {
        Native.close(sock);
      }
    } catch (SyscallException e) {
      throw new ContainerException("linux.seccomp.listenerPath: " + e.getMessage(), EXEC_FAILED);
    } finally {
      if (fd >= 0) {
        Native.close(fd);
      }
    }
  }

  /** Forwards a signal to the exec'd process (exec in the foreground). */
  public static void signal(int pid, int sig) {
    try {
      Native.kill(pid, sig);
    } catch (SyscallException e) {
      // Gone.
    }
  }

}
