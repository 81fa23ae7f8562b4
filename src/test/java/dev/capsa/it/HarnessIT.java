package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The harness itself: it sees what a container leaves behind, and a run is a real container. */
class HarnessIT {
  @RegisterExtension final Harness h = new Harness();

  @Test
  void runReturnsTheContainersOutputAndStatus() {
    Harness.Result r = h.run("echo hello; echo oops >&2; exit 7");
    assertEquals(7, r.status(), r::toString);
    assertEquals("hello\n", r.stdout(), r::toString);
    assertTrue(r.stderr().contains("oops"), r::toString);
    assertEquals(List.of(), h.leftovers(), "a container that ran and exited leaves nothing");
  }

  @Test
  void leftoversSeeALiveContainerAndItsState() {
    String id = h.newId();
    h.args("sleep", "100");
    h.create(id);
    List<String> left = h.leftovers();
    assertTrue(left.stream().anyMatch(l -> l.contains("state root") && l.contains(id)), left::toString);
    assertTrue(left.stream().anyMatch(l -> l.contains("process ") && l.contains("test's rootfs")
        && l.contains("capsa:init")), left::toString);
    h.capsa("delete", "--force", id).ok();
    assertEquals(List.of(), h.leftovers());
  }

  @Test
  void leftoversSeeAHostMount() {
    h.makeRootfsSharedOnHost();
    List<String> left = h.leftovers();
    assertTrue(left.stream().anyMatch(l -> l.contains("host mount")), left::toString);
    // The cleanup registered by makeRootfsSharedOnHost unmounts it.
  }

  @Test
  void leftoversSeeACgroupOfTheContainerAndDeleteRemovesIt() throws Exception {
    String id = h.newId();
    h.args("sleep", "100");
    h.create(id);
    List<String> left = h.leftovers();
    for (Path hierarchy : Harness.cgroupHierarchies()) {
      assertTrue(left.contains("cgroup directory " + hierarchy.resolve(id) + " is still there"),
          left::toString);
    }
    h.capsa("delete", "--force", id).ok();
    assertEquals(List.of(), h.leftovers());
    // One the harness did not see made: named after an id, at any depth.
    Path hierarchy = Harness.cgroupHierarchies().get(0);
    Path stray = Files.createDirectories(hierarchy.resolve(h.newId() + "-stray"));
    try {
      assertEquals(List.of("cgroup directory " + stray + " is still there"), h.leftovers());
    } finally {
      Files.delete(stray);
    }
    assertEquals(List.of(), h.leftovers());
  }
}
