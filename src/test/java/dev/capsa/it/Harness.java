package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.capsa.json.Json;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The container tests' harness: one per test, registered as
 *
 * <pre>
 *   &#64;RegisterExtension final Harness h = new Harness();
 * </pre>
 *
 * <p>Before each test it makes a temporary directory holding a copy of a busybox bundle
 * ({@code tests/make-bundle DIR plain}, made once per JVM and copied with {@code cp -a}) and
 * an empty state root for {@code capsa --root}, and loads the bundle's config.json as a JSON
 * tree that the test edits ({@link #config()}, {@link #process()}, {@link #linux()}...). The
 * tree is written back to config.json before every capsa command.
 *
 * <p>capsa runs as a subprocess with its stdout and stderr redirected to files (never pipes:
 * a container inherits capsa's stdio, so a pipe would not reach EOF while a container lives)
 * and stdin from /dev/null; a command that takes longer than {@link #TIMEOUT} fails the test
 * with what it printed so far.
 *
 * <p>After each test, whatever happened, it deletes every container under its state root with
 * {@code delete --force}, runs the test's own cleanups ({@link #onCleanup}), and then fails the
 * test if anything is left behind: a directory in the state root, a process whose root is the
 * test's rootfs or whose cwd or root is under the test directory (such as a {@code capsa:init}
 * stage), a mount of the host that references the test directory, or a cgroup directory whose
 * name contains one of the test's container ids ({@link #newId}) in a hierarchy under
 * {@code /sys/fs/cgroup} (v1 ones and {@code unified}). Finally it removes the test directory.
 */
public final class Harness implements BeforeEachCallback, AfterEachCallback {
  /** The longest any one capsa command may take. */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** How often a poll looks again. */
  private static final long POLL_MILLIS = 10;

  private static final Path LAUNCHER =
      Path.of(System.getProperty("capsa.launcher", "bin/capsa")).toAbsolutePath().normalize();
  private static final Path MAKE_BUNDLE =
      LAUNCHER.getParent().getParent().resolve("tests").resolve("make-bundle");

  private Path dir;
  private Path bundle;
  private Path root;
  private Path outputs;
  private Object rootfsKey;
  private Map<String, Object> config;
  private String rawConfig;
  private boolean noConfig;
  private String testName = "test";
  private int commands;
  private int ids;
  /** Every id {@link #newId} handed out, for the cgroup leftover check. */
  private final List<String> idsMade = new ArrayList<>();
  /** Makes this test's ids unique among concurrent runs on the same host (cgroups are global). */
  private final String idToken =
      String.format("%04x", java.util.concurrent.ThreadLocalRandom.current().nextInt(0x10000));
  private Path shared;
  private final List<Invocation> invocations = new ArrayList<>();
  private final Deque<Cleanup> cleanups = new ArrayDeque<>();

  /** A test's own cleanup step, run before the check for leftovers. */
  @FunctionalInterface
  public interface Cleanup {
    void run() throws Exception;
  }

  // ------------------------------------------------------------------ set-up and tear-down

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (!"0".equals(exec(List.of("id", "-u")).trim())) {
      fail("the container tests need root (run them with `make test` as root)");
    }
    testName = context.getTestMethod().map(m -> m.getName()).orElse("test");
    dir = Files.createTempDirectory("capsa-it-").toRealPath();
    bundle = dir.resolve("bundle");
    root = dir.resolve("state");
    outputs = dir.resolve("out");
    Files.createDirectories(outputs);
    exec(List.of("cp", "-a", Template.path().toString(), bundle.toString()));
    rootfsKey = fileKey(bundle.resolve("rootfs"));
    config = asMap(Json.parse(Files.readString(bundle.resolve("config.json"))));
    // No tty in tests.
    process().put("terminal", false);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (dir == null) {
      return;
    }
    List<String> problems = new ArrayList<>();
    // 1. Every container goes, as a user would remove them.
    List<String> left = new ArrayList<>();
    try {
      Result list = capsa("list", "-q");
      if (list.status() != 0) {
        problems.add("cleanup: `list -q` failed: " + list);
      }
      left.addAll(list.lines());
    } catch (AssertionError | RuntimeException e) {
      problems.add("cleanup: `list -q`: " + e.getMessage());
    }
    for (String id : left) {
      try {
        Result r = capsa("delete", "--force", id);
        if (r.status() != 0) {
          problems.add("cleanup: `delete --force " + id + "` failed: " + r);
        }
      } catch (AssertionError | RuntimeException e) {
        problems.add("cleanup: `delete --force " + id + "`: " + e.getMessage());
      }
    }
    // 2. Commands the test started and did not wait for must end now.
    for (Invocation inv : invocations) {
      if (!inv.process.waitFor(10, TimeUnit.SECONDS)) {
        inv.process.descendants().forEach(ProcessHandle::destroyForcibly);
        inv.process.destroyForcibly();
        inv.process.waitFor(5, TimeUnit.SECONDS);
        problems.add("cleanup: `" + String.join(" ", inv.command)
            + "` was still running after its containers were deleted; killed it");
      }
    }
    // 3. The test's own cleanups, last registered first.
    while (!cleanups.isEmpty()) {
      try {
        cleanups.pop().run();
      } catch (Exception | AssertionError e) {
        problems.add("cleanup: " + e);
      }
    }
    // 4. Nothing may be left behind. Processes may take a moment to be reaped.
    List<String> leftovers = leftovers();
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (!leftovers.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
      leftovers = leftovers();
    }
    problems.addAll(leftovers);
    if (!leftovers.isEmpty()) {
      forceCleanup();
    }
    // 5. Remove the test directory, unless a mount still reaches into it.
    List<String> mounts = hostMounts();
    if (mounts.isEmpty()) {
      String rm = exec(List.of("rm", "-rf", "--one-file-system", dir.toString()));
      if (Files.exists(dir)) {
        problems.add("cleanup: could not remove " + dir + ": " + rm);
      }
    } else {
      problems.add("cleanup: " + dir + " kept, as mounts still reference it: " + mounts);
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(testName + " left something behind or could not clean up:\n  "
          + String.join("\n  ", problems));
    }
  }

  /** What a test left behind: state directories, processes, host mounts. */
  public List<String> leftovers() {
    List<String> out = new ArrayList<>();
    if (Files.isDirectory(root)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
        for (Path e : entries) {
          out.add("state root " + root + " still holds " + e.getFileName());
        }
      } catch (IOException e) {
        out.add("listing " + root + ": " + e);
      }
    }
    for (ProcInfo p : processes()) {
      out.add("process " + p.pid + " (" + p.comm + ") is still running: cwd " + p.cwd + ", root "
          + p.root + (p.inRootfs ? " (the test's rootfs)" : ""));
    }
    for (String m : hostMounts()) {
      out.add("host mount references the test directory: " + m);
    }
    for (Path c : cgroupLeftovers()) {
      out.add("cgroup directory " + c + " is still there");
    }
    return out;
  }

  /** Where cgroup hierarchies are mounted on the host. */
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
  /** How deep below a hierarchy's root the check looks (relative cgroupsPaths nest). */
  private static final int CGROUP_DEPTH = 5;

  /** The hierarchies under /sys/fs/cgroup: a pure v2 root itself, or each v1/unified mount. */
  static List<Path> cgroupHierarchies() {
    List<Path> out = new ArrayList<>();
    if (Files.exists(CGROUP_ROOT.resolve("cgroup.procs"))) {
      out.add(CGROUP_ROOT);
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(CGROUP_ROOT)) {
      for (Path e : entries) {
        if (!Files.isSymbolicLink(e) && Files.exists(e.resolve("cgroup.procs"))) {
          out.add(e);
        }
      }
    } catch (IOException e) {
      // No cgroups mounted: nothing to check.
    }
    return out;
  }

  /**
   * Cgroup directories whose name contains one of this test's container ids, deepest first:
   * containers that were deleted must not leave their cgroups behind.
   */
  public List<Path> cgroupLeftovers() {
    List<Path> out = new ArrayList<>();
    if (idsMade.isEmpty()) {
      return out;
    }
    for (Path h : cgroupHierarchies()) {
      findCgroups(h, 0, out);
    }
    return out;
  }

  private void findCgroups(Path dir, int depth, List<Path> out) {
    if (depth >= CGROUP_DEPTH) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path e : entries) {
        findCgroups(e, depth + 1, out);
        String name = e.getFileName().toString();
        if (idsMade.stream().anyMatch(name::contains)) {
          out.add(e);
        }
      }
    } catch (IOException e) {
      // Removed meanwhile.
    }
  }

  /** Kills what is left in leftover cgroups and removes them with their sub-cgroups. */
  private void removeCgroupLeftovers() {
    List<Path> all = new ArrayList<>();
    for (Path c : cgroupLeftovers()) {
      subCgroups(c, all);
    }
    for (Path c : all) {
      try {
        if (Files.exists(c.resolve("freezer.state"))) {
          Files.writeString(c.resolve("freezer.state"), "THAWED");
        }
        for (String pid : Files.readString(c.resolve("cgroup.procs")).split("\n")) {
          if (!pid.isBlank()) {
            ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
          }
        }
      } catch (IOException | RuntimeException e) {
        // Best effort.
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (!all.isEmpty() && System.nanoTime() < deadline) {
      all.removeIf(c -> {
        try {
          Files.deleteIfExists(c);
          return true;
        } catch (IOException e) {
          return false; // Busy: its processes are still exiting.
        }
      });
      if (!all.isEmpty()) {
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** A cgroup and every cgroup below it, deepest first. */
  private static void subCgroups(Path dir, List<Path> out) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path e : entries) {
        subCgroups(e, out);
      }
    } catch (IOException e) {
      // Gone meanwhile.
    }
    if (!out.contains(dir)) {
      out.add(dir);
    }
  }

  private record ProcInfo(long pid, String comm, String cwd, String root, boolean inRootfs) {}

  /** Processes whose root is the test's rootfs, or whose cwd or root is under the test dir. */
  private List<ProcInfo> processes() {
    List<ProcInfo> out = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    String prefix = dir.toString() + "/";
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path p : procs) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
          continue;
        }
        String cwd = link(p.resolve("cwd"));
        String rootLink = link(p.resolve("root"));
        boolean inRootfs = rootfsKey != null && rootfsKey.equals(fileKeyOrNull(p.resolve("root")));
        boolean under = (cwd != null && (cwd.equals(dir.toString()) || cwd.startsWith(prefix)))
            || (rootLink != null && rootLink.startsWith(prefix));
        if (inRootfs || under) {
          String comm = "?";
          try {
            comm = Files.readString(p.resolve("comm")).trim();
          } catch (IOException e) {
            // Gone meanwhile.
          }
          out.add(new ProcInfo(Long.parseLong(name), comm, cwd, rootLink, inRootfs));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static String link(Path p) {
    try {
      return Files.readSymbolicLink(p).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  private static Object fileKeyOrNull(Path p) {
    try {
      return fileKey(p);
    } catch (IOException e) {
      return null;
    }
  }

  private static Object fileKey(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  /** Lines of the host's (our) mountinfo that mention the test directory. */
  public List<String> hostMounts() {
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        if (line.contains(dir.toString())) {
          out.add(line);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** After a failed check: kill what is left, unmount what is left, so the next test starts clean. */
  private void forceCleanup() {
    for (ProcInfo p : processes()) {
      ProcessHandle.of(p.pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    removeCgroupLeftovers();
    List<String> mounts = hostMounts();
    for (int i = mounts.size() - 1; i >= 0; i--) {
      String[] f = mounts.get(i).split(" ");
      if (f.length > 4 && f[4].startsWith(dir.toString())) {
        exec(List.of("umount", "-l", f[4]));
      }
    }
  }

  // ------------------------------------------------------------------ paths

  /** The test's temporary directory. */
  public Path dir() {
    return dir;
  }

  /** The bundle, {@code dir/bundle}. */
  public Path bundle() {
    return bundle;
  }

  /** The bundle's rootfs on the host. */
  public Path rootfs() {
    return bundle.resolve("rootfs");
  }

  /** The state root given as {@code --root}. */
  public Path stateRoot() {
    return root;
  }

  /** A new directory under the test directory. */
  public Path newDir(String name) {
    try {
      return Files.createDirectories(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh container id, valid and unique within this test. */
  public String newId() {
    String base = testName.replaceAll("[^\\w+.-]", "_");
    if (base.length() > 40) {
      base = base.substring(0, 40);
    }
    String id = base + "-" + idToken + "-" + (++ids);
    idsMade.add(id);
    return id;
  }

  /**
   * A host directory, {@code dir/shared}, bind-mounted read-write at /shared in the container:
   * the test and the container talk through files in it.
   */
  public Path shared() {
    if (shared == null) {
      shared = newDir("shared");
      exec(List.of("chmod", "1777", shared.toString()));
      addMount("/shared", "bind", shared.toString(), "rbind", "rw");
    }
    return shared;
  }

  // ------------------------------------------------------------------ config.json

  /** The bundle's config.json as a tree; written back before every capsa command. */
  public Map<String, Object> config() {
    return config;
  }

  /** {@code process}, made if absent. */
  public Map<String, Object> process() {
    return child(config, "process");
  }

  /** {@code linux}, made if absent. */
  public Map<String, Object> linux() {
    return child(config, "linux");
  }

  /** {@code root}. */
  public Map<String, Object> rootConfig() {
    return child(config, "root");
  }

  /** {@code mounts}, made if absent. */
  public List<Object> mounts() {
    return list(config, "mounts");
  }

  /** {@code linux.namespaces}, made if absent. */
  public List<Object> namespaces() {
    return list(linux(), "namespaces");
  }

  /** Sets {@code process.args}. */
  public Harness args(String... args) {
    process().put("args", new ArrayList<>(Arrays.asList(args)));
    return this;
  }

  /** Sets {@code process.args} to {@code sh -c script}. */
  public Harness script(String script) {
    return args("sh", "-c", script);
  }

  /** Sets {@code process.env}. */
  public Harness env(String... env) {
    process().put("env", new ArrayList<>(Arrays.asList(env)));
    return this;
  }

  /** Sets {@code process.cwd}. */
  public Harness cwd(String cwd) {
    process().put("cwd", cwd);
    return this;
  }

  /** Sets {@code process.user}. */
  public Map<String, Object> user(long uid, long gid, Long... additionalGids) {
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("uid", uid);
    user.put("gid", gid);
    if (additionalGids.length > 0) {
      user.put("additionalGids", new ArrayList<>(Arrays.asList(additionalGids)));
    }
    process().put("user", user);
    return user;
  }

  /** Appends a mount; {@code type} may be null. */
  public Map<String, Object> addMount(String destination, String type, String source,
      String... options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("destination", destination);
    if (type != null) {
      m.put("type", type);
    }
    if (source != null) {
      m.put("source", source);
    }
    if (options.length > 0) {
      m.put("options", new ArrayList<>(Arrays.asList(options)));
    }
    mounts().add(m);
    return m;
  }

  /** The index in {@code mounts} of the mount at {@code destination}. */
  public int mountIndex(String destination) {
    List<Object> ms = mounts();
    for (int i = 0; i < ms.size(); i++) {
      if (destination.equals(asMap(ms.get(i)).get("destination"))) {
        return i;
      }
    }
    throw new AssertionError("no mount at " + destination + " in config.json");
  }

  /** The namespace entry of {@code type}; null when the config has none. */
  public Map<String, Object> namespace(String type) {
    for (Object o : namespaces()) {
      if (type.equals(asMap(o).get("type"))) {
        return asMap(o);
      }
    }
    return null;
  }

  /** The index in {@code linux.namespaces} of {@code type}. */
  public int namespaceIndex(String type) {
    List<Object> ns = namespaces();
    for (int i = 0; i < ns.size(); i++) {
      if (type.equals(asMap(ns.get(i)).get("type"))) {
        return i;
      }
    }
    throw new AssertionError("no " + type + " namespace in config.json");
  }

  /** Removes the namespace of {@code type} from the config. */
  public void removeNamespace(String type) {
    namespaces().removeIf(o -> type.equals(asMap(o).get("type")));
  }

  /** Has the container join the namespace at {@code path} instead of making one. */
  public void joinNamespace(String type, String path) {
    Map<String, Object> ns = namespace(type);
    if (ns == null) {
      ns = new LinkedHashMap<>();
      ns.put("type", type);
      namespaces().add(ns);
    }
    ns.put("path", path);
  }

  /** Replaces config.json with {@code text} as it is; the tree is not written any more. */
  public void writeRawConfig(String text) {
    rawConfig = text;
  }

  /** Removes config.json from the bundle; the tree is not written any more. */
  public void removeConfig() {
    noConfig = true;
  }

  /** Writes the tree to the bundle's config.json (done before every capsa command). */
  public void saveConfig() {
    try {
      if (noConfig) {
        Files.deleteIfExists(bundle.resolve("config.json"));
        return;
      }
      Files.writeString(bundle.resolve("config.json"),
          rawConfig != null ? rawConfig : Json.writePretty(config), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  public static List<Object> asList(Object o) {
    return (List<Object>) o;
  }

  private static Map<String, Object> child(Map<String, Object> parent, String key) {
    Object o = parent.get(key);
    if (o == null) {
      o = new LinkedHashMap<String, Object>();
      parent.put(key, o);
    }
    return asMap(o);
  }

  private static List<Object> list(Map<String, Object> parent, String key) {
    Object o = parent.get(key);
    if (o == null) {
      o = new ArrayList<Object>();
      parent.put(key, o);
    }
    return asList(o);
  }

  // ------------------------------------------------------------------ running capsa

  /** What one command did. */
  public record Result(List<String> command, int status, String stdout, String stderr) {
    /** Asserts exit status 0. */
    public Result ok() {
      if (status != 0) {
        throw new AssertionError("expected exit status 0: " + this);
      }
      return this;
    }

    /** Asserts a non-zero exit status. */
    public Result failed() {
      if (status == 0) {
        throw new AssertionError("expected a failure: " + this);
      }
      return this;
    }

    /** Asserts exit status {@code expected}. */
    public Result status(int expected) {
      if (status != expected) {
        throw new AssertionError("expected exit status " + expected + ": " + this);
      }
      return this;
    }

    /** stdout's non-empty lines. */
    public List<String> lines() {
      return stdout.lines().filter(l -> !l.isBlank()).toList();
    }

    @Override
    public String toString() {
      return "`" + String.join(" ", command) + "` exited " + status + "\n--- stdout:\n" + stdout
          + "--- stderr:\n" + stderr + "---";
    }
  }

  /** A command running in the background. */
  public final class Invocation {
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private Invocation(List<String> command, Process process, Path stdout, Path stderr) {
      this.command = command;
      this.process = process;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    public Process process() {
      return process;
    }

    /** What the command (and the containers that inherited its stdout) printed so far. */
    public String stdoutNow() {
      return read(stdout);
    }

    public String stderrNow() {
      return read(stderr);
    }

    /** Waits until stdout holds {@code text}; fails if the command ends first or on timeout. */
    public Invocation awaitStdout(String text) {
      poll("stdout of `" + String.join(" ", command) + "` to contain \"" + text + "\"", () -> {
        if (stdoutNow().contains(text)) {
          return true;
        }
        if (!process.isAlive() && !stdoutNow().contains(text)) {
          throw new AssertionError("the command ended before printing \"" + text + "\": "
              + result());
        }
        return false;
      });
      return this;
    }

    /**
     * Waits until stdout holds {@code text}, also after the command has ended:
     * the container of a create or a {@code run --detach} writes to the stdout
     * it got from that command, and may print after it ended (start returns
     * in about a millisecond).
     */
    public Invocation awaitContainerStdout(String text) {
      poll("stdout of `" + String.join(" ", command) + "` to contain \"" + text
          + "\" (from its container)", () -> stdoutNow().contains(text));
      return this;
    }

    /** Waits for the command to end, at most {@link #TIMEOUT}. */
    public Result await() {
      try {
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
          throw new AssertionError("timed out after " + TIMEOUT.toSeconds() + " s: " + result());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      return result();
    }

    private Result result() {
      return new Result(command, process.isAlive() ? -1 : process.exitValue(), read(stdout),
          read(stderr));
    }
  }

  /** {@code capsa --root ROOT args...} in the test directory; waits for it. */
  public Result capsa(String... args) {
    return startIn(dir, args).await();
  }

  /** {@code capsa --root ROOT args...} with {@code cwd} as working directory; waits for it. */
  public Result capsaIn(Path cwd, String... args) {
    return startIn(cwd, args).await();
  }

  /** {@code capsa --root ROOT args...} in the background. */
  public Invocation start(String... args) {
    return startIn(dir, args);
  }

  /** {@code capsa --root ROOT args...} in the background, in {@code cwd}. */
  public Invocation startIn(Path cwd, String... args) {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.add("--root");
    command.add(root.toString());
    command.addAll(Arrays.asList(args));
    return spawn(command, cwd);
  }

  /**
   * The command line of {@code capsa --root ROOT args...}, for tests that must run capsa
   * through another program (a shell holding extra fds, script(1) for a terminal).
   */
  public List<String> capsaCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.add("--root");
    command.add(root.toString());
    command.addAll(Arrays.asList(args));
    return command;
  }

  /** {@code capsa args...} exactly as given (no --root), waiting for it. */
  public Result capsaRaw(String... args) {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.addAll(Arrays.asList(args));
    return spawn(command, dir).await();
  }

  private Invocation spawn(List<String> command, Path cwd) {
    if (config != null && Files.isDirectory(bundle)) {
      saveConfig();
    }
    int n = ++commands;
    String word = command.stream().skip(1).filter(a -> !a.startsWith("-") && !a.startsWith("/"))
        .findFirst().orElse("capsa").replaceAll("[^\\w.-]", "_");
    if (word.length() > 40) {
      word = word.substring(0, 40);
    }
    Path out = outputs.resolve(String.format("%03d-%s.stdout", n, word));
    Path err = outputs.resolve(String.format("%03d-%s.stderr", n, word));
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(cwd.toFile())
        .redirectInput(new File("/dev/null"))
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    // The JVM's own notes ("Picked up JAVA_TOOL_OPTIONS") are not capsa's output.
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().remove("_JAVA_OPTIONS");
    try {
      Invocation inv = new Invocation(List.copyOf(command), pb.start(), out, err);
      invocations.add(inv);
      return inv;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code capsa --root ROOT args...} as one shell command line, every word quoted, for
   * commands that must run capsa under a shell ({@code exec 3<file; exec capsa ...}) or under
   * {@code script}.
   */
  public String capsaLine(String... args) {
    StringBuilder b = new StringBuilder(quote(LAUNCHER.toString())).append(" --root ")
        .append(quote(root.toString()));
    for (String a : args) {
      b.append(' ').append(quote(a));
    }
    return b.toString();
  }

  /** A word quoted for sh. */
  public static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * {@code sh -c script} on the host, run the way capsa commands are (config.json written
   * first, in the test directory, stdin /dev/null, stdout and stderr in files); waits for it.
   */
  public Result shell(String script) {
    return startShell(script).await();
  }

  /** {@link #shell} in the background. */
  public Invocation startShell(String script) {
    return spawn(List.of("sh", "-c", script), dir);
  }

  /**
   * Makes the test directory traversable and readable by everyone (it is made 0700): a
   * container whose root is another host uid (a user namespace) must reach its bundle.
   */
  public void openToAll() {
    execOk(List.of("chmod", "755", dir.toString(), bundle.toString(), rootfs().toString()));
  }

  /** python3 for the tests' little agents: the system's, else the first on PATH. */
  public static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  // ------------------------------------------------------------------ containers

  /**
   * {@code capsa run --bundle B ID} of {@code sh -c script}; returns what it did (the
   * container's output is capsa's stdout).
   */
  public Result run(String script) {
    script(script);
    return capsa("run", "--bundle", bundle.toString(), newId());
  }

  /** {@link #run(String)} that must exit 0 with no error; returns the container's stdout. */
  public String runOk(String script) {
    Result r = run(script).ok();
    return r.stdout();
  }

  /** {@code capsa run --bundle B ID} of the args already configured. */
  public Result runConfigured() {
    return capsa("run", "--bundle", bundle.toString(), newId());
  }

  /** {@code capsa create --bundle B id}, which must succeed. */
  public Result create(String id) {
    return capsa("create", "--bundle", bundle.toString(), id).ok();
  }

  /** The state of {@code id}, as {@code capsa state} prints it. */
  public Map<String, Object> state(String id) {
    return asMap(Json.parse(capsa("state", id).ok().stdout()));
  }

  /** The status of {@code id}. */
  public String status(String id) {
    return (String) state(id).get("status");
  }

  /** Polls {@code state} until the container has {@code status}. */
  public Map<String, Object> awaitStatus(String id, String status) {
    return awaitStatus(id, status, null);
  }

  /**
   * Polls {@code state} until the container has {@code status}; fails at once if
   * {@code command} (the run or create that makes the container) ends first.
   */
  public Map<String, Object> awaitStatus(String id, String status, Invocation command) {
    AtomicReference<Object> last = new AtomicReference<>();
    poll("container " + id + " to be " + status, () -> {
      if (command != null && !command.process.isAlive() && command.process.exitValue() != 0) {
        throw new AssertionError("waiting for container " + id + " to be " + status + ": "
            + command.result());
      }
      // A container that `run` is still creating may not exist yet.
      Result r = capsa("state", id);
      if (r.status() != 0) {
        last.set(r);
        return false;
      }
      Map<String, Object> s = asMap(Json.parse(r.stdout()));
      last.set(s);
      return status.equals(s.get("status"));
    }, () -> "last state: " + last.get());
    return asMap(last.get());
  }

  /** The ids {@code list -q} prints. */
  public List<String> listIds() {
    return capsa("list", "-q").ok().lines();
  }

  /** Asserts that {@code id} is nowhere: not listed and without a state directory. */
  public void assertNoContainer(String id) {
    assertEquals(List.of(), listIds(), "list -q after the failure");
    assertEquals(false, Files.exists(root.resolve(id)), "state directory " + root.resolve(id));
  }

  // ------------------------------------------------------------------ host helpers

  /** Runs the test's own cleanup after the containers are deleted, before the leftover check. */
  public void onCleanup(Cleanup c) {
    cleanups.push(c);
  }

  /** Starts a host process (in the test dir); it is killed at cleanup. */
  public Process host(String... command) {
    Path out = outputs.resolve(String.format("%03d-host.out", ++commands));
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile())
          .redirectInput(new File("/dev/null"))
          .redirectOutput(out.toFile()).redirectErrorStream(true).start();
      onCleanup(() -> {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      });
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Makes the bundle's rootfs a shared mount on the host ({@code mount --bind rootfs rootfs;
   * mount --make-shared rootfs}), unmounted at cleanup.
   */
  public void makeRootfsSharedOnHost() {
    String r = rootfs().toString();
    execOk(List.of("mount", "--bind", r, r));
    onCleanup(() -> {
      if (!hostMounts().isEmpty()) {
        String out = exec(List.of("umount", r));
        if (hostMounts().stream().anyMatch(l -> l.contains(r))) {
          throw new AssertionError("umount " + r + ": " + out);
        }
      }
    });
    execOk(List.of("mount", "--make-shared", r));
  }

  /** The JVM's (the host's) namespace link, e.g. {@code net:[4026531840]}. */
  public static String hostNamespace(String name) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/ns/" + name)).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The namespace link of process {@code pid}. */
  public static String namespaceOf(long pid, String name) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + name)).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a short host command; returns its output (stdout and stderr). */
  public static String exec(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(new File("/dev/null")).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** {@link #exec} that must exit 0. */
  public static String execOk(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(new File("/dev/null")).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      String text = new String(out, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), () -> command + " failed: " + text);
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Polls {@code condition} every few ms until it holds; fails after {@link #TIMEOUT}. */
  public static void poll(String what, BooleanSupplier condition) {
    poll(what, condition, () -> "");
  }

  private static void poll(String what, BooleanSupplier condition,
      java.util.function.Supplier<String> detail) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + " " + detail.get());
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /** Waits until a host process has joined a namespace other than ours. */
  public static void awaitOwnNamespace(Process p, String name) {
    String host = hostNamespace(name);
    poll("process " + p.pid() + " to have its own " + name + " namespace", () -> {
      if (!p.isAlive()) {
        throw new AssertionError("process " + p.pid() + " exited: " + p.exitValue());
      }
      try {
        return !Objects.equals(host, namespaceOf(p.pid(), name));
      } catch (UncheckedIOException e) {
        return false;
      }
    });
    assertNotEquals(host, namespaceOf(p.pid(), name));
  }

  /** The busybox bundle made once per JVM; every test copies it. */
  private static final class Template {
    private static Path path;

    static synchronized Path path() throws IOException {
      if (path == null) {
        Path d = Files.createTempDirectory("capsa-it-template-");
        Path b = d.resolve("bundle");
        String out = exec(List.of(MAKE_BUNDLE.toString(), b.toString(), "plain"));
        if (!Files.isRegularFile(b.resolve("config.json"))
            || !Files.isRegularFile(b.resolve("rootfs/bin/busybox"))) {
          throw new AssertionError(MAKE_BUNDLE + " " + b + " plain failed: " + out);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(
            () -> exec(List.of("rm", "-rf", "--one-file-system", d.toString()))));
        path = b;
      }
      return path;
    }
  }
}
