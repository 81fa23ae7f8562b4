package dev.capsa.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small python3 programs on the host that receive a file descriptor over a unix socket
 * (SCM_RIGHTS), which Java's own unix sockets cannot: a seccomp agent for
 * {@code linux.seccomp.listenerPath}, and a receiver for {@code --console-socket}. Each
 * listens at {@code NAME.sock} in the test directory, creates {@code NAME.ready} once it
 * listens, and writes what it got to files that appear atomically (renamed into place).
 * They run through {@link Harness#host}, so they are killed at cleanup.
 */
final class Agents {
  private Agents() {}

  /** One agent: its socket and the files it writes. */
  record Agent(Process process, Path socket, Path dir, String name) {
    /** A file the agent writes, {@code NAME.suffix}. */
    Path file(String suffix) {
      return dir.resolve(name + "." + suffix);
    }

    /** Waits until {@code NAME.suffix} exists; fails if the agent exits without it. */
    String await(String suffix) {
      Path f = file(suffix);
      Harness.poll(name + " to write " + f, () -> {
        if (Files.exists(f)) {
          return true;
        }
        if (!process.isAlive() && !Files.exists(f)) {
          throw new AssertionError(name + " exited (" + process.exitValue() + ") without writing "
              + f);
        }
        return false;
      });
      try {
        return Files.readString(f, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * The start of every agent: listens on the socket {@code argv[1]}, says so by creating
   * {@code NAME.ready} ({@code NAME} is {@code argv[2]}), and accepts one connection as
   * {@code c}.
   */
  private static final String ACCEPT_ONE = """
      import json, os, socket, sys
      sock, out = sys.argv[1], sys.argv[2]
      s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      s.bind(sock)
      s.listen(1)
      open(out + ".ready", "w").close()
      c, _ = s.accept()
      """;

  /**
   * Accepts one connection, receives the message and its fds, writes
   * {@code {"message": TEXT, "fds": [readlink of each fd]}} to {@code NAME.json}, then closes
   * the fds (a seccomp listener closed makes the notified syscalls fail with ENOSYS) and exits.
   */
  private static final String SECCOMP_AGENT = ACCEPT_ONE + """
      msg, fds, _, _ = socket.recv_fds(c, 1 << 16, 8)
      while True:
          more = c.recv(1 << 16)
          if not more:
              break
          msg += more
      res = {"message": msg.decode(), "fds": [os.readlink("/proc/self/fd/%d" % fd) for fd in fds]}
      with open(out + ".json.tmp", "w") as f:
          json.dump(res, f)
      os.rename(out + ".json.tmp", out + ".json")
      for fd in fds:
          os.close(fd)
      """;

  /**
   * Accepts one connection, receives the pty master, writes {@code NAME.info}
   * ({@code fds=N target=...}), then copies what the master reads to {@code NAME.out}
   * (rewritten whole each time) until the pty closes, and creates {@code NAME.done}.
   */
  private static final String CONSOLE_RECEIVER = ACCEPT_ONE + """
      msg, fds, _, _ = socket.recv_fds(c, 4096, 8)
      c.close()
      target = os.readlink("/proc/self/fd/%d" % fds[0]) if fds else "-"
      with open(out + ".info.tmp", "w") as f:
          f.write("fds=%d target=%s\\n" % (len(fds), target))
      os.rename(out + ".info.tmp", out + ".info")
      data = b""
      while fds:
          try:
              b = os.read(fds[0], 4096)
          except OSError:
              break
          if not b:
              break
          data += b
          with open(out + ".out.tmp", "wb") as f:
              f.write(data)
          os.rename(out + ".out.tmp", out + ".out")
      with open(out + ".out.tmp", "wb") as f:
          f.write(data)
      os.rename(out + ".out.tmp", out + ".out")
      open(out + ".done", "w").close()
      """;

  /** Starts the seccomp agent; returns once it listens. */
  static Agent seccompAgent(Harness h) {
    return start(h, "seccomp-agent", SECCOMP_AGENT);
  }

  /** Starts the console receiver; returns once it listens. */
  static Agent consoleReceiver(Harness h) {
    return start(h, "console", CONSOLE_RECEIVER);
  }

  private static Agent start(Harness h, String name, String program) {
    Path dir = h.newDir("agents");
    Path script = dir.resolve(name + ".py");
    Path socket = dir.resolve(name + ".sock");
    try {
      Files.writeString(script, program);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process p = h.host(Harness.python(), script.toString(), socket.toString(),
        dir.resolve(name).toString());
    Agent a = new Agent(p, socket, dir, name);
    a.await("ready");
    return a;
  }
}
