package dev.capsa.cli;

import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.List;

/** {@code capsa start}: runtime.md "Start". */
final class StartCommand implements Command {
  @Override
  public String name() {
    return "start";
  }

  @Override
  public String summary() {
    return "run the user's program in a created container";
  }

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
    Lifecycle.start(g.store(), a.id(name()));
    return 0;
  }
}
