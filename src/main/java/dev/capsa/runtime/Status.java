package dev.capsa.runtime;

import java.util.Locale;

/** The container statuses of runtime.md, plus runc's {@code paused}. */
public enum Status {
  CREATING, CREATED, RUNNING, STOPPED, PAUSED;

  /** The name used in state JSON, e.g. {@code created}. */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Status of(String json) {
    return valueOf(json.toUpperCase(Locale.ROOT));
  }
}
