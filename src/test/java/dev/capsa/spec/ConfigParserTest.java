package dev.capsa.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.json.Json;
import java.util.List;
import java.util.Map;
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
  void hooksResourcesAndIdMappingsAreBound() {
    Spec s = ConfigParser.parse("""
        {"ociVersion": "1.0.0",
         "hooks": {"prestart": [{"path": "/bin/true"}]},
         "linux": {"resources": {"pids": {"limit": 10}},
                   "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
         "mounts": [{"destination": "/a",
                     "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]}
        """);
    assertEquals(List.of(new Hooks.Hook("/bin/true", null, null, null)), s.hooks().prestart());
    // linux.resources is bound to records now that cgroups/ applies it.
    assertEquals(new Resources(null, null, new Resources.Pids(10), null, List.of(), null,
        Map.of(), List.of(), Map.of()), s.linux().resources());
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

  // ---------------------------------------------------------------- the issue 3 fields

  private static final String ISSUE3 = """
      {
        "ociVersion": "1.3.0",
        "process": {
          "cwd": "/",
          "terminal": true,
          "consoleSize": {"height": 24, "width": 80},
          "scheduler": {"policy": "SCHED_DEADLINE", "nice": -3, "priority": 2,
                        "flags": ["SCHED_FLAG_RECLAIM"], "runtime": 100, "deadline": 200,
                        "period": 300},
          "ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 4},
          "execCPUAffinity": {"initial": "0-3", "final": "7"}
        },
        "hooks": {
          "prestart": [{"path": "/bin/a", "args": ["a", "1"], "env": ["X=1"], "timeout": 3}],
          "createRuntime": [{"path": "/bin/b"}],
          "createContainer": [{"path": "/bin/c"}, {"path": "/bin/d"}],
          "startContainer": [{"path": "/bin/e"}],
          "poststart": [{"path": "/bin/f"}],
          "poststop": [{"path": "/bin/g", "timeout": 1}]
        },
        "mounts": [
          {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "idmap"],
           "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
           "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 20}]}
        ],
        "linux": {
          "namespaces": [{"type": "user"}, {"type": "time"}, {"type": "mount"}],
          "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536},
                          {"containerID": 65536, "hostID": 1000, "size": 1}],
          "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
          "timeOffsets": {"monotonic": {"secs": -5, "nanosecs": 7}, "boottime": {"secs": 9}},
          "netDevices": {"eth0": {"name": "ctr0"}, "eth1": {}, "eth2": {"name": ""}},
          "personality": {"domain": "LINUX32"},
          "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0,1",
                           "flags": ["MPOL_F_RELATIVE_NODES"]},
          "seccomp": {
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 38,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "listenerPath": "/run/agent.sock",
            "listenerMetadata": "meta",
            "syscalls": [
              {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                        {"index": 0, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
            ]
          }
        }
      }
      """;

  @Test
  void bindsTheHooks() {
    Hooks h = ConfigParser.parse(ISSUE3).hooks();
    assertEquals(List.of(new Hooks.Hook("/bin/a", List.of("a", "1"), List.of("X=1"), 3)),
        h.prestart());
    assertEquals(List.of(new Hooks.Hook("/bin/b", null, null, null)), h.createRuntime());
    assertEquals(List.of(new Hooks.Hook("/bin/c", null, null, null),
        new Hooks.Hook("/bin/d", null, null, null)), h.createContainer());
    assertEquals(List.of(new Hooks.Hook("/bin/e", null, null, null)), h.startContainer());
    assertEquals(List.of(new Hooks.Hook("/bin/f", null, null, null)), h.poststart());
    assertEquals(List.of(new Hooks.Hook("/bin/g", null, null, 1)), h.poststop());
    assertFalse(h.isEmpty());
    assertEquals(List.of("a", "1"), h.prestart().get(0).argv());
    assertEquals(List.of("/bin/b"), h.createRuntime().get(0).argv());
    assertEquals(List.of(), h.createRuntime().get(0).environment());
  }

  @Test
  void hooksOfOneKindMakeTheOthersEmpty() {
    Hooks h = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "hooks": {"poststop": [{"path": "/bin/true"}]}}
        """).hooks();
    assertEquals(List.of(), h.prestart());
    assertEquals(List.of(), h.createContainer());
    assertEquals(1, h.poststop().size());
    assertEquals(Hooks.NONE, ConfigParser.parse("{\"ociVersion\": \"1.0.0\", \"hooks\": {}}")
        .hooks());
    assertTrue(Hooks.NONE.isEmpty());
  }

  @Test
  void hooksJsonRoundTrips() {
    Hooks h = ConfigParser.parse(ISSUE3).hooks();
    String json = ConfigParser.hooksJson(h);
    assertEquals(h, ConfigParser.parseHooks(json));
    // Absent members stay absent; empty kinds are left out.
    assertFalse(json.contains("null"), json);
    Hooks one = new Hooks(List.of(), List.of(), List.of(), List.of(),
        List.of(new Hooks.Hook("/x", List.of(), List.of(), null)), List.of());
    assertEquals(one, ConfigParser.parseHooks(ConfigParser.hooksJson(one)));
    assertEquals(Map.of("poststart", List.of(Map.of("path", "/x", "args", List.of(),
        "env", List.of()))), Json.parse(ConfigParser.hooksJson(one)));
  }

  @Test
  void noHooksRoundTripAsAnEmptyObject() {
    assertEquals("{}", ConfigParser.hooksJson(Hooks.NONE).strip());
    assertEquals(Hooks.NONE, ConfigParser.parseHooks(ConfigParser.hooksJson(Hooks.NONE)));
  }

  @Test
  void hooksJsonIsValidAsTheHooksOfAConfig() {
    String hooks = ConfigParser.hooksJson(ConfigParser.parse(ISSUE3).hooks());
    String config = "{\"ociVersion\": \"1.3.0\", \"hooks\": " + hooks + "}";
    assertEquals(List.of(), SchemaValidator.config().validate(Json.parse(config)));
  }

  @Test
  void bindsTheSeccompProfile() {
    Seccomp s = ConfigParser.parse(ISSUE3).linux().seccomp();
    assertEquals("SCMP_ACT_ERRNO", s.defaultAction());
    assertEquals(38L, s.defaultErrnoRet());
    assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"), s.architectures());
    assertEquals(List.of("SECCOMP_FILTER_FLAG_LOG"), s.flags());
    assertEquals("/run/agent.sock", s.listenerPath());
    assertEquals("meta", s.listenerMetadata());
    assertEquals(List.of(
        new Seccomp.Syscall(List.of("read", "write"), "SCMP_ACT_ALLOW", null, List.of()),
        new Seccomp.Syscall(List.of("personality"), "SCMP_ACT_ALLOW", null, List.of(
            new Seccomp.Arg(0, 8, 0, "SCMP_CMP_EQ"),
            new Seccomp.Arg(0, 255, 8, "SCMP_CMP_MASKED_EQ"))),
        new Seccomp.Syscall(List.of("mkdir"), "SCMP_ACT_ERRNO", 13L, List.of())), s.syscalls());
  }

  @Test
  void minimalSeccompHasEmptyListsAndNulls() {
    Seccomp s = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}
        """).linux().seccomp();
    assertEquals(new Seccomp("SCMP_ACT_ALLOW", null, List.of(), List.of(), null, null,
        List.of()), s);
  }

  @Test
  void seccompArgumentValuesAreUint64BitPatterns() {
    Seccomp s = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
          "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
                        "args": [{"index": 5, "value": 18446744073709551615,
                                  "valueTwo": 9223372036854775808, "op": "SCMP_CMP_EQ"}]}]}}}
        """).linux().seccomp();
    assertEquals(new Seccomp.Arg(5, -1L, Long.MIN_VALUE, "SCMP_CMP_EQ"),
        s.syscalls().get(0).args().get(0));
  }

  @Test
  void bindsTheIdMappings() {
    Spec s = ConfigParser.parse(ISSUE3);
    assertEquals(List.of(new IdMapping(0, 100000, 65536), new IdMapping(65536, 1000, 1)),
        s.linux().uidMappings());
    assertEquals(List.of(new IdMapping(0, 100000, 65536)), s.linux().gidMappings());
    Spec.Mount m = s.mounts().get(0);
    assertEquals(List.of(new IdMapping(0, 1000, 10)), m.uidMappings());
    assertEquals(List.of(new IdMapping(0, 2000, 20)), m.gidMappings());
    assertEquals(List.of("rbind", "idmap"), m.optionList());
  }

  @Test
  void bindsTheTimeOffsetsInTheirOrder() {
    Linux l = ConfigParser.parse(ISSUE3).linux();
    assertEquals(List.of("monotonic", "boottime"), List.copyOf(l.timeOffsets().keySet()));
    assertEquals(new Linux.TimeOffset(-5, 7), l.timeOffsets().get("monotonic"));
    assertEquals(new Linux.TimeOffset(9, 0), l.timeOffsets().get("boottime"));
  }

  @Test
  void netDeviceNameDefaultsToTheHostName() {
    // config-linux.md: "If not specified, the host name is used."
    Map<String, String> devices = ConfigParser.parse(ISSUE3).linux().netDevices();
    assertEquals(List.of("eth0", "eth1", "eth2"), List.copyOf(devices.keySet()));
    assertEquals("ctr0", devices.get("eth0"));
    assertEquals("eth1", devices.get("eth1"));
    assertEquals("eth2", devices.get("eth2"));
  }

  @Test
  void bindsTheProcessAttributes() {
    Spec.Process p = ConfigParser.parse(ISSUE3).process();
    assertTrue(p.terminal());
    assertEquals(new Spec.ConsoleSize(24, 80), p.consoleSize());
    assertEquals(new Spec.Scheduler("SCHED_DEADLINE", -3, 2, List.of("SCHED_FLAG_RECLAIM"), 100,
        200, 300), p.scheduler());
    assertEquals(new Spec.IoPriority("IOPRIO_CLASS_RT", 4), p.ioPriority());
    assertEquals(new Spec.CpuAffinity("0-3", "7"), p.execCPUAffinity());
  }

  @Test
  void absentProcessAttributeMembersAreZeroOrEmpty() {
    Spec.Process p = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "process": {"cwd": "/",
          "scheduler": {"policy": "SCHED_OTHER"}, "ioPriority": {"class": "IOPRIO_CLASS_BE"},
          "execCPUAffinity": {"final": "1"}}}
        """).process();
    assertEquals(new Spec.Scheduler("SCHED_OTHER", 0, 0, List.of(), 0, 0, 0), p.scheduler());
    assertEquals(new Spec.IoPriority("IOPRIO_CLASS_BE", 0), p.ioPriority());
    assertEquals(new Spec.CpuAffinity(null, "1"), p.execCPUAffinity());
    assertNull(ConfigParser.parse(FULL).process().ioPriority());
    assertNull(ConfigParser.parse(FULL).process().execCPUAffinity());
  }

  @Test
  void bindsPersonalityAndMemoryPolicy() {
    Linux l = ConfigParser.parse(ISSUE3).linux();
    assertEquals(new Linux.Personality("LINUX32", List.of()), l.personality());
    assertEquals(new Linux.MemoryPolicy("MPOL_INTERLEAVE", "0,1", List.of("MPOL_F_RELATIVE_NODES")),
        l.memoryPolicy());
    Linux none = ConfigParser.parse(FULL).linux();
    assertNull(none.personality());
    assertNull(none.memoryPolicy());
    assertNull(none.timeOffsets());
    assertNull(none.netDevices());
  }

  @Test
  void memoryPolicyWithoutFlagsHasAnEmptyList() {
    Linux l = ConfigParser.parse("""
        {"ociVersion": "1.0.0", "linux": {"memoryPolicy": {"mode": "MPOL_DEFAULT"},
                                          "personality": {"domain": "LINUX"}}}
        """).linux();
    assertEquals(new Linux.MemoryPolicy("MPOL_DEFAULT", null, List.of()), l.memoryPolicy());
    assertEquals(new Linux.Personality("LINUX", List.of()), l.personality());
  }

  @Test
  void unknownSchedulerPolicyIsNamedByTheSchema() {
    assertSchemaError("process.scheduler.policy", """
        {"ociVersion": "1.0.0", "process": {"cwd": "/", "scheduler": {"policy": "SCHED_FAST"}}}
        """);
  }

  @Test
  void hookWithoutPathIsNamedByTheSchema() {
    assertSchemaError("hooks.prestart[0].path", """
        {"ociVersion": "1.0.0", "hooks": {"prestart": [{"args": ["x"]}]}}
        """);
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
