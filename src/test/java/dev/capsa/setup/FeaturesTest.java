package dev.capsa.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.cgroups.Hierarchy;
import dev.capsa.json.Json;
import dev.capsa.linux.Capabilities;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.SchemaValidator;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The features document: valid, and claiming nothing the compiler refuses. */
class FeaturesTest {
  /** Every NamespaceType of defs-linux.json. */
  private static final List<String> SPEC_NAMESPACES =
      List.of("mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time");

  private static final SetupCompiler.Host HOST = new SetupCompiler.Host(40, (1L << 41) - 1,
      List.of(new Hierarchy("/sys/fs/cgroup", true, "", "/")));

  @TempDir Path bundle;

  /** The document as {@code capsa features} prints it, read back as JSON. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> document() {
    return (Map<String, Object>) Json.parse(Json.write(Features.document("x")));
  }

  @SuppressWarnings("unchecked")
  private static List<String> linuxList(String key) {
    return (List<String>) ((Map<String, Object>) document().get("linux")).get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<String> mountOptions() {
    return (List<String>) document().get("mountOptions");
  }

  @Test
  void documentIsValidAgainstTheFeaturesSchema() {
    assertEquals(List.of(), SchemaValidator.features().validate(document()));
  }

  @Test
  void versionsAreTheSupportedRange() {
    Map<String, Object> d = document();
    assertEquals(OciVersion.MINIMUM, d.get("ociVersionMin"));
    assertEquals(OciVersion.SUPPORTED, d.get("ociVersionMax"));
    assertEquals(Map.of("dev.capsa.version", "x"), d.get("annotations"));
  }

  @Test
  void noHooksAreClaimed() {
    assertEquals(List.of(), document().get("hooks"));
  }

  @Test
  void mountOptionsOmitTheExtensionsTheCompilerRefuses() {
    List<String> options = mountOptions();
    assertFalse(options.contains("idmap"), options::toString);
    assertFalse(options.contains("ridmap"), options::toString);
    assertFalse(options.contains("tmpcopyup"), options::toString);
    assertTrue(options.containsAll(List.of("ro", "rbind", "rro", "rprivate", "nosymfollow")),
        options::toString);
  }

  @Test
  void everyListedMountOptionIsAccepted() throws IOException {
    Files.createDirectory(bundle.resolve("rootfs"));
    for (String option : mountOptions()) {
      String config = """
          {"ociVersion": "1.3.0", "process": {"cwd": "/", "args": ["sh"]},
           "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]},
           "mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "rootfs",
                       "options": ["%s"]}]}
          """.formatted(option);
      compile(config);
    }
  }

  @Test
  void capabilitiesAreTheKnownNames() {
    assertEquals(Capabilities.NAMES, linuxList("capabilities"));
  }

  @Test
  void everyListedNamespaceIsAcceptedByTheCompiler() throws IOException {
    Files.createDirectory(bundle.resolve("rootfs"));
    List<String> listed = linuxList("namespaces");
    assertEquals(6, listed.size(), listed::toString);
    for (String type : listed) {
      compile(withNamespaces(type));
    }
  }

  @Test
  void everyUnlistedNamespaceIsRefusedByTheCompiler() throws IOException {
    Files.createDirectory(bundle.resolve("rootfs"));
    List<String> listed = linuxList("namespaces");
    for (String type : SPEC_NAMESPACES) {
      if (!listed.contains(type)) {
        SpecException e = assertThrows(SpecException.class, () -> compile(withNamespaces(type)),
            type);
        assertTrue(e.getMessage().startsWith("linux.namespaces[1]"), e.getMessage());
      }
    }
    assertTrue(SPEC_NAMESPACES.containsAll(listed), listed::toString);
  }

  @Test
  void unimplementedFeaturesAreDisabled() {
    @SuppressWarnings("unchecked")
    Map<String, Object> linux = (Map<String, Object>) document().get("linux");
    for (String key : List.of("seccomp", "apparmor", "selinux", "intelRdt", "netDevices")) {
      assertEquals(Map.of("enabled", false), linux.get(key), key);
    }
    assertEquals(Map.of("idmap", Map.of("enabled", false)), linux.get("mountExtensions"));
  }

  private static String withNamespaces(String type) {
    String namespaces = type.equals("mount")
        ? "[{\"type\": \"mount\"}]"
        : "[{\"type\": \"mount\"}, {\"type\": \"" + type + "\"}]";
    return """
        {"ociVersion": "1.3.0", "process": {"cwd": "/", "args": ["sh"]},
         "root": {"path": "rootfs"}, "linux": {"namespaces": %s}}
        """.formatted(namespaces);
  }

  private void compile(String config) {
    SetupCompiler.compile(new SetupCompiler.Request(ConfigParser.parse(config), bundle,
        bundle.resolve("exec.fifo"), false), HOST);
  }
}
