package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.runtime.ContainerException;
import dev.capsa.runtime.Lifecycle;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code capsa ps}: the host's ps(1) table of the container's processes (the
 * processes of its cgroup), or with {@code --format json} their pids, as runc's.
 */
final class PsCommand implements Command {
  @Override
  public String name() {
    return "ps";
  }

  @Override
  public String summary() {
    return "list the processes of a container";
  }

  @Override
  public String arguments() {
    return "<container-id> [ps options]";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(Args.Option.value("format", "f", "table or json (default: table)"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) throws IOException, InterruptedException {
    List<String> p = a.positional();
    if (p.isEmpty()) {
      throw new UsageException("\"ps\" requires a container id");
    }
    String format = a.value("format", "table");
    Set<Integer> pids = Lifecycle.pids(g.store(), p.get(0));
    if (format.equals("json")) {
      out.println(Json.write(new ArrayList<>(pids)));
      return 0;
    }
    if (!format.equals("table")) {
      throw new UsageException("--format: \"" + format + "\" is not table or json");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add("ps");
    cmd.addAll(p.size() > 1 ? p.subList(1, p.size()) : List.of("-ef"));
    Process ps = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (ps.waitFor() != 0) {
      throw new ContainerException("ps " + String.join(" ", cmd.subList(1, cmd.size())) + ": " + text.strip());
    }
    String[] lines = text.split("\n");
    int column = List.of(lines[0].trim().split("\\s+")).indexOf("PID");
    if (column < 0) {
      throw new ContainerException("ps: no PID column in \"" + lines[0].trim() + "\"");
    }
    out.println(lines[0]);
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].trim().split("\\s+");
      if (f.length > column) {
        try {
          if (pids.contains(Integer.parseInt(f[column]))) {
            out.println(lines[i]);
          }
        } catch (NumberFormatException e) {
          // Not a process line.
        }
      }
    }
    return 0;
  }
}
