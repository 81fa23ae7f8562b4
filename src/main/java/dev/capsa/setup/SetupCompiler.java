package dev.capsa.setup;

import static dev.capsa.linux.Mounts.*;

import dev.capsa.cgroups.Hierarchy;
import dev.capsa.linux.Capabilities;
import dev.capsa.linux.Namespaces;
import dev.capsa.linux.Rlimits;
import dev.capsa.seccomp.SeccompCompiler;
import dev.capsa.setup.Op.Create;
import dev.capsa.setup.Op.Target;
import dev.capsa.spec.Linux;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.Spec;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a config.json into the setup program the native stage runs. All of
 * the decisions are made here, so they can be tested without root: which
 * namespaces to join or make, each mount with its exact flags and in which
 * order, the devices, the credentials. A field capsa cannot apply is a
 * {@link SpecException} naming it, never a silent skip (runtime.md, "create").
 *
 * <p>The order follows runc's ({@code libcontainer/rootfs_linux.go},
 * {@code standard_init_linux.go}): namespaces; the fork into the pid namespace;
 * the rootfs and its mounts, devices, sysctls, read-only and masked paths, all
 * resolved beneath the rootfs while the host's /proc is still there to resolve
 * fds through; pivot_root; root propagation and read-only root; rlimits, cwd,
 * then credentials with the capability dance; finally the gate and execve.
 */
public final class SetupCompiler {

  /**
   * What the compiler needs to know of the host.
   *
   * @param apparmor AppArmor is enabled
   * @param selinux SELinux is enabled
   * @param resctrl the resctrl filesystem (Intel RDT) is mounted
   */
  public record Host(int lastCap, long boundingSet, List<Hierarchy> cgroups, boolean apparmor,
      boolean selinux, boolean resctrl) {

    /** A host without AppArmor, SELinux or resctrl. */
    public Host(int lastCap, long boundingSet, List<Hierarchy> cgroups) {
      this(lastCap, boundingSet, cgroups, false, false, false);
    }

    /**
     * This host as the container's process sees it: in each hierarchy its
     * cgroup is the container's directory (as {@code Cgroup.directories()}
     * lists them) rather than the runtime's, so that a cgroup mount without
     * a cgroup namespace binds the container's own cgroup, as runc does.
     */
    public Host inCgroups(List<String> directories) {
      List<Hierarchy> out = new ArrayList<>();
      for (Hierarchy h : cgroups) {
        String cgroup = h.cgroup();
        for (String d : directories) {
          Path dir = Path.of(d);
          Path mountPoint = Path.of(h.mountPoint());
          if (dir.startsWith(mountPoint)) {
            cgroup = "/" + mountPoint.relativize(dir);
            break;
          }
        }
        out.add(new Hierarchy(h.mountPoint(), h.v2(), h.options(), cgroup));
      }
      return new Host(lastCap, boundingSet, out, apparmor, selinux, resctrl);
    }

    /** Reads this host (and this process's capabilities). */
    public static Host current() {
      return new Host(Capabilities.lastCap(), readBoundingSet(), Hierarchy.ofHost(),
          apparmorEnabled(), Files.exists(Path.of("/sys/fs/selinux/enforce")),
          Files.exists(Path.of("/sys/fs/resctrl/schemata")));
    }

    private static boolean apparmorEnabled() {
      try {
        return Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).startsWith("Y");
      } catch (IOException e) {
        return false;
      }
    }

    private static long readBoundingSet() {
      try {
        for (String line : dev.capsa.linux.FileIo.read(Path.of("/proc/self/status")).split("\n")) {
          if (line.startsWith("CapBnd:")) {
            return Long.parseUnsignedLong(line.substring(7).trim(), 16);
          }
        }
      } catch (IOException e) {
        // Fall through: assume every capability, and let capset report it.
      }
      return -1L;
    }
  }

  /**
   * One container to compile.
   *
   * @param bundle the bundle directory, absolute
   * @param fifo the exec fifo that {@code start} writes, absolute
   * @param noPivot use MS_MOVE and chroot instead of pivot_root (--no-pivot)
   * @param consoleFd the stage's fd of the console socket, or -1 without a terminal
   * @param idmapUserns the user namespace (path) made for each mount's own idmapping,
   *     by mount index
   * @param extraEnv variables added to process.env (socket activation's LISTEN_FDS)
   * @param setgroupsDenied the user namespace's gid map is written with setgroups denied
   *     (an unprivileged caller mapping its own ids)
   */
  public record Request(Spec spec, Path bundle, Path fifo, boolean noPivot, int consoleFd,
      Map<Integer, String> idmapUserns, List<String> extraEnv, boolean setgroupsDenied) {

    /** A container without a terminal, idmapped mounts of their own mapping or extra env. */
    public Request(Spec spec, Path bundle, Path fifo, boolean noPivot) {
      this(spec, bundle, fifo, noPivot, -1, Map.of(), List.of(), false);
    }

    public Request(Spec spec, Path bundle, Path fifo, boolean noPivot, int consoleFd,
        Map<Integer, String> idmapUserns, List<String> extraEnv) {
      this(spec, bundle, fifo, noPivot, consoleFd, idmapUserns, extraEnv, false);
    }
  }

  /** Why the container process stops and asks Java to act (Op.Sync tags). */
  public static final int SYNC_USERNS = 1;
  /** After the fork: the container's namespaces exist (net devices move in). */
  public static final int SYNC_NAMESPACES = 2;
  /** Before pivot_root: the prestart, createRuntime and createContainer hooks. */
  public static final int SYNC_HOOKS = 3;
  /** Before any namespace: the stage moves into the container's cgroup, so its child is born there. */
  public static final int SYNC_CGROUP = 4;

  /**
   * The program, the warnings the spec asks for (capabilities that cannot be
   * granted), and the idmapped bind mounts Java makes from the host for it.
   */
  public record Result(Program program, List<String> warnings, List<IdmappedTree> idmappedTrees) {
    public Result(Program program, List<String> warnings) {
      this(program, warnings, List.of());
    }
  }

  /**
   * An idmapped bind mount of a container with a user namespace. The kernel
   * idmaps a mount only for a caller with CAP_SYS_ADMIN over the filesystem's
   * user namespace (the host's), which the stage no longer has once it is in
   * the container's: Java clones and idmaps it at SYNC_USERNS and sends it to
   * the stage, whose {@link Op.MoveTree} puts it in place.
   *
   * @param field the mount, e.g. {@code mounts[3]}
   * @param slot the stage's slot for it
   * @param source the host path to clone
   * @param recursive clone its submounts too (rbind)
   * @param ridmap idmap the submounts too
   * @param usernsPath the user namespace of the mount's own mappings, or null
   *     for the container's
   */
  public record IdmappedTree(String field, int slot, String source, boolean recursive, boolean ridmap,
      String usernsPath) {}

  /** The default PATH when process.env has none, as runc and Docker use. */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** The most supplementary groups setgroups(2) takes. */
  private static final int NGROUPS_MAX = 65536;

  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;

  /** Namespaces are joined in this order; mount last, as its paths would change. */
  private static final List<String> JOIN_ORDER =
      List.of("ipc", "uts", "network", "pid", "cgroup", "time", "mount");

  /** config-linux.md "Default Devices" that are device nodes: path, major, minor. */
  private static final Object[][] DEFAULT_DEVICES = {
    {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
  };

  /** runtime-linux.md "Dev symbolic links". */
  private static final String[][] DEV_SYMLINKS = {
    {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
  };

  /** IPC sysctls that the ipc namespace isolates (as runc's validator lists them). */
  private static final Set<String> IPC_SYSCTLS = Set.of(
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
      "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced");

  private final Request request;
  private final Host host;
  private final Spec spec;
  private final Program program = new Program();
  private final List<String> warnings = new ArrayList<>();
  private final List<IdmappedTree> idmappedTrees = new ArrayList<>();
  private final Map<String, Linux.Namespace> namespaces = new LinkedHashMap<>();

  private SetupCompiler(Request request, Host host) {
    this.request = request;
    this.host = host;
    this.spec = request.spec();
  }

  /**
   * An exec (runc exec): a new process in a container that runs.
   *
   * @param container the container's config.json, as create read it
   * @param process the process to start (process.json, or the container's with exec's flags)
   * @param pid the container process, whose namespaces the new one joins
   * @param join the namespace types to join (those that are not the runtime's own)
   * @param detach the stage does not wait for the process (exec --detach)
   * @param consoleFd the stage's fd of the console socket, or -1
   */
  public record ExecRequest(Spec container, Spec.Process process, int pid, Set<String> join,
      boolean detach, int consoleFd, List<String> extraEnv, boolean setgroupsDenied) {

    /** In a container whose user namespace allows setgroups (or that has none). */
    public ExecRequest(Spec container, Spec.Process process, int pid, Set<String> join,
        boolean detach, int consoleFd, List<String> extraEnv) {
      this(container, process, pid, join, detach, consoleFd, extraEnv, false);
    }
  }

  /**
   * Compiles an exec: into the container's cgroup, setns into its namespaces
   * (the pid namespace takes effect at the fork), then the process attributes,
   * credentials and seccomp filter as for the container's first process.
   */
  public static Result compileExec(ExecRequest r, Host host) {
    SetupCompiler c = new SetupCompiler(
        new Request(r.container(), Path.of("/"), Path.of("/"), false, r.consoleFd(), Map.of(),
            r.extraEnv(), r.setgroupsDenied()), host);
    c.compileExec(r);
    return new Result(c.program, List.copyOf(c.warnings));
  }

  private void compileExec(ExecRequest r) {
    Spec.Process process = r.process();
    if (process.args() == null || process.args().isEmpty()) {
      throw new SpecException("process.args: at least one entry (the program) is required");
    }
    absolute(process.cwd(), "process.cwd");
    if (process.terminal() && request.consoleFd() < 0) {
      throw new SpecException("process.terminal: a terminal needs --console-socket"
          + " (or exec in the foreground)");
    }
    // config.md: the initial affinity is the runtime's, before the move into the cgroup.
    if (process.execCPUAffinity() != null && process.execCPUAffinity().initial() != null) {
      program.add("process.execCPUAffinity.initial", new Op.Affinity(
          ProcessAttributes.cpuMask(process.execCPUAffinity().initial(),
              "process.execCPUAffinity.initial")));
    }
    program.add("linux.cgroupsPath", new Op.Sync(SYNC_CGROUP));
    JoinCompiler.join(program, "linux.namespaces", r.pid(), r.join());
    program.add("linux.namespaces", new Op.Fork(!r.detach()));
    if (process.apparmorProfile() != null && !process.apparmorProfile().isEmpty()) {
      if (!host.apparmor()) {
        throw new SpecException("process.apparmorProfile: AppArmor is not enabled on this host");
      }
      program.add("process.apparmorProfile", new Op.WriteFile("/proc/self/attr/apparmor/exec",
          "exec " + process.apparmorProfile(), false));
    }
    if (process.selinuxLabel() != null && !process.selinuxLabel().isEmpty()) {
      throw new SpecException("process.selinuxLabel: " + (host.selinux()
          ? "not supported by this version of capsa" : "SELinux is not enabled on this host"));
    }
    program.add("process.cwd", new Op.Chdir(process.cwd()));
    if (process.terminal()) {
      Spec.ConsoleSize size = process.consoleSize();
      long uid = process.user() == null ? 0 : process.user().uid();
      program.add("process.terminal", new Op.Terminal(request.consoleFd(),
          size == null ? 0 : size.height(), size == null ? 0 : size.width(), uid, false));
    }
    // The new process forks from the stage, not from the container's process:
    // it takes the container's personality and memory policy afresh (runc's setns init).
    ProcessAttributes.compile(process, spec.linux(), program);
    rlimits(process);
    Op seccomp = credentials(process, spec.linux());
    if (process.execCPUAffinity() != null && process.execCPUAffinity().finalCpus() != null
        && !process.execCPUAffinity().finalCpus().isEmpty()) {
      program.add("process.execCPUAffinity.final", new Op.Affinity(
          ProcessAttributes.cpuMask(process.execCPUAffinity().finalCpus(),
              "process.execCPUAffinity.final")));
    }
    List<String> env = new ArrayList<>(process.env() == null ? List.of() : process.env());
    env.addAll(request.extraEnv());
    program.add("process.args", new Op.FindExec(process.args().get(0), pathOf(env)));
    if (seccomp != null) {
      program.add("linux.seccomp", seccomp);
    }
    program.add("process.args", new Op.Exec(process.args(), env));
  }

  /** Compiles {@code request}; throws {@link SpecException} naming the field it cannot apply. */
  public static Result compile(Request request, Host host) {
    SetupCompiler c = new SetupCompiler(request, host);
    c.compile();
    return new Result(c.program, List.copyOf(c.warnings), List.copyOf(c.idmappedTrees));
  }

  private void compile() {
    OciVersion.check(spec.ociVersion());
    refuseUnsupported();
    Spec.Process process = spec.process();
    if (process == null) {
      throw new SpecException("process: create needs a process to run");
    }
    if (process.args() == null || process.args().isEmpty()) {
      throw new SpecException("process.args: at least one entry (the program) is required");
    }
    absolute(process.cwd(), "process.cwd");
    if (process.terminal() && request.consoleFd() < 0) {
      throw new SpecException("process.terminal: a terminal needs --console-socket"
          + " (or capsa run in the foreground)");
    }
    Path rootfs = rootfs();
    readNamespaces();
    Linux linux = spec.linux();

    // The fifo is opened while we are still root of the host: in a user
    // namespace the state directory is out of reach.
    program.add("(exec fifo)", new Op.OpenGate(request.fifo().toString()));
    if (process.oomScoreAdj() != null) {
      program.add("process.oomScoreAdj",
          new Op.WriteFile("/proc/self/oom_score_adj", process.oomScoreAdj().toString(), false));
    }
    // config.md: execCPUAffinity "is not applicable to the container's init
    // process" (runc applies it to exec'd processes only, which take
    // config.json's process as their default); its lists are still checked.
    if (process.execCPUAffinity() != null) {
      if (process.execCPUAffinity().initial() != null) {
        ProcessAttributes.cpuMask(process.execCPUAffinity().initial(),
            "process.execCPUAffinity.initial");
      }
      String last = process.execCPUAffinity().finalCpus();
      if (last != null && !last.isEmpty()) {
        ProcessAttributes.cpuMask(last, "process.execCPUAffinity.final");
      }
    }
    // Into the cgroup before anything else: the container process is forked
    // from here, so it is in its cgroup before it runs any code of its own,
    // and a new cgroup namespace (unshared below) is rooted at it.
    program.add("linux.cgroupsPath", new Op.Sync(SYNC_CGROUP));
    enterUserNamespace();
    enterNamespaces();
    if (linux != null && linux.timeOffsets() != null) {
      program.add("linux.timeOffsets", new Op.WriteFile("/proc/self/timens_offsets",
          timeOffsets(linux.timeOffsets()), false));
    }
    program.add("linux.namespaces", new Op.Fork(false));

    // From here on: the container process.
    if (linux != null && linux.netDevices() != null && !linux.netDevices().isEmpty()) {
      if (!newNamespace("network")) {
        throw new SpecException("linux.netDevices: devices move into a new network namespace;"
            + " without one they would be renamed on the host");
      }
      program.add("linux.netDevices", new Op.Sync(SYNC_NAMESPACES));
    }
    prepareRootfs(rootfs, process);
    utsNames();
    if (!spec.hooks().prestart().isEmpty() || !spec.hooks().createRuntime().isEmpty()
        || !spec.hooks().createContainer().isEmpty()) {
      program.add("hooks", new Op.Sync(SYNC_HOOKS));
    }
    program.add("root.path", request.noPivot()
        ? new Op.MoveRoot(rootfs.toString())
        : new Op.PivotRoot(rootfs.toString()));
    program.add("root.path", new Op.OpenRoot("/"));
    if (process.terminal()) {
      Spec.ConsoleSize size = process.consoleSize();
      long uid = process.user() == null ? 0 : process.user().uid();
      program.add("process.terminal", new Op.Terminal(request.consoleFd(),
          size == null ? 0 : size.height(), size == null ? 0 : size.width(), uid));
    }
    finishRootfs();
    ProcessAttributes.compile(process, linux, program);
    rlimits(process);
    program.add("process.cwd", new Op.Chdir(process.cwd()));
    Op seccomp = credentials(process, linux);
    List<String> env = new ArrayList<>(process.env() == null ? List.of() : process.env());
    env.addAll(request.extraEnv());
    List<String> args = process.args();
    program.add("process.args", new Op.FindExec(args.get(0), pathOf(env)));
    // As late as possible, so that few syscalls run under the filter: those
    // of the gate, and execve.
    if (seccomp != null) {
      program.add("linux.seccomp", seccomp);
    }
    program.add("(start)", new Op.WaitGate());
    program.add("process.args", new Op.Exec(args, env));
  }

  /** Fields that capsa does not apply (yet, or on this host): an error, never ignored. */
  private void refuseUnsupported() {
    Linux l = spec.linux();
    Spec.Process p = spec.process();
    if (p != null && p.commandLine() != null) {
      throw new SpecException("process.commandLine: is for Windows; Linux takes process.args");
    }
    if (p != null && p.apparmorProfile() != null && !p.apparmorProfile().isEmpty()) {
      if (!host.apparmor()) {
        throw new SpecException("process.apparmorProfile: AppArmor is not enabled on this host");
      }
      program.add("process.apparmorProfile", new Op.WriteFile("/proc/self/attr/apparmor/exec",
          "exec " + p.apparmorProfile(), false));
    }
    if (p != null && p.selinuxLabel() != null && !p.selinuxLabel().isEmpty() && !host.selinux()) {
      throw new SpecException("process.selinuxLabel: SELinux is not enabled on this host");
    }
    if (l != null && l.mountLabel() != null && !l.mountLabel().isEmpty()) {
      throw new SpecException("linux.mountLabel: " + (host.selinux()
          ? "not supported by this version of capsa" : "SELinux is not enabled on this host"));
    }
    if (l != null && l.intelRdt() != null) {
      throw new SpecException(host.resctrl()
          ? "linux.intelRdt: not supported by this version of capsa"
          : "linux.intelRdt: the host has no resctrl filesystem (Intel RDT) mounted");
    }
    if (p != null && p.selinuxLabel() != null && !p.selinuxLabel().isEmpty()) {
      throw new SpecException("process.selinuxLabel: not supported by this version of capsa");
    }
  }

  private static Op seccomp(dev.capsa.spec.Seccomp profile) {
    SeccompCompiler.Filter f = new SeccompCompiler(profile).compile();
    StringBuilder hex = new StringBuilder(f.bpf().length * 2);
    for (byte b : f.bpf()) {
      hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return new Op.Seccomp(f.flags(), hex.toString());
  }

  /** /proc/self/timens_offsets lines (time_namespaces(7)) for linux.timeOffsets. */
  private static String timeOffsets(Map<String, Linux.TimeOffset> offsets) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Linux.TimeOffset> e : offsets.entrySet()) {
      String clock = e.getKey();
      if (!clock.equals("monotonic") && !clock.equals("boottime")) {
        throw new SpecException("linux.timeOffsets: " + clock
            + " is not a clock a time namespace offsets (monotonic, boottime)");
      }
      if (e.getValue().nanosecs() < 0 || e.getValue().nanosecs() > 999_999_999L) {
        throw new SpecException("linux.timeOffsets." + clock + ".nanosecs: must be below 1e9");
      }
      b.append(clock).append(' ').append(e.getValue().secs()).append(' ')
          .append(e.getValue().nanosecs()).append('\n');
    }
    return b.toString();
  }

  private Path rootfs() {
    if (spec.root() == null) {
      throw new SpecException("root: required on Linux");
    }
    Path rootfs = request.bundle().resolve(spec.root().path()).normalize();
    if (!Files.isDirectory(rootfs)) {
      throw new SpecException("root.path: " + rootfs + " is not a directory");
    }
    return rootfs;
  }

  private void readNamespaces() {
    List<Linux.Namespace> list = spec.linux() == null || spec.linux().namespaces() == null
        ? List.of()
        : spec.linux().namespaces();
    for (int i = 0; i < list.size(); i++) {
      Linux.Namespace ns = list.get(i);
      String field = "linux.namespaces[" + i + "]";
      if (namespaces.put(ns.type(), ns) != null) {
        throw new SpecException(field + ": duplicate namespace type " + ns.type());
      }
      if (!Namespaces.FLAGS.containsKey(ns.type())) {
        throw new SpecException(field + ".type: " + ns.type() + " is not a namespace type");
      }
      if (ns.path() != null) {
        if (!ns.path().startsWith("/")) {
          throw new SpecException(field + ".path: " + ns.path() + " is not an absolute path");
        }
        if (!Files.exists(Path.of(ns.path()))) {
          throw new SpecException(field + ".path: " + ns.path() + " does not exist");
        }
      }
    }
    if (!namespaces.containsKey("mount")) {
      throw new SpecException(
          "linux.namespaces: capsa needs a mount namespace (type \"mount\") to set up the rootfs");
    }
    Linux l = spec.linux();
    Linux.Namespace user = namespaces.get("user");
    boolean maps = l != null && (l.uidMappings() != null || l.gidMappings() != null);
    if (maps && (user == null || user.path() != null)) {
      String which = l.uidMappings() != null ? "linux.uidMappings" : "linux.gidMappings";
      throw new SpecException(which + ": mappings need a new user namespace (a \"user\""
          + " entry without a path in linux.namespaces)");
    }
    if (user != null && user.path() == null) {
      if (l.uidMappings() == null || l.uidMappings().isEmpty()) {
        throw new SpecException(
            "linux.uidMappings: a new user namespace needs both uidMappings and gidMappings");
      }
      if (l.gidMappings() == null || l.gidMappings().isEmpty()) {
        throw new SpecException(
            "linux.gidMappings: a new user namespace needs both uidMappings and gidMappings");
      }
      if (!mapsZero(l.uidMappings())) {
        throw new SpecException("linux.uidMappings: capsa sets the container up as its root:"
            + " container uid 0 must be mapped");
      }
      if (!mapsZero(l.gidMappings())) {
        throw new SpecException("linux.gidMappings: capsa sets the container up as its root:"
            + " container gid 0 must be mapped");
      }
    }
    Linux.Namespace time = namespaces.get("time");
    if (l != null && l.timeOffsets() != null && (time == null || time.path() != null)) {
      throw new SpecException("linux.timeOffsets: offsets need a new time namespace");
    }
  }

  private static boolean mapsZero(List<dev.capsa.spec.IdMapping> mappings) {
    for (dev.capsa.spec.IdMapping m : mappings) {
      if (m.containerID() == 0 && m.size() > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * A new user namespace comes first, alone (as in runc's nsexec): the stage
   * unshares it and waits while Java writes its uid and gid maps, then becomes
   * its root; every namespace made after it is owned by it. Joined namespaces
   * are entered before, while the stage still holds the host's capabilities.
   */
  private void enterUserNamespace() {
    Linux.Namespace user = namespaces.get("user");
    if (user == null) {
      return;
    }
    String field = field("user");
    if (user.path() != null) {
      program.add(field, new Op.Setns(user.path(), Namespaces.CLONE_NEWUSER));
    } else {
      joinNamespaces();
      program.add(field, new Op.Unshare(Namespaces.CLONE_NEWUSER));
      program.add("linux.uidMappings", new Op.Sync(SYNC_USERNS));
    }
    program.add(field, new Op.SetResGid(0));
    program.add(field, new Op.SetResUid(0));
  }

  private boolean joined;

  /** setns into every namespace given by path, mount last: it changes how paths resolve. */
  private void joinNamespaces() {
    if (joined) {
      return;
    }
    joined = true;
    for (String type : JOIN_ORDER) {
      Linux.Namespace ns = namespaces.get(type);
      if (ns != null && ns.path() != null) {
        program.add(field(type), new Op.Setns(ns.path(), Namespaces.FLAGS.get(type)));
      }
    }
  }

  private void enterNamespaces() {
    joinNamespaces();
    long unshare = 0;
    for (String type : JOIN_ORDER) {
      Linux.Namespace ns = namespaces.get(type);
      if (ns != null && ns.path() == null) {
        unshare |= Namespaces.FLAGS.get(type);
      }
    }
    if (unshare != 0) {
      program.add("linux.namespaces", new Op.Unshare(unshare));
    }
  }

  private String field(String nsType) {
    List<Linux.Namespace> list = spec.linux().namespaces();
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).type().equals(nsType)) {
        return "linux.namespaces[" + i + "]";
      }
    }
    return "linux.namespaces";
  }

  private void prepareRootfs(Path rootfs, Spec.Process process) {
    String root = rootfs.toString();
    // Nothing we mount may propagate back to the host: make every mount a
    // slave first (runc's default); the container's own propagation comes
    // after pivot_root.
    program.add("linux.rootfsPropagation",
        new Op.Mount("", "/", "", MS_REC | MS_SLAVE, "", Target.HOST, Create.NONE));
    // pivot_root needs the new root to be a mount point.
    program.add("root.path",
        new Op.Mount(root, root, "", MS_BIND | MS_REC, "", Target.HOST, Create.NONE));
    program.add("root.path", new Op.OpenRoot(root));

    boolean procMounted = false;
    boolean devBound = false;
    List<Spec.Mount> mounts = spec.mounts();
    for (int i = 0; i < mounts.size(); i++) {
      Spec.Mount m = mounts.get(i);
      String dest = destination(m, i);
      MountOptions o = MountOptions.parse(m.optionList());
      boolean bind = o.bind() || "bind".equals(m.type());
      procMounted |= dest.equals("/proc") && "proc".equals(m.type());
      devBound |= dest.equals("/dev") && bind;
      mount("mounts[" + i + "]", i, m, dest, o, bind);
    }
    if (!devBound) {
      devices(procMounted);
    }
    // config.md: process.cwd need not exist in the image; runc makes it.
    program.add("process.cwd", new Op.Mkdir(process.cwd(), 0755));
    sysctls();
    Linux l = spec.linux();
    if (l != null && l.readonlyPaths() != null) {
      for (int i = 0; i < l.readonlyPaths().size(); i++) {
        program.add("linux.readonlyPaths[" + i + "]",
            new Op.ReadonlyPath(absolute(l.readonlyPaths().get(i), "linux.readonlyPaths[" + i + "]")));
      }
    }
    if (l != null && l.maskedPaths() != null) {
      for (int i = 0; i < l.maskedPaths().size(); i++) {
        program.add("linux.maskedPaths[" + i + "]",
            new Op.MaskPath(absolute(l.maskedPaths().get(i), "linux.maskedPaths[" + i + "]")));
      }
    }
  }

  private static String absolute(String path, String field) {
    if (!path.startsWith("/")) {
      throw new SpecException(field + ": " + path + " is not an absolute path");
    }
    return path;
  }

  /** config.md: a relative destination is deprecated and means relative to "/". */
  private static String destination(Spec.Mount m, int i) {
    String d = m.destination();
    if (d.isEmpty()) {
      throw new SpecException("mounts[" + i + "].destination: must not be empty");
    }
    return d.startsWith("/") ? d : "/" + d;
  }

  private void mount(String field, int index, Spec.Mount m, String dest, MountOptions o,
      boolean bind) {
    String type = m.type() == null ? "" : m.type();
    boolean copyUp = o.extensions().contains("tmpcopyup");
    if (copyUp && !type.equals("tmpfs")) {
      throw new SpecException(field + ".options: tmpcopyup needs a tmpfs mount");
    }
    if (userns() && bind == false && type.equals("sysfs") && !newNamespace("network")) {
      // In a user namespace the kernel mounts sysfs only for a network
      // namespace of that user namespace; without one, bind the host's (runc).
      bind = true;
      m = new Spec.Mount(m.destination(), "none", "/sys", m.options(), m.uidMappings(),
          m.gidMappings());
      o = new MountOptions(o.flags() | MS_BIND | MS_REC, o.cleared(), o.propagation(),
          o.recursiveSet(), o.recursiveClear(), "", o.extensions());
    }
    if (bind) {
      if (m.source() == null) {
        throw new SpecException(field + ".source: a bind mount needs a source");
      }
      Path source = request.bundle().resolve(m.source()).normalize();
      if (!Files.exists(source)) {
        throw new SpecException(field + ".source: " + source + " does not exist");
      }
      Create create = Files.isDirectory(source) ? Create.DIR : Create.FILE;
      String userns = userns() ? idmapUserns(field, index, m, o) : null;
      if (userns != null) {
        int slot = idmappedTrees.size();
        idmappedTrees.add(new IdmappedTree(field, slot, source.toString(), (o.flags() & MS_REC) != 0,
            o.extensions().contains("ridmap"), userns.isEmpty() ? null : userns));
        program.add(field, new Op.MoveTree(slot, dest, create));
      } else {
        program.add(field, new Op.Mount(source.toString(), dest, "", MS_BIND | (o.flags() & MS_REC),
            "", Target.IN_ROOT, create));
      }
      if (o.superblockFlags() != 0) {
        warnings.add(field + ".options: a bind mount cannot change filesystem-wide flags"
            + " (sync, dirsync, mand, iversion, lazytime, silent); they are left as the source has them");
      }
      if (!o.data().isEmpty()) {
        warnings.add(field + ".options: " + o.data() + " ignored: a bind mount takes no filesystem options");
      }
      long[] attrs = o.bindAttributes();
      if (attrs[0] != 0 || attrs[1] != 0) {
        program.add(field, new Op.MountSetattr(dest, attrs[0], attrs[1], 0, false));
      }
    } else if (type.equals("cgroup")) {
      cgroupMount(field, dest, o);
      return;
    } else {
      if (type.isEmpty() && (o.flags() & MS_REMOUNT) == 0) {
        throw new SpecException(field + ".type: required unless the mount is a bind mount");
      }
      String source = m.source() == null ? type : m.source();
      if (copyUp) {
        program.add(field, new Op.SaveDir(dest));
      }
      program.add(field, new Op.Mount(source, dest, type, o.flags(), o.data(), Target.IN_ROOT,
          (o.flags() & MS_REMOUNT) != 0 ? Create.NONE : Create.DIR));
      if (copyUp) {
        program.add(field, new Op.CopyUp(dest));
      }
    }
    if (!(bind && userns())) {
      idmap(field, index, m, dest, o);
    }
    if (o.propagation() != 0) {
      program.add(field, new Op.Mount("", dest, "", o.propagation(), "", Target.IN_ROOT, Create.NONE));
    }
    if (o.recursiveSet() != 0 || o.recursiveClear() != 0) {
      program.add(field, new Op.MountSetattr(dest, o.recursiveSet(), o.recursiveClear(), 0, true));
    }
  }

  /**
   * config.md {@code idmap}/{@code ridmap} and a mount's own {@code uidMappings}:
   * the mount is replaced by an idmapped clone (mount_setattr MOUNT_ATTR_IDMAP),
   * with the mount's mappings (a user namespace Java makes for them) or else
   * the container's.
   */
  private void idmap(String field, int index, Spec.Mount m, String dest, MountOptions o) {
    String userns = idmapUserns(field, index, m, o);
    if (userns != null) {
      program.add(field, new Op.Idmap(dest, userns.isEmpty() ? "/proc/self/ns/user" : userns,
          o.extensions().contains("ridmap")));
    }
  }

  /**
   * The user namespace a mount is idmapped to: the path of the one made for
   * its own mappings, "" for the container's, null when it is not idmapped.
   */
  private String idmapUserns(String field, int index, Spec.Mount m, MountOptions o) {
    boolean ridmap = o.extensions().contains("ridmap");
    boolean wanted = ridmap || o.extensions().contains("idmap");
    boolean own = m.uidMappings() != null || m.gidMappings() != null;
    if (own && (m.uidMappings() == null || m.gidMappings() == null)) {
      throw new SpecException(field + (m.uidMappings() == null ? ".uidMappings" : ".gidMappings")
          + ": uidMappings and gidMappings go together");
    }
    if (!wanted && !own) {
      return null;
    }
    if (own) {
      String userns = request.idmapUserns().get(index);
      if (userns == null) {
        throw new SpecException(field + ": no user namespace was made for the mount's mappings");
      }
      return userns;
    }
    if (userns()) {
      return "";
    }
    throw new SpecException(field + ".options: " + (ridmap ? "ridmap" : "idmap")
        + " needs uidMappings and gidMappings on the mount, or a user namespace");
  }

  private boolean userns() {
    return namespaces.containsKey("user");
  }

  private boolean newNamespace(String type) {
    Linux.Namespace ns = namespaces.get(type);
    return ns != null && ns.path() == null;
  }

  /**
   * A mount of type "cgroup": the container sees the host's hierarchies the way
   * the host has them. In a new cgroup namespace each hierarchy is mounted
   * afresh and shows the container's cgroup as its root; without one, the
   * container's own cgroup directories are bind-mounted, so it never sees the
   * rest of the host's tree. On v1 and hybrid hosts the hierarchies sit in a
   * tmpfs, as they do on the host.
   */
  private void cgroupMount(String field, String dest, MountOptions o) {
    boolean cgroupns = namespaces.containsKey("cgroup");
    // A user namespace may mount cgroup2 (with its cgroup namespace), never a
    // v1 hierarchy: those are bind-mounted.
    boolean v1Mountable = cgroupns && !userns();
    long flags = o.flags() & ~MS_RDONLY;
    List<Hierarchy> hierarchies = host.cgroups();
    if (hierarchies.isEmpty()) {
      throw new SpecException(field + ": the host has no cgroup hierarchy mounted");
    }
    boolean v2Only = hierarchies.size() == 1 && hierarchies.get(0).v2();
    if (v2Only) {
      cgroupHierarchy(field, dest, hierarchies.get(0), o.flags(), o.data(), cgroupns);
    } else {
      program.add(field, new Op.Mount("tmpfs", dest, "tmpfs", flags, "mode=755", Target.IN_ROOT,
          Create.DIR));
      for (Hierarchy h : hierarchies) {
        String sub = dest + "/" + h.name();
        cgroupHierarchy(field, sub, h, o.flags(), o.data(), h.v2() ? cgroupns : v1Mountable);
        if (h.name().contains(",")) {
          // A co-mounted hierarchy such as "cpu,cpuacct" is also reachable by
          // each controller's name, as on the host.
          for (String part : h.name().split(",")) {
            program.add(field, new Op.Symlink(h.name(), dest + "/" + part, false));
          }
        }
      }
      if ((o.flags() & MS_RDONLY) != 0) {
        program.add(field, new Op.MountSetattr(dest, MOUNT_ATTR_RDONLY, 0, 0, false));
      }
    }
    if (o.propagation() != 0) {
      program.add(field, new Op.Mount("", dest, "", o.propagation(), "", Target.IN_ROOT, Create.NONE));
    }
    if (o.recursiveSet() != 0 || o.recursiveClear() != 0) {
      program.add(field, new Op.MountSetattr(dest, o.recursiveSet(), o.recursiveClear(), 0, true));
    }
  }

  /**
   * One hierarchy of a cgroup mount; filesystem options ({@code data}) go to
   * each hierarchy's mount, and a bind mount, which cannot take them, refuses them.
   */
  private void cgroupHierarchy(String field, String target, Hierarchy h, long flags, String data,
      boolean cgroupns) {
    if (cgroupns) {
      String v1Data = data.isEmpty() ? h.options() : h.options() + "," + data;
      program.add(field, h.v2()
          ? new Op.Mount("cgroup2", target, "cgroup2", flags, data, Target.IN_ROOT, Create.DIR)
          : new Op.Mount("cgroup", target, "cgroup", flags, v1Data, Target.IN_ROOT, Create.DIR));
      return;
    }
    if (!data.isEmpty()) {
      throw new SpecException(field + ".options: " + data + ": without a cgroup namespace the"
          + " container's cgroups are bind mounts, which take no filesystem options");
    }
    String source = h.cgroup().equals("/") ? h.mountPoint() : h.mountPoint() + h.cgroup();
    program.add(field, new Op.Mount(source, target, "", MS_BIND | MS_REC, "", Target.IN_ROOT,
        Create.DIR));
    long[] attrs = new MountOptions(flags, 0, 0, 0, 0, "", List.of()).bindAttributes();
    if (attrs[0] != 0 || attrs[1] != 0) {
      program.add(field, new Op.MountSetattr(target, attrs[0], attrs[1], 0, false));
    }
  }

  private void devices(boolean procMounted) {
    Map<String, Op.Mknod> nodes = new LinkedHashMap<>();
    Map<String, String> fields = new LinkedHashMap<>();
    for (Object[] d : DEFAULT_DEVICES) {
      String path = (String) d[0];
      nodes.put(path, new Op.Mknod(path, S_IFCHR | 0666, (Integer) d[1], (Integer) d[2], 0, 0));
      fields.put(path, "(default devices)");
    }
    Linux l = spec.linux();
    if (l != null && l.devices() != null) {
      for (int i = 0; i < l.devices().size(); i++) {
        Linux.Device d = l.devices().get(i);
        String field = "linux.devices[" + i + "]";
        String path = absolute(d.path(), field + ".path");
        int type = switch (d.type()) {
          case "c", "u" -> S_IFCHR;
          case "b" -> S_IFBLK;
          case "p" -> S_IFIFO;
          default -> throw new SpecException(field + ".type: " + d.type() + " is not c, b, u or p");
        };
        long mode = d.fileMode() == null ? 0666 : d.fileMode();
        if ((mode & ~07777L) != 0) {
          throw new SpecException(field + ".fileMode: " + mode + " has bits beyond the permission bits");
        }
        // A device the config lists replaces a default one at the same path.
        nodes.remove(path);
        nodes.put(path, new Op.Mknod(path, type | (int) mode,
            type == S_IFIFO ? 0 : d.major(), type == S_IFIFO ? 0 : d.minor(),
            d.uid() == null ? 0 : d.uid(), d.gid() == null ? 0 : d.gid()));
        fields.put(path, field);
      }
    }
    for (Map.Entry<String, Op.Mknod> e : nodes.entrySet()) {
      Op.Mknod node = e.getValue();
      if (userns()) {
        // mknod(2) needs CAP_MKNOD in the host's user namespace: bind the
        // host's node instead, as runc does.
        if (!Files.exists(Path.of(node.path()))) {
          throw new SpecException(fields.get(e.getKey()) + ": " + node.path()
              + " cannot be made in a user namespace and does not exist on the host to bind");
        }
        program.add(fields.get(e.getKey()), new Op.Mount(node.path(), node.path(), "", MS_BIND, "",
            Target.IN_ROOT, Create.FILE));
      } else {
        program.add(fields.get(e.getKey()), node);
      }
    }
    // runtime-linux.md: the links are made "if the source file exists after
    // processing mounts", which is when /proc is mounted.
    if (procMounted) {
      for (String[] link : DEV_SYMLINKS) {
        program.add("(dev symlinks)", new Op.Symlink(link[0], link[1], false));
      }
    }
    // config-linux.md: /dev/ptmx is a symlink to the container's devpts ptmx.
    program.add("(default devices)", new Op.Symlink("pts/ptmx", "/dev/ptmx", true));
  }

  private void sysctls() {
    Linux l = spec.linux();
    if (l == null || l.sysctl() == null) {
      return;
    }
    for (Map.Entry<String, String> e : l.sysctl().entrySet()) {
      String key = e.getKey();
      String field = "linux.sysctl[\"" + key + "\"]";
      String needs = sysctlNamespace(key);
      if (needs == null) {
        throw new SpecException(field + ": not a namespaced sysctl; setting it would change the host");
      }
      if (!namespaces.containsKey(needs)) {
        throw new SpecException(field + ": needs a " + needs
            + " namespace, or setting it would change the host");
      }
      String rel = key.replace('.', '/');
      if (rel.contains("..") || rel.startsWith("/")) {
        throw new SpecException(field + ": not a sysctl name");
      }
      program.add(field, new Op.WriteFile("/proc/sys/" + rel, e.getValue(), true));
    }
  }

  /** The namespace that isolates a sysctl, or null when none does. */
  static String sysctlNamespace(String key) {
    if (IPC_SYSCTLS.contains(key) || key.startsWith("fs.mqueue.")) {
      return "ipc";
    }
    if (key.startsWith("net.")) {
      return "network";
    }
    if (key.equals("kernel.hostname") || key.equals("kernel.domainname")) {
      return "uts";
    }
    return null;
  }

  private void utsNames() {
    if (spec.hostname() != null) {
      requireNamespace("uts", "hostname");
      program.add("hostname", new Op.SetHostname(spec.hostname()));
    }
    if (spec.domainname() != null) {
      requireNamespace("uts", "domainname");
      program.add("domainname", new Op.SetDomainname(spec.domainname()));
    }
  }

  private void requireNamespace(String type, String field) {
    if (!namespaces.containsKey(type)) {
      throw new SpecException(field + ": needs a " + type
          + " namespace, or setting it would change the host");
    }
  }

  private void finishRootfs() {
    Linux l = spec.linux();
    String prop = l == null ? null : l.rootfsPropagation();
    if (prop != null) {
      long flag = switch (prop) {
        case "shared" -> MS_SHARED;
        case "slave" -> MS_SLAVE;
        case "private" -> MS_PRIVATE;
        case "unbindable" -> MS_UNBINDABLE;
        default -> throw new SpecException("linux.rootfsPropagation: " + prop
            + " is not shared, slave, private or unbindable");
      };
      program.add("linux.rootfsPropagation", new Op.Mount("", "/", "", flag, "", Target.HOST,
          Create.NONE));
    }
    if (spec.root().readonly()) {
      program.add("root.readonly", new Op.MountSetattr("/", MOUNT_ATTR_RDONLY, 0, 0, false));
    }
  }

  private void rlimits(Spec.Process process) {
    if (process.rlimits() == null) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < process.rlimits().size(); i++) {
      Spec.Rlimit r = process.rlimits().get(i);
      String field = "process.rlimits[" + i + "]";
      int resource = Rlimits.number(r.type());
      if (resource < 0) {
        throw new SpecException(field + ".type: " + r.type() + " is not a Linux resource limit");
      }
      if (!seen.add(r.type())) {
        throw new SpecException(field + ".type: duplicate entry for " + r.type());
      }
      if (Long.compareUnsigned(r.soft(), r.hard()) > 0) {
        throw new SpecException(field + ": soft limit " + Long.toUnsignedString(r.soft())
            + " is above the hard limit " + Long.toUnsignedString(r.hard()));
      }
      program.add(field, new Op.SetRlimit(resource, r.soft(), r.hard()));
    }
  }

  /**
   * The seccomp filter, the credentials, umask and no_new_privs, in that
   * order. Without no_new_privs loading seccomp needs CAP_SYS_ADMIN, so it is
   * loaded while we still have it, before the credentials change (runc's
   * order); with it, the caller loads the returned filter as late as it can.
   *
   * @return the filter still to load (no_new_privs), else null
   */
  private Op credentials(Spec.Process process, Linux linux) {
    Op seccomp = linux == null || linux.seccomp() == null ? null : seccomp(linux.seccomp());
    if (seccomp != null && !process.noNewPrivileges()) {
      program.add("linux.seccomp", seccomp);
      seccomp = null;
    }
    credentials(process);
    if (process.user() != null && process.user().umask() != null) {
      program.add("process.user.umask", new Op.Umask(process.user().umask()));
    }
    if (process.noNewPrivileges()) {
      program.add("process.noNewPrivileges", new Op.NoNewPrivs());
    }
    return seccomp;
  }

  private void credentials(Spec.Process process) {
    Spec.User user = process.user() == null
        ? new Spec.User(0, 0, null, null)
        : process.user();
    Spec.Capabilities caps = process.capabilities();
    long bounding = caps == null ? 0 : capabilities("bounding", caps.bounding());
    if (caps != null) {
      program.add("process.capabilities.bounding", new Op.CapBsetDrop(bounding, host.lastCap()));
      program.add("process.user", new Op.KeepCaps(true));
    }
    List<Long> groups = user.additionalGids() == null ? List.of() : user.additionalGids();
    if (groups.size() > NGROUPS_MAX) {
      throw new SpecException("process.user.additionalGids: " + groups.size()
          + " groups; the kernel takes at most " + NGROUPS_MAX);
    }
    if (request.setgroupsDenied()) {
      // user_namespaces(7): an unprivileged user's own gid map comes with
      // setgroups denied, so the groups stay as they are (runc does the same).
      if (!groups.isEmpty()) {
        throw new SpecException("process.user.additionalGids: setgroups is denied in a user"
            + " namespace that an unprivileged user mapped; leave them out or map with newgidmap");
      }
    } else {
      program.add("process.user.additionalGids", new Op.SetGroups(groups));
    }
    program.add("process.user.gid", new Op.SetResGid(user.gid()));
    program.add("process.user.uid", new Op.SetResUid(user.uid()));
    if (caps == null) {
      return;
    }
    program.add("process.user", new Op.KeepCaps(false));
    long permitted = capabilities("permitted", caps.permitted());
    long effective = subset("effective", capabilities("effective", caps.effective()), permitted,
        "permitted");
    // capset(2) refuses an inheritable capability outside the bounding set.
    long inheritable = subset("inheritable", capabilities("inheritable", caps.inheritable()),
        bounding, "in the bounding set");
    long ambient = subset("ambient", capabilities("ambient", caps.ambient()),
        permitted & inheritable, "both permitted and inheritable");
    program.add("process.capabilities", new Op.Capset(effective, permitted, inheritable));
    program.add("process.capabilities.ambient", new Op.CapAmbient(ambient, host.lastCap()));
  }

  /**
   * The mask of a capability set. config.md: a name that maps to nothing, or
   * that cannot be granted, is a warning and not an error.
   */
  private long capabilities(String set, List<String> names) {
    long mask = 0;
    if (names == null) {
      return 0;
    }
    for (String name : names) {
      int n = Capabilities.number(name);
      String field = "process.capabilities." + set;
      if (n < 0) {
        warnings.add(field + ": unknown capability " + name + " ignored");
      } else if (n > host.lastCap()) {
        warnings.add(field + ": " + name + " is not known to this kernel; ignored");
      } else if ((host.boundingSet() & (1L << n)) == 0) {
        warnings.add(field + ": " + name + " cannot be granted: capsa does not hold it; ignored");
      } else {
        mask |= 1L << n;
      }
    }
    return mask;
  }

  private long subset(String set, long mask, long allowed, String of) {
    long extra = mask & ~allowed;
    for (int n = 0; n < 64; n++) {
      if ((extra & (1L << n)) != 0) {
        warnings.add("process.capabilities." + set + ": " + Capabilities.NAMES.get(n)
            + " cannot be granted: it is not " + of + "; ignored");
      }
    }
    return mask & allowed;
  }

  /** PATH as process.env sets it, for execvp-style lookup of args[0]. */
  static String pathOf(List<String> env) {
    String path = DEFAULT_PATH;
    for (String e : env) {
      if (e.startsWith("PATH=")) {
        path = e.substring(5);
      }
    }
    return path;
  }
}
