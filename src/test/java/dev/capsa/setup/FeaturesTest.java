package dev.capsa.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.cgroups.Hierarchy;
import dev.capsa.json.Json;
import dev.capsa.linux.Capabilities;
import dev.capsa.seccomp.SeccompCompiler;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.SchemaValidator;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The features document: valid, and claiming nothing the compiler refuses. */
class FeaturesTest {
  /** Every NamespaceType of defs-linux.json. */
  private static final List<String> SPEC_NAMESPACES =
      List.of("mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time");

  /** The hook kinds of config.md, in their order. */
  private static final List<String> SPEC_HOOKS = List.of(
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop");

  private static final SetupCompiler.Host HOST = new SetupCompiler.Host(40, (1L << 41) - 1,
      List.of(new Hierarchy("/sys/fs/cgroup", true, "", "/")));

  private static final String MAPPINGS = """
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]
      """;

  @TempDir Path bundle;

  @BeforeEach
  void makeRootfs() throws IOException {
    Files.createDirectory(bundle.resolve("rootfs"));
  }

  /** The document as {@code capsa features} prints it, read back as JSON. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> document() {
    return (Map<String, Object>) Json.parse(Json.write(Features.document("x")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> linux() {
    return (Map<String, Object>) document().get("linux");
  }

  @SuppressWarnings("unchecked")
  private static List<String> linuxList(String key) {
    return (List<String>) linux().get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<String> seccompList(String key) {
    return (List<String>) ((Map<String, Object>) linux().get("seccomp")).get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<String> memoryPolicyList(String key) {
    return (List<String>) ((Map<String, Object>) linux().get("memoryPolicy")).get(key);
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

  // ---------------------------------------------------------------- hooks

  @Test
  void everyHookKindIsClaimed() {
    assertEquals(SPEC_HOOKS, document().get("hooks"));
  }

  @Test
  void everyClaimedHookKindCompiles() {
    for (String kind : SPEC_HOOKS) {
      Program p = compile(config("""
          "hooks": {"%s": [{"path": "/bin/true", "args": ["true"], "timeout": 5}]}
          """.formatted(kind)));
      // The hooks of create stop the stage before pivot_root; the rest run from Java later.
      boolean create = SPEC_HOOKS.indexOf(kind) < 3;
      assertEquals(create, p.ops().contains(new Op.Sync(SetupCompiler.SYNC_HOOKS)), kind);
    }
  }

  // ---------------------------------------------------------------- mount options

  @Test
  void mountOptionsIncludeTheExtensions() {
    List<String> options = mountOptions();
    assertTrue(options.containsAll(List.of("idmap", "ridmap", "tmpcopyup")), options::toString);
    assertTrue(options.containsAll(List.of("ro", "rbind", "rro", "rprivate", "nosymfollow")),
        options::toString);
  }

  @Test
  void everyListedMountOptionIsAccepted() {
    for (String option : mountOptions()) {
      // idmap and ridmap take the container's user namespace's mapping.
      boolean idmap = option.equals("idmap") || option.equals("ridmap");
      String config = config("""
          %s
          "mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "rootfs",
                      "options": ["%s"]}]
          """.formatted(idmap ? userNamespace() + "," : "", option));
      try {
        compile(config);
      } catch (SpecException e) {
        throw new AssertionError(option + ": " + e.getMessage(), e);
      }
    }
  }

  @Test
  void idmapOnABindMountWithItsOwnMappingsIsAccepted() {
    Program p = SetupCompiler.compile(new SetupCompiler.Request(ConfigParser.parse(config("""
        "mounts": [{"destination": "/data", "type": "bind", "source": "rootfs",
                    "options": ["rbind", "ridmap"], %s}]
        """.formatted(MAPPINGS))), bundle, bundle.resolve("exec.fifo"), false, -1,
        Map.of(0, "/proc/4242/ns/user"), List.of()), HOST).program();
    assertTrue(p.ops().contains(new Op.Idmap("/data", "/proc/4242/ns/user", true)), p::toString);
  }

  @Test
  void idmapExtensionIsEnabled() {
    assertEquals(Map.of("idmap", Map.of("enabled", true)), linux().get("mountExtensions"));
  }

  // ---------------------------------------------------------------- namespaces, capabilities

  @Test
  void capabilitiesAreTheKnownNames() {
    assertEquals(Capabilities.NAMES, linuxList("capabilities"));
  }

  @Test
  void everyNamespaceTypeIsClaimed() {
    List<String> listed = linuxList("namespaces");
    assertEquals(8, listed.size(), listed::toString);
    assertTrue(listed.containsAll(SPEC_NAMESPACES), listed::toString);
  }

  @Test
  void everyListedNamespaceIsAcceptedByTheCompiler() {
    for (String type : linuxList("namespaces")) {
      try {
        compile(withNamespaces(type));
      } catch (SpecException e) {
        throw new AssertionError(type + ": " + e.getMessage(), e);
      }
    }
  }

  @Test
  void everyUnlistedNamespaceIsRefusedByTheCompiler() {
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

  // ---------------------------------------------------------------- seccomp

  @Test
  void seccompIsEnabledWithTheCompilersTables() {
    @SuppressWarnings("unchecked")
    Map<String, Object> seccomp = (Map<String, Object>) linux().get("seccomp");
    assertEquals(true, seccomp.get("enabled"));
    assertEquals(List.of("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
        "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"), seccomp.get("actions"));
    assertEquals(List.of("SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
        "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"), seccomp.get("operators"));
    List<String> flags = seccompList("supportedFlags");
    assertTrue(seccompList("knownFlags").containsAll(flags), flags::toString);
    assertTrue(seccompList("archs").containsAll(List.of("SCMP_ARCH_X86", "SCMP_ARCH_X86_64")));
  }

  @Test
  void everyClaimedSeccompActionIsAccepted() {
    for (String action : seccompList("actions")) {
      String listener = action.equals("SCMP_ACT_NOTIFY")
          ? ", \"listenerPath\": \"/run/agent.sock\""
          : "";
      assertAccepted(action, seccomp("""
          "defaultAction": "SCMP_ACT_ALLOW"%s,
          "syscalls": [{"names": ["mkdir"], "action": "%s"}]
          """.formatted(listener, action)));
    }
  }

  @Test
  void everyClaimedSeccompOperatorIsAccepted() {
    for (String op : seccompList("operators")) {
      assertAccepted(op, seccomp("""
          "defaultAction": "SCMP_ACT_ALLOW",
          "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                        "args": [{"index": 0, "value": 8, "valueTwo": 8, "op": "%s"}]}]
          """.formatted(op)));
    }
  }

  @Test
  void everySupportedSeccompFlagIsAccepted() {
    for (String flag : seccompList("supportedFlags")) {
      assertAccepted(flag, seccomp("""
          "defaultAction": "SCMP_ACT_ALLOW", "flags": ["%s"]
          """.formatted(flag)));
    }
  }

  @Test
  void everyClaimedSeccompArchitectureIsRecognized() {
    List<String> unknown = new ArrayList<>();
    for (String arch : seccompList("archs")) {
      try {
        compile(seccomp("""
            "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["%s"]
            """.formatted(arch)));
      } catch (SpecException e) {
        // An arch of the other byte order cannot share a filter with this one's (EDOM):
        // a refusal, but of a recognized arch.
        if (e.getMessage().contains("not an architecture libseccomp knows")) {
          unknown.add(arch);
        }
      }
    }
    assertEquals(List.of(), unknown);
  }

  @Test
  void claimedSeccompArchitecturesAreThoseLibseccompKnows() {
    List<String> archs = seccompList("archs");
    assertEquals(SeccompCompiler.knownArchitectures(), archs);
    assertTrue(SeccompCompiler.ARCHITECTURES.containsAll(archs), archs::toString);
  }

  @Test
  void theLittleEndianArchitecturesAreAccepted() {
    // A filter holds archs of one byte order only; these are the little-endian
    // ones libseccomp has known for years.
    for (String arch : List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64")) {
      assertTrue(seccompList("archs").contains(arch), arch);
      assertAccepted(arch, seccomp("""
          "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["%s"]
          """.formatted(arch)));
    }
  }

  // ---------------------------------------------------------------- cgroups

  @Test
  void cgroupsOfBothVersionsRdmaAndSystemdAreClaimedButNotSystemdUser() {
    // The cgroups of linux.resources are set by Java, on v1, v2 and hybrid hosts;
    // --systemd-cgroup makes a transient scope where systemd runs (not a user's systemd).
    assertEquals(Map.of("v1", true, "v2", true, "systemd", true, "systemdUser", false,
        "rdma", true), linux().get("cgroup"));
  }

  @Test
  void cgroupsPathAndResourcesCompile() {
    Program p = compile(config("""
        "linux": {"namespaces": [{"type": "mount"}], "cgroupsPath": "/capsa/x",
                  "resources": {"pids": {"limit": 10}, "rdma": {"mlx5_1": {"hcaHandles": 3}}}}
        """));
    // Applied outside the program; the stage only stops to be moved into the cgroup.
    assertEquals(1, p.ops().stream().filter(new Op.Sync(SetupCompiler.SYNC_CGROUP)::equals)
        .count(), p::toString);
  }

  // ---------------------------------------------------------------- memory policy

  @Test
  void everyClaimedMemoryPolicyModeIsAccepted() {
    List<String> modes = memoryPolicyList("modes");
    assertEquals(7, modes.size(), modes::toString);
    for (String mode : modes) {
      boolean noNodes = mode.equals("MPOL_DEFAULT") || mode.equals("MPOL_LOCAL");
      assertAccepted(mode, config("""
          "linux": {"namespaces": [{"type": "mount"}],
                    "memoryPolicy": {"mode": "%s"%s}}
          """.formatted(mode, noNodes ? "" : ", \"nodes\": \"0\"")));
    }
  }

  @Test
  void everyClaimedMemoryPolicyFlagIsAccepted() {
    List<String> flags = memoryPolicyList("flags");
    assertEquals(3, flags.size(), flags::toString);
    for (String flag : flags) {
      assertAccepted(flag, config("""
          "linux": {"namespaces": [{"type": "mount"}],
                    "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0", "flags": ["%s"]}}
          """.formatted(flag)));
    }
  }

  // ---------------------------------------------------------------- the rest

  @Test
  void implementedFeaturesAreEnabledAndTheRestDisabled() {
    Map<String, Object> linux = linux();
    assertEquals(Map.of("enabled", true), linux.get("apparmor"));
    assertEquals(Map.of("enabled", true), linux.get("netDevices"));
    assertEquals(Map.of("enabled", false), linux.get("selinux"));
    assertEquals(Map.of("enabled", false), linux.get("intelRdt"));
  }

  @Test
  void netDevicesAreAccepted() {
    assertAccepted("netDevices", config("""
        "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}],
                  "netDevices": {"eth0": {"name": "ctr0"}}}
        """));
  }

  @Test
  void apparmorIsAcceptedOnAHostWithAppArmor() {
    SetupCompiler.Host apparmor =
        new SetupCompiler.Host(40, (1L << 41) - 1, HOST.cgroups(), true, false, false);
    Program p = SetupCompiler.compile(new SetupCompiler.Request(ConfigParser.parse(config("""
        "process": {"cwd": "/", "args": ["sh"], "apparmorProfile": "capsa-default"}
        """)), bundle, bundle.resolve("exec.fifo"), false), apparmor).program();
    assertTrue(p.ops().contains(
        new Op.WriteFile("/proc/self/attr/apparmor/exec", "exec capsa-default", false)));
  }

  // ---------------------------------------------------------------- helpers

  /** A config of a minimal container with {@code extra} members (JSON, comma-free ends). */
  private static String config(String extra) {
    String base = """
        {"ociVersion": "1.3.0", "process": {"cwd": "/", "args": ["sh"]},
         "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]}}
        """;
    @SuppressWarnings("unchecked")
    Map<String, Object> merged = (Map<String, Object>) Json.parse(base);
    @SuppressWarnings("unchecked")
    Map<String, Object> more = (Map<String, Object>) Json.parse("{" + extra + "}");
    merged.putAll(more);
    return Json.write(merged);
  }

  private static String seccomp(String members) {
    return config("""
        "linux": {"namespaces": [{"type": "mount"}], "seccomp": {%s}}
        """.formatted(members));
  }

  private static String userNamespace() {
    return """
        "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}], %s}
        """.formatted(MAPPINGS);
  }

  private static String withNamespaces(String type) {
    if (type.equals("user")) {
      return config(userNamespace());
    }
    String namespaces = type.equals("mount")
        ? "[{\"type\": \"mount\"}]"
        : "[{\"type\": \"mount\"}, {\"type\": \"" + type + "\"}]";
    return config("\"linux\": {\"namespaces\": " + namespaces + "}");
  }

  private void assertAccepted(String what, String config) {
    try {
      compile(config);
    } catch (SpecException e) {
      throw new AssertionError(what + ": " + e.getMessage(), e);
    }
  }

  private Program compile(String config) {
    return SetupCompiler.compile(new SetupCompiler.Request(ConfigParser.parse(config), bundle,
        bundle.resolve("exec.fifo"), false), HOST).program();
  }
}
