package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A config capsa cannot apply fails create with exit status 1 and a message naming the
 * problem, and leaves nothing behind: no container, no state directory, no process, no mount
 * (the harness checks the last two after each test).
 */
class ConfigErrorsIT {
  @RegisterExtension final Harness h = new Harness();

  /** Runs create, which must fail with status 1 and a message holding every fragment. */
  private Harness.Result createFails(String... fragments) {
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id);
    assertEquals(1, r.status(), r::toString);
    for (String f : fragments) {
      assertTrue(r.stderr().contains(f), () -> "the message should name \"" + f + "\": " + r);
    }
    assertEquals("", r.stdout(), r::toString);
    h.assertNoContainer(id);
    return r;
  }

  @Test
  void missingRootfs() {
    h.rootConfig().put("path", "no-such-rootfs");
    createFails("root.path", "no-such-rootfs");
  }

  @Test
  void bindMountWithAMissingSource() {
    String missing = h.dir().resolve("no-such-source").toString();
    h.addMount("/mnt", "bind", missing, "bind");
    int i = h.mountIndex("/mnt");
    createFails("mounts[" + i + "]", missing);
  }

  @Test
  void unsupportedOciVersion() {
    h.config().put("ociVersion", "2.0.0");
    createFails("ociVersion", "2.0.0");
  }

  @Test
  void invalidJson() {
    h.writeRawConfig("{\"ociVersion\": \"1.0.0\", ");
    Harness.Result r = createFails("config.json");
    assertTrue(r.stderr().toLowerCase().contains("json"), r::toString);
  }

  @Test
  void missingConfigJson() {
    h.removeConfig();
    createFails("config.json");
  }

  @Test
  void mountWithAnUnknownFilesystemType() {
    h.addMount("/mnt", "capsa-no-such-fs", "none");
    int i = h.mountIndex("/mnt");
    createFails("mounts[" + i + "]", "mount", "ENODEV");
  }

  @Test
  void executableThatDoesNotExist() {
    h.args("/bin/no-such-program");
    createFails("process.args", "/bin/no-such-program");
  }

  @Test
  void executableNotInPath() {
    h.args("no-such-program");
    createFails("process.args", "no-such-program");
  }

  @Test
  void resourceTheHostCannotApply() {
    // Realtime CPU time needs CONFIG_RT_GROUP_SCHED, or cgroup v1 cpu.rt_* files; kernel
    // memory limits are gone from cgroup v2 and refused by recent v1 kernels. Either way
    // create fails naming the field and leaves nothing.
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("kernelTCP", -2);
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("memory", memory);
    h.linux().put("resources", resources);
    createFails("linux.resources.memory.kernelTCP");
  }

  @Test
  void intelRdtWithoutResctrlIsRefused() {
    Map<String, Object> rdt = new LinkedHashMap<>();
    rdt.put("closID", "capsa");
    h.linux().put("intelRdt", rdt);
    createFails("linux.intelRdt");
  }

  @Test
  void terminalWithoutConsoleSocket() {
    h.process().put("terminal", true);
    createFails("process.terminal");
  }

  @Test
  void noMountNamespace() {
    h.removeNamespace("mount");
    createFails("linux.namespaces");
  }

  @Test
  void sysctlThatDoesNotExist() {
    h.linux().put("sysctl", new LinkedHashMap<>(Map.of("net.ipv4.capsa_no_such_key", "1")));
    createFails("linux.sysctl", "net.ipv4.capsa_no_such_key", "ENOENT");
  }

  @Test
  void sysctlWithAnInvalidValue() {
    h.linux().put("sysctl", new LinkedHashMap<>(Map.of("net.ipv4.ip_forward", "banana")));
    createFails("linux.sysctl", "net.ipv4.ip_forward", "EINVAL");
  }

  @Test
  void hostnameTooLong() {
    h.config().put("hostname", "h".repeat(100));
    createFails("hostname", "EINVAL");
  }

  @Test
  void deviceWhereADifferentFileExists() {
    Map<String, Object> dev = new LinkedHashMap<>();
    dev.put("path", "/dev/shm");
    dev.put("type", "c");
    dev.put("major", 1);
    dev.put("minor", 3);
    h.linux().put("devices", new java.util.ArrayList<>(java.util.List.of(dev)));
    createFails("linux.devices[0]", "/dev/shm");
  }

  @Test
  void runFailsTheSameWay() {
    h.addMount("/mnt", "capsa-no-such-fs", "none");
    int i = h.mountIndex("/mnt");
    String id = h.newId();
    Harness.Result r = h.capsa("run", "--bundle", h.bundle().toString(), id);
    assertEquals(1, r.status(), r::toString);
    assertTrue(r.stderr().contains("mounts[" + i + "]") && r.stderr().contains("ENODEV"), r::toString);
    h.assertNoContainer(id);
  }
}
