package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** runtime.md's lifecycle and operations, and runc's command line around them. */
class LifecycleIT {
  @RegisterExtension final Harness h = new Harness();

  /** A container that runs until the test creates /shared/go, then prints "done". */
  private Path untilGo() {
    Path shared = h.shared();
    h.script("while [ ! -e /shared/go ]; do sleep 0.01; done; echo done");
    return shared.resolve("go");
  }

  private static long pid(Map<String, Object> state) {
    return ((Number) state.get("pid")).longValue();
  }

  @Test
  void createStartStopDelete() throws IOException {
    Path go = untilGo();
    h.config().put("annotations", new java.util.LinkedHashMap<>(Map.of("org.example.key", "value")));
    String id = h.newId();
    Harness.Invocation create = h.start("create", "--bundle", h.bundle().toString(), id);
    create.await().ok();

    Map<String, Object> s = h.state(id);
    assertEquals("created", s.get("status"), s::toString);
    assertEquals(id, s.get("id"));
    assertEquals(h.bundle().toString(), s.get("bundle"));
    assertTrue(s.get("ociVersion") instanceof String, s::toString);
    assertEquals(h.rootfs().toString(), s.get("rootfs"), s::toString);
    Instant.parse((String) s.get("created"));
    assertEquals(Map.of("org.example.key", "value"), s.get("annotations"), s::toString);
    long pid = pid(s);
    assertTrue(pid > 0, s::toString);
    assertTrue(Files.isDirectory(Path.of("/proc/" + pid)), "/proc/" + pid + " of the created container");
    assertEquals("", create.stdoutNow(), "the user's program has not run yet");

    h.capsa("start", id).ok();
    s = h.state(id);
    assertEquals("running", s.get("status"), s::toString);
    assertEquals(pid, pid(s), "start runs the program in the created process");

    Files.createFile(go);
    h.awaitStatus(id, "stopped");
    assertEquals("done\n", create.stdoutNow(), "the container's stdout is create's");

    h.capsa("delete", id).ok();
    Harness.Result r = h.capsa("state", id).status(1);
    assertTrue(r.stderr().contains("does not exist"), r::toString);
    assertEquals(List.of(), h.listIds());
  }

  @Test
  void pidFileAndBundleRelativeToTheCallersCwd() throws IOException {
    Path caller = h.newDir("caller");
    h.args("sleep", "100");
    String id = h.newId();
    h.capsaIn(caller, "create", "--bundle", "../bundle", "--pid-file", "container.pid", id).ok();
    Map<String, Object> s = h.state(id);
    Path pidFile = caller.resolve("container.pid");
    assertTrue(Files.isRegularFile(pidFile), "--pid-file relative to the caller's cwd");
    assertEquals(Long.toString(pid(s)), Files.readString(pidFile).strip());
    assertEquals(h.bundle().toString(), s.get("bundle"), "the bundle is recorded absolute");
  }

  @Test
  void killCreatedContainerWithTheDefaultSignal() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    h.capsa("kill", id).ok();
    Map<String, Object> s = h.awaitStatus(id, "stopped");
    assertEquals(0L, pid(s), "a stopped container has no pid");
    h.capsa("delete", id).ok();
  }

  @Test
  void killCreatedContainerWithSigkill() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = pid(h.state(id));
    h.capsa("kill", id, "KILL").ok();
    h.awaitStatus(id, "stopped");
    Harness.poll("process " + pid + " to be gone",
        () -> !Files.exists(Path.of("/proc/" + pid + "/root")));
    h.capsa("delete", id).ok();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TERM", "SIGTERM", "15"})
  void killRunningContainer(String signal) {
    h.script("trap 'echo got TERM; exit 42' TERM; echo ready; sleep 100 & wait");
    String id = h.newId();
    Harness.Invocation run = h.start("run", "--bundle", h.bundle().toString(), id);
    run.awaitStdout("ready");
    h.capsa("kill", id, signal).ok();
    Harness.Result r = run.await();
    assertEquals(42, r.status(), r::toString);
    assertTrue(r.stdout().contains("got TERM"), r::toString);
  }

  @Test
  void killRunningContainerThenStateIsStopped() {
    h.script("trap 'exit 0' TERM; echo ready; sleep 100 & wait");
    String id = h.newId();
    Harness.Invocation create = h.start("create", "--bundle", h.bundle().toString(), id);
    create.await().ok();
    h.capsa("start", id).ok();
    create.awaitContainerStdout("ready");
    h.capsa("kill", id, "TERM").ok();
    h.awaitStatus(id, "stopped");
  }

  @Test
  void killStoppedContainerFails() {
    h.args("true");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    h.awaitStatus(id, "stopped");
    Harness.Result r = h.capsa("kill", id, "KILL").status(1);
    assertTrue(r.stderr().contains(id) && r.stderr().contains("stopped"), r::toString);
  }

  @Test
  void startOfARunningContainerFails() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    Harness.Result r = h.capsa("start", id).status(1);
    assertTrue(r.stderr().contains(id) && r.stderr().contains("running"), r::toString);
    assertEquals("running", h.status(id));
  }

  @Test
  void deleteOfARunningContainerFails() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    Harness.Result r = h.capsa("delete", id).status(1);
    assertTrue(r.stderr().contains(id) && r.stderr().contains("running"), r::toString);
    assertEquals("running", h.status(id), "a refused delete leaves the container alone");
  }

  @Test
  void deleteForceOfARunningContainer() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    long pid = pid(h.state(id));
    h.capsa("delete", "--force", id).ok();
    assertEquals(List.of(), h.listIds());
    assertFalse(Files.exists(h.stateRoot().resolve(id)));
    assertFalse(Files.exists(Path.of("/proc/" + pid + "/root")), "the container process is gone");
  }

  @Test
  void deleteForceWhileRunWaits() {
    // runc: the process was killed, so `run` exits 128+9 (and its own cleanup finds nothing to do).
    h.args("sleep", "100");
    String id = h.newId();
    Harness.Invocation run = h.start("run", "--bundle", h.bundle().toString(), id);
    h.awaitStatus(id, "running", run);
    h.capsa("delete", "--force", id).ok();
    Harness.Result r = run.await();
    assertEquals(137, r.status(), r::toString);
    assertEquals(List.of(), h.listIds());
  }

  @ParameterizedTest
  @ValueSource(strings = {"state", "start", "kill", "delete"})
  void unknownId(String command) {
    Harness.Result r = h.capsa(command, "no-such-container").status(1);
    assertTrue(r.stderr().contains("no-such-container") && r.stderr().contains("does not exist"),
        r::toString);
  }

  @Test
  void duplicateIdFailsAndLeavesTheFirstAlone() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    Map<String, Object> before = h.state(id);
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains(id) && r.stderr().contains("already exists"), r::toString);
    Map<String, Object> after = h.state(id);
    assertEquals(before, after, "the first container is unharmed");
    assertTrue(Files.isDirectory(Path.of("/proc/" + pid(after))));
    h.capsa("start", id).ok();
    assertEquals("running", h.status(id));
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/b", "..", "with space"})
  void invalidIdIsRefused(String id) {
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("invalid container id"), r::toString);
    assertEquals(List.of(), h.listIds());
    assertFalse(Files.exists(h.dir().resolve("x")), "../x must not escape the state root");
    assertFalse(Files.exists(h.stateRoot().resolve("a")));
    Harness.Result state = h.capsa("state", id).status(1);
    assertTrue(state.stderr().contains("invalid container id"), state::toString);
  }

  @Test
  void runDetach() {
    h.script("echo started; sleep 100");
    String id = h.newId();
    Harness.Invocation run = h.start("run", "--detach", "--bundle", h.bundle().toString(), id);
    Harness.Result r = run.await().ok();
    assertEquals("running", h.status(id), r::toString);
    run.awaitContainerStdout("started");
    h.capsa("delete", "--force", id).ok();
    assertEquals(List.of(), h.listIds());
  }

  @Test
  void runKeep() {
    String id = h.newId();
    h.script("exit 5");
    Harness.Result r = h.capsa("run", "--keep", "--bundle", h.bundle().toString(), id);
    assertEquals(5, r.status(), r::toString);
    assertEquals("stopped", h.status(id));
    h.capsa("delete", id).ok();
  }

  @Test
  void listTable() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    Map<String, Object> s = h.state(id);
    List<String> lines = h.capsa("list").ok().lines();
    assertEquals(2, lines.size(), lines::toString);
    String header = lines.get(0);
    String row = lines.get(1);
    assertEquals(List.of("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"),
        Arrays.asList(header.trim().split("\\s+")));
    assertEquals(List.of(id, String.valueOf(pid(s)), "created", h.bundle().toString(),
        (String) s.get("created"), "root"), Arrays.asList(row.trim().split("\\s+")));
    // Columns are aligned as by Go's tabwriter: each starts where its header does.
    for (String col : List.of("PID", "STATUS", "BUNDLE", "CREATED", "OWNER")) {
      int at = header.indexOf(col);
      assertTrue(at > 0 && row.charAt(at - 1) == ' ' && row.charAt(at) != ' ',
          () -> "column " + col + " not aligned:\n" + header + "\n" + row);
    }
  }

  @Test
  void listQuiet() {
    h.args("sleep", "100");
    String a = h.newId();
    String b = h.newId();
    h.create(a);
    h.create(b);
    assertEquals(Set.of(a, b), Set.copyOf(h.listIds()));
    assertEquals(2, h.listIds().size());
  }

  @Test
  void listJson() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = pid(h.state(id));
    List<Object> list = Harness.asList(Json.parse(h.capsa("list", "--format", "json").ok().stdout()));
    assertEquals(1, list.size(), list::toString);
    Map<String, Object> c = Harness.asMap(list.get(0));
    assertEquals(id, c.get("id"));
    assertEquals(pid, ((Number) c.get("pid")).longValue());
    assertEquals("created", c.get("status"));
    assertEquals(h.bundle().toString(), c.get("bundle"));
  }

  @Test
  void listOfAnEmptyRoot() {
    assertEquals(List.of(), h.listIds());
    List<String> lines = h.capsa("list").ok().lines();
    assertEquals(1, lines.size(), lines::toString);
    assertTrue(lines.get(0).startsWith("ID"), lines::toString);
    // runc marshals Go's nil slice: "null" when there is no container.
    assertEquals("null", h.capsa("list", "--format", "json").ok().stdout().strip());
  }

  @Test
  void logFileInJson() throws IOException {
    Path log = h.dir().resolve("capsa.log");
    Harness.Result r = h.capsa("--log", log.toString(), "--log-format", "json", "state", "missing-one")
        .status(1);
    // --root comes first in capsa(); global options may come in any order before the command.
    List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
    assertFalse(lines.isEmpty(), "the log file is empty; " + r);
    boolean sawError = false;
    for (String line : lines) {
      Map<String, Object> entry = Harness.asMap(Json.parse(line));
      assertTrue(entry.get("level") instanceof String, line);
      assertTrue(entry.get("msg") instanceof String, line);
      Instant.parse((String) entry.get("time"));
      if (entry.get("level").equals("error")) {
        sawError = true;
        assertTrue(((String) entry.get("msg")).contains("missing-one"), line);
      }
    }
    assertTrue(sawError, lines::toString);
  }

  @Test
  void stateOfACreatedContainerNamesItsProcess() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = pid(h.state(id));
    assertNotEquals(Harness.hostNamespace("pid"), Harness.namespaceOf(pid, "pid"),
        "the state's pid is the container process, in its own pid namespace");
  }

  @Test
  void runForwardsSignalsToTheContainer() {
    h.script("trap 'echo got TERM; exit 42' TERM; echo ready; sleep 100 & wait");
    String id = h.newId();
    Harness.Invocation run = h.start("run", "--bundle", h.bundle().toString(), id);
    run.awaitStdout("ready");
    run.process().destroy(); // SIGTERM to capsa run
    Harness.Result r = run.await();
    assertEquals(42, r.status(), r::toString);
    assertTrue(r.stdout().contains("got TERM"), r::toString);
  }

  @Test
  void killAllReachesEveryProcess() {
    h.script("sleep 100 & sleep 100 & echo ready; wait");
    String id = h.newId();
    Harness.Invocation run = h.start("run", "--detach", "--bundle", h.bundle().toString(), id);
    run.await().ok();
    run.awaitContainerStdout("ready");
    h.capsa("kill", "--all", id, "KILL").ok();
    h.awaitStatus(id, "stopped");
    // The harness's leftover check also looks for any process still in the rootfs.
  }

  @Test
  void startOfAStoppedContainerFails() {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    h.capsa("kill", id, "KILL").ok();
    h.awaitStatus(id, "stopped");
    Harness.Result r = h.capsa("start", id).status(1);
    assertTrue(r.stderr().contains(id) && r.stderr().contains("stopped"), r::toString);
  }
}
