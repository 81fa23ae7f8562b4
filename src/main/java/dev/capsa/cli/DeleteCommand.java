package dev.capsa.cli;

import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.List;

/** {@code capsa delete}: runtime.md "Delete". */
final class DeleteCommand implements Command {
  @Override
  public String name() {
    return "delete";
  }

  @Override
  public String summary() {
    return "delete a stopped container and what create made for it";
  }

  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(Args.Option.flag("force", "f", "kill the container first if it is not stopped"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    Lifecycle.delete(g.store(), a.id(name()), a.flag("force"));
    return 0;
  }
}
