package dev.capsa.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.SchemaValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What create hands its hooks: the state, and pids as the container sees them. */
class CreatorTest {
  private static final ContainerState STATE = new ContainerState("web-1", Status.CREATING, 4242,
      8675309, 4200, "/srv/bundle", "/srv/bundle/rootfs", "2024-05-01T10:00:00Z",
      Map.of("org.example.key", "value"));

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String json) {
    return (Map<String, Object>) Json.parse(json);
  }

  @ParameterizedTest
  @EnumSource(value = Status.class, names = {"CREATING", "CREATED", "RUNNING", "STOPPED"})
  void hookStateIsAValidState(Status status) {
    String json = Creator.hookState(STATE, status, 1);
    assertEquals(List.of(), SchemaValidator.state().validate(Json.parse(json)), json);
    Map<String, Object> m = parse(json);
    assertEquals(OciVersion.SUPPORTED, m.get("ociVersion"));
    assertEquals("web-1", m.get("id"));
    assertEquals(status.json(), m.get("status"));
    assertEquals(1L, m.get("pid"));
    assertEquals("/srv/bundle", m.get("bundle"));
    assertEquals(Map.of("org.example.key", "value"), m.get("annotations"));
  }

  @Test
  void hookStateHasOnlyTheSpecsFields() {
    // Nothing of capsa's own record (rootfs, created, the creator) goes to a hook.
    Map<String, Object> m = parse(Creator.hookState(STATE, Status.CREATED, 4242));
    assertEquals(List.of("ociVersion", "id", "status", "pid", "bundle", "annotations"),
        List.copyOf(m.keySet()));
  }

  @Test
  void hookStateWithoutAnnotationsLeavesThemOut() {
    ContainerState bare = new ContainerState("c", Status.CREATING, 0, 0, 1, "/b", "/b/rootfs",
        "2024-05-01T10:00:00Z", Map.of());
    String json = Creator.hookState(bare, Status.STOPPED, 0);
    assertFalse(parse(json).containsKey("annotations"), json);
    assertEquals(List.of(), SchemaValidator.state().validate(Json.parse(json)), json);
  }

  @Test
  void pidInContainerOfThisJvmIsItsOwnPid() throws IOException {
    int self = (int) ProcessHandle.current().pid();
    // This JVM sees itself in its own pid namespace: the last NSpid field.
    assertEquals(self, Creator.pidInContainer(self));
    String nspid = Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
    String[] f = nspid.substring(6).trim().split("\\s+");
    assertEquals(Integer.parseInt(f[f.length - 1]), Creator.pidInContainer(self));
  }

  @Test
  void pidInContainerOfAGoneProcessIsTheHostPid() {
    // pid_max is at most 2^22: this pid does not exist.
    assertEquals(Integer.MAX_VALUE, Creator.pidInContainer(Integer.MAX_VALUE));
  }

  @Test
  void pidFileIsWrittenWhole(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path file = dir.resolve("pid");
    Creator.writePidFile(file, 4242);
    assertEquals("4242", Files.readString(file));
    Creator.writePidFile(file, 7);
    assertEquals("7", Files.readString(file));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
    assertTrue(Files.isRegularFile(file));
  }
}
