package dev.capsa.cli;

import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.runtime.ContainerException;
import dev.capsa.runtime.StateStore;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.SpecException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * capsa's entry point: runc's command line. Global options come before the
 * command; errors go to stderr (and to --log) and exit with status 1.
 */
public final class Main {
  /** capsa's version. */
  public static final String VERSION = "0.1.0";

  static final List<Args.Option> GLOBAL = List.of(
      Args.Option.value("root", null, "state directory (default: " + StateStore.DEFAULT_ROOT + ")"),
      Args.Option.value("log", null, "log file (default: none; errors go to stderr)"),
      Args.Option.value("log-format", null, "text or json (default: text)"),
      Args.Option.flag("debug", null, "log debug messages too"),
      Args.Option.flag("systemd-cgroup", null, "use systemd to manage cgroups"),
      Args.Option.value("rootless", null, "true, false or auto (accepted for runc compatibility)"),
      Args.Option.value("criu", null, "path to criu (accepted for runc compatibility)"),
      Args.Option.flag("help", "h", "show help"),
      Args.Option.flag("version", "v", "print the version"));

  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    for (Command c : List.of(
        new CreateCommand(), new StartCommand(), new StateCommand(), new KillCommand(),
        new DeleteCommand(), new RunCommand(), new ListCommand(), new SpecCommand(),
        new FeaturesCommand(),
        new ExecCommand(),
        new PsCommand(), new EventsCommand(), new PauseCommand(true), new PauseCommand(false),
        new UpdateCommand(),
        new CheckpointCommand(false), new CheckpointCommand(true))) {
      COMMANDS.put(c.name(), c);
    }
  }

  private Main() {}

  public static void main(String[] argv) {
    int status = run(Arrays.asList(argv), System.out);
    System.out.flush();
    System.err.flush();
    // halt, not exit: System.exit logs the exit through System.Logger, which
    // loads the logging framework and reads the JDK image (~40 classes, a few
    // ms), and capsa has no shutdown hook left to run at this point.
    Runtime.getRuntime().halt(status);
  }

  /** Runs one command line; returns the exit status. */
  static int run(List<String> argv, PrintStream out) {
    Args global;
    try {
      global = Args.parse(GLOBAL, argv);
    } catch (UsageException e) {
      Log.error(e.getMessage());
      return 1;
    }
    if (global.flag("version")) {
      out.println("capsa version " + VERSION);
      out.println("spec: " + OciVersion.SUPPORTED);
      out.println("java: " + System.getProperty("java.version"));
      return 0;
    }
    List<String> rest = global.positional();
    if (rest.isEmpty() || global.flag("help")) {
      out.print(usage());
      return 0;
    }
    if (rest.get(0).equals("__train") && rest.size() == 2) {
      try {
        return Training.run(java.nio.file.Path.of(rest.get(1)));
      } catch (java.io.IOException e) {
        Log.error("training: " + e);
        return 1;
      }
    }
    if (rest.get(0).equals("help")) {
      return help(rest.subList(1, rest.size()), out);
    }
    Command command = COMMANDS.get(rest.get(0));
    if (command == null) {
      Log.error("\"" + rest.get(0) + "\" is not a capsa command; see capsa --help");
      return 1;
    }
    List<String> commandArgs = rest.subList(1, rest.size());
    if (commandArgs.contains("-h") || commandArgs.contains("--help")) {
      out.print(command.help());
      return 0;
    }
    try {
      String format = global.value("log-format", "text");
      if (!format.equals("text") && !format.equals("json")) {
        throw new UsageException("--log-format: \"" + format + "\" is not text or json");
      }
      Log.configure(global.value("log"), format.equals("json"), global.flag("debug"));
      Globals g = new Globals(global.value("root", StateStore.DEFAULT_ROOT), global.value("log"),
          format, global.flag("debug"), global.flag("systemd-cgroup"));
      Log.debug("capsa " + String.join(" ", argv));
      return command.run(g, Args.parse(command.options(), commandArgs), out);
    } catch (ContainerException e) {
      Log.error(e.getMessage());
      return e.exitStatus();
    } catch (UsageException | SpecException | SyscallException e) {
      Log.error(e.getMessage());
      return 1;
    } catch (Exception e) {
      Log.error(e.toString());
      if (Log.debugEnabled()) {
        e.printStackTrace();
      }
      return 1;
    }
  }

  private static int help(List<String> topic, PrintStream out) {
    if (topic.isEmpty()) {
      out.print(usage());
      return 0;
    }
    Command c = COMMANDS.get(topic.get(0));
    if (c == null) {
      Log.error("No help topic for '" + topic.get(0) + "'");
      return 1;
    }
    out.print(c.help());
    return 0;
  }

  static String usage() {
    StringBuilder b = new StringBuilder();
    b.append("NAME:\n   capsa - an OCI container runtime written in Java\n\n");
    b.append("USAGE:\n   capsa [global options] command [command options] [arguments...]\n\n");
    b.append("VERSION:\n   ").append(VERSION).append(" (spec ").append(OciVersion.SUPPORTED)
        .append(")\n\n");
    b.append("COMMANDS:\n");
    for (Command c : COMMANDS.values()) {
      b.append(String.format("   %-11s %s%n", c.name(), c.summary()));
    }
    b.append(String.format("   %-11s %s%n", "help", "show the commands, or one command's help"));
    b.append("\nGLOBAL OPTIONS:\n");
    for (Args.Option o : GLOBAL) {
      b.append(String.format("   %-28s %s%n", o.usage(), o.help()));
    }
    return b.toString();
  }
}
