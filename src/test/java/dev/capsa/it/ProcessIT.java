package dev.capsa.it;

import static dev.capsa.it.Inside.CAP_AUDIT_WRITE;
import static dev.capsa.it.Inside.CAP_CHOWN;
import static dev.capsa.it.Inside.CAP_KILL;
import static dev.capsa.it.Inside.CAP_NET_BIND_SERVICE;
import static dev.capsa.it.Inside.CAP_NET_RAW;
import static dev.capsa.it.Inside.capMask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The container process: credentials, capabilities, limits, cwd, env and exit status. */
class ProcessIT {
  @RegisterExtension final Harness h = new Harness();

  private Map<String, String> procStatus() {
    return Inside.keyValues(h.runOk("cat /proc/self/status"));
  }

  // ------------------------------------------------------------------ user

  @Test
  void userAndGroups() {
    h.user(1000, 1001, 5L, 65534L);
    Harness.Result r = h.run("echo ==uid==; id -u; echo ==gid==; id -g; echo ==groups==; id -G; "
        + "echo ==status==; grep -E '^(Uid|Gid|Groups)' /proc/self/status");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("1000", out.get("uid"), r::toString);
    assertEquals("1001", out.get("gid"), r::toString);
    Set<String> groups = Set.of(out.get("groups").split("\\s+"));
    assertTrue(groups.containsAll(Set.of("5", "65534")), r::toString);
    Map<String, String> status = Inside.keyValues(out.get("status"));
    assertEquals("1000 1000 1000 1000", status.get("Uid").replaceAll("\\s+", " "));
    assertEquals("1001 1001 1001 1001", status.get("Gid").replaceAll("\\s+", " "));
    assertEquals("5 65534", status.get("Groups").replaceAll("\\s+", " ").strip());
  }

  @Test
  void rootHasNoSupplementaryGroups() {
    Map<String, String> status = procStatus();
    assertEquals("0 0 0 0", status.get("Uid").replaceAll("\\s+", " "));
    assertEquals("0 0 0 0", status.get("Gid").replaceAll("\\s+", " "));
    assertEquals("", status.get("Groups"), "the caller's groups must not leak into the container");
  }

  @Test
  void umask() {
    h.user(0, 0).put("umask", 027);
    assertEquals("0027", h.runOk("umask").strip());
  }

  @Test
  void umaskAppliesToNewFiles() {
    h.user(0, 0).put("umask", 077);
    assertEquals("600", h.runOk("touch /dev/shm/f; stat -c %a /dev/shm/f").strip());
  }

  // ------------------------------------------------------------------ capabilities

  private void capabilities(Map<String, List<String>> sets) {
    Map<String, Object> caps = new LinkedHashMap<>();
    sets.forEach((k, v) -> caps.put(k, new ArrayList<>(v)));
    h.process().put("capabilities", caps);
  }

  @Test
  void defaultCapabilities() {
    // capsa spec: AUDIT_WRITE, KILL and NET_BIND_SERVICE in bounding, effective and permitted.
    Map<String, String> s = procStatus();
    String mask = capMask(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE);
    assertEquals(mask, s.get("CapBnd"));
    assertEquals(mask, s.get("CapPrm"));
    assertEquals(mask, s.get("CapEff"));
    assertEquals(capMask(), s.get("CapInh"));
    assertEquals(capMask(), s.get("CapAmb"));
  }

  @Test
  void boundingSetWiderThanPermitted() {
    // Root with no_new_privs: execve keeps permitted within what it was; effective = permitted.
    capabilities(Map.of(
        "bounding", List.of("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"),
        "permitted", List.of("CAP_KILL", "CAP_NET_BIND_SERVICE"),
        "effective", List.of("CAP_KILL", "CAP_NET_BIND_SERVICE")));
    Map<String, String> s = procStatus();
    assertEquals(capMask(CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE), s.get("CapBnd"));
    assertEquals(capMask(CAP_KILL, CAP_NET_BIND_SERVICE), s.get("CapPrm"));
    assertEquals(capMask(CAP_KILL, CAP_NET_BIND_SERVICE), s.get("CapEff"));
    assertEquals(capMask(), s.get("CapInh"));
    assertEquals(capMask(), s.get("CapAmb"));
  }

  @Test
  void ambientCapabilitiesOfANonRootUser() {
    // A non-root process keeps across execve only its ambient capabilities (capabilities(7)).
    h.user(1000, 1000);
    capabilities(Map.of(
        "bounding", List.of("CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"),
        "permitted", List.of("CAP_KILL", "CAP_NET_BIND_SERVICE"),
        "effective", List.of("CAP_NET_BIND_SERVICE"),
        "inheritable", List.of("CAP_NET_BIND_SERVICE"),
        "ambient", List.of("CAP_NET_BIND_SERVICE")));
    Map<String, String> s = procStatus();
    assertEquals(capMask(CAP_KILL, CAP_NET_BIND_SERVICE, CAP_NET_RAW), s.get("CapBnd"));
    assertEquals(capMask(CAP_NET_BIND_SERVICE), s.get("CapInh"));
    assertEquals(capMask(CAP_NET_BIND_SERVICE), s.get("CapAmb"));
    assertEquals(capMask(CAP_NET_BIND_SERVICE), s.get("CapPrm"));
    assertEquals(capMask(CAP_NET_BIND_SERVICE), s.get("CapEff"));
    assertEquals("1000 1000 1000 1000", s.get("Uid").replaceAll("\\s+", " "));
  }

  @Test
  void nonRootWithoutAmbientCapabilitiesHasNone() {
    h.user(1000, 1000);
    Map<String, String> s = procStatus();
    assertEquals(capMask(), s.get("CapPrm"));
    assertEquals(capMask(), s.get("CapEff"));
    assertEquals(capMask(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE), s.get("CapBnd"));
  }

  @Test
  void unknownCapabilityIsAWarning() {
    capabilities(Map.of(
        "bounding", List.of("CAP_KILL", "CAP_NO_SUCH_THING"),
        "permitted", List.of("CAP_KILL"),
        "effective", List.of("CAP_KILL")));
    h.script("grep CapBnd /proc/self/status");
    Harness.Result r = h.runConfigured().ok();
    assertTrue(r.stderr().contains("CAP_NO_SUCH_THING"), r::toString);
    assertTrue(r.stderr().toLowerCase().contains("warn"), r::toString);
    assertEquals(capMask(CAP_KILL), Inside.keyValues(r.stdout()).get("CapBnd"), r::toString);
  }

  // ------------------------------------------------------------------ rlimits, nnp, oom

  private static Map<String, Object> rlimit(String type, long soft, long hard) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("type", type);
    r.put("soft", soft);
    r.put("hard", hard);
    return r;
  }

  @Test
  void rlimits() {
    h.process().put("rlimits", new ArrayList<>(List.of(
        rlimit("RLIMIT_NOFILE", 123, 456), rlimit("RLIMIT_NPROC", 1000, 2000))));
    Harness.Result r = h.run("echo ==soft==; ulimit -n; echo ==hard==; ulimit -Hn; "
        + "echo ==limits==; cat /proc/self/limits");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("123", out.get("soft"));
    assertEquals("456", out.get("hard"));
    assertTrue(out.get("limits").lines().anyMatch(
        l -> l.matches("Max open files\\s+123\\s+456\\s+files\\s*")), r::toString);
    assertTrue(out.get("limits").lines().anyMatch(
        l -> l.matches("Max processes\\s+1000\\s+2000\\s+processes\\s*")), r::toString);
  }

  @Test
  void duplicateRlimitFailsCreate() {
    h.process().put("rlimits", new ArrayList<>(List.of(
        rlimit("RLIMIT_NOFILE", 100, 100), rlimit("RLIMIT_NOFILE", 200, 200))));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("process.rlimits[1]"), r::toString);
    assertTrue(r.stderr().contains("RLIMIT_NOFILE"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void unknownRlimitFailsCreate() {
    h.process().put("rlimits", new ArrayList<>(List.of(rlimit("RLIMIT_BOGUS", 1, 1))));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("RLIMIT_BOGUS"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void noNewPrivilegesTrue() {
    h.process().put("noNewPrivileges", true);
    assertEquals("1", procStatus().get("NoNewPrivs"));
  }

  @Test
  void noNewPrivilegesFalse() {
    h.process().put("noNewPrivileges", false);
    assertEquals("0", procStatus().get("NoNewPrivs"));
  }

  @Test
  void oomScoreAdj() {
    // Raising needs no privilege; lowering needs CAP_SYS_RESOURCE, which this host may lack.
    h.process().put("oomScoreAdj", 500);
    assertEquals("500", h.runOk("cat /proc/self/oom_score_adj").strip());
  }

  // ------------------------------------------------------------------ cwd, env

  @Test
  void cwd() {
    h.cwd("/tmp");
    assertEquals("/tmp", h.runOk("pwd").strip());
  }

  @Test
  void cwdThatIsNotInTheImageIsMade() {
    h.cwd("/work/not/in/image");
    assertEquals("/work/not/in/image", h.runOk("pwd").strip());
    assertTrue(Files.isDirectory(h.rootfs().resolve("work/not/in/image")));
  }

  @Test
  void env() {
    h.env("PATH=/bin:/sbin", "FOO=bar baz", "EMPTY=", "CAPSA_IT=1");
    String out = h.runOk("env");
    List<String> lines = out.lines().toList();
    for (String e : List.of("PATH=/bin:/sbin", "FOO=bar baz", "EMPTY=", "CAPSA_IT=1")) {
      assertTrue(lines.contains(e), () -> e + " missing from\n" + out);
    }
    Set<String> names = new HashSet<>();
    for (String l : lines) {
      names.add(l.substring(0, l.indexOf('=')));
    }
    names.removeAll(Set.of("PATH", "FOO", "EMPTY", "CAPSA_IT"));
    // What busybox sh itself exports.
    names.removeAll(Set.of("PWD", "SHLVL", "OLDPWD", "_"));
    assertEquals(Set.of(), names, () -> "variables nobody configured:\n" + out);
  }

  @Test
  void argsAreExecutedAsGiven() {
    h.args("echo", "two  spaces", "$HOME", "*");
    assertEquals("two  spaces $HOME *\n", h.runConfigured().ok().stdout());
  }

  // ------------------------------------------------------------------ exit status

  @Test
  void runReturnsTheExitStatus() {
    assertEquals(3, h.run("exit 3").status());
    assertEquals(0, h.run("true").status());
  }

  @Test
  void runReturns128PlusTheSignal() {
    String id = h.newId();
    h.args("sleep", "100");
    Harness.Invocation run = h.start("run", "--bundle", h.bundle().toString(), id);
    h.awaitStatus(id, "running", run);
    h.capsa("kill", id, "KILL").ok();
    Harness.Result r = run.await();
    assertEquals(137, r.status(), r::toString);
    assertEquals(List.of(), h.listIds(), "run deletes the container after it exits");
  }
}
