package dev.capsa.cli;

import dev.capsa.linux.Native;
import dev.capsa.log.Log;
import dev.capsa.runtime.ExecOptions;
import dev.capsa.runtime.Executor;
import dev.capsa.runtime.Lifecycle;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Spec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code capsa exec}: runc's. The process is --process's process.json, or the
 * container's own process with the arguments and flags given. Without
 * --detach it waits and exits with the process's status; a process that
 * could not be started at all exits 255.
 */
final class ExecCommand implements Command {
  @Override
  public String name() {
    return "exec";
  }

  @Override
  public String summary() {
    return "run a new process inside a container";
  }

  @Override
  public String arguments() {
    return "<container-id> <command> [args...]";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.value("process", "p", "a process.json (config.json's process) to run"),
        Args.Option.flag("tty", "t", "allocate a pseudo-terminal"),
        Args.Option.value("console-socket", null, "a unix socket that receives the pty master"),
        Args.Option.flag("detach", "d", "do not wait for the process"),
        Args.Option.value("pid-file", null, "file to write the process's pid to"),
        Args.Option.value("cwd", null, "the working directory"),
        Args.Option.value("env", "e", "set an environment variable (repeatable)"),
        Args.Option.value("user", "u", "uid[:gid]"),
        Args.Option.value("additional-gids", "g", "an additional group (repeatable)"),
        Args.Option.value("cap", "c", "add a capability (repeatable)"),
        Args.Option.flag("no-new-privs", null, "set no_new_privs"),
        Args.Option.value("apparmor", null, "the AppArmor profile"),
        Args.Option.value("process-label", null, "the SELinux label"),
        Args.Option.value("preserve-fds", null, "pass N more fds (3..3+N-1) to the process"),
        Args.Option.value("cgroup", null, "a cgroup below the container's to run in"),
        Args.Option.flag("ignore-paused", null, "exec even in a paused container"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) throws IOException {
    List<String> p = a.positional();
    if (p.isEmpty()) {
      throw new UsageException("\"exec\" requires a container id");
    }
    String id = p.get(0);
    Spec.Process process;
    if (a.value("process") != null) {
      process = ConfigParser.parseProcess(Files.readString(Path.of(a.value("process"))));
    } else {
      if (p.size() < 2) {
        throw new UsageException("\"exec\" requires a command, or --process");
      }
      process = fromFlags(Lifecycle.process(g.store(), id), a, p.subList(1, p.size()));
    }
    boolean detach = a.flag("detach");
    int preserve = a.integer("preserve-fds", 0);
    String pidFile = a.value("pid-file");
    ExecOptions o = new ExecOptions(process, detach, pidFile == null ? null : Path.of(pidFile),
        a.value("console-socket"), !detach && a.value("console-socket") == null, preserve,
        a.value("cgroup"), a.flag("ignore-paused"));
    Executor.Started started = Executor.exec(g.store(), id, o);
    if (detach) {
      return 0;
    }
    TerminalBridge terminal = started.ptyMaster() >= 0 ? new TerminalBridge(started.ptyMaster()) : null;
    Native.forwardSignals(started.pid(), terminal == null ? -1 : terminal.winchFd());
    if (terminal != null) {
      // The process may be gone already (and reaped by the stage): then no pidfd, and the
      // bridge copies what is left until the slave is closed.
      int pidfd = TerminalBridge.watchChild(started.pid(), started.stagePid());
      terminal.copyUntilExit(pidfd);
      TerminalBridge.closeQuietly(pidfd);
    }
    int status = started.await();
    if (terminal != null) {
      terminal.close();
    }
    if (status == -1) {
      Log.error("exec: lost the process " + started.pid());
      return Executor.EXEC_FAILED;
    }
    return RunCommand.exitCode(status);
  }

  /** The container's process with exec's arguments and flags (runc's newProcess). */
  static Spec.Process fromFlags(Spec.Process base, Args a, List<String> args) {
    List<String> env = new ArrayList<>(base.env() == null ? List.of() : base.env());
    for (String e : a.values("env")) {
      String key = e.contains("=") ? e.substring(0, e.indexOf('=') + 1) : e + "=";
      env.removeIf(x -> x.startsWith(key));
      env.add(e);
    }
    Spec.User user = base.user() == null ? new Spec.User(0, 0, null, null) : base.user();
    String u = a.value("user");
    if (u != null) {
      String[] ug = u.split(":", 2);
      user = new Spec.User(number("--user", ug[0]), ug.length > 1 ? number("--user", ug[1]) : 0,
          user.umask(), user.additionalGids());
    }
    if (!a.values("additional-gids").isEmpty()) {
      List<Long> gids = new ArrayList<>();
      for (String s : a.values("additional-gids")) {
        gids.add(number("--additional-gids", s));
      }
      user = new Spec.User(user.uid(), user.gid(), user.umask(), gids);
    }
    Spec.Capabilities caps = base.capabilities();
    if (!a.values("cap").isEmpty()) {
      caps = new Spec.Capabilities(
          plus(caps == null ? null : caps.bounding(), a.values("cap")),
          plus(caps == null ? null : caps.effective(), a.values("cap")),
          caps == null ? null : caps.inheritable(),
          plus(caps == null ? null : caps.permitted(), a.values("cap")),
          caps == null ? null : caps.ambient());
    }
    return new Spec.Process(a.flag("tty"), null, a.value("cwd", base.cwd()), env, List.copyOf(args),
        null, user, caps, base.rlimits(), a.flag("no-new-privs") || base.noNewPrivileges(),
        null, a.value("apparmor", base.apparmorProfile()),
        a.value("process-label", base.selinuxLabel()), base.scheduler(), base.ioPriority(),
        base.execCPUAffinity());
  }

  private static List<String> plus(List<String> set, List<String> more) {
    List<String> out = new ArrayList<>(set == null ? List.of() : set);
    for (String c : more) {
      if (!out.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  private static long number(String flag, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException(flag + ": \"" + v + "\" is not a number");
    }
  }
}
