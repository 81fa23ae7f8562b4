package dev.capsa.cli;

import java.io.PrintStream;
import java.util.List;

/** A runc command that this version of capsa does not implement: an error, said plainly. */
record NotYetCommand(String name, String summary) implements Command {
  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public List<Args.Option> options() {
    return List.of();
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    throw new UsageException("\"" + name + "\" is not implemented in this version of capsa");
  }
}
