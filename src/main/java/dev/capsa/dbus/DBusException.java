package dev.capsa.dbus;

import java.io.IOException;

/** An error reply to a D-Bus method call, with its error name. */
public final class DBusException extends IOException {
  private final String name;

  public DBusException(String name, String message) {
    super(message);
    this.name = name;
  }

  /** The error's name, e.g. {@code org.freedesktop.systemd1.NoSuchUnit}. */
  public String name() {
    return name;
  }
}
