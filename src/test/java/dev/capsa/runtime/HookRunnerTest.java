package dev.capsa.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.spec.Hooks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hooks of the runtime namespace, run for real through the native stage
 * (no namespace to join, so no root needed): argv, env, the state on stdin,
 * failures with the hook's output, the timeout.
 */
class HookRunnerTest {
  private static final String STATE = "{\"ociVersion\":\"1.3.0\",\"id\":\"c\",\"status\":"
      + "\"creating\",\"pid\":42,\"bundle\":\"/b\"}";

  @TempDir Path dir;

  private static Hooks.Hook sh(String script, List<String> env, Integer timeout) {
    return new Hooks.Hook("/bin/sh", List.of("sh", "-c", script), env, timeout);
  }

  @Test
  void hookGetsItsArgvItsEnvAndTheStateOnStdin() throws IOException {
    Path out = dir.resolve("out");
    // argv[0] need not be the path (ProcessBuilder could not do that); the
    // environment is the hook's env alone.
    Hooks.Hook hook = new Hooks.Hook("/bin/sh", List.of("my-hook", "-c",
        "cat > \"$OUT\"; head -c 7 /proc/$$/cmdline >> \"$OUT\";"
            + " echo \"|$0|$1|$X|${HOME-unset}\" >> \"$OUT\"", "zero", "one"),
        List.of("OUT=" + out, "X=y"), null);
    HookRunner.run("prestart", List.of(hook), STATE, 0);
    assertEquals(STATE + "my-hook|zero|one|y|unset\n", Files.readString(out));
  }

  @Test
  void hooksRunInOrder() throws IOException {
    Path out = dir.resolve("out");
    List<String> env = List.of("OUT=" + out);
    HookRunner.run("createRuntime", List.of(sh("echo 1 >> \"$OUT\"", env, null),
        sh("echo 2 >> \"$OUT\"", env, null), sh("echo 3 >> \"$OUT\"", env, 10)), STATE, 0);
    assertEquals("1\n2\n3\n", Files.readString(out));
  }

  @Test
  void failingHookIsAnErrorNamingItWithItsOutputAndStopsTheRest() {
    Path marker = dir.resolve("marker");
    ContainerException e = assertThrows(ContainerException.class, () -> HookRunner.run(
        "createContainer", List.of(sh("true", null, null),
            sh("echo broken >&2; exit 3", null, null), sh("touch " + marker, null, null)),
        STATE, 0));
    assertEquals("hooks.createContainer[1]: /bin/sh exited with status 3: broken", e.getMessage());
    assertFalse(Files.exists(marker));
  }

  @Test
  void hookKilledByASignalSaysWhich() {
    ContainerException e = assertThrows(ContainerException.class, () -> HookRunner.run(
        "poststart", List.of(sh("kill -TERM $$", null, null)), STATE, 0));
    assertTrue(e.getMessage().startsWith("hooks.poststart[0]: /bin/sh was killed by SIGTERM"),
        e.getMessage());
  }

  @Test
  void hookThatRunsPastItsTimeoutIsKilled() {
    long start = System.nanoTime();
    ContainerException e = assertThrows(ContainerException.class, () -> HookRunner.run(
        "prestart", List.of(sh("echo started; exec sleep 30", null, 1)), STATE, 0));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals("hooks.prestart[0]: /bin/sh timed out after 1 s: started", e.getMessage());
    assertTrue(millis >= 900 && millis < 10_000, "took " + millis + " ms");
  }

  @Test
  void missingHookIsAnErrorNamingIt() {
    ContainerException e = assertThrows(ContainerException.class, () -> HookRunner.run(
        "startContainer", List.of(new Hooks.Hook(dir.resolve("no-such-hook").toString(), null,
            null, null)), STATE, 0));
    assertTrue(e.getMessage().startsWith("hooks.startContainer[0]: "), e.getMessage());
  }

  @Test
  void noHooksRunNothing() {
    HookRunner.run("poststop", List.of(), STATE, 0);
  }

  @Test
  void thisProcessHasNoNamespaceToJoinOfItsOwn() {
    assertEquals(Set.of(), HookRunner.namespacesToJoin((int) ProcessHandle.current().pid()));
  }

  @Test
  void keptHooksReadBackAsTheyWere() {
    StateStore store = new StateStore(dir.resolve("root"));
    Container c = store.createDirectory("kept");
    assertEquals(Hooks.NONE, c.hooks());
    Hooks hooks = new Hooks(List.of(sh("true", List.of("A=1"), 4)), List.of(), List.of(),
        List.of(), List.of(), List.of(new Hooks.Hook("/bin/true", null, null, null)));
    c.saveHooks(hooks);
    assertEquals(hooks, c.hooks());
  }

  @Test
  void failingPoststopHookDoesNotStopTheOthers() throws IOException {
    StateStore store = new StateStore(dir.resolve("root"));
    Container c = store.createDirectory("gone");
    Path marker = dir.resolve("marker");
    Hooks hooks = new Hooks(List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of(sh("exit 1", null, null), sh("touch " + marker, null, null)));
    Lifecycle.poststop(c, hooks);
    assertTrue(Files.exists(marker), "the second poststop hook did not run");
  }

  @Test
  void runAllRunsEveryHookAndReturnsTheFailuresInOrder() throws IOException {
    Path out = dir.resolve("out");
    List<String> env = List.of("OUT=" + out);
    List<String> failures = HookRunner.runAll("poststop", List.of(
        sh("echo 1 >> \"$OUT\"; echo first >&2; exit 1", env, null),
        sh("echo 2 >> \"$OUT\"", env, null),
        sh("echo 3 >> \"$OUT\"; echo third >&2; exit 4", env, null),
        sh("echo 4 >> \"$OUT\"", env, null)), STATE);
    assertEquals("1\n2\n3\n4\n", Files.readString(out));
    assertEquals(List.of("hooks.poststop[0]: /bin/sh exited with status 1: first",
        "hooks.poststop[2]: /bin/sh exited with status 4: third"), failures);
  }

  @Test
  void runAllOfHooksThatSucceedReturnsNoFailure() {
    assertEquals(List.of(), HookRunner.runAll("poststop", List.of(sh("true", null, null),
        sh("exit 0", null, null)), STATE));
    assertEquals(List.of(), HookRunner.runAll("poststop", List.of(), STATE));
  }

  @Test
  void runAllReportsAMissingHookAndGoesOn() throws IOException {
    Path marker = dir.resolve("marker");
    List<String> failures = HookRunner.runAll("poststop", List.of(
        new Hooks.Hook(dir.resolve("no-such-hook").toString(), null, null, null),
        sh("touch " + marker, null, null)), STATE);
    assertEquals(1, failures.size(), failures::toString);
    assertTrue(failures.get(0).startsWith("hooks.poststop[0]: "), failures::toString);
    assertTrue(Files.exists(marker), "the hook after the missing one did not run");
  }
}
