package dev.capsa.cli;

import dev.capsa.cgroups.Stats;
import dev.capsa.json.Json;
import dev.capsa.runtime.ContainerException;
import dev.capsa.runtime.Lifecycle;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code capsa events}: runc's JSON lines, {@code {"type":"stats","id":…,"data":{…}}}
 * every --interval (once with --stats) and {@code {"type":"oom","id":…}} when
 * the kernel's OOM killer strikes in the container; ends when the container does.
 */
final class EventsCommand implements Command {
  @Override
  public String name() {
    return "events";
  }

  @Override
  public String summary() {
    return "show container events and statistics";
  }

  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.flag("stats", null, "print the statistics once and exit"),
        Args.Option.value("interval", null, "time between statistics, e.g. 5s, 500ms (default 5s)"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) throws InterruptedException {
    String id = a.id(name());
    if (a.flag("stats")) {
      out.println(Json.write(event("stats", id, Lifecycle.stats(g.store(), id))));
      return 0;
    }
    long interval = millis(a.value("interval", "5s"));
    long oom = Lifecycle.oomKills(g.store(), id);
    long nextStats = 0;
    try {
      while (Lifecycle.isAlive(g.store(), id)) {
        long now = System.currentTimeMillis();
        oom = reportOoms(g, id, oom, out);
        if (now >= nextStats) {
          out.println(Json.write(event("stats", id, Lifecycle.stats(g.store(), id))));
          out.flush();
          nextStats = now + interval;
        }
        Thread.sleep(Math.min(100, interval));
      }
      reportOoms(g, id, oom, out);
    } catch (ContainerException e) {
      // Deleted while we watched: the events end there, as runc's do.
      if (g.store().exists(id)) {
        throw e;
      }
    }
    return 0;
  }

  private static long reportOoms(Globals g, String id, long seen, PrintStream out) {
    long kills = Lifecycle.oomKills(g.store(), id);
    for (; seen < kills; seen++) {
      out.println(Json.write(event("oom", id, null)));
      out.flush();
    }
    return seen;
  }

  private static Map<String, Object> event(String type, String id, Map<String, Object> data) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("type", type);
    e.put("id", id);
    if (data != null) {
      e.put("data", data);
    }
    return e;
  }

  /** Go-style durations: 5s, 500ms, 1m. */
  static long millis(String d) {
    try {
      if (d.endsWith("ms")) {
        return Long.parseLong(d.substring(0, d.length() - 2));
      }
      if (d.endsWith("s")) {
        return (long) (Double.parseDouble(d.substring(0, d.length() - 1)) * 1000);
      }
      if (d.endsWith("m")) {
        return Long.parseLong(d.substring(0, d.length() - 1)) * 60_000;
      }
      return Long.parseLong(d) * 1000;
    } catch (NumberFormatException e) {
      throw new UsageException("--interval: \"" + d + "\" is not a duration like 5s or 500ms");
    }
  }
}
