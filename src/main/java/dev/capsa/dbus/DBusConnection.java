package dev.capsa.dbus;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;

/**
 * A D-Bus client connection over a unix socket: SASL EXTERNAL
 * authentication (the server reads our credentials from the socket), method
 * calls, and the signals that arrive meanwhile. Either a message bus
 * ({@code Hello} first, calls name a destination) or a direct connection to
 * a peer, like systemd's private socket {@code /run/systemd/private}. No
 * file descriptor passing, no big-endian peers (x86-64 peers write
 * little-endian); both are errors, never misread.
 */
public final class DBusConnection implements Closeable {
  private final SocketChannel channel;
  private final Selector selector;
  private final long timeoutMillis;
  private final Deque<Message> signals = new ArrayDeque<>();
  private int serial;

  private DBusConnection(SocketChannel channel, Selector selector, long timeoutMillis) {
    this.channel = channel;
    this.selector = selector;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Connects and authenticates as {@code uid}; {@code bus} says whether the
   * peer is a message bus, which needs {@code Hello} before anything else.
   * Every later read waits at most {@code timeoutMillis}.
   */
  public static DBusConnection open(String socketPath, int uid, boolean bus, long timeoutMillis)
      throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    Selector sel = null;
    try {
      ch.connect(UnixDomainSocketAddress.of(socketPath));
      ch.configureBlocking(false);
      sel = Selector.open();
      ch.register(sel, SelectionKey.OP_READ);
      DBusConnection c = new DBusConnection(ch, sel, timeoutMillis);
      c.authenticate(uid);
      if (bus) {
        c.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello",
            "", List.of());
      }
      return c;
    } catch (IOException | RuntimeException e) {
      if (sel != null) {
        sel.close();
      }
      ch.close();
      throw e;
    }
  }

  /**
   * The D-Bus specification's "Authentication Protocol", EXTERNAL mechanism,
   * pipelined as sd-bus's own client does it: AUTH and BEGIN in one write,
   * then the server's OK. Sending BEGIN only after OK, with the first call
   * right behind it, left systemd 252 (its private socket) with BEGIN and
   * the call in one read, and the call unanswered until more bytes came:
   * seen in about half the connections.
   */
  private void authenticate(int uid) throws IOException {
    String id = HexFormat.of().formatHex(Integer.toString(uid).getBytes(StandardCharsets.US_ASCII));
    writeAll(("\0AUTH EXTERNAL " + id + "\r\nBEGIN\r\n").getBytes(StandardCharsets.US_ASCII));
    String reply = readLine();
    if (!reply.startsWith("OK ")) {
      throw new IOException("D-Bus authentication as uid " + uid + " refused: " + reply);
    }
  }

  /**
   * Calls a method and returns the reply's body; a D-Bus error reply throws
   * {@link DBusException} with its name and message. Signals that arrive
   * first are kept for {@link #nextSignal}.
   */
  public List<Object> call(String destination, String path, String iface, String member,
      String signature, List<Object> args) throws IOException {
    int mine = ++serial;
    writeAll(Message.call(mine, destination, path, iface, member, signature, args).encode());
    while (true) {
      Message m = read();
      if (m.type() == Message.SIGNAL) {
        signals.add(m);
      } else if (m.replySerial() == mine) {
        if (m.type() == Message.ERROR) {
          String text = !m.body().isEmpty() && m.body().get(0) instanceof String s ? s : "";
          throw new DBusException(m.errorName(), iface + "." + member + ": " + m.errorName()
              + (text.isEmpty() ? "" : ": " + text));
        }
        return m.body();
      }
    }
  }

  /** The next signal, kept or newly arrived. */
  public Message nextSignal() throws IOException {
    if (!signals.isEmpty()) {
      return signals.poll();
    }
    while (true) {
      Message m = read();
      if (m.type() == Message.SIGNAL) {
        return m;
      }
    }
  }

  private Message read() throws IOException {
    byte[] head = new byte[16];
    readFully(head, 0, 16);
    int length;
    try {
      length = Message.length(head);
    } catch (RuntimeException e) {
      throw new IOException(e.getMessage(), e);
    }
    if (length < 16 || length > 128 << 20) {
      throw new IOException("D-Bus message of " + length + " bytes");
    }
    byte[] all = new byte[length];
    System.arraycopy(head, 0, all, 0, 16);
    readFully(all, 16, length - 16);
    try {
      return Message.decode(all);
    } catch (RuntimeException e) {
      throw new IOException("unreadable D-Bus message: " + e.getMessage(), e);
    }
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder();
    byte[] one = new byte[1];
    while (line.length() < 4096) {
      readFully(one, 0, 1);
      if (one[0] == '\n') {
        int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r'
            ? line.length() - 1 : line.length();
        return line.substring(0, end);
      }
      line.append((char) one[0]);
    }
    throw new IOException("D-Bus authentication: line too long");
  }

  private void readFully(byte[] b, int off, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (buf.hasRemaining()) {
      int n = channel.read(buf);
      if (n < 0) {
        throw new IOException("D-Bus peer closed the connection");
      }
      if (n == 0) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new IOException("no answer over D-Bus within " + timeoutMillis + " ms");
        }
        selector.select(left);
        selector.selectedKeys().clear();
      }
    }
  }

  private void writeAll(byte[] b) throws IOException {
    // Messages are small and the socket buffer large: a full buffer means a
    // peer that stopped reading, waited for up to the timeout, then an error.
    ByteBuffer buf = ByteBuffer.wrap(b);
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (buf.hasRemaining()) {
      if (channel.write(buf) == 0) {
        if (System.nanoTime() > deadline) {
          throw new IOException("D-Bus peer does not read within " + timeoutMillis + " ms");
        }
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted writing to D-Bus");
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}
