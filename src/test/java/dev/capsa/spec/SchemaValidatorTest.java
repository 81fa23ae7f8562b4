package dev.capsa.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import dev.capsa.json.JsonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class SchemaValidatorTest {
  private static final Path SPEC_DIR =
      Path.of(System.getProperty("capsa.specDir", "src/test/resources/runtime-spec"));

  /** For each bad document that is valid JSON, a field its messages must name. */
  private static final Map<String, String> BAD_FIELDS = Map.of(
      "config/bad/freebsd-vnet-disable.json", "freebsd.jail.vnet",
      "config/bad/linux-hugepage.json", "linux.resources.hugepageLimits[0].pageSize",
      "config/bad/linux-netdevice.json", "linux.netDevices.eth0.name",
      "config/bad/linux-rdma.json", "linux.resources.rdma.mlx5_1.hcaHandles",
      "features/bad/missing-ociVersionMax.json", "ociVersionMax");

  private static SchemaValidator validator(String kind) {
    return switch (kind) {
      case "config" -> SchemaValidator.config();
      case "state" -> SchemaValidator.state();
      case "features" -> SchemaValidator.features();
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private static List<Path> files(String kind, String verdict) throws IOException {
    try (Stream<Path> s = Files.list(SPEC_DIR.resolve("test").resolve(kind).resolve(verdict))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> goodDocumentsAreAccepted() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (String kind : List.of("config", "state", "features")) {
      for (Path file : files(kind, "good")) {
        tests.add(DynamicTest.dynamicTest(kind + "/good/" + file.getFileName(), () -> {
          Object doc = Json.parse(Files.readString(file));
          assertEquals(List.of(), validator(kind).validate(doc));
        }));
      }
    }
    assertTrue(tests.size() >= 12, "found only " + tests.size() + " good documents in " + SPEC_DIR);
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> badDocumentsAreRejected() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (String kind : List.of("config", "state", "features")) {
      for (Path file : files(kind, "bad")) {
        String name = kind + "/bad/" + file.getFileName();
        tests.add(DynamicTest.dynamicTest(name, () -> {
          String text = Files.readString(file);
          if (file.getFileName().toString().startsWith("invalid-json")) {
            assertThrows(JsonException.class, () -> Json.parse(text));
            return;
          }
          List<String> errors = validator(kind).validate(Json.parse(text));
          assertFalse(errors.isEmpty(), name + " was accepted");
          String field = BAD_FIELDS.get(name);
          assertTrue(field != null, "no expected field listed for " + name + "; errors: " + errors);
          assertTrue(errors.stream().anyMatch(m -> m.startsWith(field + ": ")),
              "expected a message about " + field + " but got " + errors);
        }));
      }
    }
    assertTrue(tests.size() >= 7, "found only " + tests.size() + " bad documents in " + SPEC_DIR);
    return tests.stream();
  }

  @Test
  void exactMessagesForTheSpecBadDocuments() throws IOException {
    assertEquals(List.of("freebsd.jail.vnet: \"disable\" is not one of [new, inherit]"),
        validate("config", "config/bad/freebsd-vnet-disable.json"));
    assertEquals(List.of("linux.resources.hugepageLimits[0].pageSize: \"64kB\" does not match the pattern"
        + " ^[1-9][0-9]*[KMG]B$"), validate("config", "config/bad/linux-hugepage.json"));
    assertEquals(List.of("linux.netDevices.eth0.name: expected a string, got an integer"),
        validate("config", "config/bad/linux-netdevice.json"));
    assertEquals(List.of("linux.resources.rdma.mlx5_1.hcaHandles: expected an integer, got a string"),
        validate("config", "config/bad/linux-rdma.json"));
    assertEquals(List.of("ociVersionMax: required property is missing"),
        validate("features", "features/bad/missing-ociVersionMax.json"));
  }

  private static List<String> validate(String kind, String file) throws IOException {
    return validator(kind).validate(Json.parse(Files.readString(SPEC_DIR.resolve("test").resolve(file))));
  }

  private static List<String> config(String json) {
    return SchemaValidator.config().validate(Json.parse(json));
  }

  @Test
  void unknownPropertiesAreAllowed() {
    assertEquals(List.of(), config("{\"ociVersion\": \"1.2.0\", \"vendorExtension\": {\"x\": [1]},"
        + " \"process\": {\"cwd\": \"/\", \"somethingNew\": true}}"));
  }

  @Test
  void negativeUidIsRejected() {
    assertEquals(List.of("process.user.uid: -1 is less than the minimum 0"),
        config("{\"ociVersion\": \"1.2.0\", \"process\": {\"cwd\": \"/\", \"user\": {\"uid\": -1}}}"));
    assertEquals(List.of("process.user.gid: 4294967296 is greater than the maximum 4294967295"),
        config("{\"ociVersion\": \"1.2.0\", \"process\": {\"cwd\": \"/\", \"user\": {\"gid\": 4294967296}}}"));
  }

  @Test
  void uint64BoundsAreExact() {
    String rlimit = "{\"ociVersion\": \"1.2.0\", \"process\": {\"cwd\": \"/\", \"rlimits\": [{\"type\":"
        + " \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": %s}]}}";
    assertEquals(List.of(), config(rlimit.formatted("18446744073709551615")));
    assertEquals(List.of("process.rlimits[0].hard: 18446744073709551616 is greater than the maximum"
        + " 18446744073709551615"), config(rlimit.formatted("18446744073709551616")));
    assertEquals(List.of("process.rlimits[0].hard: expected an integer, got a number"),
        config(rlimit.formatted("1.5")));
    String pids = "{\"ociVersion\": \"1\", \"linux\": {\"resources\": {\"pids\": {\"limit\": %s}}}}";
    assertEquals(List.of(), config(pids.formatted("-9223372036854775808")));
    assertEquals(List.of("linux.resources.pids.limit: -9223372036854775809 is less than the minimum"
        + " -9223372036854775808"), config(pids.formatted("-9223372036854775809")));
  }

  @Test
  void sysctlKeysWithDotsAreBracketed() {
    assertEquals(List.of("linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got an integer"),
        config("{\"ociVersion\": \"1.2.0\", \"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": 1}}}"));
    assertEquals(List.of("annotations[\"org.example/key\"]: expected a string, got null"),
        config("{\"ociVersion\": \"1.2.0\", \"annotations\": {\"org.example/key\": null}}"));
  }

  @Test
  void namespaceTypeMustBeKnown() {
    assertEquals(List.of("linux.namespaces[1].type: \"foo\" is not one of"
        + " [mount, pid, network, uts, ipc, user, cgroup, time]"),
        config("{\"ociVersion\": \"1.2.0\", \"linux\": {\"namespaces\": [{\"type\": \"pid\"},"
            + " {\"type\": \"foo\"}]}}"));
    assertEquals(List.of("linux.namespaces[0].type: required property is missing"),
        config("{\"ociVersion\": \"1.2.0\", \"linux\": {\"namespaces\": [{\"path\": \"/x\"}]}}"));
  }

  @Test
  void typeErrorsNameBothTypes() {
    assertEquals(List.of("process.args: expected an array, got a string"),
        config("{\"ociVersion\": \"1.2.0\", \"process\": {\"cwd\": \"/\", \"args\": \"sh\"}}"));
    assertEquals(List.of("(root): expected an object, got an array"), config("[]"));
    assertEquals(List.of("ociVersion: required property is missing"), config("{}"));
  }

  @Test
  void allOfAndNestedRequiredArePathed() {
    assertEquals(List.of("linux.resources.blockIO.weightDevice[0].minor: required property is missing",
        "linux.resources.blockIO.weightDevice[0].weight: 70000 is greater than the maximum 65535"),
        config("{\"ociVersion\": \"1\", \"linux\": {\"resources\": {\"blockIO\": {\"weightDevice\":"
            + " [{\"major\": 8, \"weight\": 70000}]}}}}"));
  }

  @Test
  void otherPlatformsAndTupleItems() {
    assertEquals(List.of("windows.layerFolders: expected at least 1 item, got 0"),
        config("{\"ociVersion\": \"1\", \"windows\": {\"layerFolders\": []}}"));
    assertEquals(List.of("vm.hwConfig.iomems[0].nrMFNs: required property is missing",
        "vm.hwConfig.irqs[1]: expected an integer, got a string"),
        config("{\"ociVersion\": \"1\", \"vm\": {\"kernel\": {\"path\": \"k\"}, \"hwConfig\":"
            + " {\"iomems\": [{\"firstMFN\": 1}, \"not checked: tuple form\"], \"irqs\": [1, \"2\"]}}}"));
  }

  @Test
  void stateDocuments() {
    assertEquals(List.of("bundle: required property is missing",
        "status: \"paused\" is not one of [creating, created, running, stopped]",
        "pid: -5 is less than the minimum 0"),
        SchemaValidator.state().validate(Json.parse(
            "{\"ociVersion\": \"1\", \"id\": \"c\", \"status\": \"paused\", \"pid\": -5}")));
  }

  private static List<String> custom(String name, String schema, String document) {
    return SchemaValidator.of(name, Json.parse(schema)).validate(Json.parse(document));
  }

  @Test
  void anyOfReportsTheBranchThatGotDeepest() {
    String schema = """
        {"anyOf": [
         {"type": "string"},
         {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}}},
         {"type": "object", "required": ["c"]}
        ]}""";
    assertEquals(List.of(), custom("t-anyof.json", schema, "\"s\""));
    assertEquals(List.of(), custom("t-anyof.json", schema, "{\"a\": {\"b\": 1}}"));
    assertEquals(List.of("a.b: expected an integer, got a boolean"),
        custom("t-anyof.json", schema, "{\"a\": {\"b\": true}}"));
    assertEquals(List.of("(root): expected a string, got an array"), custom("t-anyof.json", schema, "[]"));
  }

  @Test
  void oneOfNotAndUniqueItems() {
    String oneOf = "{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 5}]}";
    assertEquals(List.of(), custom("t-oneof.json", oneOf, "1"));
    assertEquals(List.of(), custom("t-oneof.json", oneOf, "5.5"));
    assertEquals(List.of("(root): matches 2 schemas of \"oneOf\", expected exactly one"),
        custom("t-oneof.json", oneOf, "7"));
    assertEquals(List.of("(root): expected an integer, got a number"), custom("t-oneof.json", oneOf, "1.5"));
    String not = "{\"not\": {\"enum\": [1, \"x\"]}}";
    assertEquals(List.of(), custom("t-not.json", not, "2"));
    assertEquals(List.of("(root): must not match the schema given by \"not\""), custom("t-not.json", not, "1.0"));
    String unique = "{\"type\": \"array\", \"uniqueItems\": true}";
    assertEquals(List.of(), custom("t-unique.json", unique, "[1, \"1\", [1], {\"a\": 1}, {\"a\": 2}]"));
    assertEquals(List.of("[2]: duplicate of item [0], items must be unique",
        "[4]: duplicate of item [3], items must be unique"),
        custom("t-unique.json", unique, "[1, 2, 1.0, {\"a\": [1]}, {\"a\": [1]}]"));
  }

  @Test
  void stringsPropertiesAndTypeLists() {
    String schema = """
        {"type": "object", "additionalProperties": false,
         "properties": {"name": {"type": "string", "minLength": 2, "maxLength": 3},
                "opt": {"type": ["string", "null"]},
                "size": {"$ref": "defs.json#/definitions/uint8"}},
         "patternProperties": {"^x-": {"type": "boolean"}}}""";
    assertEquals(List.of(), custom("t-props.json", schema,
        "{\"name\": \"😀😀\", \"opt\": null, \"size\": 255, \"x-a\": true}"));
    assertEquals(List.of("name: \"a\" is shorter than 2 characters", "opt: expected a string or null, got an integer",
        "size: 256 is greater than the maximum 255", "[\"x-a\"]: expected a boolean, got a string",
        "other: property is not allowed here", "[\"a b\"]: property is not allowed here"),
        custom("t-props.json", schema,
            "{\"name\": \"a\", \"opt\": 1, \"size\": 256, \"x-a\": \"y\", \"other\": 1, \"a b\": 2}"));
    assertEquals(List.of("name: \"abcd\" is longer than 3 characters"),
        custom("t-props.json", schema, "{\"name\": \"abcd\"}"));
  }

  @Test
  void validatorsAreCached() {
    assertTrue(SchemaValidator.config() == SchemaValidator.config());
    assertTrue(SchemaValidator.features() == SchemaValidator.features());
  }
}
