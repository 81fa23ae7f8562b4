package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Namespaces, the names in the uts namespace, pid 1, and namespaced sysctls. */
class NamespacesIT {
  @RegisterExtension final Harness h = new Harness();

  /** The namespaces of the default config, by their /proc/self/ns name. */
  private static final List<String> NS = List.of("pid", "net", "ipc", "uts", "mnt", "cgroup");

  @Test
  void hostnameIsSet() {
    h.config().put("hostname", "capsa-it-host");
    assertEquals("capsa-it-host", h.runOk("hostname").strip());
  }

  @Test
  void domainnameIsSet() {
    h.config().put("hostname", "box");
    h.config().put("domainname", "it.example.org");
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==host==; hostname; echo ==domain==; cat /proc/sys/kernel/domainname"));
    assertEquals("box", out.get("host"));
    assertEquals("it.example.org", out.get("domain"));
  }

  @Test
  void hostnameWithoutUtsNamespaceIsRefused() {
    String hostname = Harness.exec(List.of("hostname")).strip();
    h.removeNamespace("uts");
    h.config().put("hostname", "capsa-it-must-not-be-set");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("hostname"), r::toString);
    assertTrue(r.stderr().contains("uts"), r::toString);
    h.assertNoContainer(id);
    assertEquals(hostname, Harness.exec(List.of("hostname")).strip(), "the host's hostname");
  }

  @Test
  void namespacesDifferFromTheHosts() {
    StringBuilder script = new StringBuilder();
    for (String ns : NS) {
      script.append("echo ==").append(ns).append("==; readlink /proc/self/ns/").append(ns).append("; ");
    }
    Map<String, String> inside = Inside.sections(h.runOk(script.toString()));
    for (String ns : NS) {
      String host = Harness.hostNamespace(ns);
      assertTrue(inside.get(ns).startsWith(ns + ":["), () -> ns + ": " + inside);
      assertNotEquals(host, inside.get(ns), () -> "the container's " + ns + " namespace");
    }
  }

  @Test
  void withoutANetworkNamespaceTheHostsIsShared() {
    h.removeNamespace("network");
    String inside = h.runOk("readlink /proc/self/ns/net; readlink /proc/self/ns/uts");
    List<String> lines = inside.lines().toList();
    assertEquals(Harness.hostNamespace("net"), lines.get(0));
    assertNotEquals(Harness.hostNamespace("uts"), lines.get(1));
  }

  @Test
  void networkNamespaceJoinedByPath() {
    Process holder = h.host("unshare", "--net", "sleep", "60");
    Harness.awaitOwnNamespace(holder, "net");
    String expected = Harness.namespaceOf(holder.pid(), "net");
    h.joinNamespace("network", "/proc/" + holder.pid() + "/ns/net");
    assertEquals(expected, h.runOk("readlink /proc/self/ns/net").strip());
  }

  @Test
  void namespacePathOfTheWrongTypeFailsCreate() {
    String uts = "/proc/" + ProcessHandle.current().pid() + "/ns/uts";
    h.joinNamespace("network", uts);
    int index = h.namespaceIndex("network");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.namespaces[" + index + "]"), r::toString);
    assertTrue(r.stderr().contains(uts), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void theProcessIsPidOne() {
    assertEquals("1", h.runOk("echo $$").strip());
  }

  @Test
  void withoutAPidNamespaceTheHostsIsShared() {
    h.removeNamespace("pid");
    Harness.Result r = h.run("echo $$; readlink /proc/self/ns/pid; exit 4");
    assertEquals(4, r.status(), r::toString);
    List<String> lines = r.stdout().lines().toList();
    assertNotEquals("1", lines.get(0), r::toString);
    assertEquals(Harness.hostNamespace("pid"), lines.get(1), r::toString);
  }

  @Test
  void namespacedSysctlsAreSet() {
    Map<String, Object> sysctl = new LinkedHashMap<>();
    sysctl.put("net.ipv4.ip_forward", "1");
    sysctl.put("kernel.shmmax", "123456789");
    h.linux().put("sysctl", sysctl);
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==fwd==; cat /proc/sys/net/ipv4/ip_forward; echo ==shm==; cat /proc/sys/kernel/shmmax"));
    assertEquals("1", out.get("fwd"));
    assertEquals("123456789", out.get("shm"));
  }

  @Test
  void aNonNamespacedSysctlIsRefused() {
    h.linux().put("sysctl", new LinkedHashMap<>(Map.of("vm.swappiness", "10")));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("vm.swappiness"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void aNetworkSysctlWithoutANetworkNamespaceIsRefused() {
    h.removeNamespace("network");
    h.linux().put("sysctl", new LinkedHashMap<>(Map.of("net.ipv4.ip_forward", "1")));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("net.ipv4.ip_forward"), r::toString);
    h.assertNoContainer(id);
  }
}
