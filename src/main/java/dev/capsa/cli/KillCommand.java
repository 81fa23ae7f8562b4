package dev.capsa.cli;

import dev.capsa.linux.Signals;
import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.List;

/** {@code capsa kill}: runtime.md "Kill". */
final class KillCommand implements Command {
  @Override
  public String name() {
    return "kill";
  }

  @Override
  public String summary() {
    return "send a signal to the container process (default SIGTERM)";
  }

  @Override
  public String arguments() {
    return "<container-id> [signal]";
  }

  @Override
  public String description() {
    return """
        Sends a signal to the container process. The signal is a name with or without
        SIG (TERM, SIGKILL) or a number; the default is SIGTERM.""";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(Args.Option.flag("all", "a", "send the signal to every process in the container"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    List<String> p = a.positional();
    if (p.isEmpty() || p.size() > 2) {
      throw new UsageException("\"kill\" takes a container id and an optional signal");
    }
    int signal;
    try {
      signal = p.size() == 2 ? Signals.parse(p.get(1)) : Signals.SIGTERM;
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    Lifecycle.kill(g.store(), p.get(0), signal, a.flag("all"));
    return 0;
  }
}
