package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.List;

/** {@code capsa state}: runtime.md "Query State", printed as runc prints it. */
final class StateCommand implements Command {
  @Override
  public String name() {
    return "state";
  }

  @Override
  public String summary() {
    return "output the state of a container";
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
    out.println(Json.writePretty(Lifecycle.state(g.store(), a.id(name()))));
    return 0;
  }
}
