package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * config.md "POSIX-platform Hooks" and runtime.md "Lifecycle": the six kinds, in order, each
 * with the state on its stdin, in its namespace, with its args, env and timeout, and what a
 * failing hook does.
 */
class HooksIT {
  @RegisterExtension final Harness h = new Harness();

  private static final List<String> KINDS = List.of("prestart", "createRuntime",
      "createContainer", "startContainer", "poststart", "poststop");

  /**
   * The hook: busybox's sh (so that args[0], "sh", must reach it as given: busybox picks
   * the applet by it), with $0 the kind and $1 the log directory. It appends its kind to
   * {@code order}, saves its stdin to {@code KIND.state}, and its namespaces, arguments and
   * environment to {@code KIND.info}.
   */
  private static final String LOGGER = "k=$0; d=$1; echo $k >> $d/order; cat > $d/$k.state; "
      + "{ echo ==mnt==; readlink /proc/self/ns/mnt; echo ==uts==; readlink /proc/self/ns/uts; "
      + "echo ==args==; echo $#; for a in \"$@\"; do echo \"[$a]\"; done; "
      + "echo ==env==; env; } > $d/$k.info";

  private static final List<String> ENV = List.of("HOOK_A=1", "HOOK_B=x y", "PATH=/bin:/usr/bin");

  private Path log;

  /** The log directory on the host (the container sees it at /shared). */
  private Path log() {
    if (log == null) {
      log = h.shared();
    }
    return log;
  }

  private Map<String, Object> hooks() {
    Object o = h.config().get("hooks");
    if (o == null) {
      o = new LinkedHashMap<String, Object>();
      h.config().put("hooks", o);
    }
    return Harness.asMap(o);
  }

  /** Appends a hook of {@code kind}; returns it. */
  private Map<String, Object> hook(String kind, String path, List<String> args, Integer timeout) {
    Map<String, Object> hk = new LinkedHashMap<>();
    hk.put("path", path);
    hk.put("args", new ArrayList<>(args));
    hk.put("env", new ArrayList<>(ENV));
    if (timeout != null) {
      hk.put("timeout", timeout);
    }
    Harness.asList(hooks().computeIfAbsent(kind, k -> new ArrayList<>())).add(hk);
    return hk;
  }

  /** A logging hook of {@code kind}; startContainer's path and log resolve in the container. */
  private void logger(String kind) {
    String dir = kind.equals("startContainer") ? "/shared" : log().toString();
    hook(kind, "/bin/busybox", List.of("sh", "-c", LOGGER, kind, dir, "one", "two words"), null);
  }

  /** A hook that prints to stderr and exits with {@code status}. */
  private void failing(String kind, int status) {
    hook(kind, "/bin/busybox", List.of("sh", "-c", "echo hook-said-no >&2; exit " + status), null);
  }

  private List<String> order() throws IOException {
    Path f = log().resolve("order");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }

  private Map<String, Object> stateSeenBy(String kind) throws IOException {
    return Harness.asMap(Json.parse(Files.readString(log().resolve(kind + ".state"))));
  }

  private Map<String, String> infoOf(String kind) throws IOException {
    return Inside.sections(Files.readString(log().resolve(kind + ".info")));
  }

  private static long pid(Map<String, Object> state) {
    return ((Number) state.get("pid")).longValue();
  }

  @Test
  void allSixKindsRunInOrderWithTheirStateNamespaceArgsAndEnv() throws IOException {
    for (String kind : KINDS) {
      logger(kind);
    }
    h.script("while [ ! -e /shared/go ]; do sleep 0.01; done; "
        + "readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts");
    String id = h.newId();
    Harness.Invocation create = h.start("create", "--bundle", h.bundle().toString(), id);
    create.await().ok();
    assertEquals(List.of("prestart", "createRuntime", "createContainer"), order());
    long pid = pid(h.state(id));

    h.capsa("start", id).ok();
    assertEquals(List.of("prestart", "createRuntime", "createContainer", "startContainer",
        "poststart"), order(), "start returns after the poststart hooks");
    Files.createFile(log().resolve("go"));
    h.awaitStatus(id, "stopped");
    h.capsa("delete", id).ok();
    assertEquals(KINDS, order());

    // The state on stdin (runtime.md "State").
    Map<String, String> status = Map.of("prestart", "creating", "createRuntime", "creating",
        "createContainer", "creating", "startContainer", "created", "poststart", "running",
        "poststop", "stopped");
    for (String kind : KINDS) {
      Map<String, Object> s = stateSeenBy(kind);
      assertEquals(id, s.get("id"), () -> kind + ": " + s);
      assertEquals(h.bundle().toString(), s.get("bundle"), () -> kind + ": " + s);
      assertTrue(s.get("ociVersion") instanceof String, () -> kind + ": " + s);
      assertEquals(status.get(kind), s.get("status"), () -> kind + ": " + s);
    }
    for (String kind : List.of("prestart", "createRuntime", "poststart")) {
      assertEquals(pid, pid(stateSeenBy(kind)), () -> kind + " sees the host's pid");
    }
    for (String kind : List.of("createContainer", "startContainer")) {
      assertEquals(1, pid(stateSeenBy(kind)), () -> kind + " sees the pid in the container's"
          + " pid namespace");
    }

    // The namespace each ran in.
    List<String> container = create.stdoutNow().lines().toList();
    assertEquals(2, container.size(), create.stdoutNow());
    String mnt = container.get(0);
    String uts = container.get(1);
    assertNotEquals(Harness.hostNamespace("mnt"), mnt);
    for (String kind : KINDS) {
      Map<String, String> info = infoOf(kind);
      boolean inContainer = kind.equals("createContainer") || kind.equals("startContainer");
      assertEquals(inContainer ? mnt : Harness.hostNamespace("mnt"), info.get("mnt"),
          () -> kind + ": mount namespace");
      assertEquals(inContainer ? uts : Harness.hostNamespace("uts"), info.get("uts"),
          () -> kind + ": uts namespace");
    }

    // args (beyond args[0], which busybox needed to run sh) and env, exactly as configured.
    for (String kind : KINDS) {
      Map<String, String> info = infoOf(kind);
      String dir = kind.equals("startContainer") ? "/shared" : log().toString();
      assertEquals("3\n[" + dir + "]\n[one]\n[two words]", info.get("args"), kind);
      Set<String> env = new TreeSet<>(info.get("env").lines()
          // sh's own variables
          .filter(l -> !l.startsWith("SHLVL=") && !l.startsWith("PWD=")).toList());
      assertEquals(new TreeSet<>(ENV), env, () -> kind + ": " + info.get("env"));
    }
  }

  @Test
  void aHookPastItsTimeoutFailsCreate() throws IOException {
    hook("createRuntime", "/bin/sleep", List.of("sleep", "5"), 1);
    logger("poststop");
    String id = h.newId();
    long t0 = System.nanoTime();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(r.stderr().contains("hooks.createRuntime[0]"), r::toString);
    assertTrue(r.stderr().contains("timed out"), r::toString);
    assertTrue(ms < 4000, () -> "create took " + ms + " ms for a 1 s timeout");
    h.assertNoContainer(id);
    assertEquals(List.of("poststop"), order(), "the poststop hooks run after a failed create hook");
  }

  @Test
  void aHookPastItsTimeoutFailsStart() throws IOException {
    hook("startContainer", "/bin/sleep", List.of("sleep", "5"), 1);
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = pid(h.state(id));
    Harness.Result r = h.capsa("start", id).status(1);
    assertTrue(r.stderr().contains("hooks.startContainer[0]"), r::toString);
    assertTrue(r.stderr().contains("timed out"), r::toString);
    Harness.poll("container process " + pid + " to be gone", () -> !isContainer(pid));
    h.assertNoContainer(id);
  }

  /** True while {@code pid} is a live process in a mount namespace other than ours. */
  private static boolean isContainer(long pid) {
    try {
      return !Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")).toString()
          .equals(Harness.hostNamespace("mnt"));
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aFailingCreateRuntimeHookFailsCreateAndRunsPoststop() throws IOException {
    logger("prestart");
    failing("createRuntime", 3);
    logger("createContainer");
    logger("poststop");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("hooks.createRuntime[0]"), r::toString);
    assertTrue(r.stderr().contains("3"), r::toString);
    assertTrue(r.stderr().contains("hook-said-no"), () -> "the hook's own message: " + r);
    h.assertNoContainer(id);
    assertEquals(List.of("prestart", "poststop"), order(),
        "the hooks after the failing one do not run; poststop does");
  }

  @Test
  void aFailingSecondHookStopsTheRestOfItsKind() throws IOException {
    logger("createRuntime");
    failing("createRuntime", 1);
    hook("createRuntime", "/bin/busybox", List.of("sh", "-c", LOGGER, "third", log().toString()),
        null);
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("hooks.createRuntime[1]"), r::toString);
    assertEquals(List.of("createRuntime"), order());
    h.assertNoContainer(id);
  }

  @Test
  void aFailingPoststartHookFailsStartAndDestroysTheContainer() throws IOException {
    failing("poststart", 4);
    logger("poststop");
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = pid(h.state(id));
    Harness.Result r = h.capsa("start", id).status(1);
    assertTrue(r.stderr().contains("hooks.poststart[0]"), r::toString);
    assertTrue(r.stderr().contains("hook-said-no"), r::toString);
    Harness.poll("container process " + pid + " to be gone", () -> !isContainer(pid));
    Harness.Result state = h.capsa("state", id).status(1);
    assertTrue(state.stderr().contains("does not exist"), state::toString);
    h.assertNoContainer(id);
    assertEquals(List.of("poststop"), order());
  }

  @Test
  void aFailingPoststopHookIsOnlyAWarning() throws IOException {
    failing("poststop", 5);
    h.args("true");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    h.awaitStatus(id, "stopped");
    Harness.Result r = h.capsa("delete", id).ok();
    assertTrue(r.stderr().contains("hooks.poststop[0]"), r::toString);
    assertTrue(r.stderr().toLowerCase().contains("warn"), () -> "a warning: " + r);
    h.assertNoContainer(id);
  }

  @Test
  void runRunsEveryKind() throws IOException {
    for (String kind : KINDS) {
      logger(kind);
    }
    h.runOk("true");
    assertEquals(KINDS, order());
  }

  @Test
  void aHookThatDoesNotExistFailsCreate() {
    hook("createRuntime", "/capsa/no/such/hook", List.of("hook"), null);
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("hooks.createRuntime[0]"), r::toString);
    assertTrue(r.stderr().contains("/capsa/no/such/hook"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void containerNamespaceHooksRunInAContainerWithAUserNamespace() throws IOException {
    UserNamespacesIT.userNamespace(h);
    logger("createContainer");
    logger("startContainer");
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==mnt==; readlink /proc/self/ns/mnt"));
    assertEquals(List.of("createContainer", "startContainer"), order());
    for (String kind : List.of("createContainer", "startContainer")) {
      assertEquals(out.get("mnt"), infoOf(kind).get("mnt"), kind);
    }
  }
}
