package dev.capsa.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** config.json to {@link Spec}: every field bound, every error naming its field. */
class ConfigParserTest {
  private static final String FULL = """
      {
        "ociVersion": "1.2.0",
        "process": {
          "terminal": false,
          "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 6]},
          "args": ["/bin/app", "--serve"],
          "env": ["PATH=/bin", "HOME=/home/app"],
          "cwd": "/home/app",
          "capabilities": {
            "bounding": ["CAP_KILL", "CAP_CHOWN"],
            "effective": ["CAP_KILL"],
            "inheritable": [],
            "permitted": ["CAP_KILL", "CAP_CHOWN"],
            "ambient": ["CAP_KILL"]
          },
          "rlimits": [
            {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615}
          ],
          "noNewPrivileges": true,
          "oomScoreAdj": -17,
          "apparmorProfile": "profile",
          "selinuxLabel": "label"
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "box",
        "domainname": "example.org",
        "mounts": [
          {"destination": "/proc", "type": "proc", "source": "proc"},
          {"destination": "/data", "type": "bind", "source": "/srv/data",
           "options": ["rbind", "ro", "mode=755"]}
        ],
        "annotations": {"com.example.key": "value", "other": ""},
        "linux": {
          "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                         {"type": "mount"}],
          "devices": [
            {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
             "uid": 1, "gid": 2},
            {"type": "p", "path": "/dev/pipe"}
          ],
          "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536"},
          "rootfsPropagation": "slave",
          "maskedPaths": ["/proc/kcore"],
          "readonlyPaths": ["/proc/sys"],
          "cgroupsPath": "/capsa/x",
          "mountLabel": "mlabel"
        },
        "windows": {"layerFolders": ["C:\\\\layers"]}
      }
      """;

  @Test
  void bindsTheTopLevelFields() {
    Spec s = ConfigParser.parse(FULL);
    assertEquals("1.2.0", s.ociVersion());
    assertEquals(new Spec.Root("rootfs", true), s.root());
    assertEquals("box", s.hostname());
    assertEquals("example.org", s.domainname());
    assertEquals(Map.of("com.example.key", "value", "other", ""), s.annotations());
    // Absent hooks are no hooks, never null.
    assertEquals(Hooks.NONE, s.hooks());
    assertEquals(List.of("windows"), s.otherPlatforms());
  }

  @Test
  void bindsTheProcess() {
    Spec.Process p = ConfigParser.parse(FULL).process();
    assertFalse(p.terminal());
    assertEquals(new Spec.User(1000, 100, 18, List.of(5L, 6L)), p.user());
    assertEquals(List.of("/bin/app", "--serve"), p.args());
    assertEquals(List.of("PATH=/bin", "HOME=/home/app"), p.env());
    assertEquals("/home/app", p.cwd());
    assertEquals(new Spec.Capabilities(List.of("CAP_KILL", "CAP_CHOWN"), List.of("CAP_KILL"),
        List.of(), List.of("CAP_KILL", "CAP_CHOWN"), List.of("CAP_KILL")), p.capabilities());
    assertEquals(List.of(new Spec.Rlimit("RLIMIT_NOFILE", 1024, 4096),
        new Spec.Rlimit("RLIMIT_CORE", 0, -1L)), p.rlimits());
    assertTrue(p.noNewPrivileges());
    assertEquals(-17, p.oomScoreAdj());
    assertEquals("profile", p.apparmorProfile());
    assertEquals("label", p.selinuxLabel());
    assertNull(p.scheduler());
    assertNull(p.commandLine());
  }

  @Test
  void bindsTheMounts() {
    List<Spec.Mount> mounts = ConfigParser.parse(FULL).mounts();
    assertEquals(List.of(
        new Spec.Mount("/proc", "proc", "proc", null, null, null),
        new Spec.Mount("/data", "bind", "/srv/data", List.of("rbind", "ro", "mode=755"), null,
            null)),
        mounts);
    assertEquals(List.of(), mounts.get(0).optionList());
  }

  @Test
  void bindsTheLinuxSection() {
    Linux l = ConfigParser.parse(FULL).linux();
    assertEquals(List.of(new Linux.Namespace("pid", null),
        new Linux.Namespace("network", "/var/run/netns/x"), new Linux.Namespace("mount", null)),
        l.namespaces());
    assertEquals(List.of(
        new Linux.Device("c", "/dev/fuse", 10, 229, 438L, 1L, 2L),
        new Linux.Device("p", "/dev/pipe", 0, 0, null, null, null)), l.devices());
    assertEquals(Map.of("net.ipv4.ip_forward", "1", "kernel.shmmax", "65536"), l.sysctl());
    assertEquals(List.of("net.ipv4.ip_forward", "kernel.shmmax"), List.copyOf(l.sysctl().keySet()));
    assertEquals("slave", l.rootfsPropagation());
    assertEquals(List.of("/proc/kcore"), l.maskedPaths());
    assertEquals(List.of("/proc/sys"), l.readonlyPaths());
    assertEquals("/capsa/x", l.cgroupsPath());
    assertEquals("mlabel", l.mountLabel());
    assertNull(l.resources());
    assertNull(l.seccomp());
    assertNull(l.uidMappings());
  }

  @Test
  void absentPartsAreNull() {
    Spec s = ConfigParser.parse("{\"ociVersion\": \"1.0.0\"}");
    assertNull(s.process());
    assertNull(s.root());
    assertNull(s.linux());
    assertNull(s.annotations());
    assertEquals(List.of(), s.mounts());
    assertEquals(List.of(), s.otherPlatforms());
  }

  @Test
  void absentUserFieldsAreNullOrZero() {
    Spec.Process p = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "process": {"cwd": "/", "user": {"uid": 5}}}
        """).process();
    assertEquals(new Spec.User(5, 0, null, null), p.user());
    assertNull(p.oomScoreAdj());
    assertNull(p.capabilities());
    assertNull(p.rlimits());
    assertNull(p.env());
  }

  @Test
  void unsupportedPartsAreKeptAsTreesAndTheRestIsBound() {
    Spec s = ConfigParser.parse("""
        {"ociVersion": "1.0.0",
         "hooks": {"prestart": [{"path": "/bin/true"}]},
         "linux": {"resources": {"pids": {"limit": 10}},
                   "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
         "mounts": [{"destination": "/a",
                     "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]}
        """);
    assertEquals(List.of(new Hooks.Hook("/bin/true", null, null, null)), s.hooks().prestart());
    assertEquals(Map.of("pids", Map.of("limit", 10L)), s.linux().resources());
    assertEquals(List.of(new IdMapping(0, 1000, 1)), s.linux().uidMappings());
    assertNull(s.linux().gidMappings());
    assertEquals(List.of(new IdMapping(0, 1, 1)), s.mounts().get(0).gidMappings());
    assertNull(s.mounts().get(0).uidMappings());
  }

  @Test
  void unknownPropertiesAreIgnored() {
    Spec s = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "vendor": {"x": 1}, "process": {"cwd": "/", "future": true}}
        """);
    assertEquals("/", s.process().cwd());
  }

  // ---------------------------------------------------------------- errors

  @Test
  void invalidJsonIsASpecExceptionWithLineAndColumn() {
    SpecException e = assertThrows(SpecException.class,
        () -> ConfigParser.parse("{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": }\n"));
    assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
    assertTrue(e.getMessage().contains("line 3, column 14"), e.getMessage());
  }

  @Test
  void missingOciVersionIsNamed() {
    assertSchemaError("ociVersion", "{}");
  }

  @Test
  void negativeUidIsNamed() {
    assertSchemaError("process.user.uid", """
        {"ociVersion": "1.0.0", "process": {"cwd": "/", "user": {"uid": -1}}}
        """);
  }

  @Test
  void rlimitAboveUint64IsNamed() {
    assertSchemaError("process.rlimits[0].soft", """
        {"ociVersion": "1.0.0", "process": {"cwd": "/", "rlimits": [
          {"type": "RLIMIT_NOFILE", "soft": 18446744073709551616, "hard": 1}]}}
        """);
  }

  @Test
  void unknownNamespaceTypeIsNamed() {
    assertSchemaError("linux.namespaces[1].type", """
        {"ociVersion": "1.0.0", "linux": {"namespaces": [{"type": "mount"}, {"type": "box"}]}}
        """);
  }

  @Test
  void mountWithoutDestinationIsNamed() {
    assertSchemaError("mounts[0].destination", """
        {"ociVersion": "1.0.0", "mounts": [{"type": "tmpfs"}]}
        """);
  }

  @Test
  void wrongTypeIsNamed() {
    assertSchemaError("process.args", """
        {"ociVersion": "1.0.0", "process": {"cwd": "/", "args": "sh"}}
        """);
  }

  @Test
  void sysctlValueMustBeAString() {
    assertSchemaError("linux.sysctl", """
        {"ociVersion": "1.0.0", "linux": {"sysctl": {"net.ipv4.ip_forward": 1}}}
        """);
  }

  @Test
  void umaskThatIsAValidUint32IsBoundOrRefusedByName() {
    // config-schema.json: umask is a uint32.
    try {
      Spec s = ConfigParser.parse("""
          {"ociVersion": "1.0.0", "process": {"cwd": "/", "user": {"umask": 4294967295}}}
          """);
      assertTrue(s.process().user().umask() != null);
    } catch (SpecException e) {
      assertTrue(e.getMessage().contains("process.user.umask"), e.getMessage());
    }
  }

  @Test
  void oomScoreAdjBeyondAnIntIsRefusedByName() {
    // config-schema.json: oomScoreAdj is any integer.
    SpecException e = assertThrows(SpecException.class, () -> ConfigParser.parse("""
        {"ociVersion": "1.0.0", "process": {"cwd": "/", "oomScoreAdj": 2147483648}}
        """));
    assertTrue(e.getMessage().contains("process.oomScoreAdj"), e.getMessage());
  }

  private static void assertSchemaError(String field, String json) {
    SpecException e = assertThrows(SpecException.class, () -> ConfigParser.parse(json));
    assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
    assertTrue(e.getMessage().contains(field + ": ") || e.getMessage().contains(field + "["),
        () -> "expected " + field + " in: " + e.getMessage());
  }
}
