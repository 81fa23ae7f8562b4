package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.runtime.Container;
import dev.capsa.runtime.ContainerException;
import dev.capsa.runtime.ContainerState;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code capsa list}: runc's table, {@code -q} ids, or {@code --format json}. */
final class ListCommand implements Command {
  @Override
  public String name() {
    return "list";
  }

  @Override
  public String summary() {
    return "list the containers under --root";
  }

  @Override
  public String arguments() {
    return "";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.value("format", "f", "table or json (default: table)"),
        Args.Option.flag("quiet", "q", "print only the container ids"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    String format = a.value("format", "table");
    if (!format.equals("table") && !format.equals("json")) {
      throw new UsageException("--format: \"" + format + "\" is not table or json");
    }
    List<Map<String, Object>> states = new ArrayList<>();
    for (Container c : g.store().list()) {
      try {
        ContainerState s = c.load();
        states.add(s.oci(c.status(s), owner(c)));
      } catch (ContainerException e) {
        // Deleted while we listed: not a container any more.
      }
    }
    if (a.flag("quiet")) {
      for (Map<String, Object> s : states) {
        out.println(s.get("id"));
      }
    } else if (format.equals("json")) {
      // runc marshals a nil slice: "null" when there are no containers.
      out.println(states.isEmpty() ? "null" : Json.write(states));
    } else {
      out.print(table(states));
    }
    return 0;
  }

  /** The owner of the state directory, by name where /etc/passwd has it (runc's owner). */
  private static String owner(Container c) {
    try {
      int uid = (Integer) Files.getAttribute(c.directory(), "unix:uid");
      return uid == 0 ? "root" : Integer.toString(uid);
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }

  /** Go's text/tabwriter with runc's settings: minimum width 12, padding 3. */
  static String table(List<Map<String, Object>> states) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"});
    for (Map<String, Object> s : states) {
      rows.add(new String[] {
        String.valueOf(s.get("id")), String.valueOf(s.get("pid")), String.valueOf(s.get("status")),
        String.valueOf(s.get("bundle")), String.valueOf(s.get("created")),
        String.valueOf(s.get("owner")),
      });
    }
    int[] width = new int[6];
    for (String[] r : rows) {
      for (int i = 0; i < 5; i++) {
        width[i] = Math.max(width[i], Math.max(12, r[i].length() + 3));
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < 5; i++) {
        b.append(r[i]).append(" ".repeat(width[i] - r[i].length()));
      }
      b.append(r[5]).append('\n');
    }
    return b.toString();
  }
}
