package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.runtime.Lifecycle;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Resources;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code capsa update}: changes the resources of a created or running
 * container, from runc's flags or a {@code linux.resources} JSON with {@code -r}.
 */
final class UpdateCommand implements Command {
  /** Flag, section, field; memory-like values take k/m/g suffixes. */
  private static final String[][] FLAGS = {
    {"blkio-weight", "blockIO", "weight"},
    {"cpu-period", "cpu", "period"},
    {"cpu-quota", "cpu", "quota"},
    {"cpu-rt-period", "cpu", "realtimePeriod"},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime"},
    {"cpu-share", "cpu", "shares"},
    {"cpuset-cpus", "cpu", "cpus"},
    {"cpuset-mems", "cpu", "mems"},
    {"kernel-memory", "memory", "kernel"},
    {"kernel-memory-tcp", "memory", "kernelTCP"},
    {"memory", "memory", "limit"},
    {"memory-reservation", "memory", "reservation"},
    {"memory-swap", "memory", "swap"},
    {"pids-limit", "pids", "limit"},
  };

  @Override
  public String name() {
    return "update";
  }

  @Override
  public String summary() {
    return "change the resources of a container";
  }

  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public List<Args.Option> options() {
    java.util.ArrayList<Args.Option> o = new java.util.ArrayList<>();
    o.add(Args.Option.value("resources", "r", "a JSON file of linux.resources (\"-\": stdin)"));
    for (String[] f : FLAGS) {
      o.add(Args.Option.value(f[0], null, "linux.resources." + f[1] + "." + f[2]));
    }
    return o;
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) throws IOException {
    String id = a.id(name());
    Map<String, Object> tree;
    String file = a.value("resources");
    if (file != null) {
      String text = file.equals("-")
          ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
          : Files.readString(Path.of(file));
      @SuppressWarnings("unchecked")
      Map<String, Object> t = (Map<String, Object>) Json.parse(text);
      tree = t;
    } else {
      tree = new LinkedHashMap<>();
      for (String[] f : FLAGS) {
        String v = a.value(f[0]);
        if (v == null) {
          continue;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> section =
            (Map<String, Object>) tree.computeIfAbsent(f[1], k -> new LinkedHashMap<String, Object>());
        section.put(f[2], f[2].equals("cpus") || f[2].equals("mems") ? v : number(f[0], v));
      }
      if (tree.isEmpty()) {
        throw new UsageException("update: nothing to change; give a flag or -r FILE");
      }
    }
    Resources r = ConfigParser.resources(tree);
    Lifecycle.update(g.store(), id, r);
    return 0;
  }

  /** An integer, with k, m, g, t suffixes (powers of 1024) as runc's RAMInBytes takes. */
  static long number(String flag, String v) {
    String s = v.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.endsWith("b")) {
      s = s.substring(0, s.length() - 1);
    }
    long unit = 1;
    if (!s.isEmpty() && "kmgt".indexOf(s.charAt(s.length() - 1)) >= 0) {
      unit = 1L << (10 * ("kmgt".indexOf(s.charAt(s.length() - 1)) + 1));
      s = s.substring(0, s.length() - 1);
    }
    try {
      return Long.parseLong(s) * unit;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + flag + ": \"" + v + "\" is not a number");
    }
  }
}
