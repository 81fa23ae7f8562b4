package dev.capsa.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A command line parsed the way runc's (urfave/cli) is: {@code --name value},
 * {@code --name=value}, one or two dashes, short aliases like {@code -b};
 * options come before the positional arguments, and {@code --} ends them.
 */
final class Args {
  /** One option; {@code value} false for a boolean switch. */
  record Option(String name, String alias, boolean value, String help) {
    static Option flag(String name, String alias, String help) {
      return new Option(name, alias, false, help);
    }

    static Option value(String name, String alias, String help) {
      return new Option(name, alias, true, help);
    }

    /** The option as usage text shows it. */
    String usage() {
      String s = "--" + name + (alias == null ? "" : ", -" + alias);
      return value ? s + " value" : s;
    }
  }

  private final Map<String, String> values = new HashMap<>();
  private final Map<String, List<String>> all = new HashMap<>();
  private final List<String> positional = new ArrayList<>();

  private Args() {}

  /** Parses {@code argv}; an unknown option or a missing value is a {@link UsageException}. */
  static Args parse(List<Option> options, List<String> argv) {
    Args a = new Args();
    int i = 0;
    for (; i < argv.size(); i++) {
      String arg = argv.get(i);
      if (arg.equals("--")) {
        i++;
        break;
      }
      if (!arg.startsWith("-") || arg.equals("-")) {
        break;
      }
      String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
      String inline = null;
      int eq = body.indexOf('=');
      if (eq >= 0) {
        inline = body.substring(eq + 1);
        body = body.substring(0, eq);
      }
      Option o = find(options, body);
      if (o == null) {
        throw new UsageException("flag provided but not defined: -" + body);
      }
      if (o.value()) {
        if (inline == null) {
          if (i + 1 >= argv.size()) {
            throw new UsageException("flag needs an argument: -" + body);
          }
          inline = argv.get(++i);
        }
        a.values.put(o.name(), inline);
        a.all.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(inline);
      } else {
        if (inline != null && !inline.equals("true") && !inline.equals("false")) {
          throw new UsageException("invalid boolean value \"" + inline + "\" for -" + body);
        }
        a.values.put(o.name(), inline == null ? "true" : inline);
      }
    }
    a.positional.addAll(argv.subList(i, argv.size()));
    return a;
  }

  private static Option find(List<Option> options, String name) {
    for (Option o : options) {
      if (o.name().equals(name) || name.equals(o.alias())) {
        return o;
      }
    }
    return null;
  }

  String value(String name) {
    return values.get(name);
  }

  String value(String name, String absent) {
    return values.getOrDefault(name, absent);
  }

  /** Every value of an option given more than once (--env A=1 --env B=2), in order. */
  List<String> values(String name) {
    return all.getOrDefault(name, List.of());
  }

  boolean flag(String name) {
    return "true".equals(values.get(name));
  }

  int integer(String name, int absent) {
    String v = values.get(name);
    if (v == null) {
      return absent;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + ": \"" + v + "\" is not a number");
    }
  }

  List<String> positional() {
    return positional;
  }

  /** The one positional argument a command takes, the container id. */
  String id(String command) {
    if (positional.isEmpty()) {
      throw new UsageException("\"" + command + "\" requires a container id");
    }
    if (positional.size() > 1) {
      throw new UsageException("\"" + command + "\" takes one container id, got " + positional);
    }
    return positional.get(0);
  }
}
