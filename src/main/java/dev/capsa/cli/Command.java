package dev.capsa.cli;

import java.io.PrintStream;
import java.util.List;

/** One capsa command, named and shaped like runc's. */
interface Command {
  /** The word on the command line. */
  String name();

  /** One line for the command list. */
  String summary();

  /** The usage line's arguments, e.g. {@code <container-id>}. */
  String arguments();

  /** A paragraph for {@code capsa NAME --help}. */
  default String description() {
    return summary() + ".";
  }

  List<Args.Option> options();

  /**
   * Runs the command.
   *
   * @return the exit status
   */
  int run(Globals globals, Args args, PrintStream out) throws Exception;

  /** The full help text. */
  default String help() {
    StringBuilder b = new StringBuilder();
    b.append("NAME:\n   capsa ").append(name()).append(" - ").append(summary()).append("\n\n");
    b.append("USAGE:\n   capsa ").append(name());
    if (!options().isEmpty()) {
      b.append(" [command options]");
    }
    b.append(arguments().isEmpty() ? "" : " " + arguments()).append("\n\n");
    b.append("DESCRIPTION:\n   ").append(description().replace("\n", "\n   ")).append("\n");
    if (!options().isEmpty()) {
      b.append("\nOPTIONS:\n");
      for (Args.Option o : options()) {
        b.append(String.format("   %-28s %s%n", o.usage(), o.help()));
      }
    }
    return b.toString();
  }
}
