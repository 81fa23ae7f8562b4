package dev.capsa.cli;

import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.List;

/** {@code capsa pause} and {@code capsa resume}: the cgroup freezer, as runc's. */
record PauseCommand(boolean pause) implements Command {
  @Override
  public String name() {
    return pause ? "pause" : "resume";
  }

  @Override
  public String summary() {
    return pause ? "suspend every process of a container" : "resume a paused container";
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
    if (pause) {
      Lifecycle.pause(g.store(), a.id(name()));
    } else {
      Lifecycle.resume(g.store(), a.id(name()));
    }
    return 0;
  }
}
