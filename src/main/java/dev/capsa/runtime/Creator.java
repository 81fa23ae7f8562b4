package dev.capsa.runtime;

import dev.capsa.cgroups.Cgroup;
import dev.capsa.cgroups.Layout;
import dev.capsa.cgroups.ResourcePlan;
import dev.capsa.cgroups.SystemdScope;
import dev.capsa.json.Json;
import dev.capsa.linux.Errno;
import dev.capsa.linux.FileIo;
import dev.capsa.linux.Namespaces;
import dev.capsa.linux.Native;
import dev.capsa.linux.Signals;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.log.Times;
import dev.capsa.setup.Op;
import dev.capsa.setup.Program;
import dev.capsa.setup.SetupCompiler;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Linux;
import dev.capsa.spec.OciVersion;
import dev.capsa.spec.Resources;
import dev.capsa.spec.Spec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The create operation (runtime.md "Create"): compiles config.json, spawns the
 * native stage with the program, and follows it until the container process
 * waits at the gate, answering the stage where it stops for Java: the user
 * namespace's maps, network devices to move in, the hooks of create, the
 * seccomp listener for the agent. Any failure undoes everything: the
 * container process is killed (its mount namespace, and so every mount it
 * made, goes with it), poststop hooks run if create hooks ran (runtime.md
 * lifecycle, steps 12 and 13), and the state directory is removed.
 */
public final class Creator {
  /** What create made: the container, and the pty master when capsa itself holds the terminal. */
  public record Created(Container container, int ptyMaster) {}

  private static final int O_RDONLY = 0;

  private final StateStore store;
  private final String id;
  private final CreateOptions options;

  private Container container;
  private Spec spec;
  private String configText;
  private Program program;
  private List<SetupCompiler.IdmappedTree> idmappedTrees = List.of();
  private StageSession session;
  private final List<StageSession> idmapHelpers = new ArrayList<>();
  private boolean stageReaped;
  private int pid;
  private int pidfd = -1;
  private int consoleOurs = -1;
  private int consoleStage = -1;
  private boolean hooksRan;
  private Cgroup cgroup;
  /** The transient scope of --systemd-cgroup, or null (cgroupfs). */
  private SystemdScope scope;
  private ResourcePlan resources;
  private boolean cgroupOwned;
  /** The thread moving the stage into the cgroup (joinCgroupEarly), until awaited. */
  private volatile Thread cgroupJoin;
  private volatile RuntimeException cgroupJoinFailure;
  private volatile boolean finished;

  private Creator(StateStore store, String id, CreateOptions options) {
    this.store = store;
    this.id = id;
    this.options = options;
  }

  /** Creates container {@code id}; returns it in status created. */
  public static Created create(StateStore store, String id, CreateOptions options) {
    return new Creator(store, id, options).run();
  }

  private Created run() {
    StateStore.checkId(id);
    Path bundle = options.bundle().toAbsolutePath().normalize();
    configText = readConfig(bundle);
    spec = ConfigParser.parse(configText);
    Log.debug("parsed and validated config.json");
    boolean terminal = spec.process() != null && spec.process().terminal();
    if (options.consoleSocket() != null && !terminal) {
      throw new ContainerException(
          "--console-socket: the container has no terminal (process.terminal is not true)");
    }
    try {
      int stageConsoleFd = terminal ? openConsole() : -1;
      Map<Integer, String> idmaps = idmapNamespaces();
      Path fifo = store.root().resolve(id).resolve(Container.FIFO);
      SetupCompiler.Host host = SetupCompiler.Host.current();
      Layout layout = Layout.of(host.cgroups());
      Linux linux = spec.linux();
      String cgroupsPath = linux == null ? null : linux.cgroupsPath();
      if (options.systemdCgroup()) {
        String why = SystemdScope.unavailable();
        if (why != null) {
          throw new ContainerException("--systemd-cgroup: " + why);
        }
        scope = SystemdScope.of(cgroupsPath, id);
        cgroupsPath = scope.cgroupPath();
      }
      cgroup = Cgroup.of(layout, cgroupsPath, id);
      resources = ResourcePlan.of(
          linux == null || linux.resources() == null ? Resources.NONE : linux.resources(), layout,
          false);
      SetupCompiler.Request request = new SetupCompiler.Request(spec, bundle, fifo,
          options.noPivot(), stageConsoleFd, idmaps, options.extraEnv(),
          IdMaps.deniesSetgroups(spec));
      return createContainer(bundle, fifo, () -> compile(request, host));
    } finally {
      closeHelpers();
    }
  }

  /** The setup program; a config it cannot apply is an error naming the field. */
  private void compile(SetupCompiler.Request request, SetupCompiler.Host host) {
    SetupCompiler.Result compiled = SetupCompiler.compile(request,
        host.inCgroups(cgroup.directories()));
    for (String w : compiled.warnings()) {
      Log.warn(w);
    }
    program = compiled.program();
    idmappedTrees = compiled.idmappedTrees();
    Log.debug("compiled " + program.size() + " ops");
    if (Log.debugEnabled() && System.getenv("CAPSA_DEBUG_PROGRAM") != null) {
      Log.debug("setup program of " + id + ":\n" + program);
    }
  }

  private Created createContainer(Path bundle, Path fifo, Runnable compile) {
    container = store.createDirectory(id);
    // A signal that ends this JVM mid-create must not leave a half-made container.
    Thread hook = new Thread(this::undo, "capsa-create-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try (Container.Lock lock = container.lockNew()) {
      ContainerState state = new ContainerState(id, Status.CREATING, 0, 0,
          (int) ProcessHandle.current().pid(), bundle.toString(),
          bundle.resolve(spec.root().path()).normalize().toString(), Times.now(),
          spec.annotations() == null ? Map.of() : spec.annotations());
      state = claimCgroup(state);
      // The directories are recorded before they exist: a create killed
      // from here on leaves a state that delete --force cleans up.
      container.save(state);
      makeCgroup();
      spawnStage();
      // While the stage moves into the cgroup (joinCgroupEarly says why that
      // is slow), compile its program: a config it cannot apply ends here,
      // and undo removes the cgroup and the state directory.
      compile.run();
      container.saveConfig(configText);
      if (!spec.hooks().isEmpty()) {
        container.saveHooks(spec.hooks());
      }
      Native.mkfifo(fifo.toString(), 0600);
      follow(state);
      Log.debug("container process " + pid + " waits at the gate");
      ProcStat stat = pidfd < 0 ? null : ProcStat.read(pid);
      if (stat == null || stat.exited()) {
        throw new ContainerException("the container process exited during create");
      }
      int master = consoleOurs >= 0 ? receiveMaster() : -1;
      state = state.withPid(pid, stat.startTime()).withStatus(Status.CREATED)
          .withCgroup(state.cgroup(), cgroupOwned, state.systemdUnit());
      container.save(state);
      container.saveFastPath(FastPath.of(state, spec.hooks()));
      if (options.pidFile() != null) {
        writePidFile(options.pidFile(), pid);
      }
      finished = true;
      return new Created(container, master);
    } catch (RuntimeException e) {
      undo();
      throw e;
    } finally {
      closeQuietly();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs, and finds the work finished.
      }
    }
  }

  /**
   * Which cgroup the container gets, and whether it is ours: a cgroup that
   * exists is joined (config-linux.md asks for an error when it is not empty
   * or frozen) and never removed. A systemd scope cannot exist without a
   * process: it is made when the stage stops for it ({@link #enterCgroup}).
   */
  private ContainerState claimCgroup(ContainerState state) {
    if (scope != null) {
      // Owned (removed on failure, and by a delete of what a killed create
      // left) only once systemd has made the scope for us: a scope of that
      // name may be another container's. enterCgroup records it.
      return state.withCgroup(cgroup.directories(), false, scope.unit());
    }
    boolean existed = cgroup.exists();
    if (existed) {
      if (!cgroup.pids().isEmpty()) {
        throw new ContainerException("linux.cgroupsPath: " + cgroup.directories().get(0)
            + " already has processes; a new container needs an empty cgroup");
      }
      if (cgroup.frozen()) {
        throw new ContainerException("linux.cgroupsPath: " + cgroup.directories().get(0)
            + " is frozen");
      }
    }
    cgroupOwned = !existed;
    return state.withCgroup(cgroup.directories(), cgroupOwned, null);
  }

  /** Makes the cgroup {@link #claimCgroup} chose and limits it, before any process is in it. */
  private void makeCgroup() {
    if (scope != null) {
      return;
    }
    try {
      cgroup.create();
      cgroup.apply(resources);
    } catch (RuntimeException e) {
      if (cgroupOwned) {
        destroyCgroupQuietly();
      }
      throw e;
    }
    Log.debug("cgroup " + cgroup.directories());
  }

  private void destroyCgroupQuietly() {
    if (scope != null) {
      try {
        SystemdScope.stop(scope.unit());
      } catch (RuntimeException e) {
        Log.warn("stopping the systemd scope of " + id + ": " + e.getMessage());
      }
    }
    try {
      cgroup.destroy();
    } catch (RuntimeException e) {
      Log.warn("removing the cgroup of " + id + ": " + e.getMessage());
    }
  }

  private static String readConfig(Path bundle) {
    try {
      return FileIo.read(bundle.resolve("config.json"));
    } catch (NoSuchFileException e) {
      throw new ContainerException("bundle " + bundle + ": config.json does not exist");
    } catch (IOException e) {
      throw new ContainerException("bundle " + bundle + ": reading config.json: " + e, e);
    }
  }

  /**
   * The socket the container's pty master goes to: --console-socket, or, when
   * capsa run holds the terminal itself, one end of a socketpair. Returns the
   * fd number the stage will have it at.
   */
  private int openConsole() {
    if (options.consoleSocket() != null) {
      try {
        consoleStage = Native.connectUnix(options.consoleSocket());
      } catch (SyscallException e) {
        throw new ContainerException("--console-socket " + options.consoleSocket() + ": "
            + e.getMessage());
      }
    } else if (options.foregroundTerminal()) {
      int[] pair = Native.socketPair();
      consoleOurs = pair[0];
      consoleStage = pair[1];
    } else {
      return -1;
    }
    return 3 + options.preserveFds() + 1;
  }

  /**
   * For each mount with uidMappings and gidMappings of its own, a user
   * namespace with exactly those mappings, for mount_setattr(MOUNT_ATTR_IDMAP):
   * a stage that unshares one, waits while we write the maps, and then waits
   * (holding it alive) until we close its socket.
   */
  private Map<Integer, String> idmapNamespaces() {
    Map<Integer, String> out = new HashMap<>();
    for (int i = 0; i < spec.mounts().size(); i++) {
      Spec.Mount m = spec.mounts().get(i);
      if (m.uidMappings() == null || m.gidMappings() == null) {
        continue;
      }
      Program p = new Program()
          .add("mounts[" + i + "]", new Op.Unshare(Namespaces.CLONE_NEWUSER))
          .add("mounts[" + i + "]", new Op.Sync(1))
          .add("mounts[" + i + "]", new Op.Sync(2));
      StageSession helper = StageSession.spawn(0);
      idmapHelpers.add(helper);
      helper.sendProgram(p.encode());
      StageSession.Message msg = helper.next();
      if (msg.type() != StageSession.MSG_SYNC) {
        throw new ContainerException("mounts[" + i + "]: making a user namespace for the idmapped"
            + " mount: " + msg.text() + (msg.b() == 0 ? "" : ": " + Errno.describe(msg.b())));
      }
      IdMaps.write(helper.stagePid(), m.uidMappings(), m.gidMappings(), "mounts[" + i + "]");
      helper.sendContinue();
      out.put(i, "/proc/" + helper.stagePid() + "/ns/user");
    }
    return out;
  }

  private void closeHelpers() {
    for (StageSession h : idmapHelpers) {
      h.close();
      reapQuietly(h.stagePid());
    }
    idmapHelpers.clear();
  }

  /** Starts the native stage, which waits for its program. */
  private void spawnStage() {
    int[] extra = consoleStage >= 0 ? new int[] {consoleStage} : null;
    session = StageSession.spawn(options.preserveFds(), extra, null);
    if (consoleStage >= 0) {
      Native.close(consoleStage);
      consoleStage = -1;
    }
    Log.debug("native stage " + session.stagePid() + " started");
    if (scope == null) {
      joinCgroupEarly(session.stagePid());
    }
  }

  /**
   * Moves the stage into the container's cgroup on a thread of its own while
   * this one goes on; the stage's SYNC_CGROUP waits for it
   * ({@link #awaitCgroupJoin}). On cgroup v1 the first write to a
   * cgroup.procs takes the kernel's cgroup_threadgroup_rwsem for writing,
   * which waits for an RCU grace period: 6-18 ms on this project's machine,
   * while the write itself takes microseconds. runc pays it too, between
   * starting runc init and sending it its bootstrap data. The stage is idle
   * then (it waits for its program), so nothing it does can escape the cgroup.
   */
  private void joinCgroupEarly(int stagePid) {
    Thread t = new Thread(() -> {
      try {
        cgroup.enter(stagePid);
      } catch (RuntimeException e) {
        cgroupJoinFailure = e;
      }
    }, "capsa-cgroup-join");
    t.setDaemon(true);
    t.start();
    cgroupJoin = t;
  }

  /** Waits for {@link #joinCgroupEarly}'s thread; rethrows its failure. */
  private void awaitCgroupJoin() {
    Thread t = cgroupJoin;
    if (t == null) {
      return;
    }
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    cgroupJoin = null;
    if (cgroupJoinFailure != null) {
      throw cgroupJoinFailure;
    }
  }

  /** Runs the stage's side of the protocol until the container waits at the gate. */
  private void follow(ContainerState state) {
    session.sendProgram(program.encode());
    while (true) {
      StageSession.Message m = session.next();
      switch (m.type()) {
        case StageSession.MSG_PID -> gotPid(m.a());
        case StageSession.MSG_SYNC -> {
          // The stage's child waits until its parent has sent MSG_PID (OP_FORK),
          // so a sync after the fork always comes with the pid known.
          sync(m.a(), state);
          session.sendContinue();
        }
        case StageSession.MSG_FD -> seccompAgent(m.fd(), state);
        case StageSession.MSG_READY -> {
          return;
        }
        case StageSession.MSG_ERROR -> throw failure(m);
        case 0 -> throw new ContainerException("creating container " + id
            + ": the native stage exited without a report" + stageStatus());
        default -> throw new ContainerException("native stage: unknown message " + m.type());
      }
    }
  }

  private void gotPid(int p) {
    pid = p;
    // The pidfd pins the process: from here on we can never signal a
    // stranger who got its pid.
    try {
      pidfd = Native.pidfdOpen(pid);
    } catch (SyscallException e) {
      if (e.errno() != Errno.ESRCH) {
        throw e;
      }
      // It already failed, exited and was reaped by the caller's subreaper
      // (a containerd shim reaps at once): the message that says why is
      // next on the socket, and there is nothing left to signal.
      Log.debug("container " + id + ": process " + p + " is already gone");
    }
    reapStage();
    Log.debug("container " + id + ": process " + pid);
  }

  /**
   * Moves the stage into the container's cgroup before it forks the
   * container process. With systemd, the scope is made with the stage in it,
   * then the hierarchies systemd does not manage get their directories and
   * every one gets the resources: the stage is still waiting, so no
   * container code runs before the limits.
   */
  private void enterCgroup(int stagePid, ContainerState state) {
    if (cgroupJoin != null) {
      awaitCgroupJoin();
      return;
    }
    if (scope != null) {
      scope.start(stagePid, id, spec.linux() == null || spec.linux().resources() == null
          ? Resources.NONE : spec.linux().resources(), cgroup.layout());
      cgroupOwned = true;
      container.save(state.withCgroup(state.cgroup(), true, state.systemdUnit()));
      cgroup.create();
      cgroup.apply(resources);
    }
    cgroup.enter(stagePid);
  }

  /** Where the stage stops for Java (SetupCompiler.SYNC_*). */
  private void sync(int tag, ContainerState state) {
    Linux l = spec.linux();
    switch (tag) {
      case SetupCompiler.SYNC_CGROUP -> enterCgroup(session.stagePid(), state);
      case SetupCompiler.SYNC_USERNS -> {
        IdMaps.write(session.stagePid(), l.uidMappings(), l.gidMappings(), "linux.uidMappings");
        sendIdmappedTrees();
      }
      case SetupCompiler.SYNC_NAMESPACES -> moveNetDevices(l.netDevices());
      case SetupCompiler.SYNC_HOOKS -> {
        hooksRan = true;
        String runtimeState = hookState(state, Status.CREATING, pid);
        HookRunner.run("prestart", spec.hooks().prestart(), runtimeState, 0);
        HookRunner.run("createRuntime", spec.hooks().createRuntime(), runtimeState, 0);
        HookRunner.run("createContainer", spec.hooks().createContainer(),
            hookState(state, Status.CREATING, pidInContainer(pid)), pid);
      }
      default -> throw new ContainerException("native stage: unknown sync " + tag);
    }
  }

  /**
   * The container's idmapped bind mounts, made here in the host's user
   * namespace (SetupCompiler.IdmappedTree says why) and sent to the stage.
   */
  private void sendIdmappedTrees() {
    for (SetupCompiler.IdmappedTree t : idmappedTrees) {
      String userns = t.usernsPath() != null ? t.usernsPath()
          : "/proc/" + session.stagePid() + "/ns/user";
      int ns = Native.open(userns, O_RDONLY);
      try {
        int tree = Native.idmappedTree(t.source(), ns, t.recursive(), t.ridmap());
        try {
          session.sendFd(t.slot(), tree);
        } finally {
          Native.close(tree);
        }
      } catch (SyscallException e) {
        throw new ContainerException(t.field() + ": " + e.getMessage());
      } finally {
        Native.close(ns);
      }
    }
  }

  /** linux.netDevices: each interface moves into the container's network namespace, renamed. */
  private void moveNetDevices(Map<String, String> devices) {
    int netns = Native.open("/proc/" + pid + "/ns/net", O_RDONLY);
    try {
      for (Map.Entry<String, String> e : devices.entrySet()) {
        try {
          Native.moveLink(e.getKey(), netns, e.getValue());
        } catch (SyscallException x) {
          throw new ContainerException("linux.netDevices[\"" + e.getKey() + "\"]: " + x.getMessage());
        }
      }
    } finally {
      Native.close(netns);
    }
  }

  /**
   * config-linux.md "The Container Process State": sent to listenerPath with
   * the seccomp listener fd in SCM_RIGHTS, one connection, then closed.
   */
  private void seccompAgent(int fd, ContainerState state) {
    try {
      if (fd < 0) {
        throw new ContainerException("native stage: a message without its fd");
      }
      String path = spec.linux().seccomp().listenerPath();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ociVersion", OciVersion.SUPPORTED);
      m.put("fds", List.of("seccompFd"));
      m.put("pid", pid);
      String metadata = spec.linux().seccomp().listenerMetadata();
      if (metadata != null) {
        m.put("metadata", metadata);
      }
      m.put("state", stateMap(state, Status.CREATING, pid));
      int sock;
      try {
        sock = Native.connectUnix(path);
      } catch (SyscallException e) {
        throw new ContainerException("linux.seccomp.listenerPath: " + e.getMessage());
      }
      try {
        Native.sendFds(sock, Json.write(m).getBytes(StandardCharsets.UTF_8), new int[] {fd});
      } catch (SyscallException e) {
        throw new ContainerException("linux.seccomp.listenerPath: " + e.getMessage());
      } finally {
        Native.close(sock);
      }
    } finally {
      if (fd >= 0) {
        Native.close(fd);
      }
    }
  }

  /** The pty master the stage sent over our end of the console socketpair. */
  private int receiveMaster() {
    int[] fd = {-1};
    int n = Native.recv(consoleOurs, new byte[256], 10_000, fd);
    if (n <= 0 || fd[0] < 0) {
      throw new ContainerException("process.terminal: the pty master did not arrive");
    }
    return fd[0];
  }

  /** The state a hook reads on its stdin (runtime.md "State"). */
  static String hookState(ContainerState state, Status status, int pidSeen) {
    return Json.write(stateMap(state, status, pidSeen));
  }

  private static Map<String, Object> stateMap(ContainerState state, Status status, int pidSeen) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ociVersion", OciVersion.SUPPORTED);
    m.put("id", state.id());
    m.put("status", status.json());
    m.put("pid", pidSeen);
    m.put("bundle", state.bundle());
    if (state.annotations() != null && !state.annotations().isEmpty()) {
      m.put("annotations", state.annotations());
    }
    return m;
  }

  /** A pid as its own pid namespace sees it: the last field of NSpid in /proc/PID/status. */
  static int pidInContainer(int hostPid) {
    try {
      for (String line : FileIo.read(Path.of("/proc/" + hostPid + "/status")).split("\n")) {
        if (line.startsWith("NSpid:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Integer.parseInt(f[f.length - 1]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Fall back to the host's view.
    }
    return hostPid;
  }

  private void reapStage() {
    if (!stageReaped) {
      stageReaped = true;
      int status = Native.waitPid(session.stagePid(), false);
      if (status != 0) {
        Log.debug("native stage exited with status " + status);
      }
    }
  }

  private String stageStatus() {
    if (stageReaped) {
      return "";
    }
    stageReaped = true;
    int status = Native.waitPid(session.stagePid(), false);
    if ((status & 0x7f) == 0) {
      return " (exit status " + ((status >> 8) & 0xff) + ")";
    }
    return " (killed by " + Signals.name(status & 0x7f) + ")";
  }

  /** Turns an op's failure into a message in the words of config.json. */
  private ContainerException failure(StageSession.Message m) {
    int index = m.a();
    int errno = m.b();
    String err = errno == 0 ? "" : ": " + Errno.describe(errno);
    if (index < 0 || index >= program.size()) {
      return new ContainerException("native stage: " + m.text() + err);
    }
    String field = program.field(index);
    Op op = program.op(index);
    if (op instanceof Op.Setns s && errno == Errno.EINVAL) {
      String type = "?";
      for (Map.Entry<String, Long> e : Namespaces.FLAGS.entrySet()) {
        if (e.getValue() == s.nstype()) {
          type = e.getKey();
        }
      }
      return new ContainerException(field + ": " + s.path() + " is not a " + type
          + " namespace (setns" + err + ")");
    }
    return new ContainerException(field + ": " + m.text() + err);
  }

  /**
   * Kills what was started, runs the poststop hooks if create's hooks ran
   * (runtime.md: continue at step 12), and removes the state directory.
   * Idempotent.
   */
  private synchronized void undo() {
    if (finished || container == null) {
      return;
    }
    finished = true;
    try {
      try {
        // Its write must not land after the cgroup is gone.
        awaitCgroupJoin();
      } catch (RuntimeException e) {
        // The failure that brought us here, or one we no longer need.
      }
      if (pidfd >= 0) {
        try {
          Native.pidfdSendSignal(pidfd, Signals.SIGKILL);
          Native.pidfdAwaitExit(pidfd, 10_000);
        } catch (SyscallException e) {
          // ESRCH: already gone.
        }
        if (options.reap()) {
          reapQuietly(pid);
        }
      } else if (session != null && !stageReaped) {
        try {
          Native.kill(session.stagePid(), Signals.SIGKILL);
        } catch (SyscallException e) {
          // Already gone.
        }
        reapQuietly(session.stagePid());
        stageReaped = true;
      }
      if (hooksRan) {
        Lifecycle.poststop(container, spec.hooks());
      }
    } finally {
      if (cgroupOwned && cgroup != null) {
        destroyCgroupQuietly();
      }
      container.destroy();
    }
  }

  private static void reapQuietly(int child) {
    try {
      Native.waitPid(child, false);
    } catch (SyscallException e) {
      // ECHILD: someone else reaped it.
    }
  }

  private void closeQuietly() {
    if (session != null) {
      session.close();
      session = null;
    }
    if (pidfd >= 0) {
      Native.close(pidfd);
      pidfd = -1;
    }
    if (consoleStage >= 0) {
      Native.close(consoleStage);
      consoleStage = -1;
    }
    if (consoleOurs >= 0) {
      Native.close(consoleOurs);
      consoleOurs = -1;
    }
  }

  /** Writes the pid file atomically, as runc does: a reader sees all of it or nothing. */
  static void writePidFile(Path file, int pid) {
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".capsa-tmp");
    try {
      FileIo.write(tmp, Integer.toString(pid));
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new ContainerException("--pid-file " + file + ": " + e, e);
    }
  }
}
