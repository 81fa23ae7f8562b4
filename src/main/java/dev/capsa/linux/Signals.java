package dev.capsa.linux;

import java.util.List;

/** Linux signal names and numbers (x86-64), as kill(1) spells them. */
public final class Signals {
  public static final int SIGKILL = 9;
  public static final int SIGTERM = 15;

  /** Indexed by number; 0 has no name. */
  public static final List<String> NAMES = List.of(
      "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
      "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
      "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS");

  private static final int SIGRTMIN = 34;
  private static final int SIGRTMAX = 64;

  private Signals() {}

  /**
   * Parses {@code TERM}, {@code SIGTERM}, {@code sigterm}, {@code 15},
   * {@code RTMIN+3} or {@code SIGRTMAX-1}.
   *
   * @throws IllegalArgumentException naming the signal when it is not one
   */
  public static int parse(String text) {
    String s = text.trim();
    if (digits(s)) {
      int n;
      try {
        n = Integer.parseInt(s);
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n < 1 || n > SIGRTMAX) {
        throw new IllegalArgumentException("unknown signal: " + text);
      }
      return n;
    }
    String name = s.toUpperCase(java.util.Locale.ROOT);
    if (name.startsWith("SIG")) {
      name = name.substring(3);
    }
    int i = NAMES.indexOf(name);
    if (i > 0) {
      return i;
    }
    switch (name) {
      case "IOT":
        return 6;
      case "POLL":
        return 29;
      case "CLD":
        return 17;
      default:
        break;
    }
    int rt = realtime(name);
    if (rt > 0) {
      return rt;
    }
    throw new IllegalArgumentException("unknown signal: " + text);
  }

  /** True for a non-empty string of ASCII digits. */
  public static boolean digits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static int realtime(String name) {
    int base;
    String rest;
    if (name.startsWith("RTMIN")) {
      base = SIGRTMIN;
      rest = name.substring(5);
    } else if (name.startsWith("RTMAX")) {
      base = SIGRTMAX;
      rest = name.substring(5);
    } else {
      return -1;
    }
    int n = base;
    if (!rest.isEmpty()) {
      if (rest.charAt(0) != '+' && rest.charAt(0) != '-') {
        return -1;
      }
      try {
        n = base + Integer.parseInt(rest);
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : -1;
  }

  /** {@code SIGTERM} for 15, {@code SIGRTMIN+2} for 36. */
  public static String name(int sig) {
    if (sig > 0 && sig < NAMES.size()) {
      return "SIG" + NAMES.get(sig);
    }
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
      return "SIGRTMIN+" + (sig - SIGRTMIN);
    }
    return "signal " + sig;
  }
}
