package dev.capsa.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real peer: a private dbus-daemon (Debian's, the
 * reference implementation) on a socket in a temporary directory. It checks
 * what a byte-level test cannot: that the authentication, the header fields
 * and the replies are what a real implementation writes and accepts.
 */
class DBusConnectionTest {
  private static final String DAEMON = "/usr/bin/dbus-daemon";
  @TempDir Path dir;
  private Process daemon;
  private Path socket;

  @BeforeEach
  void startDaemon() throws Exception {
    assumeTrue(Files.isExecutable(Path.of(DAEMON)), DAEMON + " is not installed (apt-get install dbus)");
    socket = dir.resolve("bus");
    daemon = new ProcessBuilder(DAEMON, "--session", "--nofork", "--nopidfile",
        "--address=unix:path=" + socket, "--print-address=1")
        .redirectErrorStream(true).start();
    // It prints its address once it listens.
    String line = new String(daemon.getInputStream().readNBytes(("unix:path=" + socket).length()));
    assertTrue(line.startsWith("unix:path="), line);
  }

  @AfterEach
  void stopDaemon() throws Exception {
    if (daemon != null) {
      daemon.destroyForcibly().waitFor();
    }
  }

  private static int uid() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("Uid:")) {
        return Integer.parseInt(l.split("\\s+")[2]);
      }
    }
    throw new IOException("no Uid in /proc/self/status");
  }

  @Test
  void callsTheBusAndReadsItsReplies() throws Exception {
    try (DBusConnection c = DBusConnection.open(socket.toString(), uid(), true, 10_000)) {
      List<Object> id = c.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
          "org.freedesktop.DBus", "GetId", "", List.of());
      assertTrue(((String) id.get(0)).matches("[0-9a-f]{32}"), id.toString());
      List<Object> names = c.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
          "org.freedesktop.DBus", "ListNames", "", List.of());
      assertTrue(((List<?>) names.get(0)).contains("org.freedesktop.DBus"), names.toString());
      // A call with arguments of several types: the bus checks the signature.
      List<Object> owner = c.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
          "org.freedesktop.DBus", "RequestName", "su", List.of("dev.capsa.Test", 4));
      assertEquals(List.of(1), owner); // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
    }
  }

  @Test
  void signalsThatArriveMeanwhileAreKept() throws Exception {
    try (DBusConnection c = DBusConnection.open(socket.toString(), uid(), true, 10_000)) {
      // After Hello the bus tells us our unique name: NameAcquired(s).
      Message m = c.nextSignal();
      assertEquals("NameAcquired", m.member());
      assertTrue(((String) m.body().get(0)).startsWith(":"), m.toString());
    }
  }

  @Test
  void anErrorReplyCarriesItsName() throws Exception {
    try (DBusConnection c = DBusConnection.open(socket.toString(), uid(), true, 10_000)) {
      DBusException e = assertThrows(DBusException.class, () -> c.call("org.freedesktop.DBus",
          "/org/freedesktop/DBus", "org.freedesktop.DBus", "NoSuchMethod", "", List.of()));
      assertEquals("org.freedesktop.DBus.Error.UnknownMethod", e.name());
      assertTrue(e.getMessage().startsWith(
          "org.freedesktop.DBus.NoSuchMethod: org.freedesktop.DBus.Error.UnknownMethod"),
          e.getMessage());
    }
  }

  @Test
  void aWrongUidIsRefusedByTheServer() throws Exception {
    IOException e = assertThrows(IOException.class,
        () -> DBusConnection.open(socket.toString(), uid() + 12345, true, 10_000).close());
    assertTrue(e.getMessage().contains("D-Bus authentication as uid"), e.getMessage());
  }
}
