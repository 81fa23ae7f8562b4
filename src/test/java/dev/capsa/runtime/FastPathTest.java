package dev.capsa.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.spec.Hooks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What create lets the launcher's start and delete do without a JVM (the fastpath file). */
class FastPathTest {
  private static final List<String> DIRS =
      List.of("/sys/fs/cgroup/memory/web", "/sys/fs/cgroup/unified/web");
  private static final ContainerState CREATED = new ContainerState("web", Status.CREATED, 4242,
      8675309L, 4240, "/b", "/b/rootfs", "2024-01-02T03:04:05Z", Map.of())
      .withCgroup(DIRS, true, null);
  private static final Hooks.Hook HOOK = new Hooks.Hook("/bin/true", null, null, null);

  private static Hooks hooks(String kind) {
    List<Hooks.Hook> one = List.of(HOOK);
    List<Hooks.Hook> none = List.of();
    return new Hooks(kind.equals("prestart") ? one : none,
        kind.equals("createRuntime") ? one : none, kind.equals("createContainer") ? one : none,
        kind.equals("startContainer") ? one : none, kind.equals("poststart") ? one : none,
        kind.equals("poststop") ? one : none);
  }

  /** The state text StateCommand prints for {@code status}. */
  private static String printed(Status status) {
    return dev.capsa.json.Json.writePretty(CREATED.oci(status, "")) + "\n";
  }

  private static int bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  @Test
  void aPlainContainerMayBeStartedDeletedAndQueriedByTheLauncher() {
    String created = printed(Status.CREATED);
    String running = printed(Status.RUNNING);
    String paused = printed(Status.PAUSED);
    String stopped = printed(Status.STOPPED);
    assertEquals("""
        capsa-fastpath 1
        pid 4242 8675309
        start
        delete
        cgroup /sys/fs/cgroup/memory/web
        cgroup /sys/fs/cgroup/unified/web
        state created %d
        state running %d
        state paused %d
        state stopped %d
        end
        """.formatted(bytes(created), bytes(running), bytes(paused), bytes(stopped))
        + created + running + paused + stopped, FastPath.of(CREATED, Hooks.NONE).encode());
    assertTrue(stopped.contains("\"pid\": 0,") && stopped.contains("\"status\": \"stopped\""),
        stopped);
  }

  @Test
  void stateTextsCountBytesNotChars() {
    ContainerState s = CREATED.withCgroup(List.of(), true, null);
    ContainerState annotated = new ContainerState("web", Status.CREATED, 4242, 8675309L, 4240,
        "/b", "/b/rootfs", "2024-01-02T03:04:05Z", Map.of("note", "größer"))
        .withCgroup(List.of(), true, null);
    int plain = Integer.parseInt(FastPath.of(s, Hooks.NONE).encode().lines()
        .filter(l -> l.startsWith("state created ")).findFirst().orElseThrow().substring(14));
    String text = FastPath.of(annotated, Hooks.NONE).encode();
    int withNote = Integer.parseInt(text.lines()
        .filter(l -> l.startsWith("state created ")).findFirst().orElseThrow().substring(14));
    String rendered = dev.capsa.json.Json.writePretty(annotated.oci(Status.CREATED, "")) + "\n";
    assertEquals(bytes(rendered), withNote);
    assertTrue(withNote > plain);
  }

  @Test
  void hooksOfCreateDoNotMatter() {
    for (String kind : List.of("prestart", "createRuntime", "createContainer")) {
      FastPath f = FastPath.of(CREATED, hooks(kind));
      assertEquals(List.of(true, true), List.of(f.start(), f.delete()), kind);
    }
  }

  @Test
  void startAndPoststartHooksKeepStartInJava() {
    for (String kind : List.of("startContainer", "poststart")) {
      FastPath f = FastPath.of(CREATED, hooks(kind));
      assertEquals(List.of(false, true), List.of(f.start(), f.delete()), kind);
    }
  }

  @Test
  void poststopHooksKeepDeleteInJava() {
    FastPath f = FastPath.of(CREATED, hooks("poststop"));
    assertEquals(List.of(true, false), List.of(f.start(), f.delete()));
  }

  @Test
  void aSystemdUnitOrACgroupOfAnotherOwnerKeepsDeleteInJava() {
    FastPath unit = FastPath.of(CREATED.withCgroup(DIRS, true, "capsa-web.scope"), Hooks.NONE);
    assertEquals(List.of(true, false), List.of(unit.start(), unit.delete()));
    FastPath joined = FastPath.of(CREATED.withCgroup(DIRS, false, null), Hooks.NONE);
    assertEquals(List.of(true, false), List.of(joined.start(), joined.delete()));
  }

  @Test
  void aDirectoryTheFileCannotHoldKeepsEverythingInJava() {
    FastPath f = FastPath.of(CREATED.withCgroup(List.of("/sys/fs/cgroup/a\nstart"), true, null),
        Hooks.NONE);
    assertEquals("capsa-fastpath 1\npid 4242 8675309\nend\n", f.encode());
  }
}
