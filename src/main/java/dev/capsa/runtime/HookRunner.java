package dev.capsa.runtime;

import dev.capsa.linux.Errno;
import dev.capsa.linux.Namespaces;
import dev.capsa.linux.Native;
import dev.capsa.linux.Signals;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.setup.JoinCompiler;
import dev.capsa.setup.Program;
import dev.capsa.spec.Hooks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs hooks (config.md "POSIX-platform Hooks"): each with the state on its
 * stdin, its own {@code args} and {@code env}, its {@code timeout}, in order;
 * the first failure stops the rest. Every hook runs through the native stage:
 * its {@code path} and {@code args[0]} may differ (ProcessBuilder cannot do
 * that), and a hook of the container namespace first joins the container's
 * namespaces.
 */
final class HookRunner {
  private static final int O_RDONLY = 0;

  private HookRunner() {}

  /**
   * Runs {@code hooks} of kind {@code kind} ("createRuntime"...).
   *
   * @param containerPid the container process whose namespaces the hooks join, or
   *     0 for hooks of the runtime namespace
   * @throws ContainerException naming {@code hooks.kind[i]} when one fails
   */
  static void run(String kind, List<Hooks.Hook> hooks, String state, int containerPid) {
    if (hooks.isEmpty()) {
      return;
    }
    Set<String> join = containerPid > 0 ? namespacesToJoin(containerPid) : Set.of();
    for (int i = 0; i < hooks.size(); i++) {
      String field = "hooks." + kind + "[" + i + "]";
      runOne(field, hooks.get(i), state, containerPid, join);
    }
  }

  /**
   * Runs every hook even when some fail (poststop: runtime.md says a failure is
   * a warning and the rest go on); returns the failures' messages.
   */
  static java.util.List<String> runAll(String kind, List<Hooks.Hook> hooks, String state) {
    java.util.List<String> failures = new java.util.ArrayList<>();
    for (int i = 0; i < hooks.size(); i++) {
      try {
        runOne("hooks." + kind + "[" + i + "]", hooks.get(i), state, 0, Set.of());
      } catch (ContainerException e) {
        failures.add(e.getMessage());
      }
    }
    return failures;
  }

  private static void runOne(String field, Hooks.Hook hook, String state, int pid, Set<String> join) {
    Log.debug(field + ": " + hook.path());
    Program program = JoinCompiler.hook(field, pid, join, hook);
    int in = Native.memfd("capsa-hook-state");
    int out = -1;
    int reader = -1;
    try {
      byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
      Native.write(in, bytes, 0, bytes.length);
      // A second open has its own offset, at 0: the hook reads all of the state.
      reader = Native.open("/proc/self/fd/" + in, O_RDONLY);
      out = Native.memfd("capsa-hook-output");
      int status = wait(field, hook, program, new int[] {reader, out, out});
      String output = output(out);
      if (status == -1) {
        throw new ContainerException(field + ": " + hook.path() + " timed out after "
            + hook.timeout() + " s" + output);
      }
      if ((status & 0x7f) != 0) {
        throw new ContainerException(field + ": " + hook.path() + " was killed by "
            + Signals.name(status & 0x7f) + output);
      }
      if ((status >> 8) != 0) {
        throw new ContainerException(field + ": " + hook.path() + " exited with status "
            + ((status >> 8) & 0xff) + output);
      }
    } finally {
      Native.close(in);
      if (reader >= 0) {
        Native.close(reader);
      }
      if (out >= 0) {
        Native.close(out);
      }
    }
  }

  /** Runs the program; returns the hook's wait status, or -1 when it timed out. */
  private static int wait(String field, Hooks.Hook hook, Program program, int[] stdio) {
    long deadline = hook.timeout() == null ? 0 : System.nanoTime() + hook.timeout() * 1_000_000_000L;
    try (StageSession s = StageSession.spawn(0, null, stdio)) {
      s.sendProgram(program.encode());
      int child = 0;
      boolean timedOut = false;
      try {
        while (true) {
          int wait = deadline == 0 || timedOut ? -1
              : (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
          StageSession.Message m = s.next(wait);
          switch (m.type()) {
            case StageSession.MSG_PID -> child = m.a();
            case StageSession.MSG_EXIT -> {
              return timedOut ? -1 : m.a();
            }
            case StageSession.MSG_ERROR -> throw new ContainerException(field + ": "
                + m.text() + (m.b() == 0 ? "" : ": " + Errno.describe(m.b())));
            case -1 -> {
              timedOut = true;
              kill(child > 0 ? child : s.stagePid());
            }
            default -> throw new ContainerException(field + ": the native stage exited"
                + " without the hook's status");
          }
        }
      } finally {
        reap(s.stagePid());
      }
    }
  }

  private static void kill(int pid) {
    try {
      Native.kill(pid, Signals.SIGKILL);
    } catch (SyscallException e) {
      // Gone already.
    }
  }

  private static void reap(int pid) {
    try {
      Native.waitPid(pid, false);
    } catch (SyscallException e) {
      // Reaped already.
    }
  }

  /** What the hook printed, for the error message. */
  private static String output(int fd) {
    try {
      String s = Files.readString(Path.of("/proc/self/fd/" + fd)).strip();
      if (s.length() > 2000) {
        s = s.substring(0, 2000) + "...";
      }
      return s.isEmpty() ? "" : ": " + s;
    } catch (IOException e) {
      return "";
    }
  }

  /** The namespaces of {@code pid} that are not ours: setns into one's own user namespace fails. */
  static Set<String> namespacesToJoin(int pid) {
    Set<String> out = new HashSet<>();
    for (String type : JoinCompiler.ORDER) {
      String name = Namespaces.PROC_NAMES.get(type);
      try {
        Path theirs = Path.of("/proc/" + pid + "/ns/" + name);
        Path ours = Path.of("/proc/self/ns/" + name);
        if (!Files.readSymbolicLink(theirs).equals(Files.readSymbolicLink(ours))) {
          out.add(type);
        }
      } catch (IOException e) {
        if (Files.exists(Path.of("/proc/self/ns/" + name))) {
          throw new ContainerException("hooks: reading the namespaces of process " + pid + ": " + e);
        }
        // This kernel has no such namespace type.
      }
    }
    return out;
  }
}
