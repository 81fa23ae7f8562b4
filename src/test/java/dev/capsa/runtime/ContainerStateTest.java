package dev.capsa.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.SchemaValidator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** state.json and the spec's state (state-schema.json). */
class ContainerStateTest {
  private static final ContainerState CREATED = new ContainerState("web", Status.CREATED, 4242,
      8675309L, 4240, "/bundles/web", "/bundles/web/rootfs", "2024-01-02T03:04:05.123456789Z",
      Map.of("com.example.key", "value"));

  private static final ContainerState BARE = new ContainerState("db", Status.STOPPED, 0, 0, 0,
      "/bundles/db", "/bundles/db/rootfs", "2024-01-02T03:04:05Z", null);

  @Test
  void roundTripsThroughJson() {
    assertEquals(CREATED, ContainerState.fromJson(CREATED.toJson()));
    assertEquals(BARE, ContainerState.fromJson(BARE.toJson()));
  }

  @Test
  void largeStartTimeRoundTrips() {
    ContainerState s = CREATED.withPid(99, Long.MAX_VALUE);
    assertEquals(s, ContainerState.fromJson(s.toJson()));
  }

  @Test
  void persistedFormHasTheSpecFieldsAndCapsasOwn() {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse(CREATED.toJson());
    assertEquals(OciVersion.SUPPORTED, m.get("ociVersion"));
    assertEquals("created", m.get("status"));
    assertEquals(4242L, m.get("pid"));
    assertEquals(8675309L, m.get("capsa.pidStartTime"));
    assertEquals(4240L, m.get("capsa.creator"));
  }

  @Test
  void withStatusAndWithPidChangeOnlyThat() {
    ContainerState running = CREATED.withStatus(Status.RUNNING);
    assertEquals(Status.RUNNING, running.status());
    assertEquals(CREATED, running.withStatus(Status.CREATED));
    ContainerState moved = CREATED.withPid(7, 11);
    assertEquals(7, moved.pid());
    assertEquals(11, moved.pidStartTime());
    assertEquals(CREATED.id(), moved.id());
    assertEquals(CREATED.annotations(), moved.annotations());
  }

  @ParameterizedTest
  @EnumSource(value = Status.class, names = {"CREATING", "CREATED", "RUNNING", "STOPPED"})
  void ociStateMatchesTheStateSchema(Status live) {
    Map<String, Object> oci = CREATED.oci(live, "root");
    Object parsed = Json.parse(Json.write(oci));
    assertEquals(List.of(), SchemaValidator.state().validate(parsed));
    assertEquals(live.json(), oci.get("status"));
  }

  @Test
  void ociStateHasRuncsFields() {
    Map<String, Object> oci = CREATED.oci(Status.RUNNING, "root");
    assertEquals(List.of("ociVersion", "id", "pid", "status", "bundle", "rootfs", "created",
        "annotations", "owner"), List.copyOf(oci.keySet()));
    assertEquals(4242, oci.get("pid"));
    assertEquals("/bundles/web", oci.get("bundle"));
    assertEquals("/bundles/web/rootfs", oci.get("rootfs"));
    assertEquals("2024-01-02T03:04:05.123456789Z", oci.get("created"));
    assertEquals("root", oci.get("owner"));
    assertEquals(Map.of("com.example.key", "value"), oci.get("annotations"));
  }

  @Test
  void pidIsZeroWhenStopped() {
    assertEquals(0, CREATED.oci(Status.STOPPED, "root").get("pid"));
    assertEquals(4242, CREATED.oci(Status.CREATED, "root").get("pid"));
  }

  @Test
  void emptyAnnotationsAreOmitted() {
    ContainerState empty = new ContainerState("x", Status.CREATED, 1, 1, 1, "/b", "/b/rootfs",
        "2024-01-02T03:04:05Z", Map.of());
    assertFalse(empty.oci(Status.CREATED, "root").containsKey("annotations"));
    assertFalse(BARE.oci(Status.STOPPED, "root").containsKey("annotations"));
    assertFalse(((Map<?, ?>) Json.parse(empty.toJson())).containsKey("annotations"));
    assertTrue(((Map<?, ?>) Json.parse(CREATED.toJson())).containsKey("annotations"));
  }

  @Test
  void statusNamesAreLowerCase() {
    assertEquals("creating", Status.CREATING.json());
    assertEquals(Status.PAUSED, Status.of("paused"));
    for (Status s : Status.values()) {
      assertEquals(s, Status.of(s.json()));
    }
  }
}
