package dev.capsa.cgroups;

import static dev.capsa.cgroups.Layouts.HYBRID;
import static dev.capsa.cgroups.Layouts.NONE;
import static dev.capsa.cgroups.Layouts.V1;
import static dev.capsa.cgroups.Layouts.V2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which hierarchy holds each controller on a v1, a v2 and the hybrid host. */
class LayoutTest {

  private static String mount(Hierarchy h) {
    return h == null ? null : h.mountPoint();
  }

  @Test
  void kinds() {
    assertEquals(Layout.Kind.V1, V1.kind());
    assertEquals(Layout.Kind.V2, V2.kind());
    assertEquals(Layout.Kind.HYBRID, HYBRID.kind());
    assertEquals(Layout.Kind.NONE, NONE.kind());
  }

  @Test
  void aHybridHostWhoseV2HierarchyHasNoControllersIsStillHybrid() {
    Layout l = new Layout(List.of(new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/"),
        new Hierarchy("/sys/fs/cgroup/unified", true, "", "/")), Set.of());
    assertEquals(Layout.Kind.HYBRID, l.kind());
    assertEquals("/sys/fs/cgroup/memory", mount(l.of("memory")));
    assertNull(l.of("pids"));
  }

  @Test
  void v1() {
    assertEquals("/sys/fs/cgroup/cpu,cpuacct", mount(V1.of("cpu")));
    assertEquals("/sys/fs/cgroup/cpu,cpuacct", mount(V1.of("cpuacct")));
    assertSame(V1.of("cpu"), V1.of("cpuacct"), "co-mounted controllers share a hierarchy");
    assertEquals("/sys/fs/cgroup/memory", mount(V1.of("memory")));
    assertEquals("/sys/fs/cgroup/net_cls,net_prio", mount(V1.of("net_prio")));
    assertEquals("/sys/fs/cgroup/hugetlb", mount(V1.of("hugetlb")));
    assertEquals("/sys/fs/cgroup/systemd", mount(V1.v1("name=systemd")));
    assertNull(V1.of("io"), "io is v2's");
    assertNull(V1.of("cpu,cpuacct"), "a hierarchy's options are not a controller");
    assertNull(V1.v2());
  }

  @Test
  void v2() {
    for (String c : List.of("cpu", "cpuset", "io", "memory", "hugetlb", "pids", "rdma")) {
      assertEquals("/sys/fs/cgroup", mount(V2.of(c)), c);
    }
    assertNull(V2.of("blkio"), "v1's name");
    assertNull(V2.of("devices"), "v2 has no devices controller (eBPF instead)");
    assertNull(V2.of("freezer"), "v2 freezes through cgroup.freeze");
    assertNull(V2.of("net_cls"));
    assertNull(V2.v1("memory"));
    assertEquals("/sys/fs/cgroup", mount(V2.v2()));
  }

  @Test
  void hybrid() {
    for (String c : List.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
        "pids")) {
      assertEquals("/sys/fs/cgroup/" + c, mount(HYBRID.of(c)), c);
    }
    assertEquals("/sys/fs/cgroup/unified", mount(HYBRID.of("hugetlb")), "hugetlb is on v2 here");
    assertNull(HYBRID.of("io"), "the v2 hierarchy offers only hugetlb");
    assertNull(HYBRID.of("rdma"));
    assertNull(HYBRID.of("net_cls"));
    assertEquals("/sys/fs/cgroup/unified", mount(HYBRID.v2()));
  }

  @Test
  void aV1HierarchyWinsOverTheV2OneForTheSameController() {
    // The kernel binds a controller to one hierarchy; if both claim it, v1 holds it.
    Layout l = new Layout(List.of(new Hierarchy("/sys/fs/cgroup/unified", true, "", "/"),
        new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/")), Set.of("memory"));
    assertEquals("/sys/fs/cgroup/memory", mount(l.of("memory")));
  }

  @Test
  void v1ControllersLeaveOutNamedHierarchies() {
    Map<String, Hierarchy> c = HYBRID.v1Controllers();
    assertEquals(List.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
        "pids"), List.copyOf(c.keySet()));
    assertEquals(List.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
        "pids", "net_cls", "net_prio", "hugetlb", "rdma"), List.copyOf(V1.v1Controllers().keySet()));
    assertEquals(Map.of(), V2.v1Controllers());
  }

  @Test
  void thisHost() {
    Layout l = Layout.ofHost();
    // Whatever the host, every controller it names resolves to a mounted hierarchy.
    for (String c : l.v1Controllers().keySet()) {
      assertEquals(l.v1Controllers().get(c), l.of(c), c);
    }
    for (String c : l.v2Controllers()) {
      Hierarchy h = l.of(c);
      assertEquals(true, h != null && (h.v2() || l.v1(c) != null), c);
    }
  }
}
