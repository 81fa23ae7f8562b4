package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The launcher's start and delete (native/launcher.c), which work without a
 * JVM where create's fastpath file allows them, and leave every other case to
 * Java.
 *
 * <p>Whether a JVM ran is seen from outside: with {@code JAVA_TOOL_OPTIONS}
 * naming a VM option that does not exist, any JVM refuses to start. A command
 * the launcher did itself still succeeds; one it handed to Java fails with
 * the JVM's complaint, and must have changed nothing before that.
 */
class FastPathIT {
  @RegisterExtension final Harness h = new Harness();

  private static final String NO_JVM = "Could not create the Java Virtual Machine";

  /** capsa --root ROOT args..., where no JVM can start. */
  private Harness.Result withoutJvm(String... args) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(h.capsaCommand(args)).directory(h.dir().toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("JAVA_TOOL_OPTIONS", "-XX:+CapsaNoSuchVmOption");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    int status = p.waitFor();
    return new Harness.Result(pb.command(), status,
        new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  /** A container that runs until the test creates /shared/go. */
  private Path untilGo() {
    Path shared = h.shared();
    h.script("while [ ! -e /shared/go ]; do sleep 0.01; done; echo done > /shared/out");
    return shared.resolve("go");
  }

  /** True while the process runs (a zombie has exited). */
  private static boolean running(String pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  private Path stateDir(String id) {
    return h.stateRoot().resolve(id);
  }

  @Test
  void startAndDeleteOfAPlainContainerNeedNoJvm() throws Exception {
    Path go = untilGo();
    String id = h.newId();
    h.create(id);
    List<String> fastpath = Files.readAllLines(stateDir(id).resolve("fastpath"));
    assertEquals("capsa-fastpath 1", fastpath.get(0), fastpath::toString);
    assertTrue(fastpath.contains("start") && fastpath.contains("delete"), fastpath::toString);
    assertTrue(fastpath.contains("pid " + h.state(id).get("pid") + " "
        + fastpath.get(1).split(" ")[2]), fastpath::toString);

    Harness.Result started = withoutJvm("--log", h.dir().resolve("log").toString(),
        "--log-format", "json", "start", id);
    assertEquals(0, started.status(), started::toString);
    assertEquals("", started.stderr(), started::toString);
    assertEquals("running", h.status(id));
    assertFalse(Files.exists(stateDir(id).resolve("exec.fifo")), "start removes the fifo");
    assertTrue(Files.exists(h.dir().resolve("log")), "--log is created, as the JVM's start does");

    Files.createFile(go);
    h.awaitStatus(id, "stopped");
    assertEquals("done\n", Files.readString(h.shared().resolve("out")));
    assertFalse(h.cgroupLeftovers().isEmpty(), "the stopped container still has its cgroup");

    Harness.Result deleted = withoutJvm("delete", id);
    assertEquals(0, deleted.status(), deleted::toString);
    assertFalse(Files.exists(stateDir(id)), "state directory " + stateDir(id));
    assertEquals(List.of(), h.cgroupLeftovers());
    assertEquals(List.of(), h.listIds());
  }

  /** capsa state as the JVM prints it. */
  private String stateFromJvm(String id) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(h.capsaCommand("state", id)).directory(h.dir().toFile());
    pb.environment().put("CAPSA_NO_FAST_PATH", "1");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  /** In every status, the launcher's state is the JVM's, byte for byte. */
  @Test
  void stateNeedsNoJvmInAnyStatus() throws Exception {
    Path go = untilGo();
    h.config().put("annotations", new LinkedHashMap<>(Map.of("org.example.note", "größer")));
    String id = h.newId();
    h.create(id);
    List<String> seen = new ArrayList<>();
    Runnable[] steps = {
        () -> {},
        () -> h.capsa("pause", id).ok(),
        () -> {
          h.capsa("resume", id).ok();
          h.capsa("start", id).ok();
        },
        () -> {
          try {
            Files.createFile(go);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          h.awaitStatus(id, "stopped");
        }};
    for (Runnable step : steps) {
      step.run();
      Harness.Result r = withoutJvm("state", id);
      assertEquals(0, r.status(), r::toString);
      assertEquals(stateFromJvm(id), r.stdout());
      seen.add((String) Harness.asMap(dev.capsa.json.Json.parse(r.stdout())).get("status"));
    }
    assertEquals(List.of("created", "paused", "running", "stopped"), seen);
    h.capsa("delete", id).ok();
    Harness.Result r = withoutJvm("state", id);
    assertTrue(r.stderr().contains(NO_JVM), "an unknown id is the JVM's: " + r);
  }

  @Test
  void theErrorsOfStartAndDeleteAreTheJvmsWords() throws Exception {
    Path go = untilGo();
    String id = h.newId();
    h.create(id);

    Harness.Result r = withoutJvm("delete", id);
    assertNotEquals(0, r.status(), r::toString);
    assertTrue(r.stderr().contains(NO_JVM), "delete of a created container is Java's: " + r);
    assertEquals("created", h.status(id));
    r = withoutJvm("delete", "--force", id);
    assertTrue(r.stderr().contains(NO_JVM), "delete --force of a created one kills: Java's: " + r);
    assertEquals("created", h.status(id));

    h.capsa("start", id).ok();
    r = withoutJvm("start", id);
    assertTrue(r.stderr().contains(NO_JVM), "start of a running container is Java's: " + r);
    r = h.capsa("start", id).failed();
    assertTrue(r.stderr().contains("it is running, not created"), r::toString);
    r = h.capsa("delete", id).failed();
    assertTrue(r.stderr().contains("not stopped"), r::toString);

    Files.createFile(go);
    h.awaitStatus(id, "stopped");
    r = withoutJvm("--debug", "delete", id);
    assertTrue(r.stderr().contains(NO_JVM), "--debug is the JVM's: " + r);
    r = withoutJvm("delete", "--force", "no-such-container");
    assertTrue(r.stderr().contains(NO_JVM), "an unknown id is the JVM's: " + r);
    // podman deletes with --force: of a stopped container, that is a delete.
    r = withoutJvm("delete", "--force", id);
    assertEquals(0, r.status(), r::toString);
    assertFalse(Files.exists(stateDir(id)), "state directory " + stateDir(id));
    r = h.capsa("start", id).failed();
    assertTrue(r.stderr().contains("does not exist"), r::toString);
  }

  @Test
  void hooksAreRunByTheJvm() throws Exception {
    h.args("true");
    Path log = h.dir().resolve("hooks.log");
    Map<String, Object> hooks = new LinkedHashMap<>();
    for (String kind : List.of("poststart", "poststop")) {
      Map<String, Object> hook = new LinkedHashMap<>();
      hook.put("path", "/bin/busybox");
      hook.put("args", new ArrayList<>(List.of("sh", "-c", "echo " + kind + " >> " + log)));
      hooks.put(kind, new ArrayList<>(List.of(hook)));
    }
    h.config().put("hooks", hooks);
    String id = h.newId();
    h.create(id);
    List<String> fastpath = Files.readAllLines(stateDir(id).resolve("fastpath"));
    assertFalse(fastpath.contains("start") || fastpath.contains("delete"), fastpath::toString);

    Harness.Result r = withoutJvm("start", id);
    assertTrue(r.stderr().contains(NO_JVM), r::toString);
    assertEquals("created", h.status(id), "nothing was done before handing over");
    h.capsa("start", id).ok();
    h.awaitStatus(id, "stopped");
    r = withoutJvm("delete", id);
    assertTrue(r.stderr().contains(NO_JVM), r::toString);
    assertEquals("stopped", h.status(id));
    h.capsa("delete", id).ok();
    assertEquals(List.of("poststart", "poststop"), Files.readAllLines(log));
  }

  @Test
  void aPausedContainerIsStartedByTheJvm() throws Exception {
    Path go = untilGo();
    String id = h.newId();
    h.create(id);
    h.capsa("pause", id).ok();
    Harness.Result r = withoutJvm("start", id);
    assertTrue(r.stderr().contains(NO_JVM), r::toString);
    assertEquals("paused", h.status(id));
    assertTrue(Files.exists(stateDir(id).resolve("exec.fifo")), "the gate is still closed");
    h.capsa("resume", id).ok();
    assertEquals(0, withoutJvm("start", id).status());
    assertEquals("running", h.status(id));
    Files.createFile(go);
    h.awaitStatus(id, "stopped");
    h.capsa("delete", id).ok();
  }

  /**
   * Without a pid namespace, a process the container started outlives its
   * first one in the cgroup. The launcher sees it before removing anything;
   * Java's delete kills it.
   */
  @Test
  void aCgroupWithProcessesLeftIsDeletedByTheJvm() throws Exception {
    h.removeNamespace("pid");
    Path shared = h.shared();
    h.script("sleep 1000 & echo $! > /shared/sleeper; exit 0");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    h.awaitStatus(id, "stopped");
    Path sleeperFile = shared.resolve("sleeper");
    for (int i = 0; i < 500 && !Files.exists(sleeperFile); i++) {
      Thread.sleep(10);
    }
    String sleeper = Files.readString(sleeperFile).trim();
    assertTrue(running(sleeper), "the sleeper runs: " + sleeper);

    Harness.Result r = withoutJvm("delete", id);
    assertTrue(r.stderr().contains(NO_JVM), r::toString);
    assertTrue(Files.exists(stateDir(id).resolve("state.json")), "nothing removed before handing over");
    assertFalse(h.cgroupLeftovers().isEmpty(), "nor the cgroup");

    h.capsa("delete", id).ok();
    for (int i = 0; i < 500 && running(sleeper); i++) {
      Thread.sleep(10);
    }
    assertFalse(running(sleeper), "delete killed the sleeper");
    assertEquals(List.of(), h.cgroupLeftovers());
  }
}
