package dev.capsa.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.cgroups.Hierarchy;
import dev.capsa.json.Json;
import dev.capsa.linux.Mounts;
import dev.capsa.linux.Namespaces;
import dev.capsa.setup.Op;
import dev.capsa.setup.SetupCompiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configs {@code capsa spec} writes: valid, and the standard one compiles. */
class DefaultSpecTest {
  private static final long ALL_CAPS = (1L << 41) - 1;

  @TempDir Path bundle;

  @Test
  void standardIsValid() {
    String json = Json.writePretty(DefaultSpec.standard());
    assertEquals(List.of(), SchemaValidator.config().validate(Json.parse(json)));
    Spec s = ConfigParser.parse(json);
    assertEquals(OciVersion.SUPPORTED, s.ociVersion());
    assertEquals(List.of("sh"), s.process().args());
    assertTrue(s.process().terminal());
    assertEquals(new Spec.Root("rootfs", true), s.root());
    assertEquals("capsa", s.hostname());
    assertEquals(7, s.mounts().size());
    assertEquals(List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
        s.process().capabilities().bounding());
    assertEquals(List.of(new Spec.Rlimit("RLIMIT_NOFILE", 1024, 1024)), s.process().rlimits());
    assertTrue(s.process().noNewPrivileges());
  }

  @Test
  void rootlessIsValid() {
    String json = Json.write(DefaultSpec.rootless(1000, 1000));
    assertEquals(List.of(), SchemaValidator.config().validate(Json.parse(json)));
    Spec s = ConfigParser.parse(json);
    List<String> types = s.linux().namespaces().stream().map(Linux.Namespace::type).toList();
    assertTrue(types.contains("user"), types::toString);
    assertFalse(types.contains("network"), types::toString);
    assertEquals(List.of(new IdMapping(0, 1000, 1)), s.linux().uidMappings());
    assertEquals(List.of(new IdMapping(0, 1000, 1)), s.linux().gidMappings());
    List<String> destinations = s.mounts().stream().map(Spec.Mount::destination).toList();
    assertFalse(destinations.contains("/dev/mqueue"), destinations::toString);
    assertFalse(destinations.contains("/sys/fs/cgroup"), destinations::toString);
    Spec.Mount sys = s.mounts().get(destinations.indexOf("/sys"));
    assertEquals(List.of("rbind", "nosuid", "noexec", "nodev", "ro"), sys.options());
  }

  @Test
  void rootlessCompilesIntoAUserNamespace() throws IOException {
    Map<String, Object> config = DefaultSpec.rootless(1000, 1000);
    terminalOff(config);
    Files.createDirectory(bundle.resolve("rootfs"));
    Spec s = ConfigParser.parse(Json.write(config));
    SetupCompiler.Result r = compile(s, v2Host());
    assertEquals(List.of(), r.warnings());
    List<Op> ops = r.program().ops();
    // Into the cgroup first; then the user namespace alone, its maps written
    // while the stage waits, then root in it; the other namespaces belong to it.
    assertEquals(List.of(
        new Op.OpenGate(bundle.resolve("exec.fifo").toString()),
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Unshare(Namespaces.CLONE_NEWUSER),
        new Op.Sync(SetupCompiler.SYNC_USERNS),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.Unshare(Namespaces.CLONE_NEWIPC | Namespaces.CLONE_NEWUTS
            | Namespaces.CLONE_NEWPID | Namespaces.CLONE_NEWCGROUP | Namespaces.CLONE_NEWNS),
        new Op.Fork(false)), ops.subList(0, 8));
    // mknod needs the host's CAP_MKNOD: the devices are bind mounts of the host's.
    assertTrue(ops.contains(new Op.Mount("/dev/null", "/dev/null", "", Mounts.MS_BIND, "",
        Op.Target.IN_ROOT, Op.Create.FILE)), r.program()::toString);
    assertFalse(ops.stream().anyMatch(op -> op instanceof Op.Mknod), r.program()::toString);
    // /sys is the host's, bound recursively (no network namespace of its own).
    assertTrue(ops.contains(new Op.Mount("/sys", "/sys", "", Mounts.MS_BIND | Mounts.MS_REC, "",
        Op.Target.IN_ROOT, Op.Create.DIR)), r.program()::toString);
  }

  @Test
  void standardCompilesOnAV2Host() throws IOException {
    SetupCompiler.Result r = compileStandard(v2Host());
    assertEquals(List.of(), r.warnings());
    List<Op> ops = r.program().ops();
    assertTrue(ops.contains(new Op.SetHostname("capsa")));
    assertTrue(ops.contains(new Op.MountSetattr("/", 1, 0, 0, false)), "readonly root");
    assertTrue(ops.contains(new Op.NoNewPrivs()));
    assertTrue(ops.contains(new Op.SetRlimit(7, 1024, 1024)));
    assertTrue(ops.contains(new Op.MaskPath("/proc/kcore")));
    assertTrue(ops.contains(new Op.ReadonlyPath("/proc/sys")));
    // CAP_KILL (5), CAP_NET_BIND_SERVICE (10) and CAP_AUDIT_WRITE (29).
    assertTrue(ops.contains(new Op.CapBsetDrop((1L << 5) | (1L << 10) | (1L << 29), 40)));
    assertTrue(ops.contains(new Op.Symlink("/proc/self/fd", "/dev/fd", false)));
    assertEquals(new Op.Exec(List.of("sh"), List.of(
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm")),
        ops.get(ops.size() - 1));
  }

  @Test
  void standardCompilesOnAHybridHost() throws IOException {
    SetupCompiler.Host hybrid = new SetupCompiler.Host(40, ALL_CAPS, List.of(
        new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/"),
        new Hierarchy("/sys/fs/cgroup/unified", true, "", "/")));
    SetupCompiler.Result r = compileStandard(hybrid);
    assertTrue(r.program().ops().stream().anyMatch(op -> op instanceof Op.Mount m
        && m.fstype().equals("cgroup") && m.data().equals("memory")), r.program()::toString);
  }

  private SetupCompiler.Result compileStandard(SetupCompiler.Host host) throws IOException {
    Map<String, Object> config = DefaultSpec.standard();
    terminalOff(config);
    Files.createDirectory(bundle.resolve("rootfs"));
    return compile(ConfigParser.parse(Json.write(config)), host);
  }

  @SuppressWarnings("unchecked")
  private static void terminalOff(Map<String, Object> config) {
    ((Map<String, Object>) config.get("process")).put("terminal", false);
  }

  private static SetupCompiler.Host v2Host() {
    return new SetupCompiler.Host(40, ALL_CAPS,
        List.of(new Hierarchy("/sys/fs/cgroup", true, "", "/user.slice")));
  }

  private SetupCompiler.Result compile(Spec s, SetupCompiler.Host host) {
    return SetupCompiler.compile(
        new SetupCompiler.Request(s, bundle, bundle.resolve("exec.fifo"), false), host);
  }
}
