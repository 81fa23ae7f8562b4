package dev.capsa.runtime;

import dev.capsa.linux.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The runtime's end of the socket to the native stage ({@code native/protocol.h}
 * describes the messages). The stage's end goes to the stage as fd
 * 3+preserveFds and is closed here at once, so that the end of the stream means
 * every stage process is gone.
 */
final class StageSession implements AutoCloseable {
  static final int MSG_PROGRAM = 1;
  static final int MSG_PID = 2;
  static final int MSG_SYNC = 3;
  static final int MSG_CONTINUE = 4;
  static final int MSG_READY = 5;
  static final int MSG_ERROR = 6;
  static final int MSG_FD = 7;
  static final int MSG_EXIT = 8;

  /** The largest packet either side sends; protocol.h CAPSA_MAX_PACKET. */
  private static final int MAX_PACKET = 32768;
  private static final int HEADER = 16;

  /**
   * One message from the stage; {@code type} 0 is the end of the stream, -1 a
   * timeout. {@code fd} is an fd that came with it (MSG_FD), else -1.
   */
  record Message(int type, int a, int b, String text, int fd) {}

  private final int fd;
  private final int stagePid;
  private final byte[] buf = new byte[HEADER + MAX_PACKET];

  private StageSession(int fd, int stagePid) {
    this.fd = fd;
    this.stagePid = stagePid;
  }

  /** Starts the native stage with the caller's stdio and fds 3..3+preserveFds-1. */
  static StageSession spawn(int preserveFds) {
    return spawn(preserveFds, null, null);
  }

  /**
   * Starts the native stage: fds 3..3+preserveFds-1 stay, {@code extra} fds
   * follow the sync socket (3+preserveFds+1...), {@code stdio} replaces the
   * caller's stdio where not -1 (both may be null).
   */
  static StageSession spawn(int preserveFds, int[] extra, int[] stdio) {
    int[] pair = Native.socketPair();
    int pid;
    try {
      pid = Native.spawnStage(pair[1], preserveFds, extra, stdio);
    } catch (RuntimeException e) {
      Native.close(pair[0]);
      throw e;
    } finally {
      Native.close(pair[1]);
    }
    return new StageSession(pair[0], pid);
  }

  int stagePid() {
    return stagePid;
  }

  /** Sends the program in MSG_PROGRAM chunks, the first header carrying the total. */
  void sendProgram(byte[] program) {
    int off = 0;
    do {
      int n = Math.min(MAX_PACKET, program.length - off);
      send(MSG_PROGRAM, program.length, 0, program, off, n);
      off += n;
    } while (off < program.length);
  }

  /** A detached mount for the stage's OP_MOVE_TREE {@code slot}; before the CONTINUE. */
  void sendFd(int slot, int fd) {
    ByteBuffer p = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    p.putInt(MSG_FD).putInt(slot).putInt(0).putInt(0);
    Native.sendFds(this.fd, p.array(), new int[] {fd});
  }

  void sendContinue() {
    send(MSG_CONTINUE, 0, 0, new byte[0], 0, 0);
  }

  private void send(int type, int a, int b, byte[] data, int off, int len) {
    ByteBuffer p = ByteBuffer.allocate(HEADER + len).order(ByteOrder.LITTLE_ENDIAN);
    p.putInt(type).putInt(a).putInt(b).putInt(len).put(data, off, len);
    Native.send(fd, p.array(), 0, p.position());
  }

  /** The next message; blocks until one comes or the stage is gone. */
  Message next() {
    return next(-1);
  }

  /** The next message, or a type -1 message when {@code timeoutMillis} passed. */
  Message next(int timeoutMillis) {
    int[] passed = {-1};
    int n = Native.recv(fd, buf, timeoutMillis, passed);
    if (n == 0) {
      return new Message(0, 0, 0, "", -1);
    }
    if (n < 0) {
      return new Message(-1, 0, 0, "", -1);
    }
    if (n < HEADER) {
      throw new ContainerException("native stage: short message of " + n + " bytes");
    }
    ByteBuffer p = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
    int type = p.getInt();
    int a = p.getInt();
    int b = p.getInt();
    int len = Math.min(p.getInt(), n - HEADER);
    return new Message(type, a, b, new String(buf, HEADER, len, StandardCharsets.UTF_8), passed[0]);
  }

  @Override
  public void close() {
    Native.close(fd);
  }
}
