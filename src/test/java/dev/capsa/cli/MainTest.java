package dev.capsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line, without root: version, help, and errors that exit 1. */
class MainTest {
  @TempDir Path root;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void captureStderr() {
    Log.redirectStderr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreStderr() throws Exception {
    Log.redirectStderr(System.err);
    Log.configure(null, false, false);
  }

  private int run(String... argv) {
    return Main.run(List.of(argv), new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  private int runWithRoot(String... argv) {
    List<String> all = new ArrayList<>(List.of("--root", root.toString()));
    all.addAll(List.of(argv));
    return Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void versionPrintsThreeLines() {
    assertEquals(0, run("--version"));
    assertEquals(List.of("capsa version " + Main.VERSION, "spec: 1.3.0",
        "java: " + System.getProperty("java.version")), out().lines().toList());
    assertEquals("", err());
  }

  @Test
  void versionAlias() {
    assertEquals(0, run("-v"));
    assertTrue(out().startsWith("capsa version "), out());
  }

  @Test
  void helpPrintsTheUsage() {
    assertEquals(0, run("help"));
    assertEquals(Main.usage(), out());
    assertTrue(out().contains("COMMANDS:"), out());
    for (String command : List.of("create", "start", "state", "kill", "delete", "run", "list",
        "spec", "features")) {
      assertTrue(out().contains("\n   " + command + " "), command + " missing from:\n" + out());
    }
    assertTrue(out().contains("--root value"), out());
  }

  @Test
  void helpFlagPrintsTheUsage() {
    assertEquals(0, run("--help"));
    assertEquals(Main.usage(), out());
  }

  @Test
  void noCommandPrintsTheUsageLikeRunc() {
    // runc with no arguments prints its help and exits 0.
    assertEquals(0, run());
    assertEquals(Main.usage(), out());
  }

  @Test
  void helpOfOneCommand() {
    assertEquals(0, run("help", "kill"));
    assertTrue(out().startsWith("NAME:\n   capsa kill - "), out());
    assertTrue(out().contains("--all, -a"), out());
  }

  @Test
  void commandHelpFlag() {
    assertEquals(0, run("kill", "--help"));
    assertTrue(out().startsWith("NAME:\n   capsa kill - "), out());
  }

  @Test
  void helpOfAnUnknownTopicFails() {
    assertEquals(1, run("help", "fly"));
    assertTrue(err().contains("fly"), err());
  }

  @Test
  void unknownCommandExitsOne() {
    assertEquals(1, run("fly"));
    assertEquals("capsa: \"fly\" is not a capsa command; see capsa --help\n", err());
    assertEquals("", out());
  }

  @Test
  void unknownGlobalFlagExitsOne() {
    assertEquals(1, run("--fly", "list"));
    assertTrue(err().contains("flag provided but not defined: -fly"), err());
  }

  @Test
  void helpListsTheCommandsOfExecCgroupsAndCriu() {
    assertEquals(0, run("help"));
    for (String command : List.of("exec", "ps", "events", "pause", "resume", "update",
        "checkpoint", "restore")) {
      assertTrue(out().contains("\n   " + command + " "), command + " missing from:\n" + out());
    }
    assertFalse(out().contains("not implemented"), out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"pause", "resume", "ps", "events", "state", "start", "delete"})
  void commandOnAMissingContainerExitsOne(String command) {
    assertEquals(1, runWithRoot(command, "ctr"));
    assertTrue(err().contains("container \"ctr\" does not exist"), err());
    assertFalse(err().contains("not implemented"), err());
  }

  @Test
  void updateOfAMissingContainerExitsOne() {
    assertEquals(1, runWithRoot("update", "--pids-limit", "5", "ctr"));
    assertTrue(err().contains("container \"ctr\" does not exist"), err());
  }

  @Test
  void updateWithNothingToChangeExitsOne() {
    assertEquals(1, runWithRoot("update", "ctr"));
    assertTrue(err().contains("update: nothing to change"), err());
  }

  @Test
  void execInAMissingContainerExitsOne() {
    assertEquals(1, runWithRoot("exec", "ctr", "true"));
    assertTrue(err().contains("container \"ctr\" does not exist"), err());
  }

  @Test
  void execWithoutAnIdOrACommandExitsOne() {
    assertEquals(1, runWithRoot("exec"));
    assertTrue(err().contains("\"exec\" requires a container id"), err());
    assertEquals(1, runWithRoot("exec", "ctr"));
    assertTrue(err().contains("\"exec\" requires a command, or --process"), err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"checkpoint", "restore"})
  void checkpointAndRestoreFailWithWhatCriuSays(String command) {
    // CRIU missing, `criu check` failing (as on this project's machines, with
    // CRIU's last line), or passing while capsa does not drive its RPC yet:
    // each is an error naming the command and CRIU.
    assertEquals(1, runWithRoot(command, "ctr"));
    assertTrue(err().contains(command + ": "), err());
    assertTrue(err().contains("CRIU"), err());
    assertFalse(err().contains("not implemented"), err());
  }

  @Test
  void checkpointWithoutAnIdExitsOne() {
    assertEquals(1, runWithRoot("checkpoint"));
    assertTrue(err().contains("\"checkpoint\" requires a container id"), err());
  }

  @Test
  void killWithABadSignalExitsOne() {
    assertEquals(1, runWithRoot("kill", "ctr", "SIGFOO"));
    assertTrue(err().contains("unknown signal: SIGFOO"), err());
    assertEquals("", out());
  }

  @Test
  void killWithABadSignalNumberExitsOne() {
    assertEquals(1, runWithRoot("kill", "ctr", "99"));
    assertTrue(err().contains("unknown signal: 99"), err());
  }

  @Test
  void killOfAMissingContainerExitsOne() {
    assertEquals(1, runWithRoot("kill", "ctr", "TERM"));
    assertTrue(err().contains("container \"ctr\" does not exist"), err());
  }

  @Test
  void killWithoutAnIdExitsOne() {
    assertEquals(1, runWithRoot("kill"));
    assertTrue(err().contains("\"kill\" takes a container id"), err());
  }

  @Test
  void listOfAnEmptyRootIsTheHeader() {
    assertEquals(0, runWithRoot("list"));
    assertEquals("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n", out());
  }

  @Test
  void listQuietOfAnEmptyRootIsEmpty() {
    assertEquals(0, runWithRoot("list", "-q"));
    assertEquals("", out());
  }

  @Test
  void listJsonOfAnEmptyRootIsNullLikeRunc() {
    // runc marshals its nil slice of containers: "null".
    assertEquals(0, runWithRoot("list", "--format", "json"));
    assertEquals("null\n", out());
  }

  @Test
  void listWithABadFormatExitsOne() {
    assertEquals(1, runWithRoot("list", "--format", "yaml"));
    assertTrue(err().contains("--format"), err());
  }

  @Test
  void badLogFormatExitsOne() {
    assertEquals(1, runWithRoot("--log-format", "xml", "list"));
    assertTrue(err().contains("--log-format"), err());
  }

  @Test
  void systemdCgroupIsAcceptedByEveryCommand() {
    // containerd's shim passes it to every call, not only to create.
    assertEquals(0, run("--root", root.toString(), "--systemd-cgroup", "list", "-q"));
    assertEquals("", err());
  }
}
