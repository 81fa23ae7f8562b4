package dev.capsa.setup;

import static dev.capsa.linux.Mounts.MOUNT_ATTR_NODEV;
import static dev.capsa.linux.Mounts.MOUNT_ATTR_NOEXEC;
import static dev.capsa.linux.Mounts.MOUNT_ATTR_NOSUID;
import static dev.capsa.linux.Mounts.MOUNT_ATTR_RDONLY;
import static dev.capsa.linux.Mounts.MOUNT_ATTR__ATIME;
import static dev.capsa.linux.Mounts.MS_BIND;
import static dev.capsa.linux.Mounts.MS_NODEV;
import static dev.capsa.linux.Mounts.MS_NOEXEC;
import static dev.capsa.linux.Mounts.MS_NOSUID;
import static dev.capsa.linux.Mounts.MS_PRIVATE;
import static dev.capsa.linux.Mounts.MS_RDONLY;
import static dev.capsa.linux.Mounts.MS_REC;
import static dev.capsa.linux.Mounts.MS_RELATIME;
import static dev.capsa.linux.Mounts.MS_REMOUNT;
import static dev.capsa.linux.Mounts.MS_SHARED;
import static dev.capsa.linux.Mounts.MS_SLAVE;
import static dev.capsa.linux.Mounts.MS_STRICTATIME;
import static dev.capsa.linux.Namespaces.CLONE_NEWCGROUP;
import static dev.capsa.linux.Namespaces.CLONE_NEWIPC;
import static dev.capsa.linux.Namespaces.CLONE_NEWNET;
import static dev.capsa.linux.Namespaces.CLONE_NEWNS;
import static dev.capsa.linux.Namespaces.CLONE_NEWPID;
import static dev.capsa.linux.Namespaces.CLONE_NEWTIME;
import static dev.capsa.linux.Namespaces.CLONE_NEWUSER;
import static dev.capsa.linux.Namespaces.CLONE_NEWUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.capsa.cgroups.Hierarchy;
import dev.capsa.json.Json;
import dev.capsa.linux.Capabilities;
import dev.capsa.setup.Op.Create;
import dev.capsa.setup.Op.Target;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Spec;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The setup programs compiled from small configs. Each config is written as a
 * JSON merge patch (RFC 7386) over {@link #BASE}, parsed with
 * {@link ConfigParser#parse}, and compiled for a fake host.
 */
class SetupCompilerTest {
  /** A minimal config: the patches of the tests are merged over it. */
  private static final String BASE = """
      {
        "ociVersion": "1.3.0",
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}
      }
      """;

  private static final String DEFAULT_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFIFO = 0010000;
  private static final int LAST_CAP = 40;
  private static final long ALL_CAPS = (1L << 41) - 1;

  // Capability numbers of capabilities(7).
  private static final int CAP_CHOWN = 0;
  private static final int CAP_KILL = 5;
  private static final int CAP_NET_BIND_SERVICE = 10;
  private static final int CAP_NET_RAW = 13;
  private static final int CAP_SYS_ADMIN = 21;
  private static final int CAP_AUDIT_WRITE = 29;

  /** A v2-only host (cgroup2 at /sys/fs/cgroup). */
  private static final List<Hierarchy> V2 =
      List.of(new Hierarchy("/sys/fs/cgroup", true, "", "/user.slice/session-1.scope"));

  /** A hybrid host: v1 hierarchies in a tmpfs plus cgroup2 at unified. */
  private static final List<Hierarchy> HYBRID = List.of(
      new Hierarchy("/sys/fs/cgroup/cpu,cpuacct", false, "cpu,cpuacct", "/user.slice"),
      new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/user.slice/session-1.scope"),
      new Hierarchy("/sys/fs/cgroup/systemd", false, "name=systemd", "/"),
      new Hierarchy("/sys/fs/cgroup/unified", true, "", "/user.slice/session-1.scope"));

  private static final SetupCompiler.Host HOST = new SetupCompiler.Host(LAST_CAP, ALL_CAPS, HYBRID);

  private static final String CGROUP_MOUNT = """
      {"mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                   "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]}
      """;
  private static final long CGROUP_FLAGS =
      MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY;
  /** The bind attributes of CGROUP_FLAGS: ro, nosuid, nodev, noexec and relatime (0). */
  private static final long CGROUP_ATTRS =
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

  @TempDir Path bundle;
  private String rootfs;
  private Path fifo;

  @BeforeEach
  void makeBundle() throws IOException {
    rootfs = Files.createDirectory(bundle.resolve("rootfs")).toString();
    fifo = bundle.resolve("exec.fifo");
  }

  // ---------------------------------------------------------------- helpers

  /** {@link #BASE} with {@code patch} merged over it, parsed as config.json. */
  private static Spec spec(String patch) {
    Object merged = merge(Json.parse(BASE), Json.parse(patch));
    return ConfigParser.parse(Json.write(merged));
  }

  /** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
  @SuppressWarnings("unchecked")
  private static Object merge(Object target, Object patch) {
    if (!(patch instanceof Map<?, ?> p)) {
      return patch;
    }
    Map<String, Object> out = target instanceof Map<?, ?> t
        ? new LinkedHashMap<>((Map<String, Object>) t)
        : new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : p.entrySet()) {
      String key = (String) e.getKey();
      if (e.getValue() == null) {
        out.remove(key);
      } else {
        out.put(key, merge(out.get(key), e.getValue()));
      }
    }
    return out;
  }

  private SetupCompiler.Result result(String patch, SetupCompiler.Host host, boolean noPivot) {
    return SetupCompiler.compile(
        new SetupCompiler.Request(spec(patch), bundle, fifo, noPivot), host);
  }

  private SetupCompiler.Result result(String patch) {
    return result(patch, HOST, false);
  }

  private Program compile(String patch) {
    return result(patch).program();
  }

  private Program compile(String patch, SetupCompiler.Host host) {
    return result(patch, host, false).program();
  }

  /** The ops that apply {@code field}, in order. */
  private static List<Op> opsFor(Program p, String field) {
    List<Op> out = new ArrayList<>();
    for (int i = 0; i < p.size(); i++) {
      if (p.field(i).equals(field)) {
        out.add(p.op(i));
      }
    }
    return out;
  }

  private static <T extends Op> List<T> opsOf(Program p, Class<T> type) {
    return p.ops().stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static int indexOf(Program p, Op op) {
    int i = p.ops().indexOf(op);
    assertTrue(i >= 0, () -> op + " is not in the program:\n" + p);
    return i;
  }

  private static int indexOf(Program p, Class<? extends Op> type) {
    for (int i = 0; i < p.size(); i++) {
      if (type.isInstance(p.op(i))) {
        return i;
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in the program:\n" + p);
  }

  /** Asserts that compiling {@code patch} fails with a message that starts with {@code field}. */
  private SpecException assertRefused(String field, String patch) {
    SpecException e = assertThrows(SpecException.class, () -> compile(patch));
    assertTrue(e.getMessage().startsWith(field), () -> "expected a message starting with "
        + field + " but got: " + e.getMessage());
    return e;
  }

  private static Op.Mount mount(String source, String target, String fstype, long flags,
      String data, Create create) {
    return new Op.Mount(source, target, fstype, flags, data, Target.IN_ROOT, create);
  }

  private static Op.Mknod chr(String path, int major, int minor) {
    return new Op.Mknod(path, S_IFCHR | 0666, major, minor, 0, 0);
  }

  private static final List<Op.Mknod> DEFAULT_DEVICES = List.of(
      chr("/dev/null", 1, 3), chr("/dev/zero", 1, 5), chr("/dev/full", 1, 7),
      chr("/dev/random", 1, 8), chr("/dev/urandom", 1, 9), chr("/dev/tty", 5, 0));

  private static long caps(int... numbers) {
    long mask = 0;
    for (int n : numbers) {
      mask |= 1L << n;
    }
    return mask;
  }

  // ---------------------------------------------------------------- the whole program

  @Test
  void minimalConfigCompilesToTheExactProgram() {
    Program p = compile("{}");

    List<Op> expected = new ArrayList<>();
    // The fifo is opened first, while the stage is still root of the host.
    expected.add(new Op.OpenGate(fifo.toString()));
    // Into the container's cgroup before any namespace: the child is born there.
    expected.add(new Op.Sync(SetupCompiler.SYNC_CGROUP));
    expected.add(new Op.Unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS));
    expected.add(new Op.Fork(false));
    expected.add(new Op.Mount("", "/", "", MS_REC | MS_SLAVE, "", Target.HOST, Create.NONE));
    expected.add(new Op.Mount(rootfs, rootfs, "", MS_BIND | MS_REC, "", Target.HOST, Create.NONE));
    expected.add(new Op.OpenRoot(rootfs));
    expected.addAll(DEFAULT_DEVICES);
    expected.add(new Op.Symlink("pts/ptmx", "/dev/ptmx", true));
    expected.add(new Op.Mkdir("/", 0755));
    expected.add(new Op.PivotRoot(rootfs));
    expected.add(new Op.OpenRoot("/"));
    expected.add(new Op.Chdir("/"));
    expected.add(new Op.SetGroups(List.of()));
    expected.add(new Op.SetResGid(0));
    expected.add(new Op.SetResUid(0));
    expected.add(new Op.FindExec("sh", DEFAULT_PATH));
    expected.add(new Op.WaitGate());
    expected.add(new Op.Exec(List.of("sh"), List.of()));
    assertEquals(expected, p.ops(), p::toString);
  }

  @Test
  void minimalProgramNamesTheFieldOfEachOp() {
    Program p = compile("{}");
    List<String> fields = new ArrayList<>();
    for (int i = 0; i < p.size(); i++) {
      fields.add(p.field(i));
    }
    List<String> expected = new ArrayList<>(List.of("(exec fifo)", "linux.cgroupsPath",
        "linux.namespaces", "linux.namespaces", "linux.rootfsPropagation", "root.path",
        "root.path"));
    for (int i = 0; i < 7; i++) {
      expected.add("(default devices)");
    }
    expected.addAll(List.of("process.cwd", "root.path", "root.path", "process.cwd",
        "process.user.additionalGids", "process.user.gid", "process.user.uid", "process.args",
        "(start)", "process.args"));
    assertEquals(expected, fields);
  }

  @Test
  void fieldOfEachMountOpNamesItsMountsEntry() {
    Program p = compile("""
        {"mounts": [
          {"destination": "/proc", "type": "proc", "source": "proc"},
          {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
          {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["rprivate"]}
        ]}
        """);
    assertEquals(List.of(mount("proc", "/proc", "proc", 0, "", Create.DIR)),
        opsFor(p, "mounts[0]"));
    assertEquals(List.of(mount("tmpfs", "/dev", "tmpfs", 0, "", Create.DIR)),
        opsFor(p, "mounts[1]"));
    assertEquals(List.of(
        mount("tmpfs", "/tmp", "tmpfs", 0, "", Create.DIR),
        mount("", "/tmp", "", MS_PRIVATE | MS_REC, "", Create.NONE)), opsFor(p, "mounts[2]"));
  }

  @Test
  void encodedProgramStartsWithTheMagic() {
    byte[] b = compile("{}").encode();
    assertEquals("CAPS", new String(b, 0, 4, StandardCharsets.US_ASCII));
  }

  // ---------------------------------------------------------------- mounts

  @Test
  void tmpfsOptionsAreSplitIntoFlagsAndData() {
    Program p = compile("""
        {"mounts": [{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}]}
        """);
    assertEquals(List.of(mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
        "mode=755,size=65536k", Create.DIR)), opsFor(p, "mounts[0]"));
  }

  @Test
  void mountsComeAfterTheRootfsIsOpenAndBeforeTheDevices() {
    Program p = compile("""
        {"mounts": [{"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}]}
        """);
    int mountAt = indexOf(p, mount("tmpfs", "/dev", "tmpfs", 0, "", Create.DIR));
    assertTrue(indexOf(p, new Op.OpenRoot(rootfs)) < mountAt);
    assertTrue(mountAt < indexOf(p, Op.Mknod.class));
  }

  @Test
  void mountsAreMadeInTheListedOrder() {
    Program p = compile("""
        {"mounts": [
          {"destination": "/b", "type": "tmpfs", "source": "tmpfs"},
          {"destination": "/a", "type": "tmpfs", "source": "tmpfs"},
          {"destination": "/a/c", "type": "tmpfs", "source": "tmpfs"}
        ]}
        """);
    List<String> targets = opsOf(p, Op.Mount.class).stream()
        .filter(m -> m.kind() == Target.IN_ROOT).map(Op.Mount::target).toList();
    assertEquals(List.of("/b", "/a", "/a/c"), targets);
  }

  @Test
  void sourceDefaultsToTheType() {
    Program p = compile("""
        {"mounts": [{"destination": "/dev/mqueue", "type": "mqueue"}]}
        """);
    assertEquals(List.of(mount("mqueue", "/dev/mqueue", "mqueue", 0, "", Create.DIR)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void bindMountWithRoIsABindPlusANonRecursiveSetattr() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    Program p = compile("""
        {"mounts": [{"destination": "/data", "type": "bind", "source": "data",
                     "options": ["bind", "ro"]}]}
        """);
    assertEquals(List.of(
        mount(bundle.resolve("data").toString(), "/data", "", MS_BIND, "", Create.DIR),
        new Op.MountSetattr("/data", MOUNT_ATTR_RDONLY, 0, 0, false)), opsFor(p, "mounts[0]"));
  }

  @Test
  void bindMountOfAFileCreatesAFileTarget() throws IOException {
    Files.writeString(bundle.resolve("hosts"), "127.0.0.1 localhost\n");
    Program p = compile("""
        {"mounts": [{"destination": "/etc/hosts", "source": "hosts", "options": ["bind"]}]}
        """);
    assertEquals(List.of(mount(bundle.resolve("hosts").toString(), "/etc/hosts", "", MS_BIND, "",
        Create.FILE)), opsFor(p, "mounts[0]"));
  }

  @Test
  void bindMountWithAnAbsoluteSourceKeepsIt() throws IOException {
    Path elsewhere = Files.createDirectory(bundle.resolve("elsewhere"));
    Program p = compile("""
        {"mounts": [{"destination": "/x", "type": "none", "source": "%s", "options": ["rbind"]}]}
        """.formatted(elsewhere));
    assertEquals(List.of(mount(elsewhere.toString(), "/x", "", MS_BIND | MS_REC, "", Create.DIR)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void rbindWithRroIsARecursiveBindPlusARecursiveSetattr() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    Program p = compile("""
        {"mounts": [{"destination": "/data", "type": "none", "source": "data",
                     "options": ["rbind", "rro"]}]}
        """);
    assertEquals(List.of(
        mount(bundle.resolve("data").toString(), "/data", "", MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/data", MOUNT_ATTR_RDONLY, 0, 0, true)), opsFor(p, "mounts[0]"));
  }

  @Test
  void bindMountWithoutAttributesHasNoSetattr() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    Program p = compile("""
        {"mounts": [{"destination": "/data", "source": "data", "options": ["rbind"]}]}
        """);
    assertEquals(1, opsFor(p, "mounts[0]").size());
  }

  @Test
  void bindMountFilesystemOptionsAreWarnedAbout() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    SetupCompiler.Result r = result("""
        {"mounts": [{"destination": "/data", "source": "data",
                     "options": ["bind", "sync", "mode=755"]}]}
        """);
    assertEquals(2, r.warnings().size(), r.warnings()::toString);
    assertTrue(r.warnings().get(0).startsWith("mounts[0].options: a bind mount cannot change"),
        r.warnings().get(0));
    assertTrue(r.warnings().get(1).startsWith("mounts[0].options: mode=755 ignored"),
        r.warnings().get(1));
  }

  @Test
  void propagationOptionIsASeparateMountOp() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    Program p = compile("""
        {"mounts": [{"destination": "/data", "type": "bind", "source": "data",
                     "options": ["rbind", "rshared", "ro"]}]}
        """);
    assertEquals(List.of(
        mount(bundle.resolve("data").toString(), "/data", "", MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/data", MOUNT_ATTR_RDONLY, 0, 0, false),
        mount("", "/data", "", MS_SHARED | MS_REC, "", Create.NONE)), opsFor(p, "mounts[0]"));
  }

  @Test
  void propagationOfAFilesystemMountIsASeparateMountOp() {
    Program p = compile("""
        {"mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                     "options": ["slave", "nodev"]}]}
        """);
    assertEquals(List.of(
        mount("tmpfs", "/tmp", "tmpfs", MS_NODEV, "", Create.DIR),
        mount("", "/tmp", "", MS_SLAVE, "", Create.NONE)), opsFor(p, "mounts[0]"));
  }

  @Test
  void recursiveOptionsOfAFilesystemMountAreARecursiveSetattr() {
    Program p = compile("""
        {"mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                     "options": ["rnosuid", "rdev"]}]}
        """);
    assertEquals(List.of(
        mount("tmpfs", "/tmp", "tmpfs", 0, "", Create.DIR),
        new Op.MountSetattr("/tmp", MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, 0, true)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void relativeDestinationIsRelativeToRoot() {
    Program p = compile("""
        {"mounts": [{"destination": "tmp", "type": "tmpfs", "source": "tmpfs"}]}
        """);
    assertEquals(List.of(mount("tmpfs", "/tmp", "tmpfs", 0, "", Create.DIR)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void relativeProcDestinationStillCountsAsProc() {
    Program p = compile("""
        {"mounts": [{"destination": "proc", "type": "proc", "source": "proc"}]}
        """);
    assertTrue(p.ops().contains(new Op.Symlink("/proc/self/fd", "/dev/fd", false)), p::toString);
  }

  @Test
  void remountNeedsNoTypeAndCreatesNothing() {
    Program p = compile("""
        {"mounts": [{"destination": "/", "options": ["remount", "ro"]}]}
        """);
    assertEquals(List.of(mount("", "/", "", MS_REMOUNT | MS_RDONLY, "",
        Create.NONE)), opsFor(p, "mounts[0]"));
  }

  @Test
  void emptyDestinationIsRefused() {
    assertRefused("mounts[0].destination", """
        {"mounts": [{"destination": "", "type": "tmpfs"}]}
        """);
  }

  @Test
  void missingTypeOfANonBindMountIsRefused() {
    assertRefused("mounts[0].type", """
        {"mounts": [{"destination": "/x", "source": "tmpfs"}]}
        """);
  }

  @Test
  void bindMountWithoutSourceIsRefused() {
    assertRefused("mounts[0].source", """
        {"mounts": [{"destination": "/x", "options": ["bind"]}]}
        """);
  }

  @Test
  void bindMountOfAMissingSourceIsRefused() {
    assertRefused("mounts[1].source", """
        {"mounts": [{"destination": "/tmp", "type": "tmpfs"},
                    {"destination": "/x", "source": "no-such-dir", "options": ["bind"]}]}
        """);
  }

  // ---------------------------------------------------------------- cgroup mounts

  @Test
  void cgroupMountOnAHybridHostWithACgroupNamespace() {
    Program p = compile(withCgroupNamespace(CGROUP_MOUNT));
    long tmpfsFlags = CGROUP_FLAGS & ~MS_RDONLY;
    assertEquals(List.of(
        mount("tmpfs", "/sys/fs/cgroup", "tmpfs", tmpfsFlags, "mode=755", Create.DIR),
        mount("cgroup", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", CGROUP_FLAGS, "cpu,cpuacct",
            Create.DIR),
        new Op.Symlink("cpu,cpuacct", "/sys/fs/cgroup/cpu", false),
        new Op.Symlink("cpu,cpuacct", "/sys/fs/cgroup/cpuacct", false),
        mount("cgroup", "/sys/fs/cgroup/memory", "cgroup", CGROUP_FLAGS, "memory", Create.DIR),
        mount("cgroup", "/sys/fs/cgroup/systemd", "cgroup", CGROUP_FLAGS, "name=systemd",
            Create.DIR),
        mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", CGROUP_FLAGS, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup", MOUNT_ATTR_RDONLY, 0, 0, false)),
        opsFor(p, "mounts[0]"));
    // The cgroup namespace is unshared once the stage is in the container's cgroup.
    assertEquals(new Op.Sync(SetupCompiler.SYNC_CGROUP), p.op(1));
    assertEquals(new Op.Unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWCGROUP),
        p.op(2));
  }

  @Test
  void cgroupMountOnAHybridHostWithoutACgroupNamespaceBindsThisProcessesCgroups() {
    Program p = compile(CGROUP_MOUNT);
    long tmpfsFlags = CGROUP_FLAGS & ~MS_RDONLY;
    assertEquals(List.of(
        mount("tmpfs", "/sys/fs/cgroup", "tmpfs", tmpfsFlags, "mode=755", Create.DIR),
        mount("/sys/fs/cgroup/cpu,cpuacct/user.slice", "/sys/fs/cgroup/cpu,cpuacct", "",
            MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/cpu,cpuacct", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0,
            false),
        new Op.Symlink("cpu,cpuacct", "/sys/fs/cgroup/cpu", false),
        new Op.Symlink("cpu,cpuacct", "/sys/fs/cgroup/cpuacct", false),
        mount("/sys/fs/cgroup/memory/user.slice/session-1.scope", "/sys/fs/cgroup/memory", "",
            MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/memory", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0, false),
        mount("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/systemd", "", MS_BIND | MS_REC, "",
            Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/systemd", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0, false),
        mount("/sys/fs/cgroup/unified/user.slice/session-1.scope", "/sys/fs/cgroup/unified", "",
            MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/unified", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0, false),
        new Op.MountSetattr("/sys/fs/cgroup", MOUNT_ATTR_RDONLY, 0, 0, false)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void cgroupMountWithoutACgroupNamespaceBindsTheContainersCgroupsOnceCreateNamesThem() {
    // create passes the host as the container sees it: its own cgroup in each
    // hierarchy (podman's conmon runs create from a cgroup of its own).
    SetupCompiler.Host host = HOST.inCgroups(List.of("/sys/fs/cgroup/cpu,cpuacct/pod/ctr",
        "/sys/fs/cgroup/memory/pod/ctr", "/sys/fs/cgroup/systemd/pod/ctr",
        "/sys/fs/cgroup/unified/pod/ctr"));
    List<String> sources = new ArrayList<>();
    for (Op op : opsFor(compile(CGROUP_MOUNT, host), "mounts[0]")) {
      if (op instanceof Op.Mount m && (m.flags() & MS_BIND) != 0) {
        sources.add(m.source());
      }
    }
    assertEquals(List.of("/sys/fs/cgroup/cpu,cpuacct/pod/ctr", "/sys/fs/cgroup/memory/pod/ctr",
        "/sys/fs/cgroup/systemd/pod/ctr", "/sys/fs/cgroup/unified/pod/ctr"), sources);
  }

  @Test
  void cgroupMountOnAV2HostWithACgroupNamespace() {
    Program p =
        compile(withCgroupNamespace(CGROUP_MOUNT), new SetupCompiler.Host(40, ALL_CAPS, V2));
    assertEquals(List.of(
        mount("cgroup2", "/sys/fs/cgroup", "cgroup2", CGROUP_FLAGS, "", Create.DIR)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void cgroupMountOnAV2HostWithoutACgroupNamespace() {
    Program p = compile(CGROUP_MOUNT, new SetupCompiler.Host(40, ALL_CAPS, V2));
    assertEquals(List.of(
        mount("/sys/fs/cgroup/user.slice/session-1.scope", "/sys/fs/cgroup", "", MS_BIND | MS_REC,
            "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0, false)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void cgroupMountPropagationIsASeparateMountOp() {
    Program p = compile(withCgroupNamespace("""
        {"mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "options": ["rprivate"]}]}
        """), new SetupCompiler.Host(40, ALL_CAPS, V2));
    assertEquals(List.of(
        mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, "", Create.DIR),
        mount("", "/sys/fs/cgroup", "", MS_PRIVATE | MS_REC, "", Create.NONE)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void cgroupMountRecursiveReadOnlyIsAppliedOrRefused() {
    // config.md: rro is a SHOULD option; the compiler never skips a field silently.
    assertAppliedOrRefused(new Op.MountSetattr("/sys/fs/cgroup", MOUNT_ATTR_RDONLY, 0, 0, true),
        withCgroupNamespace("""
            {"mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup",
                         "options": ["rro"]}]}
            """));
  }

  @Test
  void cgroupMountFilesystemOptionsArePassedOrRefused() {
    assertAppliedOrRefused(
        mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID, "memory_recursiveprot",
            Create.DIR),
        withCgroupNamespace("""
            {"mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup",
                         "options": ["nosuid", "memory_recursiveprot"]}]}
            """));
  }

  /**
   * Compiles {@code patch} for a v2 host: mounts[0] must have {@code op}, or be refused, or
   * be warned about.
   */
  private void assertAppliedOrRefused(Op op, String patch) {
    SetupCompiler.Result r;
    try {
      r = result(patch, new SetupCompiler.Host(40, ALL_CAPS, V2), false);
    } catch (SpecException e) {
      assertTrue(e.getMessage().startsWith("mounts[0]"), e.getMessage());
      return;
    }
    Program p = r.program();
    boolean warned = r.warnings().stream().anyMatch(w -> w.startsWith("mounts[0]"));
    assertTrue(warned || opsFor(p, "mounts[0]").contains(op),
        () -> op + " missing, and no error or warning:\n" + p);
  }

  @Test
  void cgroupMountOnAHostWithoutCgroupsIsRefused() {
    SpecException e = assertThrows(SpecException.class,
        () -> compile(CGROUP_MOUNT, new SetupCompiler.Host(40, ALL_CAPS, List.of())));
    assertTrue(e.getMessage().startsWith("mounts[0]"), e.getMessage());
  }

  private static String withCgroupNamespace(String mounts) {
    @SuppressWarnings("unchecked")
    Map<String, Object> patch = (Map<String, Object>) Json.parse(mounts);
    patch.put("linux", Json.parse("""
        {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "cgroup"}]}
        """));
    return Json.write(patch);
  }

  // ---------------------------------------------------------------- devices

  @Test
  void procMountAddsTheDevSymlinks() {
    Program p = compile("""
        {"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
        """);
    assertEquals(List.of(
        new Op.Symlink("/proc/self/fd", "/dev/fd", false),
        new Op.Symlink("/proc/self/fd/0", "/dev/stdin", false),
        new Op.Symlink("/proc/self/fd/1", "/dev/stdout", false),
        new Op.Symlink("/proc/self/fd/2", "/dev/stderr", false),
        new Op.Symlink("pts/ptmx", "/dev/ptmx", true)), opsOf(p, Op.Symlink.class));
    assertTrue(indexOf(p, Op.Mknod.class) < indexOf(p, Op.Symlink.class));
  }

  @Test
  void withoutProcThereAreNoDevSymlinksButPtmx() {
    Program p = compile("""
        {"mounts": [{"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}]}
        """);
    assertEquals(List.of(new Op.Symlink("pts/ptmx", "/dev/ptmx", true)),
        opsOf(p, Op.Symlink.class));
  }

  @Test
  void devBoundFromTheHostMakesNoDevices() {
    Program p = compile("""
        {"mounts": [
          {"destination": "/proc", "type": "proc", "source": "proc"},
          {"destination": "/dev", "type": "bind", "source": "/dev", "options": ["rbind"]}
        ]}
        """);
    assertEquals(List.of(), opsOf(p, Op.Mknod.class));
    assertEquals(List.of(), opsOf(p, Op.Symlink.class));
  }

  @Test
  void linuxDevicesOfEachTypeAreMadeAfterTheDefaults() {
    Program p = compile("""
        {"linux": {"devices": [
          {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
           "uid": 0, "gid": 0},
          {"type": "b", "path": "/dev/loop0", "major": 7, "minor": 0, "fileMode": 432,
           "uid": 1000, "gid": 6},
          {"type": "p", "path": "/run/pipe", "fileMode": 384},
          {"type": "u", "path": "/dev/kmsg", "major": 1, "minor": 11}
        ]}}
        """);
    List<Op.Mknod> expected = new ArrayList<>(DEFAULT_DEVICES);
    expected.add(new Op.Mknod("/dev/fuse", S_IFCHR | 0666, 10, 229, 0, 0));
    expected.add(new Op.Mknod("/dev/loop0", S_IFBLK | 0660, 7, 0, 1000, 6));
    expected.add(new Op.Mknod("/run/pipe", S_IFIFO | 0600, 0, 0, 0, 0));
    expected.add(new Op.Mknod("/dev/kmsg", S_IFCHR | 0666, 1, 11, 0, 0));
    assertEquals(expected, opsOf(p, Op.Mknod.class));
    assertEquals(List.of(new Op.Mknod("/dev/fuse", S_IFCHR | 0666, 10, 229, 0, 0)),
        opsFor(p, "linux.devices[0]"));
    assertEquals(List.of(new Op.Mknod("/dev/kmsg", S_IFCHR | 0666, 1, 11, 0, 0)),
        opsFor(p, "linux.devices[3]"));
  }

  @Test
  void aListedDeviceReplacesTheDefaultAtTheSamePath() {
    Program p = compile("""
        {"linux": {"devices": [
          {"type": "c", "path": "/dev/null", "major": 1, "minor": 3, "fileMode": 384, "uid": 5}
        ]}}
        """);
    List<Op.Mknod> nodes = opsOf(p, Op.Mknod.class);
    assertEquals(6, nodes.size(), nodes::toString);
    assertEquals(1, nodes.stream().filter(n -> n.path().equals("/dev/null")).count());
    assertEquals(List.of(new Op.Mknod("/dev/null", S_IFCHR | 0600, 1, 3, 5, 0)),
        opsFor(p, "linux.devices[0]"));
    assertEquals(DEFAULT_DEVICES.subList(1, 6), opsFor(p, "(default devices)").subList(0, 5));
  }

  @Test
  void deviceFileModeWithTheDevicesOwnFileTypeIsTakenAsItsPermissions() {
    // 8630 is S_IFCHR|0666 in decimal, as podman writes it; runc takes it.
    Program p = compile("""
        {"linux": {"devices": [{"type": "c", "path": "/dev/x", "major": 1, "minor": 3,
                                "fileMode": 8630}]}}
        """);
    assertEquals(List.of(new Op.Mknod("/dev/x", S_IFCHR | 0666, 1, 3, 0, 0)),
        opsFor(p, "linux.devices[0]"));
  }

  @Test
  void deviceFileModeWithAnotherFileTypeIsRefused() {
    // 25014 is S_IFBLK|0666: not what a character device is.
    SpecException e = assertThrows(SpecException.class, () -> compile("""
        {"linux": {"devices": [{"type": "c", "path": "/dev/x", "major": 1, "minor": 3,
                                "fileMode": 25014}]}}
        """));
    assertTrue(e.getMessage().contains("linux.devices[0].fileMode"), e.getMessage());
  }

  @Test
  void deviceWithARelativePathIsRefused() {
    assertRefused("linux.devices[0].path", """
        {"linux": {"devices": [{"type": "c", "path": "dev/x", "major": 1, "minor": 3}]}}
        """);
  }

  @Test
  void characterDeviceWithoutMajorAndMinorIsRefused() {
    // config-linux.md: major and minor are REQUIRED unless type is p.
    SpecException e = assertThrows(SpecException.class, () -> compile("""
        {"linux": {"devices": [{"type": "c", "path": "/dev/x"}]}}
        """));
    assertTrue(e.getMessage().contains("linux.devices[0].major"), e.getMessage());
  }

  // ---------------------------------------------------------------- namespaces

  @Test
  void namespacesJoinedByPathAreSetnsWithMountLast() {
    Program p = compile("""
        {"linux": {"namespaces": [
          {"type": "mount", "path": "/proc/self/ns/mnt"},
          {"type": "network", "path": "/proc/self/ns/net"},
          {"type": "pid"},
          {"type": "ipc", "path": "/proc/self/ns/ipc"},
          {"type": "uts", "path": "/proc/self/ns/uts"},
          {"type": "cgroup", "path": "/proc/self/ns/cgroup"}
        ]}}
        """);
    assertEquals(List.of(
        new Op.Setns("/proc/self/ns/ipc", CLONE_NEWIPC),
        new Op.Setns("/proc/self/ns/uts", CLONE_NEWUTS),
        new Op.Setns("/proc/self/ns/net", CLONE_NEWNET),
        new Op.Setns("/proc/self/ns/cgroup", CLONE_NEWCGROUP),
        new Op.Setns("/proc/self/ns/mnt", CLONE_NEWNS),
        new Op.Unshare(CLONE_NEWPID),
        new Op.Fork(false)), p.ops().subList(2, 9));
    assertEquals(new Op.Sync(SetupCompiler.SYNC_CGROUP), p.op(1));
    assertEquals("linux.namespaces[3]", p.field(2));
    assertEquals("linux.namespaces[4]", p.field(3));
    assertEquals("linux.namespaces[1]", p.field(4));
    assertEquals("linux.namespaces[5]", p.field(5));
    assertEquals("linux.namespaces[0]", p.field(6));
    assertEquals("linux.namespaces", p.field(7));
  }

  @Test
  void joiningEveryNamespaceNeedsNoUnshare() {
    Program p = compile("""
        {"linux": {"namespaces": [
          {"type": "mount", "path": "/proc/self/ns/mnt"},
          {"type": "pid", "path": "/proc/self/ns/pid"}
        ]}}
        """);
    assertEquals(List.of(
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Setns("/proc/self/ns/pid", CLONE_NEWPID),
        new Op.Setns("/proc/self/ns/mnt", CLONE_NEWNS),
        new Op.Fork(false)), p.ops().subList(1, 5));
    assertEquals(List.of(), opsOf(p, Op.Unshare.class));
  }

  @Test
  void everyNewNamespaceIsOneUnshare() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "network"}, {"type": "ipc"}, {"type": "mount"},
                                  {"type": "cgroup"}, {"type": "uts"}, {"type": "pid"}]}}
        """);
    assertEquals(new Op.Sync(SetupCompiler.SYNC_CGROUP), p.op(1));
    assertEquals(new Op.Unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWCGROUP
        | CLONE_NEWUTS | CLONE_NEWPID), p.op(2));
    assertEquals(new Op.Fork(false), p.op(3));
  }

  @Test
  void duplicateNamespaceTypeIsRefused() {
    assertRefused("linux.namespaces[3]", """
        {"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"},
                                  {"type": "pid", "path": "/proc/self/ns/pid"}]}}
        """);
  }

  @Test
  void missingMountNamespaceIsRefused() {
    assertRefused("linux.namespaces", """
        {"linux": {"namespaces": [{"type": "pid"}]}}
        """);
  }

  @Test
  void missingLinuxSectionIsRefusedForTheMountNamespace() {
    assertRefused("linux.namespaces", """
        {"linux": null}
        """);
  }

  @Test
  void namespacePathMustBeAbsolute() {
    assertRefused("linux.namespaces[1].path", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "ns/net"}]}}
        """);
  }

  @Test
  void namespacePathMustExist() {
    assertRefused("linux.namespaces[1].path", """
        {"linux": {"namespaces": [{"type": "mount"},
                                  {"type": "network", "path": "/no/such/ns"}]}}
        """);
  }

  // ---------------------------------------------------------------- sysctl

  @Test
  void sysctlIsAWriteBeneathTheRoot() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}],
                   "sysctl": {"net.ipv4.ip_forward": "1"}}}
        """);
    assertEquals(List.of(new Op.WriteFile("/proc/sys/net/ipv4/ip_forward", "1", true)),
        opsFor(p, "linux.sysctl[\"net.ipv4.ip_forward\"]"));
    int write = indexOf(p, Op.WriteFile.class);
    assertTrue(write > indexOf(p, new Op.Mkdir("/", 0755)));
    assertTrue(write < indexOf(p, Op.PivotRoot.class));
  }

  @Test
  void sysctlsComeBeforeReadonlyAndMaskedPaths() {
    Program p = compile("""
        {"mounts": [{"destination": "/proc", "type": "proc"}],
         "linux": {"namespaces": [{"type": "mount"}, {"type": "ipc"}],
                   "sysctl": {"kernel.shmmax": "65536", "fs.mqueue.queues_max": "100"},
                   "readonlyPaths": ["/proc/sys"], "maskedPaths": ["/proc/kcore"]}}
        """);
    List<Op> tail = p.ops().subList(indexOf(p, Op.WriteFile.class), indexOf(p, Op.PivotRoot.class));
    assertEquals(List.of(
        new Op.WriteFile("/proc/sys/kernel/shmmax", "65536", true),
        new Op.WriteFile("/proc/sys/fs/mqueue/queues_max", "100", true),
        new Op.ReadonlyPath("/proc/sys"),
        new Op.MaskPath("/proc/kcore")), tail);
    assertEquals(List.of(new Op.ReadonlyPath("/proc/sys")), opsFor(p, "linux.readonlyPaths[0]"));
    assertEquals(List.of(new Op.MaskPath("/proc/kcore")), opsFor(p, "linux.maskedPaths[0]"));
  }

  @Test
  void netSysctlNeedsANetworkNamespace() {
    SpecException e = assertRefused("linux.sysctl[\"net.ipv4.ip_forward\"]", """
        {"linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}}
        """);
    assertTrue(e.getMessage().contains("network"), e.getMessage());
  }

  @Test
  void ipcSysctlNeedsAnIpcNamespace() {
    SpecException e = assertRefused("linux.sysctl[\"kernel.shmmax\"]", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}],
                   "sysctl": {"kernel.shmmax": "65536"}}}
        """);
    assertTrue(e.getMessage().contains("ipc"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"vm.swappiness", "kernel.core_pattern", "fs.file-max"})
  void sysctlThatNoNamespaceIsolatesIsRefused(String key) {
    assertRefused("linux.sysctl[\"" + key + "\"]", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}, {"type": "ipc"},
                                  {"type": "uts"}],
                   "sysctl": {"%s": "1"}}}
        """.formatted(key));
  }

  @Test
  void sysctlNamespaceTable() {
    assertEquals("network", SetupCompiler.sysctlNamespace("net.core.somaxconn"));
    assertEquals("ipc", SetupCompiler.sysctlNamespace("kernel.msgmax"));
    assertEquals("ipc", SetupCompiler.sysctlNamespace("kernel.shm_rmid_forced"));
    assertEquals("ipc", SetupCompiler.sysctlNamespace("fs.mqueue.msg_max"));
    assertEquals("uts", SetupCompiler.sysctlNamespace("kernel.hostname"));
    assertEquals("uts", SetupCompiler.sysctlNamespace("kernel.domainname"));
    assertEquals(null, SetupCompiler.sysctlNamespace("vm.overcommit_memory"));
    assertEquals(null, SetupCompiler.sysctlNamespace("kernel.pid_max"));
  }

  // ---------------------------------------------------------------- hostname

  @Test
  void hostnameAndDomainnameAreSetBeforePivotRoot() {
    Program p = compile("""
        {"hostname": "box", "domainname": "example.org"}
        """);
    int host = indexOf(p, new Op.SetHostname("box"));
    assertEquals(new Op.SetDomainname("example.org"), p.op(host + 1));
    assertEquals(new Op.PivotRoot(rootfs), p.op(host + 2));
    assertEquals("hostname", p.field(host));
    assertEquals("domainname", p.field(host + 1));
  }

  @Test
  void hostnameWithoutUtsNamespaceIsRefused() {
    assertRefused("hostname", """
        {"hostname": "box", "linux": {"namespaces": [{"type": "mount"}]}}
        """);
  }

  @Test
  void domainnameWithoutUtsNamespaceIsRefused() {
    assertRefused("domainname", """
        {"domainname": "example.org", "linux": {"namespaces": [{"type": "mount"}]}}
        """);
  }

  // ---------------------------------------------------------------- root

  @ParameterizedTest
  @CsvSource({"shared,1048576", "slave,524288", "private,262144", "unbindable,131072"})
  void rootfsPropagationIsAppliedToRootAfterPivot(String value, long flag) {
    Program p = compile("""
        {"linux": {"rootfsPropagation": "%s"}}
        """.formatted(value));
    int pivot = indexOf(p, new Op.PivotRoot(rootfs));
    assertEquals(new Op.OpenRoot("/"), p.op(pivot + 1));
    assertEquals(new Op.Mount("", "/", "", flag, "", Target.HOST, Create.NONE), p.op(pivot + 2));
    assertEquals("linux.rootfsPropagation", p.field(pivot + 2));
  }

  @Test
  void unknownRootfsPropagationIsRefused() {
    SpecException e = assertThrows(SpecException.class,
        () -> compile("{\"linux\": {\"rootfsPropagation\": \"rshared\"}}"));
    assertTrue(e.getMessage().contains("linux.rootfsPropagation"), e.getMessage());
  }

  @Test
  void readonlyRootIsASetattrOfRootAfterPivot() {
    Program p = compile("""
        {"root": {"path": "rootfs", "readonly": true}, "linux": {"rootfsPropagation": "private"}}
        """);
    int pivot = indexOf(p, new Op.PivotRoot(rootfs));
    assertEquals(List.of(
        new Op.PivotRoot(rootfs),
        new Op.OpenRoot("/"),
        new Op.Mount("", "/", "", MS_PRIVATE, "", Target.HOST, Create.NONE),
        new Op.MountSetattr("/", MOUNT_ATTR_RDONLY, 0, 0, false),
        new Op.Chdir("/")), p.ops().subList(pivot, pivot + 5));
    assertEquals(List.of(new Op.MountSetattr("/", MOUNT_ATTR_RDONLY, 0, 0, false)),
        opsFor(p, "root.readonly"));
  }

  @Test
  void noPivotMovesTheRoot() {
    Program p = result("{}", HOST, true).program();
    assertEquals(List.of(), opsOf(p, Op.PivotRoot.class));
    int move = indexOf(p, new Op.MoveRoot(rootfs));
    assertEquals(new Op.OpenRoot("/"), p.op(move + 1));
    assertEquals("root.path", p.field(move));
  }

  @Test
  void absoluteRootPathIsUsedAsItIs() throws IOException {
    Path other = Files.createDirectory(bundle.resolve("other"));
    Program p = compile("{\"root\": {\"path\": \"%s\"}}".formatted(other));
    assertTrue(p.ops().contains(new Op.PivotRoot(other.toString())), p::toString);
  }

  @Test
  void rootfsThatIsNotADirectoryIsRefused() {
    assertRefused("root.path", "{\"root\": {\"path\": \"missing\"}}");
  }

  @Test
  void missingRootIsRefused() {
    assertRefused("root", "{\"root\": null}");
  }

  // ---------------------------------------------------------------- rlimits

  @Test
  void rlimitsMapToResourceNumbersAfterPivot() {
    Program p = compile("""
        {"process": {"rlimits": [
          {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
          {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615},
          {"type": "RLIMIT_RTTIME", "soft": 18446744073709551615, "hard": 18446744073709551615}
        ]}}
        """);
    int pivot = indexOf(p, Op.PivotRoot.class);
    int first = indexOf(p, Op.SetRlimit.class);
    assertTrue(first > pivot);
    assertEquals(List.of(
        new Op.SetRlimit(7, 1024, 4096),
        new Op.SetRlimit(4, 0, -1L),
        new Op.SetRlimit(15, -1L, -1L),
        new Op.Chdir("/")), p.ops().subList(first, first + 4));
    assertEquals(List.of(new Op.SetRlimit(4, 0, -1L)), opsFor(p, "process.rlimits[1]"));
  }

  @Test
  void duplicateRlimitIsRefused() {
    assertRefused("process.rlimits[1].type", """
        {"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                 {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}}
        """);
  }

  @Test
  void unknownRlimitIsRefused() {
    assertRefused("process.rlimits[0].type", """
        {"process": {"rlimits": [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]}}
        """);
  }

  @Test
  void softAboveHardIsRefused() {
    assertRefused("process.rlimits[0]", """
        {"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]}}
        """);
  }

  @Test
  void softAboveHardIsComparedUnsigned() {
    assertRefused("process.rlimits[0]", """
        {"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 18446744073709551615,
                                  "hard": 1024}]}}
        """);
    Program p = compile("""
        {"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024,
                                  "hard": 18446744073709551615}]}}
        """);
    assertEquals(List.of(new Op.SetRlimit(7, 1024, -1L)), opsOf(p, Op.SetRlimit.class));
  }

  // ---------------------------------------------------------------- credentials

  @Test
  void userIdsAndGroupsAreSetAfterChdir() {
    Program p = compile("""
        {"process": {"cwd": "/home/u",
                     "user": {"uid": 1000, "gid": 100, "additionalGids": [5, 27, 1000]}}}
        """);
    int chdir = indexOf(p, new Op.Chdir("/home/u"));
    assertEquals(List.of(
        new Op.SetGroups(List.of(5L, 27L, 1000L)),
        new Op.SetResGid(100),
        new Op.SetResUid(1000)), p.ops().subList(chdir + 1, chdir + 4));
    assertTrue(p.ops().contains(new Op.Mkdir("/home/u", 0755)));
  }

  @Test
  void missingUserMeansRoot() {
    Program p = compile("{\"process\": {\"user\": null}}");
    assertEquals(List.of(new Op.SetResUid(0)), opsOf(p, Op.SetResUid.class));
    assertEquals(List.of(new Op.SetResGid(0)), opsOf(p, Op.SetResGid.class));
  }

  @Test
  void capabilitiesAreSetAroundTheIdChangeInOrder() {
    Program p = compile("""
        {"process": {"user": {"uid": 1000, "gid": 1000},
                     "capabilities": {
                       "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                    "CAP_AUDIT_WRITE"],
                       "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                       "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                       "inheritable": ["CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
                       "ambient": ["CAP_NET_BIND_SERVICE"]}}}
        """);
    int chdir = indexOf(p, Op.Chdir.class);
    assertEquals(List.of(
        new Op.CapBsetDrop(
            caps(CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE), LAST_CAP),
        new Op.KeepCaps(true),
        new Op.SetGroups(List.of()),
        new Op.SetResGid(1000),
        new Op.SetResUid(1000),
        new Op.KeepCaps(false),
        new Op.Capset(caps(CAP_KILL, CAP_NET_BIND_SERVICE),
            caps(CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE),
            caps(CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE)),
        new Op.CapAmbient(caps(CAP_NET_BIND_SERVICE), LAST_CAP),
        new Op.FindExec("sh", DEFAULT_PATH)), p.ops().subList(chdir + 1, chdir + 10));
    assertEquals(List.of(new Op.CapBsetDrop(
        caps(CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE), LAST_CAP)),
        opsFor(p, "process.capabilities.bounding"));
    assertEquals(List.of(new Op.CapAmbient(caps(CAP_NET_BIND_SERVICE), LAST_CAP)),
        opsFor(p, "process.capabilities.ambient"));
    assertEquals(List.of(new Op.KeepCaps(true), new Op.KeepCaps(false)), opsFor(p, "process.user"));
  }

  @Test
  void emptyCapabilitiesObjectDropsEverything() {
    Program p = compile("{\"process\": {\"capabilities\": {}}}");
    assertEquals(List.of(new Op.CapBsetDrop(0, LAST_CAP)), opsOf(p, Op.CapBsetDrop.class));
    assertEquals(List.of(new Op.Capset(0, 0, 0)), opsOf(p, Op.Capset.class));
    assertEquals(List.of(new Op.CapAmbient(0, LAST_CAP)), opsOf(p, Op.CapAmbient.class));
  }

  @Test
  void noCapabilitiesObjectMeansNoCapabilityOps() {
    Program p = compile("{\"process\": {\"user\": {\"uid\": 1000, \"gid\": 1000}}}");
    for (Op op : p.ops()) {
      assertFalse(op instanceof Op.CapBsetDrop || op instanceof Op.Capset
          || op instanceof Op.CapAmbient || op instanceof Op.KeepCaps, op::toString);
    }
  }

  @Test
  void unknownCapabilityIsAWarningAndIgnored() {
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"bounding": ["CAP_KILL", "CAP_FLY"],
                                      "permitted": ["CAP_KILL"]}}}
        """);
    assertEquals(List.of(new Op.CapBsetDrop(caps(CAP_KILL), LAST_CAP)),
        opsOf(r.program(), Op.CapBsetDrop.class));
    assertEquals(1, r.warnings().size(), r.warnings()::toString);
    assertTrue(r.warnings().get(0).startsWith("process.capabilities.bounding: "),
        r.warnings().get(0));
    assertTrue(r.warnings().get(0).contains("CAP_FLY"), r.warnings().get(0));
  }

  @Test
  void capabilityTheHostDoesNotHoldIsAWarningAndDropped() {
    SetupCompiler.Host reduced =
        new SetupCompiler.Host(LAST_CAP, ALL_CAPS & ~caps(CAP_SYS_ADMIN), HYBRID);
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"bounding": ["CAP_SYS_ADMIN", "CAP_KILL"],
                                      "effective": ["CAP_SYS_ADMIN"],
                                      "permitted": ["CAP_SYS_ADMIN", "CAP_KILL"]}}}
        """, reduced, false);
    assertEquals(List.of(new Op.CapBsetDrop(caps(CAP_KILL), LAST_CAP)),
        opsOf(r.program(), Op.CapBsetDrop.class));
    assertEquals(List.of(new Op.Capset(0, caps(CAP_KILL), 0)), opsOf(r.program(), Op.Capset.class));
    assertEquals(3, r.warnings().size(), r.warnings()::toString);
    for (String set : List.of("bounding", "permitted", "effective")) {
      assertTrue(r.warnings().stream().anyMatch(w ->
          w.startsWith("process.capabilities." + set + ": ") && w.contains("CAP_SYS_ADMIN")),
          () -> set + " not warned about: " + r.warnings());
    }
  }

  @Test
  void capabilityAboveTheKernelsLastCapIsAWarningAndDropped() {
    SetupCompiler.Host old = new SetupCompiler.Host(37, (1L << 38) - 1, HYBRID);
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"bounding": ["CAP_BPF", "CAP_KILL"]}}}
        """, old, false);
    assertEquals(List.of(new Op.CapBsetDrop(caps(CAP_KILL), 37)),
        opsOf(r.program(), Op.CapBsetDrop.class));
    assertEquals(1, r.warnings().size(), r.warnings()::toString);
    assertTrue(r.warnings().get(0).contains("CAP_BPF"), r.warnings().get(0));
  }

  @Test
  void effectiveNotInPermittedIsAWarningAndDropped() {
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"effective": ["CAP_KILL", "CAP_NET_RAW"],
                                      "permitted": ["CAP_KILL"]}}}
        """);
    assertEquals(List.of(new Op.Capset(caps(CAP_KILL), caps(CAP_KILL), 0)),
        opsOf(r.program(), Op.Capset.class));
    assertEquals(1, r.warnings().size(), r.warnings()::toString);
    assertTrue(r.warnings().get(0).startsWith("process.capabilities.effective: CAP_NET_RAW"),
        r.warnings().get(0));
    assertEquals(CAP_NET_RAW, Capabilities.number("CAP_NET_RAW"));
  }

  @Test
  void inheritableOutsideTheBoundingSetIsAWarningAndDropped() {
    // capset(2) fails with EPERM for an inheritable capability the bounding set lacks.
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"bounding": ["CAP_KILL"],
                                      "inheritable": ["CAP_KILL", "CAP_NET_RAW"]}}}
        """);
    assertEquals(List.of(new Op.Capset(0, 0, caps(CAP_KILL))), opsOf(r.program(), Op.Capset.class));
    assertEquals(1, r.warnings().size(), r.warnings()::toString);
    assertTrue(r.warnings().get(0).startsWith("process.capabilities.inheritable: CAP_NET_RAW"),
        r.warnings().get(0));
  }

  @Test
  void ambientNotInPermittedAndInheritableIsAWarningAndDropped() {
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"],
                                      "permitted": ["CAP_KILL", "CAP_CHOWN"],
                                      "inheritable": ["CAP_KILL", "CAP_NET_RAW"],
                                      "ambient": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"]}}}
        """);
    assertEquals(List.of(new Op.CapAmbient(caps(CAP_KILL), LAST_CAP)),
        opsOf(r.program(), Op.CapAmbient.class));
    assertEquals(2, r.warnings().size(), r.warnings()::toString);
    assertTrue(r.warnings().stream().allMatch(w -> w.startsWith("process.capabilities.ambient: ")),
        r.warnings()::toString);
    assertTrue(r.warnings().get(0).contains("CAP_CHOWN"), r.warnings()::toString);
    assertTrue(r.warnings().get(1).contains("CAP_NET_RAW"), r.warnings()::toString);
  }

  @Test
  void noWarningsForAGrantableSet() {
    SetupCompiler.Result r = result("""
        {"process": {"capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                      "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"],
                                      "ambient": ["CAP_KILL"]}}}
        """);
    assertEquals(List.of(), r.warnings());
  }

  // ---------------------------------------------------------------- process

  @Test
  void oomScoreAdjIsWrittenBeforeTheNamespaces() {
    // As runc's nsexec: lowering it needs the host's CAP_SYS_RESOURCE, which
    // a new user namespace would take away.
    Program p = compile("{\"process\": {\"oomScoreAdj\": -500}}");
    assertEquals(List.of(
        new Op.OpenGate(fifo.toString()),
        new Op.WriteFile("/proc/self/oom_score_adj", "-500", false),
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS),
        new Op.Fork(false)), p.ops().subList(0, 5));
    assertEquals("process.oomScoreAdj", p.field(1));
  }

  @Test
  void noOomScoreAdjMeansNoWrite() {
    assertEquals(List.of(), opsOf(compile("{}"), Op.WriteFile.class));
  }

  @Test
  void umaskAndNoNewPrivilegesComeAfterTheCredentials() {
    Program p = compile("""
        {"process": {"user": {"uid": 1, "gid": 1, "umask": 18}, "noNewPrivileges": true}}
        """);
    int uid = indexOf(p, new Op.SetResUid(1));
    assertEquals(List.of(
        new Op.Umask(18),
        new Op.NoNewPrivs(),
        new Op.FindExec("sh", DEFAULT_PATH),
        new Op.WaitGate(),
        new Op.Exec(List.of("sh"), List.of())), p.ops().subList(uid + 1, uid + 6));
    assertEquals(List.of(new Op.Umask(18)), opsFor(p, "process.user.umask"));
    assertEquals(List.of(new Op.NoNewPrivs()), opsFor(p, "process.noNewPrivileges"));
  }

  @Test
  void noUmaskAndNoNoNewPrivilegesMeansNoOps() {
    Program p = compile("{\"process\": {\"noNewPrivileges\": false}}");
    assertEquals(List.of(), opsOf(p, Op.Umask.class));
    assertEquals(List.of(), opsOf(p, Op.NoNewPrivs.class));
  }

  @Test
  void programLookupUsesThePathOfTheEnvironment() {
    Program p = compile("""
        {"process": {"args": ["app", "--flag"], "env": ["HOME=/", "PATH=/opt/bin:/bin", "A=b"]}}
        """);
    assertEquals(List.of(
        new Op.FindExec("app", "/opt/bin:/bin"),
        new Op.WaitGate(),
        new Op.Exec(List.of("app", "--flag"), List.of("HOME=/", "PATH=/opt/bin:/bin", "A=b"))),
        p.ops().subList(p.size() - 3, p.size()));
  }

  @Test
  void programLookupUsesTheDefaultPathWithoutOne() {
    Program p = compile("{\"process\": {\"env\": [\"HOME=/\"]}}");
    assertEquals(new Op.FindExec("sh", DEFAULT_PATH), p.op(p.size() - 3));
  }

  @Test
  void pathOfTakesTheLastPath() {
    assertEquals(DEFAULT_PATH, SetupCompiler.pathOf(List.of()));
    assertEquals("/b", SetupCompiler.pathOf(List.of("PATH=/a", "PATH=/b")));
    assertEquals(DEFAULT_PATH, SetupCompiler.pathOf(List.of("XPATH=/x", "MYPATH=/y")));
  }

  @Test
  void missingArgsAreRefused() {
    // config.md: args needs at least one entry on Linux.
    assertRefused("process.args", "{\"process\": {\"args\": null}}");
  }

  @Test
  void emptyArgsAreRefused() {
    assertRefused("process.args", "{\"process\": {\"args\": []}}");
  }

  @Test
  void relativeCwdIsRefused() {
    // config.md: cwd "MUST be an absolute path".
    assertRefused("process.cwd", "{\"process\": {\"cwd\": \"home/user\"}}");
  }

  @Test
  void missingProcessIsRefused() {
    assertRefused("process", "{\"process\": null}");
  }

  // ---------------------------------------------------------------- refused fields

  private static final String MAPPING = "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]";

  /**
   * A field capsa does not apply (on a host without AppArmor, SELinux or
   * resctrl), or one that cannot be applied as it is set, and a config patch
   * that sets it.
   */
  static Stream<Arguments> unsupportedFields() {
    return Stream.of(
        arguments("process.terminal", "{\"process\": {\"terminal\": true}}"),
        arguments("process.apparmorProfile",
            "{\"process\": {\"apparmorProfile\": \"docker-default\"}}"),
        arguments("process.selinuxLabel",
            "{\"process\": {\"selinuxLabel\": \"system_u:system_r:svirt_lxc_net_t:s0\"}}"),
        arguments("linux.uidMappings", "{\"linux\": {\"uidMappings\": " + MAPPING + "}}"),
        arguments("linux.timeOffsets",
            "{\"linux\": {\"timeOffsets\": {\"monotonic\": {\"secs\": 1}}}}"),
        arguments("linux.mountLabel",
            "{\"linux\": {\"mountLabel\": \"system_u:object_r:svirt_sandbox_file_t:s0\"}}"),
        arguments("linux.intelRdt", "{\"linux\": {\"intelRdt\": {\"closID\": \"x\"}}}"),
        // The mount's mappings go together; the message names the one missing.
        arguments("mounts[1].gidMappings", "{\"mounts\": [{\"destination\": \"/a\", "
            + "\"type\": \"tmpfs\"}, {\"destination\": \"/b\", \"type\": \"tmpfs\", "
            + "\"uidMappings\": " + MAPPING + "}]}"),
        arguments("mounts[0].uidMappings", "{\"mounts\": [{\"destination\": \"/a\", "
            + "\"type\": \"tmpfs\", \"gidMappings\": " + MAPPING + "}]}"),
        // Without a user namespace or mappings of its own a mount has no idmapping to use.
        arguments("mounts[0].options", tmpfsWithOption("idmap")),
        arguments("mounts[0].options", tmpfsWithOption("ridmap")),
        arguments("mounts[0].options", "{\"mounts\": [{\"destination\": \"/a\", "
            + "\"type\": \"bind\", \"source\": \"rootfs\", \"options\": [\"rbind\", "
            + "\"tmpcopyup\"]}]}"));
  }

  /** Fields that earlier versions refused and that capsa now applies. */
  static Stream<Arguments> supportedFields() {
    return Stream.of(
        arguments("hooks", "{\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\"}]}}"),
        arguments("process.scheduler",
            "{\"process\": {\"scheduler\": {\"policy\": \"SCHED_OTHER\"}}}"),
        arguments("process.ioPriority",
            "{\"process\": {\"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\"}}}"),
        arguments("process.execCPUAffinity",
            "{\"process\": {\"execCPUAffinity\": {\"initial\": \"0\"}}}"),
        arguments("linux.netDevices", "{\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, "
            + "{\"type\": \"network\"}], \"netDevices\": {\"eth0\": {}}}}"),
        arguments("linux.seccomp",
            "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}}}"),
        arguments("linux.memoryPolicy",
            "{\"linux\": {\"memoryPolicy\": {\"mode\": \"MPOL_DEFAULT\"}}}"),
        arguments("linux.personality",
            "{\"linux\": {\"personality\": {\"domain\": \"LINUX\"}}}"),
        arguments("mounts[0].options", tmpfsWithOption("tmpcopyup")),
        // Applied by cgroups/, outside the program.
        arguments("linux.cgroupsPath", "{\"linux\": {\"cgroupsPath\": \"/capsa/x\"}}"),
        arguments("linux.resources",
            "{\"linux\": {\"resources\": {\"pids\": {\"limit\": 10}}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("supportedFields")
  void formerlyRefusedFieldCompiles(String field, String patch) {
    assertFalse(compile(patch).ops().isEmpty(), field);
  }

  private static String tmpfsWithOption(String option) {
    return "{\"mounts\": [{\"destination\": \"/a\", \"type\": \"tmpfs\", \"options\": [\""
        + option + "\"]}]}";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unsupportedFields")
  void unsupportedFieldIsRefusedByName(String field, String patch) {
    assertRefused(field, patch);
  }

  @Test
  void terminalFalseIsNotRefused() {
    compile("""
        {"process": {"terminal": false, "consoleSize": {"height": 24, "width": 80}}}
        """);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0.0", "1.0.2-dev", "1.2.1", "1.3.0", "1.3.7"})
  void supportedOciVersionsCompile(String version) {
    compile("{\"ociVersion\": \"" + version + "\"}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.5.0-dev", "1.4.0", "2.0.0", "1.0", "x"})
  void otherOciVersionsAreRefused(String version) {
    assertRefused("ociVersion", "{\"ociVersion\": \"" + version + "\"}");
  }

  // ---------------------------------------------------------------- user namespaces

  private static final String MAPS = """
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]
      """;

  /** BASE's namespaces plus a new user namespace with MAPS, and {@code more} linux members. */
  private static String userns(String more) {
    return """
        {"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"},
                                  {"type": "user"}], %s%s}}
        """.formatted(MAPS, more.isEmpty() ? "" : ", " + more);
  }

  private static String userns() {
    return userns("");
  }

  /** {@code patch} with {@link #userns()} as its linux section. */
  private static String inUserns(String patch) {
    @SuppressWarnings("unchecked")
    Map<String, Object> p = (Map<String, Object>) Json.parse(patch);
    p.putAll(asMap(userns()));
    return Json.write(p);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(String json) {
    return (Map<String, Object>) Json.parse(json);
  }

  @Test
  void newUserNamespaceComesFirstAloneThenRootThenTheOthers() {
    Program p = compile(userns());
    assertEquals(List.of(
        new Op.OpenGate(fifo.toString()),
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Unshare(CLONE_NEWUSER),
        new Op.Sync(SetupCompiler.SYNC_USERNS),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.Unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS),
        new Op.Fork(false)), p.ops().subList(0, 8));
    assertEquals(List.of("(exec fifo)", "linux.cgroupsPath", "linux.namespaces[3]",
        "linux.uidMappings", "linux.namespaces[3]", "linux.namespaces[3]", "linux.namespaces",
        "linux.namespaces"), fieldsOf(p).subList(0, 8));
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Sync(SetupCompiler.SYNC_USERNS)), opsOf(p, Op.Sync.class));
  }

  @Test
  void namespacesJoinedByPathAreJoinedBeforeANewUserNamespace() {
    // While the stage still holds the host's capabilities.
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "user"},
                                  {"type": "network", "path": "/proc/self/ns/net"},
                                  {"type": "ipc", "path": "/proc/self/ns/ipc"}], %s}}
        """.formatted(MAPS));
    assertEquals(List.of(
        new Op.OpenGate(fifo.toString()),
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Setns("/proc/self/ns/ipc", CLONE_NEWIPC),
        new Op.Setns("/proc/self/ns/net", CLONE_NEWNET),
        new Op.Unshare(CLONE_NEWUSER),
        new Op.Sync(SetupCompiler.SYNC_USERNS),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.Unshare(CLONE_NEWPID | CLONE_NEWNS),
        new Op.Fork(false)), p.ops().subList(0, 10));
    assertEquals(2, opsOf(p, Op.Setns.class).size());
  }

  @Test
  void userNamespaceJoinedByPathIsEnteredFirstWithoutMaps() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"},
                                  {"type": "user", "path": "/proc/self/ns/user"},
                                  {"type": "ipc", "path": "/proc/self/ns/ipc"}]}}
        """);
    assertEquals(List.of(
        new Op.OpenGate(fifo.toString()),
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Setns("/proc/self/ns/user", CLONE_NEWUSER),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.Setns("/proc/self/ns/ipc", CLONE_NEWIPC),
        new Op.Unshare(CLONE_NEWPID | CLONE_NEWNS),
        new Op.Fork(false)), p.ops().subList(0, 8));
    assertEquals("linux.namespaces[2]", p.field(2));
    // No maps to write: the only stop is the cgroup's.
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP)), opsOf(p, Op.Sync.class));
  }

  @Test
  void mappingsWithoutAUserNamespaceAreRefused() {
    assertRefused("linux.uidMappings", "{\"linux\": {" + MAPS + "}}");
  }

  @Test
  void mappingsForAUserNamespaceJoinedByPathAreRefused() {
    assertRefused("linux.uidMappings", """
        {"linux": {"namespaces": [{"type": "mount"},
                                  {"type": "user", "path": "/proc/self/ns/user"}], %s}}
        """.formatted(MAPS));
  }

  @Test
  void newUserNamespaceWithoutUidMappingsIsRefused() {
    assertRefused("linux.uidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}
        """);
  }

  @Test
  void newUserNamespaceWithoutAnyMappingIsRefused() {
    assertRefused("linux.uidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}]}}
        """);
  }

  @Test
  void newUserNamespaceWithEmptyMappingsIsRefused() {
    assertRefused("linux.uidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [], "gidMappings": []}}
        """);
  }

  @Test
  void containerRootMustBeMapped() {
    SpecException e = assertRefused("linux.uidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 1, "hostID": 100001, "size": 65535}],
                   "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}}
        """);
    assertTrue(e.getMessage().contains("0"), e.getMessage());
    // A mapping of size 0 maps nothing.
    assertRefused("linux.uidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 0}],
                   "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 1}]}}
        """);
  }

  @Test
  void rootMappedInASecondEntryIsEnough() {
    compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 1000, "hostID": 1000, "size": 1},
                                   {"containerID": 0, "hostID": 100000, "size": 1}],
                   "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 1}]}}
        """);
  }

  @Test
  void refusalsOfGidMappingsNameGidMappings() {
    assertRefused("linux.gidMappings", """
        {"linux": {"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}
        """);
    assertRefused("linux.gidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}
        """);
    assertRefused("linux.gidMappings", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                   "gidMappings": [{"containerID": 1, "hostID": 1000, "size": 1}]}}
        """);
  }

  private SetupCompiler.Result setgroupsDenied(String patch) {
    return SetupCompiler.compile(new SetupCompiler.Request(spec(patch), bundle, fifo, false, -1,
        Map.of(), List.of(), true), HOST);
  }

  @Test
  void setgroupsIsLeftOutWhereTheUserNamespaceDeniesIt() {
    // user_namespaces(7): an unprivileged user's own gid map comes with
    // setgroups denied; setgroups(2) would fail with EPERM.
    Program p = setgroupsDenied(inUserns("""
        {"process": {"user": {"uid": 1000, "gid": 1000}}}
        """)).program();
    assertEquals(List.of(), opsOf(p, Op.SetGroups.class));
    int chdir = indexOf(p, Op.Chdir.class);
    assertEquals(List.of(new Op.SetResGid(1000), new Op.SetResUid(1000)),
        p.ops().subList(chdir + 1, chdir + 3));
  }

  @Test
  void setgroupsIsLeftOutAlsoWithAnEmptyListOfGroups() {
    Program p = setgroupsDenied(inUserns("""
        {"process": {"user": {"uid": 0, "gid": 0, "additionalGids": []}}}
        """)).program();
    assertEquals(List.of(), opsOf(p, Op.SetGroups.class));
  }

  @Test
  void additionalGidsWhereSetgroupsIsDeniedAreRefused() {
    SpecException e = assertThrows(SpecException.class, () -> setgroupsDenied(inUserns("""
        {"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [5]}}}
        """)));
    assertTrue(e.getMessage().startsWith("process.user.additionalGids: "), e.getMessage());
  }

  @Test
  void setgroupsIsCalledWhereItIsAllowed() {
    Program p = compile(inUserns("""
        {"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [5]}}}
        """));
    assertEquals(List.of(new Op.SetGroups(List.of(5L))), opsOf(p, Op.SetGroups.class));
    // The shorter constructors leave setgroups allowed.
    assertFalse(new SetupCompiler.Request(spec("{}"), bundle, fifo, false).setgroupsDenied());
    assertFalse(new SetupCompiler.Request(spec("{}"), bundle, fifo, false, -1, Map.of(),
        List.of()).setgroupsDenied());
  }

  @Test
  void devicesAreBindMountsOfTheHostsInAUserNamespace() {
    // mknod(2) needs CAP_MKNOD in the host's user namespace (runc binds them too).
    Program p = compile(userns("""
        "devices": [{"type": "c", "path": "/dev/full", "major": 1, "minor": 7}]
        """));
    assertEquals(List.of(), opsOf(p, Op.Mknod.class));
    List<Op> expected = new ArrayList<>();
    for (String dev : List.of("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom",
        "/dev/tty")) {
      expected.add(new Op.Mount(dev, dev, "", MS_BIND, "", Target.IN_ROOT, Create.FILE));
    }
    assertEquals(expected, opsFor(p, "(default devices)").subList(0, 5));
    assertEquals(List.of(new Op.Mount("/dev/full", "/dev/full", "", MS_BIND, "", Target.IN_ROOT,
        Create.FILE)), opsFor(p, "linux.devices[0]"));
    assertEquals(new Op.Symlink("pts/ptmx", "/dev/ptmx", true),
        opsFor(p, "(default devices)").get(5));
  }

  @Test
  void deviceMissingOnTheHostIsRefusedInAUserNamespace() {
    assertRefused("linux.devices[0]", userns("""
        "devices": [{"type": "c", "path": "/dev/capsa-no-such-device", "major": 1, "minor": 7}]
        """));
  }

  private static final String SYSFS = """
      {"mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs",
                   "options": ["nosuid", "noexec", "nodev", "ro"]}]}
      """;

  @Test
  void sysfsWithoutANewNetworkNamespaceIsTheHostsBoundInAUserNamespace() {
    // The kernel mounts sysfs in a user namespace only for its own network namespace.
    Program p = compile(inUserns(SYSFS));
    assertEquals(List.of(
        mount("/sys", "/sys", "", MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/sys", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
            | MOUNT_ATTR_NOEXEC, 0, 0, false)), opsFor(p, "mounts[0]"));
  }

  @Test
  void sysfsWithANewNetworkNamespaceIsMountedInAUserNamespace() {
    @SuppressWarnings("unchecked")
    Map<String, Object> patch = asMap(inUserns(SYSFS));
    @SuppressWarnings("unchecked")
    Map<String, Object> linux = (Map<String, Object>) patch.get("linux");
    @SuppressWarnings("unchecked")
    List<Object> namespaces = (List<Object>) linux.get("namespaces");
    namespaces.add(Map.of("type", "network"));
    Program p = compile(Json.write(patch));
    assertEquals(List.of(mount("sysfs", "/sys", "sysfs",
        MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, "", Create.DIR)), opsFor(p, "mounts[0]"));
  }

  @Test
  void sysfsWithoutAUserNamespaceIsMounted() {
    Program p = compile(SYSFS);
    assertEquals(List.of(mount("sysfs", "/sys", "sysfs",
        MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, "", Create.DIR)), opsFor(p, "mounts[0]"));
  }

  @Test
  void cgroupV1HierarchiesAreBoundInAUserNamespace() {
    // A user namespace may mount cgroup2 in its cgroup namespace, never a v1 hierarchy.
    @SuppressWarnings("unchecked")
    Map<String, Object> patch = asMap(inUserns(CGROUP_MOUNT));
    @SuppressWarnings("unchecked")
    List<Object> namespaces =
        (List<Object>) ((Map<String, Object>) patch.get("linux")).get("namespaces");
    namespaces.add(Map.of("type", "cgroup"));
    Program p = compile(Json.write(patch));
    long tmpfsFlags = CGROUP_FLAGS & ~MS_RDONLY;
    assertEquals(List.of(
        mount("tmpfs", "/sys/fs/cgroup", "tmpfs", tmpfsFlags, "mode=755", Create.DIR),
        mount("/sys/fs/cgroup/cpu,cpuacct/user.slice", "/sys/fs/cgroup/cpu,cpuacct", "",
            MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/cpu,cpuacct", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0,
            false),
        new Op.Symlink("cpu,cpuacct", "/sys/fs/cgroup/cpu", false),
        new Op.Symlink("cpu,cpuacct", "/sys/fs/cgroup/cpuacct", false),
        mount("/sys/fs/cgroup/memory/user.slice/session-1.scope", "/sys/fs/cgroup/memory", "",
            MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/memory", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0, false),
        mount("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/systemd", "", MS_BIND | MS_REC, "",
            Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup/systemd", CGROUP_ATTRS, MOUNT_ATTR__ATIME, 0, false),
        mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", CGROUP_FLAGS, "", Create.DIR),
        new Op.MountSetattr("/sys/fs/cgroup", MOUNT_ATTR_RDONLY, 0, 0, false)),
        opsFor(p, "mounts[0]"));
  }

  @Test
  void cgroup2IsMountedInAUserNamespaceWithACgroupNamespace() {
    @SuppressWarnings("unchecked")
    Map<String, Object> patch = asMap(inUserns(CGROUP_MOUNT));
    @SuppressWarnings("unchecked")
    List<Object> namespaces =
        (List<Object>) ((Map<String, Object>) patch.get("linux")).get("namespaces");
    namespaces.add(Map.of("type", "cgroup"));
    Program p = compile(Json.write(patch), new SetupCompiler.Host(40, ALL_CAPS, V2));
    assertEquals(List.of(
        mount("cgroup2", "/sys/fs/cgroup", "cgroup2", CGROUP_FLAGS, "", Create.DIR)),
        opsFor(p, "mounts[0]"));
  }

  // ---------------------------------------------------------------- time namespaces

  @Test
  void timeNamespaceOffsetsAreWrittenAfterItsUnshareAndBeforeTheFork() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "time"}],
                   "timeOffsets": {"monotonic": {"secs": 86400, "nanosecs": 5},
                                   "boottime": {"secs": -3600}}}}
        """);
    assertEquals(List.of(
        new Op.OpenGate(fifo.toString()),
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Unshare(CLONE_NEWTIME | CLONE_NEWNS),
        new Op.WriteFile("/proc/self/timens_offsets", "monotonic 86400 5\nboottime -3600 0\n",
            false),
        new Op.Fork(false)), p.ops().subList(0, 5));
    assertEquals("linux.timeOffsets", p.field(3));
  }

  @Test
  void timeNamespaceWithoutOffsetsWritesNothing() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "time"}]}}
        """);
    assertEquals(new Op.Unshare(CLONE_NEWTIME | CLONE_NEWNS), p.op(2));
    assertEquals(List.of(), opsOf(p, Op.WriteFile.class));
  }

  @Test
  void timeNamespaceJoinedByPathIsSetns() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"},
                                  {"type": "time", "path": "/proc/self/ns/time"}]}}
        """);
    assertEquals(List.of(
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Setns("/proc/self/ns/time", CLONE_NEWTIME),
        new Op.Unshare(CLONE_NEWNS),
        new Op.Fork(false)), p.ops().subList(1, 5));
  }

  @Test
  void timeOffsetsWithoutANewTimeNamespaceAreRefused() {
    assertRefused("linux.timeOffsets", """
        {"linux": {"timeOffsets": {"monotonic": {"secs": 1}}}}
        """);
    assertRefused("linux.timeOffsets", """
        {"linux": {"namespaces": [{"type": "mount"},
                                  {"type": "time", "path": "/proc/self/ns/time"}],
                   "timeOffsets": {"monotonic": {"secs": 1}}}}
        """);
  }

  @Test
  void offsetOfAClockWithoutOneIsRefused() {
    // The schema lists monotonic and boottime, but takes other keys too.
    SpecException e = assertRefused("linux.timeOffsets", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "time"}],
                   "timeOffsets": {"realtime": {"secs": 1}}}}
        """);
    assertTrue(e.getMessage().contains("realtime"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(longs = {1_000_000_000L, 4_294_967_295L})
  void nanosecondsOfASecondOrMoreAreRefused(long nanosecs) {
    assertRefused("linux.timeOffsets.monotonic.nanosecs", """
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "time"}],
                   "timeOffsets": {"monotonic": {"secs": 1, "nanosecs": %d}}}}
        """.formatted(nanosecs));
  }

  @Test
  void nanosecondsJustBelowASecondAreTaken() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "time"}],
                   "timeOffsets": {"boottime": {"nanosecs": 999999999}}}}
        """);
    assertEquals(List.of(new Op.WriteFile("/proc/self/timens_offsets", "boottime 0 999999999\n",
        false)), opsFor(p, "linux.timeOffsets"));
  }

  // ---------------------------------------------------------------- hooks

  @ParameterizedTest
  @ValueSource(strings = {"prestart", "createRuntime", "createContainer"})
  void createHooksStopTheStageRightBeforePivotRoot(String kind) {
    Program p = compile("""
        {"hostname": "box", "hooks": {"%s": [{"path": "/bin/true"}]}}
        """.formatted(kind));
    int sync = indexOf(p, new Op.Sync(SetupCompiler.SYNC_HOOKS));
    assertEquals(new Op.PivotRoot(rootfs), p.op(sync + 1));
    assertEquals("hooks", p.field(sync));
    // After the mounts, the devices, the masked paths and the names.
    assertTrue(indexOf(p, new Op.SetHostname("box")) < sync);
    assertTrue(indexOf(p, new Op.Mkdir("/", 0755)) < sync);
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Sync(SetupCompiler.SYNC_HOOKS)), opsOf(p, Op.Sync.class));
  }

  @Test
  void createHooksStopTheStageBeforeMoveRootToo() {
    Program p = result("""
        {"hooks": {"createRuntime": [{"path": "/bin/true"}],
                   "createContainer": [{"path": "/bin/true"}]}}
        """, HOST, true).program();
    int sync = indexOf(p, new Op.Sync(SetupCompiler.SYNC_HOOKS));
    assertEquals(new Op.MoveRoot(rootfs), p.op(sync + 1));
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Sync(SetupCompiler.SYNC_HOOKS)), opsOf(p, Op.Sync.class));
  }

  @Test
  void hooksOfStartAndDeleteDoNotStopTheStage() {
    Program p = compile("""
        {"hooks": {"startContainer": [{"path": "/bin/true"}], "poststart": [{"path": "/bin/true"}],
                   "poststop": [{"path": "/bin/true"}]}}
        """);
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP)), opsOf(p, Op.Sync.class));
    assertEquals(compile("{}").ops(), p.ops());
  }

  // ---------------------------------------------------------------- terminal

  private SetupCompiler.Result withConsole(String patch, int consoleFd) {
    return SetupCompiler.compile(new SetupCompiler.Request(spec(patch), bundle, fifo, false,
        consoleFd, Map.of(), List.of()), HOST);
  }

  @Test
  void terminalIsMadeRightAfterPivotRootAndBeforeTheReadOnlyRoot() {
    Program p = withConsole("""
        {"root": {"path": "rootfs", "readonly": true},
         "process": {"terminal": true, "consoleSize": {"height": 24, "width": 80},
                     "user": {"uid": 1000, "gid": 1000}},
         "linux": {"rootfsPropagation": "private"}}
        """, 5).program();
    int open = indexOf(p, new Op.OpenRoot("/"));
    assertEquals(new Op.PivotRoot(rootfs), p.op(open - 1));
    assertEquals(List.of(
        new Op.Terminal(5, 24, 80, 1000),
        new Op.Mount("", "/", "", MS_PRIVATE, "", Target.HOST, Create.NONE),
        new Op.MountSetattr("/", MOUNT_ATTR_RDONLY, 0, 0, false)),
        p.ops().subList(open + 1, open + 4));
    assertEquals("process.terminal", p.field(open + 1));
  }

  @Test
  void terminalWithoutConsoleSizeIsZeroByZeroForRoot() {
    Program p = withConsole("{\"process\": {\"terminal\": true}}", 4).program();
    assertEquals(List.of(new Op.Terminal(4, 0, 0, 0)), opsOf(p, Op.Terminal.class));
  }

  @Test
  void terminalWithoutAConsoleIsRefused() {
    assertRefused("process.terminal", "{\"process\": {\"terminal\": true}}");
  }

  @Test
  void noTerminalMeansNoTerminalOpEvenWithAConsoleFd() {
    Program p = withConsole("{}", 4).program();
    assertEquals(List.of(), opsOf(p, Op.Terminal.class));
  }

  // ---------------------------------------------------------------- seccomp

  private static final String SECCOMP = """
      "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                  "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
      """;

  private static final String CAPS = """
      "capabilities": {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
      """;

  @Test
  void seccompWithoutNoNewPrivilegesIsLoadedBeforeTheCapabilitiesAreDropped() {
    // Loading a filter without no_new_privs needs CAP_SYS_ADMIN (runc's order).
    Program p = compile("""
        {"process": {"noNewPrivileges": false, "user": {"uid": 1000, "gid": 1000}, %s},
         "linux": {"namespaces": [{"type": "mount"}], %s}}
        """.formatted(CAPS, SECCOMP));
    List<Op.Seccomp> filters = opsOf(p, Op.Seccomp.class);
    assertEquals(1, filters.size());
    int at = indexOf(p, filters.get(0));
    assertEquals(new Op.Chdir("/"), p.op(at - 1));
    assertEquals(new Op.CapBsetDrop(caps(CAP_KILL), LAST_CAP), p.op(at + 1));
    assertEquals("linux.seccomp", p.field(at));
    assertTrue(at < indexOf(p, new Op.SetResUid(1000)));
    assertEquals(0, filters.get(0).flags());
  }

  @Test
  void seccompWithoutCapabilitiesIsLoadedBeforeTheGroups() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}], %s}}
        """.formatted(SECCOMP));
    int at = indexOf(p, Op.Seccomp.class);
    assertEquals(new Op.SetGroups(List.of()), p.op(at + 1));
  }

  @Test
  void seccompWithNoNewPrivilegesIsLoadedJustBeforeTheGate() {
    Program p = compile("""
        {"process": {"noNewPrivileges": true, %s},
         "linux": {"namespaces": [{"type": "mount"}], %s}}
        """.formatted(CAPS, SECCOMP));
    int at = indexOf(p, Op.Seccomp.class);
    assertEquals(p.size() - 3, at, p::toString);
    assertEquals(new Op.FindExec("sh", DEFAULT_PATH), p.op(at - 1));
    assertEquals(new Op.WaitGate(), p.op(at + 1));
    assertTrue(indexOf(p, new Op.NoNewPrivs()) < at);
    assertEquals(1, opsOf(p, Op.Seccomp.class).size());
  }

  @Test
  void seccompOpCarriesTheCompiledFilterAsHex() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}], %s}}
        """.formatted(SECCOMP));
    Op.Seccomp op = opsOf(p, Op.Seccomp.class).get(0);
    byte[] bpf = new dev.capsa.seccomp.SeccompCompiler(
        spec("{\"linux\": {" + SECCOMP + "}}").linux().seccomp()).compile().bpf();
    StringBuilder hex = new StringBuilder();
    for (byte b : bpf) {
      hex.append(String.format("%02x", b & 0xff));
    }
    assertEquals(hex.toString(), op.bpfHex());
    assertEquals(0, op.bpfHex().length() % 16);
  }

  @Test
  void seccompNotifyAsksTheStageForTheListener() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}],
                   "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
                               "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                               "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}}}
        """);
    assertEquals(2 | dev.capsa.seccomp.SeccompCompiler.FLAG_NEW_LISTENER,
        opsOf(p, Op.Seccomp.class).get(0).flags());
  }

  @Test
  void seccompErrorsNameTheirField() {
    assertRefused("linux.seccomp.syscalls[0].errnoRet", """
        {"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO",
                               "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW",
                                             "errnoRet": 1}]}}}
        """);
  }

  // ---------------------------------------------------------------- idmapped mounts

  private SetupCompiler.Result withIdmaps(String patch, Map<Integer, String> idmapUserns) {
    return SetupCompiler.compile(new SetupCompiler.Request(spec(patch), bundle, fifo, false, -1,
        idmapUserns, List.of()), HOST);
  }

  @Test
  void mountWithItsOwnMappingsIsIdmappedWithTheirNamespace() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    Program p = withIdmaps("""
        {"mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
                    {"destination": "/data", "type": "bind", "source": "data",
                     "options": ["rbind", "ro", "idmap", "rprivate"], %s}]}
        """.formatted(MAPS), Map.of(1, "/proc/4242/ns/user")).program();
    assertEquals(List.of(
        mount(bundle.resolve("data").toString(), "/data", "", MS_BIND | MS_REC, "", Create.DIR),
        new Op.MountSetattr("/data", MOUNT_ATTR_RDONLY, 0, 0, false),
        new Op.Idmap("/data", "/proc/4242/ns/user", false),
        mount("", "/data", "", MS_PRIVATE | MS_REC, "", Create.NONE)), opsFor(p, "mounts[1]"));
  }

  @Test
  void ridmapIsARecursiveIdmap() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    Program p = withIdmaps("""
        {"mounts": [{"destination": "/data", "type": "bind", "source": "data",
                     "options": ["rbind", "ridmap"], %s}]}
        """.formatted(MAPS), Map.of(0, "/proc/4242/ns/user")).program();
    assertEquals(List.of(new Op.Idmap("/data", "/proc/4242/ns/user", true)),
        opsOf(p, Op.Idmap.class));
  }

  @Test
  void mappingsWithoutTheOptionAreStillApplied() throws IOException {
    // config.md: "If uidMappings or gidMappings are specified ... the runtime MUST use those".
    Files.createDirectory(bundle.resolve("data"));
    Program p = withIdmaps("""
        {"mounts": [{"destination": "/data", "type": "bind", "source": "data",
                     "options": ["bind"], %s}]}
        """.formatted(MAPS), Map.of(0, "/proc/4242/ns/user")).program();
    assertEquals(List.of(new Op.Idmap("/data", "/proc/4242/ns/user", false)),
        opsOf(p, Op.Idmap.class));
  }

  @Test
  void mountsOwnMappingsNeedTheirNamespace() throws IOException {
    Files.createDirectory(bundle.resolve("data"));
    SpecException e = assertThrows(SpecException.class, () -> withIdmaps("""
        {"mounts": [{"destination": "/data", "type": "bind", "source": "data",
                     "options": ["bind", "idmap"], %s}]}
        """.formatted(MAPS), Map.of(1, "/proc/1/ns/user")));
    assertTrue(e.getMessage().startsWith("mounts[0]"), e.getMessage());
  }

  @Test
  void idmapWithoutMappingsTakesTheContainersUserNamespace() {
    Program p = compile(inUserns("""
        {"mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                     "options": ["idmap"]}]}
        """));
    assertEquals(List.of(
        mount("tmpfs", "/tmp", "tmpfs", 0, "", Create.DIR),
        new Op.Idmap("/tmp", "/proc/self/ns/user", false)), opsFor(p, "mounts[0]"));
  }

  @Test
  void idmapWithoutMappingsOrAUserNamespaceIsRefused() {
    SpecException e = assertRefused("mounts[0].options", tmpfsWithOption("ridmap"));
    assertTrue(e.getMessage().contains("ridmap"), e.getMessage());
  }

  @Test
  void noIdmapWithoutTheOptionOrMappings() {
    assertEquals(List.of(), opsOf(compile(inUserns(tmpfsWithOption("rprivate"))), Op.Idmap.class));
  }

  // ---------------------------------------------------------------- tmpcopyup

  @Test
  void tmpcopyupSavesTheDirectoryMountsAndCopiesItUp() {
    Program p = compile("""
        {"mounts": [{"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                     "options": ["tmpcopyup", "mode=755", "rprivate"]}]}
        """);
    assertEquals(List.of(
        new Op.SaveDir("/etc"),
        mount("tmpfs", "/etc", "tmpfs", 0, "mode=755", Create.DIR),
        new Op.CopyUp("/etc"),
        mount("", "/etc", "", MS_PRIVATE | MS_REC, "", Create.NONE)), opsFor(p, "mounts[0]"));
  }

  @Test
  void tmpcopyupOfANonTmpfsMountIsRefused() {
    assertRefused("mounts[0].options", """
        {"mounts": [{"destination": "/proc", "type": "proc", "source": "proc",
                     "options": ["tmpcopyup"]}]}
        """);
  }

  // ---------------------------------------------------------------- process attributes

  @Test
  void processAttributesComeAfterTheRootAndBeforeTheRlimits() {
    Program p = compile("""
        {"process": {"scheduler": {"policy": "SCHED_FIFO", "priority": 10,
                                   "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
                     "ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 3},
                     "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}]},
         "linux": {"namespaces": [{"type": "mount"}],
                   "personality": {"domain": "LINUX32"},
                   "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0-3,7",
                                    "flags": ["MPOL_F_STATIC_NODES"]}}}
        """);
    int open = indexOf(p, new Op.OpenRoot("/"));
    assertEquals(List.of(
        new Op.Personality(0x0008),
        new Op.Sched(1, 0x01, 0, 10, 0, 0, 0),
        new Op.IoPrio(1 << 13 | 3),
        new Op.MemPolicy(2 | 1 << 15, List.of(0x8fL)),
        new Op.SetRlimit(7, 1024, 1024),
        new Op.Chdir("/")), p.ops().subList(open + 1, open + 7));
    assertEquals(List.of("linux.personality", "process.scheduler", "process.ioPriority",
        "linux.memoryPolicy"), fieldsOf(p).subList(open + 1, open + 5));
  }

  @Test
  void deadlineSchedulerCarriesItsTimes() {
    Program p = compile("""
        {"process": {"scheduler": {"policy": "SCHED_DEADLINE", "runtime": 10000000,
                                   "deadline": 20000000, "period": 30000000,
                                   "flags": ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN"]}}}
        """);
    assertEquals(List.of(new Op.Sched(6, 0x02 | 0x04, 0, 0, 10_000_000L, 20_000_000L,
        30_000_000L)), opsOf(p, Op.Sched.class));
  }

  @Test
  void niceOfSchedOtherIsPassed() {
    Program p = compile("""
        {"process": {"scheduler": {"policy": "SCHED_BATCH", "nice": -5}}}
        """);
    assertEquals(List.of(new Op.Sched(3, 0, -5, 0, 0, 0, 0)), opsOf(p, Op.Sched.class));
  }

  @ParameterizedTest
  @CsvSource({"IOPRIO_CLASS_RT, 0, 8192", "IOPRIO_CLASS_BE, 7, 16391",
      "IOPRIO_CLASS_IDLE, 0, 24576"})
  void ioPriorityIsClassAndLevel(String ioClass, int priority, int value) {
    Program p = compile("""
        {"process": {"ioPriority": {"class": "%s", "priority": %d}}}
        """.formatted(ioClass, priority));
    assertEquals(List.of(new Op.IoPrio(value)), opsOf(p, Op.IoPrio.class));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 8, 100})
  void ioPriorityOutsideZeroToSevenIsRefused(int priority) {
    assertRefused("process.ioPriority.priority", """
        {"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": %d}}}
        """.formatted(priority));
  }

  @Test
  void personalityLinuxIsZero() {
    Program p = compile("{\"linux\": {\"personality\": {\"domain\": \"LINUX\"}}}");
    assertEquals(List.of(new Op.Personality(0)), opsOf(p, Op.Personality.class));
  }

  @Test
  void personalityFlagsAreRefused() {
    // config-linux.md: "Currently no flag values are supported."
    assertRefused("linux.personality.flags", """
        {"linux": {"personality": {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}}}
        """);
  }

  @Test
  void personalityWithoutDomainIsRefusedByName() {
    assertRefused("linux.personality.domain", "{\"linux\": {\"personality\": {}}}");
  }

  @Test
  void memoryPolicyWithoutModeIsRefusedByName() {
    assertRefused("linux.memoryPolicy.mode", "{\"linux\": {\"memoryPolicy\": {\"nodes\": \"0\"}}}");
  }

  @Test
  void memoryPolicyWithoutNodesHasAnEmptyMask() {
    Program p = compile("{\"linux\": {\"memoryPolicy\": {\"mode\": \"MPOL_LOCAL\"}}}");
    assertEquals(List.of(new Op.MemPolicy(4, List.of())), opsOf(p, Op.MemPolicy.class));
  }

  @Test
  void memoryPolicyNodesAreBadlyFormedOrRefused() {
    assertRefused("linux.memoryPolicy.nodes", """
        {"linux": {"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "3-1"}}}
        """);
  }

  @Test
  void execCpuAffinityIsNotForTheContainersInitProcess() {
    // config.md: "This setting is not applicable to the container's init process".
    Program p = compile("""
        {"process": {"execCPUAffinity": {"initial": "0-3,7", "final": "64"},
                     "oomScoreAdj": 100, "noNewPrivileges": true}}
        """);
    assertEquals(List.of(), opsOf(p, Op.Affinity.class));
  }

  @Test
  void emptyFinalAffinityIsNoOp() {
    Program p = compile("{\"process\": {\"execCPUAffinity\": {\"final\": \"\"}}}");
    assertEquals(List.of(), opsOf(p, Op.Affinity.class));
  }

  @ParameterizedTest
  @ValueSource(strings = {"5-2", "1024", "0-1024", ",", " "})
  void badCpuListsAreRefusedByTheCompiler(String list) {
    assertRefused("process.execCPUAffinity.initial", """
        {"process": {"execCPUAffinity": {"initial": "%s"}}}
        """.formatted(list));
  }

  @Test
  void cpuListThatIsNotDigitsIsRefusedByTheSchema() {
    SpecException e = assertThrows(SpecException.class, () -> compile("""
        {"process": {"execCPUAffinity": {"final": "x"}}}
        """));
    assertTrue(e.getMessage().contains("process.execCPUAffinity.final"), e.getMessage());
  }

  @Test
  void cpuMaskIsSixtyFourCpusAWord() {
    assertEquals(List.of(0x8fL), ProcessAttributes.cpuMask("0-3,7", "f"));
    assertEquals(List.of(1L), ProcessAttributes.cpuMask("0", "f"));
    assertEquals(List.of(0L, 1L), ProcessAttributes.cpuMask("64", "f"));
    assertEquals(List.of(-1L, 1L), ProcessAttributes.cpuMask("0-64", "f"));
    assertEquals(List.of(0x6L), ProcessAttributes.cpuMask(" 1 , 2 ,", "f"));
    assertEquals(List.of(Long.MIN_VALUE), ProcessAttributes.cpuMask("63", "f"));
    List<Long> last = ProcessAttributes.cpuMask("1023", "f");
    assertEquals(16, last.size());
    assertEquals(Long.MIN_VALUE, last.get(15));
  }

  @ParameterizedTest
  @ValueSource(strings = {"x", "5-2", "1024", "-1", "1-", "", "a-b", "1-2-3"})
  void cpuMaskRefusesWhatIsNotAList(String list) {
    SpecException e = assertThrows(SpecException.class,
        () -> ProcessAttributes.cpuMask(list, "process.execCPUAffinity.final"));
    assertTrue(e.getMessage().startsWith("process.execCPUAffinity.final: "), e.getMessage());
  }

  // ---------------------------------------------------------------- net devices

  @Test
  void netDevicesStopTheContainerProcessRightAfterTheFork() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}],
                   "netDevices": {"eth1": {"name": "ctr0"}, "eth2": {}}}}
        """);
    int fork = indexOf(p, new Op.Fork(false));
    assertEquals(new Op.Sync(SetupCompiler.SYNC_NAMESPACES), p.op(fork + 1));
    assertEquals("linux.netDevices", p.field(fork + 1));
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.Sync(SetupCompiler.SYNC_NAMESPACES)), opsOf(p, Op.Sync.class));
  }

  @Test
  void emptyNetDevicesAreNoStop() {
    Program p = compile("""
        {"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}], "netDevices": {}}}
        """);
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP)), opsOf(p, Op.Sync.class));
  }

  @Test
  void netDevicesWithoutANetworkNamespaceAreRefused() {
    assertRefused("linux.netDevices", """
        {"linux": {"netDevices": {"eth1": {"name": "ctr0"}}}}
        """);
    // A network namespace joined by path is not the container's own either.
    assertRefused("linux.netDevices", """
        {"linux": {"namespaces": [{"type": "mount"},
                                  {"type": "network", "path": "/proc/self/ns/net"}],
                   "netDevices": {"eth1": {}}}}
        """);
  }

  // ---------------------------------------------------------------- host security modules

  private static SetupCompiler.Host host(boolean apparmor, boolean selinux, boolean resctrl) {
    return new SetupCompiler.Host(LAST_CAP, ALL_CAPS, HYBRID, apparmor, selinux, resctrl);
  }

  @Test
  void apparmorProfileIsWrittenForTheExecOnAHostWithAppArmor() {
    Program p = compile("{\"process\": {\"apparmorProfile\": \"docker-default\"}}",
        host(true, false, false));
    assertEquals(List.of(new Op.WriteFile("/proc/self/attr/apparmor/exec", "exec docker-default",
        false)), opsFor(p, "process.apparmorProfile"));
    // Before the namespaces: the host's /proc, and the fork keeps it for the exec.
    assertTrue(indexOf(p, Op.WriteFile.class) < indexOf(p, Op.Unshare.class));
  }

  @Test
  void apparmorProfileOnAHostWithoutAppArmorIsRefused() {
    SpecException e = assertRefused("process.apparmorProfile",
        "{\"process\": {\"apparmorProfile\": \"docker-default\"}}");
    assertTrue(e.getMessage().contains("AppArmor is not enabled"), e.getMessage());
  }

  @Test
  void emptyApparmorProfileIsNothing() {
    Program p = compile("{\"process\": {\"apparmorProfile\": \"\"}}");
    assertEquals(List.of(), opsOf(p, Op.WriteFile.class));
  }

  @Test
  void selinuxLabelIsRefusedWithAMessageForTheHost() {
    String patch = "{\"process\": {\"selinuxLabel\": \"system_u:system_r:container_t:s0\"}}";
    SpecException without = assertThrows(SpecException.class,
        () -> compile(patch, host(false, false, false)));
    assertTrue(without.getMessage().startsWith(
        "process.selinuxLabel: SELinux is not enabled on this host"), without.getMessage());
    SpecException with = assertThrows(SpecException.class,
        () -> compile(patch, host(false, true, false)));
    assertTrue(with.getMessage().startsWith(
        "process.selinuxLabel: not supported by this version of capsa"), with.getMessage());
  }

  @Test
  void mountLabelOnAHostWithoutSelinuxIsRefused() {
    SpecException e = assertThrows(SpecException.class,
        () -> compile("{\"linux\": {\"mountLabel\": \"system_u:object_r:container_file_t:s0\"}}",
            host(false, false, false)));
    assertTrue(e.getMessage().startsWith("linux.mountLabel: SELinux is not enabled on this host"),
        e.getMessage());
  }

  @Test
  void mountLabelOnAHostWithSelinuxIsRefused() {
    SpecException e = assertThrows(SpecException.class,
        () -> compile("{\"linux\": {\"mountLabel\": \"system_u:object_r:container_file_t:s0\"}}",
            host(false, true, false)));
    assertTrue(e.getMessage().startsWith("linux.mountLabel: not supported by this version"),
        e.getMessage());
  }

  @Test
  void intelRdtIsRefusedWithAMessageForTheHost() {
    String patch = "{\"linux\": {\"intelRdt\": {\"closID\": \"x\"}}}";
    SpecException without = assertThrows(SpecException.class,
        () -> compile(patch, host(false, false, false)));
    assertTrue(without.getMessage().startsWith("linux.intelRdt: the host has no resctrl"),
        without.getMessage());
    SpecException with = assertThrows(SpecException.class,
        () -> compile(patch, host(false, false, true)));
    assertTrue(with.getMessage().startsWith("linux.intelRdt: not supported by this version"),
        with.getMessage());
  }

  // ---------------------------------------------------------------- environment, groups

  @Test
  void extraEnvIsAppendedToTheProcessEnv() {
    Program p = SetupCompiler.compile(new SetupCompiler.Request(spec("""
        {"process": {"env": ["PATH=/bin", "HOME=/"]}}
        """), bundle, fifo, false, -1, Map.of(), List.of("LISTEN_FDS=2", "LISTEN_PID=1")),
        HOST).program();
    assertEquals(new Op.Exec(List.of("sh"),
        List.of("PATH=/bin", "HOME=/", "LISTEN_FDS=2", "LISTEN_PID=1")), p.op(p.size() - 1));
    assertEquals(new Op.FindExec("sh", "/bin"), p.op(p.size() - 3));
  }

  @Test
  void extraEnvWithoutProcessEnvIsTheWholeEnv() {
    Program p = SetupCompiler.compile(new SetupCompiler.Request(spec("{}"), bundle, fifo, false,
        -1, Map.of(), List.of("LISTEN_FDS=1")), HOST).program();
    assertEquals(new Op.Exec(List.of("sh"), List.of("LISTEN_FDS=1")), p.op(p.size() - 1));
  }

  @Test
  void moreSupplementaryGroupsThanTheKernelTakesAreRefused() {
    StringBuilder gids = new StringBuilder();
    for (int i = 0; i <= 65536; i++) {
      gids.append(i == 0 ? "" : ",").append(i);
    }
    SpecException e = assertRefused("process.user.additionalGids", """
        {"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [%s]}}}
        """.formatted(gids));
    assertTrue(e.getMessage().contains("65537"), e.getMessage());
  }

  @Test
  void asManySupplementaryGroupsAsTheKernelTakesCompile() {
    List<Long> gids = new ArrayList<>();
    StringBuilder json = new StringBuilder();
    for (int i = 0; i < 65536; i++) {
      gids.add((long) i);
      json.append(i == 0 ? "" : ",").append(i);
    }
    Program p = compile("""
        {"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [%s]}}}
        """.formatted(json));
    assertEquals(List.of(new Op.SetGroups(gids)), opsOf(p, Op.SetGroups.class));
  }

  private static List<String> fieldsOf(Program p) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < p.size(); i++) {
      out.add(p.field(i));
    }
    return out;
  }

  // ---------------------------------------------------------------- exec

  /** The container process whose namespaces an exec joins. */
  private static final int PID = 4242;

  /** BASE's namespaces, as HookRunner.namespacesToJoin would find them. */
  private static final Set<String> BASE_JOIN = Set.of("pid", "mount", "uts");

  /** BASE's process with {@code patch} merged over it, read as process.json. */
  private static Spec.Process process(String patch) {
    Object merged = merge(asMap(BASE).get("process"), Json.parse(patch));
    return ConfigParser.parseProcess(Json.write(merged));
  }

  private static SetupCompiler.Result exec(String container, String process, Set<String> join,
      boolean detach, int consoleFd, SetupCompiler.Host host) {
    return SetupCompiler.compileExec(new SetupCompiler.ExecRequest(spec(container),
        process(process), PID, join, detach, consoleFd, List.of()), host);
  }

  /** An exec of {@code process} in BASE's container, in the foreground, without a terminal. */
  private static Program exec(String process) {
    return exec("{}", process, BASE_JOIN, false, -1, HOST).program();
  }

  /** An exec of BASE's process in the container {@code container}. */
  private static Program execIn(String container) {
    return exec(container, "{}", BASE_JOIN, false, -1, HOST).program();
  }

  private static SpecException assertExecRefused(String field, String process) {
    SpecException e = assertThrows(SpecException.class, () -> exec(process));
    assertTrue(e.getMessage().startsWith(field + ": "), () -> "expected a message starting with "
        + field + " but got: " + e.getMessage());
    return e;
  }

  @Test
  void execCompilesToTheExactProgram() {
    Program p = exec("{}");
    assertEquals(List.of(
        // Into the container's cgroup before any namespace is joined.
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        // Every namespace file opened first, then each joined through its slot, mount last.
        new Op.OpenNs("/proc/4242/ns/uts", 0),
        new Op.OpenNs("/proc/4242/ns/pid", 1),
        new Op.OpenNs("/proc/4242/ns/mnt", 2),
        new Op.Setns("/proc/4242/ns/uts", CLONE_NEWUTS, 0),
        new Op.Setns("/proc/4242/ns/pid", CLONE_NEWPID, 1),
        new Op.Setns("/proc/4242/ns/mnt", CLONE_NEWNS, 2),
        // Into the pid namespace, the stage waiting for the process.
        new Op.Fork(true),
        new Op.Chdir("/"),
        new Op.SetGroups(List.of()),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.FindExec("sh", DEFAULT_PATH),
        new Op.Exec(List.of("sh"), List.of())), p.ops());
    List<String> fields = new ArrayList<>(List.of("linux.cgroupsPath"));
    for (int i = 0; i < 7; i++) {
      fields.add("linux.namespaces");
    }
    fields.addAll(List.of("process.cwd", "process.user.additionalGids", "process.user.gid",
        "process.user.uid", "process.args", "process.args"));
    assertEquals(fields, fieldsOf(p));
  }

  @Test
  void execWithoutANamespaceToJoinOnlyForks() {
    Program p = exec("{}", "{}", Set.of(), false, -1, HOST).program();
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP), new Op.Fork(true),
        new Op.Chdir("/")), p.ops().subList(0, 3));
  }

  @Test
  void execMovesIntoTheCgroupBeforeOpeningAnyNamespace() {
    Program p = exec("{}", "{}", Set.copyOf(JoinCompiler.ORDER), false, -1, HOST).program();
    assertEquals(new Op.Sync(SetupCompiler.SYNC_CGROUP), p.op(0));
    assertEquals("linux.cgroupsPath", p.field(0));
    assertEquals(List.of(new Op.Sync(SetupCompiler.SYNC_CGROUP)), opsOf(p, Op.Sync.class));
    assertTrue(p.op(1) instanceof Op.OpenNs, p::toString);
  }

  @Test
  void execNeverMakesNamespacesNorTouchesTheRootfsNorWaitsAtTheGate() {
    // The container exists: its mounts, devices, names and sysctls are made.
    Program p = execIn("""
        {"hostname": "box",
         "root": {"path": "no-such-rootfs", "readonly": true},
         "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
         "process": {"oomScoreAdj": 5},
         "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"},
                                  {"type": "ipc"}],
                   "sysctl": {"kernel.msgmax": "8192"}, "maskedPaths": ["/proc/kcore"],
                   "readonlyPaths": ["/proc/sys"]}}
        """);
    for (Op op : p.ops()) {
      assertFalse(op instanceof Op.Unshare || op instanceof Op.OpenGate
          || op instanceof Op.WaitGate || op instanceof Op.Mount || op instanceof Op.Mknod
          || op instanceof Op.PivotRoot || op instanceof Op.OpenRoot || op instanceof Op.MaskPath
          || op instanceof Op.ReadonlyPath || op instanceof Op.SetHostname
          || op instanceof Op.WriteFile || op instanceof Op.MountSetattr, op::toString);
    }
  }

  @Test
  void execJoinsEveryNamespaceInJoinOrderWithASlotEach() {
    Program p = exec("{}", "{}", Set.of("mount", "time", "cgroup", "pid", "network", "uts",
        "ipc"), false, -1, HOST).program();
    assertEquals(List.of(
        new Op.OpenNs("/proc/4242/ns/ipc", 0),
        new Op.OpenNs("/proc/4242/ns/uts", 1),
        new Op.OpenNs("/proc/4242/ns/net", 2),
        new Op.OpenNs("/proc/4242/ns/pid", 3),
        new Op.OpenNs("/proc/4242/ns/cgroup", 4),
        new Op.OpenNs("/proc/4242/ns/time", 5),
        new Op.OpenNs("/proc/4242/ns/mnt", 6),
        new Op.Setns("/proc/4242/ns/ipc", CLONE_NEWIPC, 0),
        new Op.Setns("/proc/4242/ns/uts", CLONE_NEWUTS, 1),
        new Op.Setns("/proc/4242/ns/net", CLONE_NEWNET, 2),
        new Op.Setns("/proc/4242/ns/pid", CLONE_NEWPID, 3),
        new Op.Setns("/proc/4242/ns/cgroup", CLONE_NEWCGROUP, 4),
        new Op.Setns("/proc/4242/ns/time", CLONE_NEWTIME, 5),
        new Op.Setns("/proc/4242/ns/mnt", CLONE_NEWNS, 6),
        new Op.Fork(true)), p.ops().subList(1, 16));
  }

  @Test
  void execInAUserNamespaceBecomesItsRootBeforeTheForkThenTheProcessesUser() {
    Program p = exec("{}", "{\"user\": {\"uid\": 1000, \"gid\": 100}}",
        Set.of("user", "mount", "pid", "network"), false, -1, HOST).program();
    assertEquals(List.of(
        new Op.Sync(SetupCompiler.SYNC_CGROUP),
        new Op.OpenNs("/proc/4242/ns/user", 0),
        new Op.OpenNs("/proc/4242/ns/net", 1),
        new Op.OpenNs("/proc/4242/ns/pid", 2),
        new Op.OpenNs("/proc/4242/ns/mnt", 3),
        new Op.Setns("/proc/4242/ns/user", CLONE_NEWUSER, 0),
        new Op.Setns("/proc/4242/ns/net", CLONE_NEWNET, 1),
        new Op.Setns("/proc/4242/ns/pid", CLONE_NEWPID, 2),
        new Op.Setns("/proc/4242/ns/mnt", CLONE_NEWNS, 3),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.Fork(true)), p.ops().subList(0, 12));
    assertEquals(List.of(new Op.SetResUid(0), new Op.SetResUid(1000)),
        opsOf(p, Op.SetResUid.class));
    assertEquals(List.of(new Op.SetResGid(0), new Op.SetResGid(100)),
        opsOf(p, Op.SetResGid.class));
  }

  @Test
  void execWithoutAUserNamespaceKeepsItsIdsUntilTheCredentials() {
    Program p = exec("{\"user\": {\"uid\": 1000, \"gid\": 100}}");
    assertEquals(List.of(new Op.SetResUid(1000)), opsOf(p, Op.SetResUid.class));
    assertEquals(List.of(new Op.SetResGid(100)), opsOf(p, Op.SetResGid.class));
  }

  @Test
  void execDetachedForksWithoutWaiting() {
    Program detached = exec("{}", "{}", BASE_JOIN, true, -1, HOST).program();
    assertEquals(List.of(new Op.Fork(false)), opsOf(detached, Op.Fork.class));
    assertEquals(List.of(new Op.Fork(true)), opsOf(exec("{}"), Op.Fork.class));
  }

  @Test
  void execChangesToItsOwnCwdRightAfterTheFork() {
    Program p = exec("{\"cwd\": \"/srv/app\"}");
    int fork = indexOf(p, Op.Fork.class);
    assertEquals(new Op.Chdir("/srv/app"), p.op(fork + 1));
    assertEquals("process.cwd", p.field(fork + 1));
    // The cwd is the container's: it is not made, as the rootfs is not touched.
    assertEquals(List.of(), opsOf(p, Op.Mkdir.class));
  }

  @Test
  void execTerminalIsMadeAfterTheChdirWithTheConsoleFd() {
    Program p = exec("{}", """
        {"terminal": true, "consoleSize": {"height": 24, "width": 80},
         "user": {"uid": 1000, "gid": 1000}}
        """, BASE_JOIN, false, 7, HOST).program();
    int chdir = indexOf(p, Op.Chdir.class);
    // An exec'd process's pty is not the container's /dev/console.
    assertEquals(new Op.Terminal(7, 24, 80, 1000, false), p.op(chdir + 1));
    assertEquals("process.terminal", p.field(chdir + 1));
    assertEquals(1, opsOf(p, Op.Terminal.class).size());
  }

  @Test
  void execTerminalWithoutConsoleSizeIsZeroByZeroForRoot() {
    Program p = exec("{}", "{\"terminal\": true, \"user\": null}", BASE_JOIN, false, 3, HOST)
        .program();
    assertEquals(List.of(new Op.Terminal(3, 0, 0, 0, false)), opsOf(p, Op.Terminal.class));
  }

  @Test
  void execWithAConsoleFdButNoTerminalMakesNone() {
    Program p = exec("{}", "{}", BASE_JOIN, false, 3, HOST).program();
    assertEquals(List.of(), opsOf(p, Op.Terminal.class));
  }

  @Test
  void execRlimitsAreSetBeforeTheCredentials() {
    Program p = exec("""
        {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
                     {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]}
        """);
    int chdir = indexOf(p, Op.Chdir.class);
    assertEquals(List.of(
        new Op.SetRlimit(7, 512, 1024),
        new Op.SetRlimit(4, 0, 0),
        new Op.SetGroups(List.of())), p.ops().subList(chdir + 1, chdir + 4));
    assertEquals("process.rlimits[0]", p.field(chdir + 1));
    assertEquals("process.rlimits[1]", p.field(chdir + 2));
  }

  @Test
  void execRlimitsAreCheckedAsCreateChecksThem() {
    assertExecRefused("process.rlimits[1].type", """
        {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                     {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}
        """);
    assertExecRefused("process.rlimits[0]", """
        {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]}
        """);
  }

  @Test
  void execSchedulerAndIoPriorityAreSetBeforeTheCredentials() {
    Program p = exec("""
        {"scheduler": {"policy": "SCHED_BATCH", "nice": 5},
         "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 7}}
        """);
    int chdir = indexOf(p, Op.Chdir.class);
    assertEquals(List.of(
        new Op.Sched(3, 0, 5, 0, 0, 0, 0),
        new Op.IoPrio(3 << 13 | 7),
        new Op.SetGroups(List.of())), p.ops().subList(chdir + 1, chdir + 4));
  }

  @Test
  void execLoadsTheContainersSeccompBeforeTheCredentialsWithoutNoNewPrivileges() {
    SetupCompiler.Result r = exec("""
        {"linux": {%s}}
        """.formatted(SECCOMP), """
        {"noNewPrivileges": false, "user": {"uid": 1000, "gid": 1000}, %s}
        """.formatted(CAPS), BASE_JOIN, false, -1, HOST);
    Program p = r.program();
    List<Op.Seccomp> filters = opsOf(p, Op.Seccomp.class);
    assertEquals(1, filters.size());
    int at = indexOf(p, filters.get(0));
    assertEquals(new Op.Chdir("/"), p.op(at - 1));
    assertEquals(new Op.CapBsetDrop(caps(CAP_KILL), LAST_CAP), p.op(at + 1));
    assertEquals("linux.seccomp", p.field(at));
    assertTrue(at < indexOf(p, new Op.SetResUid(1000)));
    assertEquals(List.of(), opsOf(p, Op.NoNewPrivs.class));
    // The same filter as the container's first process gets.
    Program create = compile("""
        {"process": {"noNewPrivileges": false}, "linux": {"namespaces": [{"type": "mount"}], %s}}
        """.formatted(SECCOMP));
    assertEquals(opsOf(create, Op.Seccomp.class), filters);
  }

  @Test
  void execLoadsTheContainersSeccompJustBeforeTheExecveWithNoNewPrivileges() {
    Program p = exec("""
        {"linux": {%s}}
        """.formatted(SECCOMP), "{\"noNewPrivileges\": true}", BASE_JOIN, false, -1, HOST)
        .program();
    int last = p.size() - 1;
    assertEquals(new Op.Exec(List.of("sh"), List.of()), p.op(last));
    assertTrue(p.op(last - 1) instanceof Op.Seccomp, p::toString);
    assertEquals(new Op.FindExec("sh", DEFAULT_PATH), p.op(last - 2));
    assertEquals(new Op.NoNewPrivs(), p.op(last - 3));
    assertEquals(1, opsOf(p, Op.Seccomp.class).size());
  }

  @Test
  void execTakesNoNewPrivilegesFromItsOwnProcessNotTheContainers() {
    Program p = exec("{\"process\": {\"noNewPrivileges\": true}}", "{}", BASE_JOIN, false, -1,
        HOST).program();
    assertEquals(List.of(), opsOf(p, Op.NoNewPrivs.class));
  }

  @Test
  void execCredentialsWithCapabilitiesAndUmask() {
    Program p = exec("""
        {"user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 27]},
         "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                          "effective": ["CAP_KILL"],
                          "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                          "inheritable": ["CAP_NET_BIND_SERVICE"],
                          "ambient": ["CAP_NET_BIND_SERVICE"]}}
        """);
    int chdir = indexOf(p, Op.Chdir.class);
    assertEquals(List.of(
        new Op.CapBsetDrop(caps(CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE), LAST_CAP),
        new Op.KeepCaps(true),
        new Op.SetGroups(List.of(5L, 27L)),
        new Op.SetResGid(100),
        new Op.SetResUid(1000),
        new Op.KeepCaps(false),
        new Op.Capset(caps(CAP_KILL), caps(CAP_KILL, CAP_NET_BIND_SERVICE),
            caps(CAP_NET_BIND_SERVICE)),
        new Op.CapAmbient(caps(CAP_NET_BIND_SERVICE), LAST_CAP),
        new Op.Umask(18),
        new Op.FindExec("sh", DEFAULT_PATH)), p.ops().subList(chdir + 1, chdir + 11));
    assertEquals("process.user.umask", p.field(chdir + 9));
  }

  @Test
  void execCapabilitiesThatCannotBeGrantedAreWarnings() {
    SetupCompiler.Result r = exec("{}", """
        {"capabilities": {"bounding": ["CAP_KILL", "CAP_FLY"], "effective": ["CAP_CHOWN"]}}
        """, BASE_JOIN, false, -1, HOST);
    assertTrue(r.warnings().contains("process.capabilities.bounding: unknown capability CAP_FLY"
        + " ignored"), r.warnings()::toString);
    assertEquals(2, r.warnings().size(), r.warnings()::toString);
  }

  @Test
  void execEnvAndExtraEnvFindTheProgramByTheirPath() {
    Program p = SetupCompiler.compileExec(new SetupCompiler.ExecRequest(spec("{}"),
        process("{\"args\": [\"top\", \"-b\"], \"env\": [\"PATH=/opt/bin:/bin\", \"A=1\"]}"),
        PID, BASE_JOIN, false, -1, List.of("LISTEN_FDS=1")), HOST).program();
    assertEquals(List.of(
        new Op.FindExec("top", "/opt/bin:/bin"),
        new Op.Exec(List.of("top", "-b"), List.of("PATH=/opt/bin:/bin", "A=1", "LISTEN_FDS=1"))),
        p.ops().subList(p.size() - 2, p.size()));
  }

  @Test
  void execFinalCpuAffinityIsSetJustBeforeTheLookup() {
    Program p = exec("{\"execCPUAffinity\": {\"final\": \"2-3\"}}");
    int find = indexOf(p, Op.FindExec.class);
    assertEquals(new Op.Affinity(List.of(0xcL)), p.op(find - 1));
    assertEquals("process.execCPUAffinity.final", p.field(find - 1));
  }

  @Test
  void execInitialCpuAffinityIsSetBeforeTheMoveIntoTheCgroup() {
    Program p = exec("{\"execCPUAffinity\": {\"initial\": \"0-3,7\", \"final\": \"64\"}}");
    assertEquals(List.of(new Op.Affinity(List.of(0x8fL)), new Op.Sync(SetupCompiler.SYNC_CGROUP)),
        p.ops().subList(0, 2));
    assertEquals("process.execCPUAffinity.initial", p.field(0));
  }

  @Test
  void execTakesTheContainersPersonality() {
    Program p = execIn("{\"linux\": {\"personality\": {\"domain\": \"LINUX32\"}}}");
    assertEquals(List.of(new Op.Personality(8)), opsOf(p, Op.Personality.class));
  }

  @Test
  void execWithoutArgsIsRefused() {
    assertExecRefused("process.args", "{\"args\": null}");
    assertExecRefused("process.args", "{\"args\": []}");
  }

  @Test
  void execWithARelativeCwdIsRefused() {
    SpecException e = assertExecRefused("process.cwd", "{\"cwd\": \"srv\"}");
    assertTrue(e.getMessage().contains("srv"), e.getMessage());
  }

  @Test
  void execTerminalWithoutAConsoleFdIsRefused() {
    SpecException e = assertExecRefused("process.terminal", "{\"terminal\": true}");
    assertTrue(e.getMessage().contains("--console-socket"), e.getMessage());
  }

  @Test
  void execApparmorProfileWithoutAppArmorIsRefused() {
    SpecException e = assertExecRefused("process.apparmorProfile",
        "{\"apparmorProfile\": \"docker-default\"}");
    assertTrue(e.getMessage().contains("AppArmor is not enabled"), e.getMessage());
  }

  @Test
  void execApparmorProfileIsWrittenForTheExecAfterTheFork() {
    Program p = exec("{}", "{\"apparmorProfile\": \"docker-default\"}", BASE_JOIN, false, -1,
        host(true, false, false)).program();
    int fork = indexOf(p, Op.Fork.class);
    assertEquals(new Op.WriteFile("/proc/self/attr/apparmor/exec", "exec docker-default", false),
        p.op(fork + 1));
    assertEquals("process.apparmorProfile", p.field(fork + 1));
    assertEquals(List.of(), opsOf(exec("{\"apparmorProfile\": \"\"}"), Op.WriteFile.class));
  }

  @Test
  void execSelinuxLabelIsRefusedWithAMessageForTheHost() {
    String process = "{\"selinuxLabel\": \"system_u:system_r:container_t:s0\"}";
    SpecException without = assertThrows(SpecException.class,
        () -> exec("{}", process, BASE_JOIN, false, -1, host(false, false, false)));
    assertTrue(without.getMessage().startsWith(
        "process.selinuxLabel: SELinux is not enabled on this host"), without.getMessage());
    SpecException with = assertThrows(SpecException.class,
        () -> exec("{}", process, BASE_JOIN, false, -1, host(false, true, false)));
    assertTrue(with.getMessage().startsWith(
        "process.selinuxLabel: not supported by this version of capsa"), with.getMessage());
  }

  // ---------------------------------------------------------------- host

  @Test
  void currentHostReadsThisProcess() throws IOException {
    SetupCompiler.Host h = SetupCompiler.Host.current();
    assertEquals(Capabilities.lastCap(), h.lastCap());
    long bounding = -1;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapBnd:")) {
        bounding = Long.parseUnsignedLong(line.substring(7).trim(), 16);
      }
    }
    assertEquals(bounding, h.boundingSet());
    assertFalse(h.cgroups().isEmpty(), "no cgroup hierarchy on this host");
  }
}
