package dev.capsa.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

  @Test
  void aPlainContainerMayBeStartedAndDeletedByTheLauncher() {
    assertEquals("""
        capsa-fastpath 1
        pid 4242 8675309
        start
        delete
        cgroup /sys/fs/cgroup/memory/web
        cgroup /sys/fs/cgroup/unified/web
        """, FastPath.of(CREATED, Hooks.NONE).encode());
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
  void aDirectoryTheFileCannotHoldKeepsBothInJava() {
    FastPath f = FastPath.of(CREATED.withCgroup(List.of("/sys/fs/cgroup/a\nstart"), true, null),
        Hooks.NONE);
    assertEquals("capsa-fastpath 1\npid 4242 8675309\n", f.encode());
  }
}
