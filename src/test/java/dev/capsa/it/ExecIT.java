package dev.capsa.it;

import static dev.capsa.it.Inside.CAP_AUDIT_WRITE;
import static dev.capsa.it.Inside.CAP_KILL;
import static dev.capsa.it.Inside.CAP_NET_BIND_SERVICE;
import static dev.capsa.it.Inside.CAP_NET_RAW;
import static dev.capsa.it.Inside.capMask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.capsa.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** runc's exec: a new process in a running container, from flags or a process.json. */
class ExecIT {
  @RegisterExtension final Harness h = new Harness();

  private static final List<String> NAMESPACES = List.of("cgroup", "ipc", "mnt", "net", "pid",
      "uts");

  // ------------------------------------------------------------------ helpers

  /** A created and started container running {@code sleep 1000}. */
  private String running() {
    h.args("sleep", "1000");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    return id;
  }

  private long pid(String id) {
    return ((Number) h.state(id).get("pid")).longValue();
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path writeJson(String name, Object tree) {
    Path p = h.dir().resolve(name);
    try {
      Files.writeString(p, Json.writePretty(tree));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** A shell word: the arguments here are paths and ids without quotes. */
  private static String quote(String s) {
    return "'" + s + "'";
  }

  private String capsaLine(String... args) {
    return h.capsaCommand(args).stream().map(ExecIT::quote).collect(Collectors.joining(" "));
  }

  private Map<String, String> status(String text) {
    return Inside.keyValues(text);
  }

  // ------------------------------------------------------------------ where it runs

  @Test
  void execRunsInTheContainersNamespacesAndCgroup() {
    String id = running();
    long pid = pid(id);
    Harness.Result r = h.capsa("exec", id, "sh", "-c", "echo ==hostname==; hostname;"
        + " echo ==ns==; for n in " + String.join(" ", NAMESPACES) + "; do"
        + " echo \"$n $(readlink /proc/self/ns/$n)\"; done;"
        + " echo ==self==; cat /proc/self/cgroup; echo ==init==; cat /proc/1/cgroup").ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("capsa", out.get("hostname"), r::toString);
    List<String> expected = new ArrayList<>();
    for (String n : NAMESPACES) {
      expected.add(n + " " + Harness.namespaceOf(pid, n));
    }
    assertEquals(expected, out.get("ns").lines().toList(), "the container's namespaces");
    assertEquals(out.get("init"), out.get("self"), "the container's cgroup");
    assertTrue(out.get("self").lines().allMatch(l -> l.endsWith(":/")), r::toString);
  }

  @Test
  void detachWithPidFile() throws IOException {
    String id = running();
    long init = pid(id);
    Path pidFile = h.dir().resolve("exec.pid");
    Harness.Result r = h.capsa("exec", "--detach", "--pid-file", pidFile.toString(), id, "sleep",
        "77").ok();
    assertEquals("", r.stdout());
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    assertEquals("sleep\u000077\u0000", read(Path.of("/proc/" + pid + "/cmdline")),
        "the pid file names the exec'd process");
    for (String n : NAMESPACES) {
      assertEquals(Harness.namespaceOf(init, n), Harness.namespaceOf(pid, n), n);
    }
    assertEquals(read(Path.of("/proc/" + init + "/cgroup")), read(Path.of("/proc/" + pid
        + "/cgroup")), "the host sees it in the container's cgroup");
    String ps = h.capsa("ps", "--format", "json", id).ok().stdout();
    assertTrue(Harness.asList(Json.parse(ps)).stream()
        .anyMatch(o -> ((Number) o).longValue() == pid), ps);
  }

  // ------------------------------------------------------------------ exit status

  @Test
  void exitStatusPassesThrough() {
    String id = running();
    assertEquals(0, h.capsa("exec", id, "true").status());
    h.capsa("exec", id, "sh", "-c", "exit 7").status(7);
    h.capsa("exec", id, "sh", "-c", "kill -KILL $$").status(137);
    Harness.Result r = h.capsa("exec", id, "sh", "-c", "echo out; echo err >&2").ok();
    assertEquals("out\n", r.stdout());
    assertTrue(r.stderr().contains("err"), r::toString);
  }

  @Test
  void aMissingProgramIs255() {
    String id = running();
    Harness.Result r = h.capsa("exec", id, "/no/such/program").status(255);
    assertTrue(r.stderr().contains("exec failed"), r::toString);
    assertEquals("running", h.status(id), "the container is unharmed");
  }

  // ------------------------------------------------------------------ flags

  @Test
  void envFlags() {
    String id = running();
    Harness.Result r = h.capsa("exec", "-e", "FOO=bar", "--env", "TERM=dumb", id, "sh", "-c",
        "echo $FOO; echo $TERM; env | grep -c ^TERM=; echo $PATH").ok();
    assertEquals(List.of("bar", "dumb", "1",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), r.lines(),
        "-e adds or replaces; the container's env stays");
  }

  @Test
  void userAndAdditionalGids() {
    String id = running();
    Harness.Result r = h.capsa("exec", "--user", "1000:1001", "--additional-gids", "5",
        "--additional-gids", "65534", id, "sh", "-c",
        "id -u; id -g; grep -E '^(Uid|Gid|Groups)' /proc/self/status").ok();
    List<String> lines = r.lines();
    assertEquals("1000", lines.get(0), r::toString);
    assertEquals("1001", lines.get(1), r::toString);
    Map<String, String> s = status(String.join("\n", lines.subList(2, lines.size())));
    assertEquals("1000 1000 1000 1000", s.get("Uid").replaceAll("\\s+", " "));
    assertEquals("1001 1001 1001 1001", s.get("Gid").replaceAll("\\s+", " "));
    assertEquals("5 65534", s.get("Groups").replaceAll("\\s+", " ").strip());
  }

  @Test
  void cwdFlag() {
    String id = running();
    assertEquals("/tmp\n", h.capsa("exec", "--cwd", "/tmp", id, "pwd").ok().stdout());
    assertEquals("/\n", h.capsa("exec", id, "pwd").ok().stdout(), "the container's cwd");
  }

  @Test
  void capFlagAddsACapability() {
    String id = running();
    Map<String, String> without = status(h.capsa("exec", id, "cat", "/proc/self/status").ok()
        .stdout());
    assertEquals(capMask(CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE), without.get("CapEff"));
    Map<String, String> with = status(h.capsa("exec", "--cap", "CAP_NET_RAW", id, "cat",
        "/proc/self/status").ok().stdout());
    String mask = capMask(CAP_KILL, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_AUDIT_WRITE);
    assertEquals(mask, with.get("CapEff"));
    assertEquals(mask, with.get("CapPrm"));
    assertEquals(mask, with.get("CapBnd"));
  }

  @Test
  void noNewPrivsFlag() {
    h.process().put("noNewPrivileges", false);
    String id = running();
    assertEquals("0", status(h.capsa("exec", id, "cat", "/proc/self/status").ok().stdout())
        .get("NoNewPrivs"));
    assertEquals("1", status(h.capsa("exec", "--no-new-privs", id, "cat", "/proc/self/status")
        .ok().stdout()).get("NoNewPrivs"));
  }

  @Test
  void execCpuAffinityOfProcessJson() {
    String id = running();
    Path p = writeJson("process.json", map(
        "terminal", false,
        "args", new ArrayList<>(List.of("grep", "Cpus_allowed_list", "/proc/self/status")),
        "cwd", "/",
        "user", map("uid", 0, "gid", 0),
        "execCPUAffinity", map("initial", "0", "final", "0")));
    Harness.Result r = h.capsa("exec", "--process", p.toString(), id).ok();
    assertEquals("Cpus_allowed_list:\t0", r.stdout().trim(), r::toString);
  }

  @Test
  void processJson() {
    String id = running();
    Path p = writeJson("process.json", map(
        "terminal", false,
        "args", new ArrayList<>(List.of("sh", "-c", "echo $A; echo $PATH; pwd; id -u; id -g;"
            + " id -G; grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status")),
        "env", new ArrayList<>(List.of("A=from-json", "PATH=/bin")),
        "cwd", "/tmp",
        "user", map("uid", 1000, "gid", 1000, "additionalGids", new ArrayList<>(List.of(5))),
        "capabilities", map(
            "bounding", new ArrayList<>(List.of("CAP_NET_RAW", "CAP_KILL")),
            "effective", new ArrayList<>(List.of("CAP_NET_RAW")),
            "permitted", new ArrayList<>(List.of("CAP_NET_RAW")),
            "inheritable", new ArrayList<>(List.of("CAP_NET_RAW")),
            "ambient", new ArrayList<>(List.of("CAP_NET_RAW")))));
    Harness.Result r = h.capsa("exec", "--process", p.toString(), id).ok();
    List<String> lines = r.lines();
    assertEquals(List.of("from-json", "/bin", "/tmp", "1000", "1000", "1000 5"),
        lines.subList(0, 6), r::toString);
    Map<String, String> s = status(String.join("\n", lines.subList(6, lines.size())));
    assertEquals(capMask(CAP_NET_RAW), s.get("CapEff"), r::toString);
    assertEquals(capMask(CAP_NET_RAW, CAP_KILL), s.get("CapBnd"), r::toString);
    assertEquals(capMask(CAP_NET_RAW), s.get("CapAmb"), r::toString);
  }

  @Test
  void rlimitsOfProcessJson() {
    String id = running();
    Path p = writeJson("process.json", map(
        "args", new ArrayList<>(List.of("cat", "/proc/self/limits")),
        "cwd", "/",
        "rlimits", new ArrayList<>(List.of(
            map("type", "RLIMIT_NOFILE", "soft", 123, "hard", 456),
            map("type", "RLIMIT_CORE", "soft", 0, "hard", 4096)))));
    String out = h.capsa("exec", "-p", p.toString(), id).ok().stdout();
    assertTrue(out.lines().anyMatch(l -> l.matches("Max open files\\s+123\\s+456\\s+files\\s*")),
        out);
    assertTrue(out.lines().anyMatch(l -> l.matches("Max core file size\\s+0\\s+4096\\s+bytes\\s*")),
        out);
  }

  @Test
  void theContainersRlimitsApplyWithoutAProcessJson() {
    // config.json of `capsa spec`: RLIMIT_NOFILE 1024/1024.
    String id = running();
    String out = h.capsa("exec", id, "cat", "/proc/self/limits").ok().stdout();
    assertTrue(out.lines().anyMatch(l -> l.matches("Max open files\\s+1024\\s+1024\\s+files\\s*")),
        out);
  }

  // ------------------------------------------------------------------ seccomp

  @Test
  void theContainersSeccompFilterAppliesToExec() {
    h.linux().put("seccomp", map(
        "defaultAction", "SCMP_ACT_ALLOW",
        "architectures", new ArrayList<>(List.of("SCMP_ARCH_X86_64")),
        "syscalls", new ArrayList<>(List.of(map(
            "names", new ArrayList<>(List.of("mkdir", "mkdirat")),
            "action", "SCMP_ACT_ERRNO",
            "errnoRet", 1)))));
    String id = running();
    Harness.Result r = h.capsa("exec", id, "mkdir", "/dev/shm/denied").failed();
    assertTrue(r.stderr().contains("Operation not permitted"), r::toString);
    // /dev/shm is writable: only the filter stopped it.
    h.capsa("exec", id, "touch", "/dev/shm/allowed").ok();
    Path p = writeJson("process.json", map(
        "args", new ArrayList<>(List.of("mkdir", "/dev/shm/denied-too")),
        "cwd", "/",
        "noNewPrivileges", false));
    r = h.capsa("exec", "-p", p.toString(), id).failed();
    assertTrue(r.stderr().contains("Operation not permitted"), "process.json too: " + r);
  }

  // ------------------------------------------------------------------ terminal, fds

  @Test
  void ttyUnderScript() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script(1) is needed");
    String id = running();
    String out = Harness.exec(List.of("script", "-qec", capsaLine("exec", "--tty", id, "sh", "-c",
        "tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-a-tty; exit 3") + "; echo rc=$?",
        "/dev/null"));
    assertTrue(out.contains("/dev/pts/"), out);
    assertTrue(out.contains("stdio-is-a-tty"), out);
    assertTrue(out.contains("rc=3"), "the status passes through: " + out);
  }

  @Test
  void ttyTwiceAndTheContainersConsoleIsLeftAlone() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script(1) is needed");
    String id = running();
    for (int i = 0; i < 2; i++) {
      String out = Harness.exec(List.of("script", "-qec", capsaLine("exec", "-t", id, "tty")
          + "; echo rc=$?", "/dev/null"));
      assertTrue(out.contains("/dev/pts/") && out.contains("rc=0"), "exec -t #" + (i + 1) + ": "
          + out);
    }
    Harness.Result r = h.capsa("exec", id, "sh", "-c", "ls /dev/console 2>&1; grep -c console"
        + " /proc/self/mountinfo");
    assertTrue(r.stdout().contains("No such file"), "a container without a terminal has no"
        + " /dev/console: " + r);
  }

  @Test
  void preserveFds() throws IOException {
    String id = running();
    Path one = h.dir().resolve("one.txt");
    Path two = h.dir().resolve("two.txt");
    Files.writeString(one, "first\n");
    Files.writeString(two, "second\n");
    String out = Harness.exec(List.of("sh", "-c", "exec 3<" + quote(one.toString()) + " 4<"
        + quote(two.toString()) + "; "
        + capsaLine("exec", "--preserve-fds", "2", id, "sh", "-c", "cat <&3; cat <&4")
        + "; echo rc=$?; "
        + capsaLine("exec", id, "sh", "-c", "[ -e /proc/self/fd/3 ] && echo has-3 || echo no-3")));
    assertEquals(List.of("first", "second", "rc=0", "no-3"), out.lines().toList(),
        "fds 3 and 4 only with --preserve-fds 2");
  }

  // ------------------------------------------------------------------ states

  @Test
  void execIntoAStoppedContainerFails() {
    h.args("true");
    String id = h.newId();
    h.create(id);
    h.capsa("start", id).ok();
    h.awaitStatus(id, "stopped");
    Harness.Result r = h.capsa("exec", id, "true").failed();
    assertTrue(r.stderr().contains("stopped"), r::toString);
    h.capsa("delete", id).ok();
  }

  @Test
  void execIntoAPausedContainerFailsWithoutIgnorePaused() {
    String id = running();
    h.capsa("pause", id).ok();
    Harness.Result r = h.capsa("exec", id, "true").failed();
    assertTrue(r.stderr().contains("paused"), r::toString);
    h.capsa("resume", id).ok();
    h.capsa("exec", id, "true").ok();
  }

  @Test
  void execIntoAnUnknownContainerFails() {
    Harness.Result r = h.capsa("exec", "no-such-container", "true").failed();
    assertTrue(r.stderr().contains("does not exist"), r::toString);
  }

  @Test
  void execWithoutACommandIsAUsageError() {
    String id = running();
    Harness.Result r = h.capsa("exec", id).failed();
    assertFalse(r.stderr().isBlank(), r::toString);
  }
}
