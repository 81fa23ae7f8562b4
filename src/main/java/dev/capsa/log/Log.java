package dev.capsa.log;

import dev.capsa.json.Json;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * capsa's log, shaped like runc's (logrus): with {@code --log FILE} every
 * message goes to the file, as {@code {"level":…,"msg":…,"time":…}} lines with
 * {@code --log-format json} (containerd's shim reads these) or as
 * {@code time="…" level=… msg="…"} text. Errors and warnings also go to stderr,
 * where a person at a terminal sees them; debug lines only with {@code --debug}.
 */
public final class Log {
  /** Message levels, lowest first. */
  public enum Level { DEBUG, INFO, WARNING, ERROR }

  private static OutputStream file;
  private static boolean json;
  private static boolean debug;
  private static PrintStream stderr = System.err;
  /** When the log was first used, near the start of main: debug lines show the time since. */
  private static final long T0 = System.nanoTime();

  private Log() {}

  /**
   * Sets where messages go.
   *
   * @param path the --log file, appended to; null for none
   * @param jsonFormat --log-format json
   * @param debugLevel --debug
   */
  public static void configure(String path, boolean jsonFormat, boolean debugLevel) throws IOException {
    file = path == null || path.isEmpty() ? null : new FileOutputStream(path, true);
    json = jsonFormat;
    debug = debugLevel;
  }

  /** For tests: where stderr messages go. */
  public static void redirectStderr(PrintStream s) {
    stderr = s;
  }

  public static boolean debugEnabled() {
    return debug;
  }

  public static void debug(String msg) {
    if (debug) {
      long us = (System.nanoTime() - T0) / 1000;
      log(Level.DEBUG, "[+" + us / 1000 + "." + (us % 1000) / 100 + "ms] " + msg);
    }
  }

  public static void info(String msg) {
    log(Level.INFO, msg);
  }

  public static void warn(String msg) {
    log(Level.WARNING, msg);
  }

  public static void error(String msg) {
    log(Level.ERROR, msg);
  }

  private static void log(Level level, String msg) {
    String name = level == Level.WARNING ? "warning" : level.name().toLowerCase(java.util.Locale.ROOT);
    if (file != null) {
      String line;
      String time = Times.now();
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", name);
        m.put("msg", msg);
        m.put("time", time);
        line = Json.write(m);
      } else {
        line = "time=\"" + time + "\" level=" + name + " msg=" + Json.write(msg);
      }
      try {
        file.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        file.flush();
      } catch (IOException e) {
        stderr.println("capsa: writing the log: " + e.getMessage());
      }
    }
    if (level == Level.ERROR || level == Level.WARNING || (debug && file == null)) {
      stderr.println("capsa: " + (level == Level.ERROR ? msg : name + ": " + msg));
      stderr.flush();
    }
  }
}
