package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code linux.seccomp} (config-linux.md "Seccomp"), observed from inside the container. */
class SeccompIT {
  @RegisterExtension final Harness h = new Harness();

  /** A profile allowing everything but the rules given. */
  @SafeVarargs
  private final Map<String, Object> profile(Map<String, Object>... rules) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("defaultAction", "SCMP_ACT_ALLOW");
    p.put("architectures", new ArrayList<>(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86")));
    p.put("syscalls", new ArrayList<>(Arrays.asList(rules)));
    h.linux().put("seccomp", p);
    return p;
  }

  private static Map<String, Object> rule(String action, String... names) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("names", new ArrayList<>(Arrays.asList(names)));
    r.put("action", action);
    return r;
  }

  private static Map<String, Object> arg(int index, long value, String op) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("index", index);
    a.put("value", value);
    a.put("op", op);
    return a;
  }

  @ParameterizedTest(name = "noNewPrivileges {0}")
  @ValueSource(booleans = {true, false})
  void deniedSyscallFailsWithEperm(boolean noNewPrivileges) {
    h.process().put("noNewPrivileges", noNewPrivileges);
    // Not root: without no_new_privs, loading the filter needs CAP_SYS_ADMIN, which an
    // ordinary user does not have; capsa must load it while it still can.
    h.user(1000, 1000);
    profile(rule("SCMP_ACT_ERRNO", "mkdir", "mkdirat"));
    Harness.Result r = h.run("mkdir /dev/shm/d; echo ==status==; "
        + "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; echo ==touch==; "
        + "touch /dev/shm/f && echo touched");
    r.ok();
    assertTrue(r.stderr().contains("Operation not permitted"), r::toString);
    Map<String, String> out = Inside.sections(r.stdout());
    Map<String, String> status = Inside.keyValues(out.get("status"));
    assertEquals("2", status.get("Seccomp"), () -> "filter mode: " + r);
    assertEquals(noNewPrivileges ? "1" : "0", status.get("NoNewPrivs"), r::toString);
    assertEquals("touched", out.get("touch"), () -> "other syscalls are allowed: " + r);
  }

  @Test
  void errnoRetIsTheErrorReturned() {
    Map<String, Object> deny = rule("SCMP_ACT_ERRNO", "mkdir", "mkdirat");
    deny.put("errnoRet", 13);
    profile(deny);
    Harness.Result r = h.run("mkdir /dev/shm/d");
    assertEquals(1, r.status(), r::toString);
    assertTrue(r.stderr().contains("Permission denied"), r::toString);
  }

  @Test
  void anArgumentConditionDeniesOnlyMatchingCalls() {
    // socket(AF_INET=2, ...) is denied; socket(AF_NETLINK...) and socket(AF_INET6...) are not.
    Map<String, Object> deny = rule("SCMP_ACT_ERRNO", "socket");
    deny.put("args", new ArrayList<>(List.of(arg(0, 2, "SCMP_CMP_EQ"))));
    profile(deny);
    Harness.Result r = h.run("echo ==inet==; nc -w 1 127.0.0.1 1 2>&1; echo ==inet6==; "
        + "nc -w 1 ::1 1 2>&1; echo ==netlink==; ip link show lo >/dev/null && echo ok");
    Map<String, String> out = Inside.sections(r.stdout());
    assertTrue(out.get("inet").contains("socket: Operation not permitted"), r::toString);
    assertFalse(out.get("inet6").contains("socket:"), () -> "AF_INET6 gets a socket: " + r);
    assertEquals("ok", out.get("netlink"), r::toString);
  }

  @Test
  void unknownSyscallNamesAreSkipped() {
    profile(rule("SCMP_ACT_ERRNO", "capsa_no_such_syscall", "mkdir", "mkdirat"));
    Harness.Result r = h.run("mkdir /dev/shm/d; echo status=$?");
    r.ok();
    assertEquals("status=1", r.stdout().strip(), r::toString);
    assertTrue(r.stderr().contains("Operation not permitted"), r::toString);
  }

  @Test
  void anUnknownActionIsAnErrorNamingTheField() {
    profile(rule("SCMP_ACT_ALLOW", "read"), rule("SCMP_ACT_EXPLODE", "mkdir"));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.seccomp.syscalls[1].action"), r::toString);
    assertTrue(r.stderr().contains("SCMP_ACT_EXPLODE"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void anUnknownDefaultActionIsAnErrorNamingTheField() {
    profile().put("defaultAction", "SCMP_ACT_MAYBE");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.seccomp.defaultAction"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void notifyWithoutAListenerPathIsRefused() {
    profile(rule("SCMP_ACT_NOTIFY", "mkdir"));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.seccomp.listenerPath"), r::toString);
    h.assertNoContainer(id);
  }

  /**
   * config-linux.md "The Container Process State": the agent at listenerPath gets the state
   * and the listener fd during create. Our agent records them and closes the fd, so the
   * notified syscall (mkdir, which the container calls after start) fails with ENOSYS.
   */
  @Test
  void notifyHandsTheListenerToTheAgent() {
    Agents.Agent agent = Agents.seccompAgent(h);
    Map<String, Object> p = profile(rule("SCMP_ACT_NOTIFY", "mkdir", "mkdirat"));
    p.put("listenerPath", agent.socket().toString());
    p.put("listenerMetadata", "capsa-it metadata");
    h.script("ls -l /proc/$$/fd; mkdir /dev/shm/d; echo mkdir=$?");
    String id = h.newId();
    Harness.Invocation create = h.start("create", "--bundle", h.bundle().toString(), id);
    create.await().ok();
    long pid = ((Number) h.state(id).get("pid")).longValue();

    Map<String, Object> got = Harness.asMap(Json.parse(agent.await("json")));
    assertEquals(List.of("anon_inode:seccomp notify"), got.get("fds"), got::toString);
    Map<String, Object> msg = Harness.asMap(Json.parse((String) got.get("message")));
    assertTrue(msg.get("ociVersion") instanceof String, msg::toString);
    assertEquals(List.of("seccompFd"), msg.get("fds"), msg::toString);
    assertEquals(pid, ((Number) msg.get("pid")).longValue(), msg::toString);
    assertEquals("capsa-it metadata", msg.get("metadata"), msg::toString);
    Map<String, Object> state = Harness.asMap(msg.get("state"));
    assertEquals(id, state.get("id"), msg::toString);
    assertEquals("creating", state.get("status"), msg::toString);
    assertEquals(h.bundle().toString(), state.get("bundle"), msg::toString);

    h.capsa("start", id).ok();
    h.awaitStatus(id, "stopped");
    String out = create.stdoutNow();
    assertTrue(out.contains("mkdir=1"), () -> out + create.stderrNow());
    assertTrue(create.stderrNow().contains("Function not implemented"),
        () -> "the listener closed, the notified syscall fails with ENOSYS: " + create.stderrNow());
    assertFalse(out.contains("seccomp notify"),
        () -> "the listener fd must not reach the container's process: " + out);
    h.capsa("delete", id).ok();
  }
}
