package dev.capsa.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where cgroupsPath puts a container's cgroup, for a runtime that runs in a cgroup of its own. */
class CgroupPathTest {

  private static Layout v2(String own) {
    return new Layout(List.of(new Hierarchy("/sys/fs/cgroup", true, "", own)),
        Set.of("cpu", "memory", "pids"));
  }

  private static Layout hybrid(String own) {
    return new Layout(List.of(new Hierarchy("/sys/fs/cgroup/memory", false, "memory", own),
        new Hierarchy("/sys/fs/cgroup/unified", true, "", own)), Set.of("hugetlb"));
  }

  @Test
  void relativeOnPureV2IsBelowTheParentOfTheRuntimesCgroup() {
    // The runtime's own cgroup has processes: no child of it could get controllers (runc's fs2).
    assertEquals(List.of("/sys/fs/cgroup/user.slice/ctr"),
        Cgroup.of(v2("/user.slice/session-1.scope"), "ctr", "id").directories());
    assertEquals(List.of("/sys/fs/cgroup/a/b"), Cgroup.of(v2("/runner"), "a/b", "id").directories());
    assertEquals(List.of("/sys/fs/cgroup/ctr"), Cgroup.of(v2("/"), "ctr", "id").directories());
  }

  @Test
  void relativeOnAHybridHostIsBelowTheRuntimesCgroupInEachHierarchy() {
    assertEquals(List.of("/sys/fs/cgroup/memory/a/b/ctr", "/sys/fs/cgroup/unified/a/b/ctr"),
        Cgroup.of(hybrid("/a/b"), "ctr", "id").directories());
  }

  @Test
  void absoluteAndDefaultPathsAreFromTheRoot() {
    assertEquals(List.of("/sys/fs/cgroup/x/ctr"),
        Cgroup.of(v2("/user.slice/s.scope"), "/x/ctr", "id").directories());
    assertEquals(List.of("/sys/fs/cgroup/id"),
        Cgroup.of(v2("/user.slice/s.scope"), null, "id").directories());
    assertEquals(List.of("/sys/fs/cgroup/memory/id", "/sys/fs/cgroup/unified/id"),
        Cgroup.of(hybrid("/a/b"), "", "id").directories());
  }
}
