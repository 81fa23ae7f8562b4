package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code process.terminal} and {@code consoleSize}: the pty master sent to
 * {@code --console-socket} (runc's protocol: one SCM_RIGHTS message), and {@code run} in the
 * foreground holding the terminal itself.
 */
class TerminalIT {
  @RegisterExtension final Harness h = new Harness();

  private void terminal(int rows, int cols) {
    h.process().put("terminal", true);
    Map<String, Object> size = new LinkedHashMap<>();
    size.put("height", rows);
    size.put("width", cols);
    h.process().put("consoleSize", size);
  }

  @Test
  void theConsoleSocketGetsThePtyMaster() {
    Agents.Agent receiver = Agents.consoleReceiver(h);
    terminal(33, 101);
    h.script("echo ==tty==; tty; echo ==size==; stty size; echo ==console==; "
        + "stat -c '%t %T' /dev/console; echo ==pts0==; stat -c '%t %T' /dev/pts/0; "
        + "echo ==mi==; grep ' /dev/console ' /proc/self/mountinfo; echo ==fds==; "
        + "ls -l /proc/$$/fd | grep -c pts/0");
    String id = h.newId();
    Harness.Invocation create = h.start("create", "--console-socket",
        receiver.socket().toString(), "--bundle", h.bundle().toString(), id);
    create.await().ok();
    assertTrue(receiver.await("info").startsWith("fds=1 "), () -> receiver.await("info"));
    h.capsa("start", id).ok();
    receiver.await("done");
    String out = receiver.await("out").replace("\r", "");
    h.awaitStatus(id, "stopped");
    h.capsa("delete", id).ok();

    Map<String, String> s = Inside.sections(out);
    assertEquals("/dev/pts/0", s.get("tty"), out);
    assertEquals("33 101", s.get("size"), () -> "consoleSize: " + out);
    assertEquals(s.get("pts0"), s.get("console"), () -> "/dev/console is the pty: " + out);
    assertEquals("88 0", s.get("pts0"), () -> "major 136, minor 0: " + out);
    Inside.Mount console = Inside.mountAt(s.get("mi"), "/dev/console");
    assertEquals("devpts", console.fstype(), console.line());
    assertEquals("/0", console.root(), console.line());
    assertEquals("3", s.get("fds"), () -> "stdin, stdout and stderr are the pty: " + out);
    assertEquals("", create.stdoutNow(), "the container's output goes to the pty");
  }

  @Test
  void runInTheForegroundHoldsTheTerminal() {
    h.process().put("terminal", true);
    h.script("tty; echo hello-from-the-pty; exit 7");
    String line = h.capsaLine("run", "--bundle", h.bundle().toString(), h.newId());
    // util-linux script gives capsa a terminal of its own; -e passes on the exit status.
    Harness.Result r = h.shell("exec script -qec " + Harness.quote(line) + " /dev/null");
    String text = r.stdout().replace("\r", "");
    assertEquals(7, r.status(), r::toString);
    List<String> lines = text.lines().toList();
    assertTrue(lines.stream().anyMatch(l -> l.endsWith("/dev/pts/0")), r::toString);
    assertTrue(lines.contains("hello-from-the-pty"), r::toString);
    assertEquals(List.of(), h.listIds(), "run deleted the container");
  }

  /**
   * The container process closes every fd of the pty's slave, then opens /dev/console (the
   * slave) again, as systemd does as PID 1: what it writes then must still reach run's
   * caller. Without run holding a slave fd of its own, the master reads EIO once the last
   * slave fd closes, and run stopped copying there.
   */
  @Test
  void runKeepsCopyingAfterTheContainerReopensTheConsole() {
    h.process().put("terminal", true);
    h.script("exec 0</dev/null 1>/dev/null 2>/dev/null; sleep 1; "
        + "echo late-output > /dev/console; sleep 0.2; echo last-words > /dev/console");
    String line = h.capsaLine("run", "--bundle", h.bundle().toString(), h.newId());
    // timeout: a run that lost the terminal must fail here, not hang the suite.
    Harness.Result r = h.shell("exec timeout -k 5 20 script -qec " + Harness.quote(line)
        + " /dev/null");
    List<String> lines = r.stdout().replace("\r", "").lines().toList();
    assertEquals(0, r.status(), r::toString);
    // endsWith: the pty echoes what script sends at the end of its stdin ("^@").
    assertTrue(lines.stream().anyMatch(l -> l.endsWith("late-output")), r::toString);
    assertTrue(lines.stream().anyMatch(l -> l.endsWith("last-words")),
        () -> "written just before the exit: " + r);
    assertEquals(List.of(), h.listIds(), "run deleted the container");
  }

  /**
   * 200 KB written to the reopened console, far more than the pty buffers: nobody reading
   * the master would block the container process in write(2) for good.
   */
  @Test
  void runDoesNotBlockAContainerThatWritesALotToTheReopenedConsole() {
    h.process().put("terminal", true);
    h.script("exec 0</dev/null 1>/dev/null 2>/dev/null; sleep 0.5; "
        + "{ head -c 204800 /dev/zero | tr '\\0' x; echo; echo done-writing; } > /dev/console; "
        + "exit 3");
    String line = h.capsaLine("run", "--bundle", h.bundle().toString(), h.newId());
    Harness.Result r = h.shell("exec timeout -k 5 20 script -qec " + Harness.quote(line)
        + " /dev/null");
    assertEquals(3, r.status(), () -> "124 is a timeout: " + r.status() + " " + r.stderr());
    String text = r.stdout().replace("\r", "");
    assertEquals(204800, text.chars().filter(c -> c == 'x').count(), "every byte arrived");
    assertTrue(text.lines().anyMatch(l -> l.endsWith("done-writing")),
        () -> text.substring(Math.max(0, text.length() - 200)));
  }

  @Test
  void aConsoleSocketWithoutATerminalIsAnError() {
    Agents.Agent receiver = Agents.consoleReceiver(h);
    h.process().put("terminal", false);
    h.args("true");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--console-socket", receiver.socket().toString(),
        "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("--console-socket"), r::toString);
    assertTrue(r.stderr().contains("terminal"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void aTerminalWithoutAConsoleSocketIsAnErrorOfCreate() {
    h.process().put("terminal", true);
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("process.terminal"), r::toString);
    assertTrue(r.stderr().contains("--console-socket"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void aConsoleSocketThatDoesNotListenIsAnError() {
    terminal(24, 80);
    String missing = h.dir().resolve("nobody-listens.sock").toString();
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--console-socket", missing, "--bundle",
        h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("--console-socket"), r::toString);
    assertTrue(r.stderr().contains(missing), r::toString);
    h.assertNoContainer(id);
  }
}
