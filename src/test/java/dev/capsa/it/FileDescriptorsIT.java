package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fds a container gets beyond stdio: {@code --preserve-fds N} and socket activation
 * ({@code LISTEN_FDS}, sd_listen_fds(3)), as runc passes them. capsa runs under
 * {@code sh -c 'exec 3<file ...; exec capsa ...'}, as ProcessBuilder cannot pass more fds.
 */
class FileDescriptorsIT {
  @RegisterExtension final Harness h = new Harness();

  private Path one;
  private Path two;

  @BeforeEach
  void files() throws IOException {
    one = Files.writeString(h.dir().resolve("one.txt"), "first\n");
    two = Files.writeString(h.dir().resolve("two.txt"), "second\n");
    // The shell's own fds: those of the container's pid 1, as `ls -l /proc/1/fd` shows them.
    h.script("ls -l /proc/$$/fd; echo ==env==; env | grep ^LISTEN_ | sort; echo ==read==; "
        + "{ cat <&3; } 2>/dev/null; true");
  }

  /** fd number to target, from {@code ls -l /proc/PID/fd}. */
  private static Map<Integer, String> fds(String out) {
    Map<Integer, String> fds = new TreeMap<>();
    for (String line : out.split("==env==")[0].lines().toList()) {
      int arrow = line.indexOf(" -> ");
      if (arrow < 0) {
        continue;
      }
      String[] before = line.substring(0, arrow).trim().split("\\s+");
      fds.put(Integer.parseInt(before[before.length - 1]), line.substring(arrow + 4));
    }
    return fds;
  }

  private Harness.Result runUnderShell(String redirections, String env, String... options) {
    String[] args = new String[options.length + 4];
    System.arraycopy(options, 0, args, 1, options.length);
    args[0] = "run";
    args[options.length + 1] = "--bundle";
    args[options.length + 2] = h.bundle().toString();
    args[options.length + 3] = h.newId();
    return h.shell("exec " + redirections + "; " + env + " exec " + h.capsaLine(args));
  }

  @Test
  void preserveFdsPassesTheCallersFds() {
    Harness.Result r = runUnderShell("3<" + one + " 4<" + two, "", "--preserve-fds", "2").ok();
    Map<Integer, String> fds = fds(r.stdout());
    assertEquals(java.util.Set.of(0, 1, 2, 3, 4), fds.keySet(), r::toString);
    assertEquals(one.toString(), fds.get(3), r::toString);
    assertEquals(two.toString(), fds.get(4), r::toString);
    assertTrue(Inside.sections(r.stdout()).get("read").equals("first"), r::toString);
  }

  @Test
  void withoutPreserveFdsOnlyStdioIsPassed() {
    Harness.Result r = runUnderShell("3<" + one + " 4<" + two, "").ok();
    assertEquals(java.util.Set.of(0, 1, 2), fds(r.stdout()).keySet(), r::toString);
  }

  @Test
  void preservingAnFdThatIsNotOpenIsAnError() {
    String id = h.newId();
    Harness.Result r = h.shell("exec 3<" + one + "; exec " + h.capsaLine("run", "--preserve-fds",
        "2", "--bundle", h.bundle().toString(), id)).status(1);
    assertTrue(r.stderr().contains("--preserve-fds"), r::toString);
    assertTrue(r.stderr().contains("fd 4"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void socketActivationPassesListenFds() {
    Harness.Result r = runUnderShell("3<" + one, "LISTEN_FDS=1 LISTEN_PID=$$").ok();
    Map<Integer, String> fds = fds(r.stdout());
    assertEquals(java.util.Set.of(0, 1, 2, 3), fds.keySet(), r::toString);
    assertEquals(one.toString(), fds.get(3), r::toString);
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("LISTEN_FDS=1\nLISTEN_PID=1", out.get("env"), r::toString);
    assertEquals("first", out.get("read"), r::toString);
  }

  @Test
  void listenFdsOfAnotherProcessAreNotPassed() {
    Harness.Result r = runUnderShell("3<" + one, "LISTEN_FDS=1 LISTEN_PID=1").ok();
    assertEquals(java.util.Set.of(0, 1, 2), fds(r.stdout()).keySet(), r::toString);
    assertEquals("", Inside.sections(r.stdout()).get("env"), r::toString);
  }

  @Test
  void preservedAndListenFdsTogether() {
    Harness.Result r = runUnderShell("3<" + one + " 4<" + two, "LISTEN_FDS=1 LISTEN_PID=$$",
        "--preserve-fds", "1").ok();
    Map<Integer, String> fds = fds(r.stdout());
    assertEquals(java.util.Set.of(0, 1, 2, 3, 4), fds.keySet(), r::toString);
    assertEquals(one.toString(), fds.get(3), r::toString);
    assertEquals(two.toString(), fds.get(4), r::toString);
  }
}
