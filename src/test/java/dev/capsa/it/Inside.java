package dev.capsa.it;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parsers for what the tests read inside a container: mountinfo, /proc/self/status. */
final class Inside {
  private Inside() {}

  /** One line of /proc/PID/mountinfo (proc(5)). */
  record Mount(String root, String mountPoint, List<String> options, List<String> optional,
      String fstype, String source, List<String> superOptions, String line) {

    boolean has(String option) {
      return options.contains(option);
    }

    boolean hasSuper(String option) {
      return superOptions.contains(option);
    }

    /** True when an optional field starts with {@code tag}, e.g. "shared:" or "master:". */
    boolean tagged(String tag) {
      return optional.stream().anyMatch(o -> o.startsWith(tag));
    }
  }

  /** Parses a whole mountinfo file. */
  static List<Mount> mountinfo(String text) {
    List<Mount> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split(" ");
      int dash = Arrays.asList(f).indexOf("-");
      if (f.length < 10 || dash < 6) {
        continue;
      }
      out.add(new Mount(unescape(f[3]), unescape(f[4]), List.of(f[5].split(",")),
          List.of(Arrays.copyOfRange(f, 6, dash)), f[dash + 1], f[dash + 2],
          List.of(f[dash + 3].split(",")), line));
    }
    return out;
  }

  /** The last (topmost) mount at {@code mountPoint}; fails when there is none. */
  static Mount mountAt(String mountinfo, String mountPoint) {
    Mount found = null;
    for (Mount m : mountinfo(mountinfo)) {
      if (m.mountPoint().equals(mountPoint)) {
        found = m;
      }
    }
    if (found == null) {
      throw new AssertionError("no mount at " + mountPoint + " in\n" + mountinfo);
    }
    return found;
  }

  private static String unescape(String s) {
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n")
        .replace("\\134", "\\");
  }

  /** "Key:\tvalue" lines (as in /proc/self/status) to a map; the values trimmed. */
  static Map<String, String> keyValues(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        out.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    return out;
  }

  /**
   * The output of a script that prints sections as {@code ==NAME==} lines followed by the
   * section's text: the text by name.
   */
  static Map<String, String> sections(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    String name = null;
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("==") && line.endsWith("==") && line.length() > 4) {
        if (name != null) {
          out.put(name, b.toString().strip());
        }
        name = line.substring(2, line.length() - 2);
        b.setLength(0);
      } else if (name != null) {
        b.append(line).append('\n');
      }
    }
    if (name != null) {
      out.put(name, b.toString().strip());
    }
    return out;
  }

  /** The capability mask of the numbers given, as /proc/self/status prints it (16 hex digits). */
  static String capMask(int... caps) {
    long mask = 0;
    for (int c : caps) {
      mask |= 1L << c;
    }
    return String.format("%016x", mask);
  }

  // capabilities(7) numbers
  static final int CAP_CHOWN = 0;
  static final int CAP_KILL = 5;
  static final int CAP_NET_BIND_SERVICE = 10;
  static final int CAP_NET_RAW = 13;
  static final int CAP_AUDIT_WRITE = 29;
}
