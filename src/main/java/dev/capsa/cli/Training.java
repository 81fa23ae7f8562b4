package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.log.Times;
import dev.capsa.linux.Native;
import dev.capsa.runtime.ContainerState;
import dev.capsa.runtime.ProcStat;
import dev.capsa.runtime.StageCheck;
import dev.capsa.runtime.Status;
import dev.capsa.setup.SetupCompiler;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.DefaultSpec;
import dev.capsa.spec.Spec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The AOT training run (build/package.sh runs {@code capsa __train DIR}): walks
 * the code paths of every command in one JVM, without root and without making
 * a container, so the AOT cache holds the classes they load, linked.
 */
final class Training {
  private Training() {}

  static int run(Path dir) throws IOException {
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
    Main.run(List.of("--version"), sink);
    Main.run(List.of("--help"), sink);
    Main.run(List.of("features"), sink);
    for (String c : List.of("create", "start", "state", "kill", "delete", "run", "list", "spec",
        "exec", "ps", "events", "pause", "resume", "update")) {
      Main.run(List.of(c, "--help"), sink);
    }

    // spec, then the create path up to the native stage: parse, validate, compile, encode.
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.createDirectories(bundle.resolve("rootfs"));
    Main.run(List.of("spec", "--bundle", bundle.toString()), sink);
    Map<String, Object> tree = DefaultSpec.standard();
    @SuppressWarnings("unchecked")
    Map<String, Object> process = (Map<String, Object>) tree.get("process");
    process.put("terminal", false);
    process.put("oomScoreAdj", 100);
    process.put("user", Map.of("uid", 1000, "gid", 1000, "umask", 18, "additionalGids", List.of(5)));
    @SuppressWarnings("unchecked")
    Map<String, Object> linux = (Map<String, Object>) tree.get("linux");
    linux.put("sysctl", Map.of("net.ipv4.ip_forward", "1"));
    linux.put("devices", List.of(Map.of("path", "/dev/fuse", "type", "c", "major", 10, "minor", 229)));
    linux.put("rootfsPropagation", "private");
    @SuppressWarnings("unchecked")
    List<Object> mounts = (List<Object>) tree.get("mounts");
    mounts.add(Map.of("destination", "/data", "type", "none", "source", dir.toString(),
        "options", List.of("rbind", "ro", "rprivate", "rnosuid")));
    // The fields podman, containerd and Docker set: resources, seccomp, hooks.
    linux.put("resources", Map.of(
        "memory", Map.of("limit", 1L << 30, "swap", 1L << 31),
        "cpu", Map.of("shares", 1024, "quota", 100000, "period", 100000),
        "pids", Map.of("limit", 1000),
        "devices", List.of(Map.of("allow", false, "access", "rwm"),
            Map.of("allow", true, "type", "c", "major", 1, "minor", 3, "access", "rwm"))));
    linux.put("seccomp", Map.of("defaultAction", "SCMP_ACT_ERRNO",
        "architectures", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"),
        "syscalls", List.of(Map.of("names", List.of("read", "write", "personality"),
            "action", "SCMP_ACT_ALLOW",
            "args", List.of(Map.of("index", 0, "value", 8, "op", "SCMP_CMP_EQ"))))));
    tree.put("hooks", Map.of("prestart", List.of(Map.of("path", "/bin/true", "args", List.of("true"),
        "env", List.of("A=1"), "timeout", 5))));
    Spec spec = ConfigParser.parse(Json.write(tree));
    SetupCompiler.Host host = SetupCompiler.Host.current();
    try {
      SetupCompiler.compile(new SetupCompiler.Request(spec, bundle, dir.resolve("fifo"), false),
          host).program().encode();
      SetupCompiler.compileExec(new SetupCompiler.ExecRequest(spec, spec.process(), 1,
          java.util.Set.of("pid", "mount"), false, -1, List.of()), host).program().encode();
    } catch (RuntimeException e) {
      // A host without cgroups or libseccomp: the rest of the path was still walked.
    }
    try {
      dev.capsa.cgroups.Layout layout = dev.capsa.cgroups.Layout.ofHost();
      dev.capsa.cgroups.ResourcePlan.of(spec.linux().resources(), layout, false);
      dev.capsa.cgroups.Cgroup.of(layout, null, "train").directories();
      dev.capsa.cgroups.DeviceFilter.compile(spec.linux().resources().devices());
    } catch (RuntimeException e) {
      // A host without some controller.
    }
    ConfigParser.hooksJson(spec.hooks());
    loadEveryClass();
    Native.strerror(1);
    StageCheck.run(dir.resolve("missing").toString());
    ProcStat.read((int) ProcessHandle.current().pid());

    lifecycle(dir, sink, bundle);
    containers(dir, sink);
    return 0;
  }

  /**
   * Where the build runs as root and Debian's busybox-static is installed (as
   * for {@code make test}, {@code make demo} and {@code make bench}): real
   * containers through every command, so the cache also holds what only a
   * real create, start, exec and delete load and link (the stage session,
   * signals, cgroups, the state files). A busybox-only rootfs, a scratch
   * --root, and everything deleted at the end; elsewhere this is skipped.
   */
  private static void containers(Path dir, PrintStream sink) throws IOException {
    Path busybox = Path.of("/bin/busybox");
    if (Native.geteuid() != 0 || !Files.isExecutable(busybox)) {
      return;
    }
    Path bundle = dir.resolve("container");
    Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
    Files.copy(busybox, bin.resolve("busybox"));
    bin.resolve("busybox").toFile().setExecutable(true);
    Map<String, Object> tree = DefaultSpec.standard();
    @SuppressWarnings("unchecked")
    Map<String, Object> process = (Map<String, Object>) tree.get("process");
    process.put("terminal", false);
    process.put("args", List.of("/bin/busybox", "sleep", "30"));
    Files.writeString(bundle.resolve("config.json"), Json.write(tree));
    String r = dir.resolve("containers").toString();
    String id = "capsa-train-" + ProcessHandle.current().pid();
    String b = bundle.toString();
    PrintStream err = System.err;
    System.setErr(sink);
    dev.capsa.log.Log.redirectStderr(sink);
    try {
      Main.run(List.of("--root", r, "create", "--bundle", b, "--pid-file",
          dir.resolve("pid").toString(), id), sink);
      Main.run(List.of("--root", r, "state", id), sink);
      Main.run(List.of("--root", r, "start", id), sink);
      Main.run(List.of("--root", r, "exec", id, "/bin/busybox", "true"), sink);
      Main.run(List.of("--root", r, "ps", "--format", "json", id), sink);
      Main.run(List.of("--root", r, "events", "--stats", id), sink);
      Main.run(List.of("--root", r, "update", "--pids-limit", "100", id), sink);
      Main.run(List.of("--root", r, "pause", id), sink);
      Main.run(List.of("--root", r, "resume", id), sink);
      Main.run(List.of("--root", r, "kill", id, "KILL"), sink);
      Main.run(List.of("--root", r, "delete", "--force", id), sink);
      process.put("args", List.of("/bin/busybox", "true"));
      Files.writeString(bundle.resolve("config.json"), Json.write(tree));
      Main.run(List.of("--root", r, "run", "--bundle", b, id), sink);
    } finally {
      Main.run(List.of("--root", r, "delete", "--force", id), sink);
      System.setErr(err);
      dev.capsa.log.Log.redirectStderr(err);
    }
  }

  /** state, list, kill and delete on a stopped container in a scratch root. */
  private static void lifecycle(Path dir, PrintStream sink, Path bundle) throws IOException {
    Path root = dir.resolve("root");
    Path c = Files.createDirectories(root.resolve("train"));
    ContainerState s = new ContainerState("train", Status.CREATED, 0, 0, 0, bundle.toString(),
        bundle.resolve("rootfs").toString(), Times.now(), Map.of("a", "b"));
    Files.writeString(c.resolve("state.json"), s.toJson());
    String r = root.toString();
    Main.run(List.of("--root", r, "state", "train"), sink);
    Main.run(List.of("--root", r, "list"), sink);
    Main.run(List.of("--root", r, "list", "--format", "json"), sink);
    Main.run(List.of("--root", r, "list", "-q"), sink);
    PrintStream err = System.err;
    System.setErr(sink);
    dev.capsa.log.Log.redirectStderr(sink);
    try {
      Main.run(List.of("--root", r, "--log", dir.resolve("log").toString(), "--log-format", "json",
          "kill", "train", "KILL"), sink);
      Main.run(List.of("--root", r, "start", "train"), sink);
      Main.run(List.of("--root", r, "delete", "train"), sink);
      Main.run(List.of("--root", r, "state", "train"), sink);
    } finally {
      System.setErr(err);
      dev.capsa.log.Log.redirectStderr(err);
    }
  }

  /**
   * Loads (without initializing) every class in capsa's jar. A class missing
   * from the AOT cache makes the JVM open the jar, which alone costs ~15 ms;
   * the code paths above do not reach every class (run, errors, ...).
   */
  private static void loadEveryClass() throws IOException {
    ClassLoader loader = Training.class.getClassLoader();
    Path jar;
    try {
      jar = Path.of(Training.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
      for (java.util.Enumeration<? extends java.util.zip.ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (name.startsWith("dev/capsa/") && name.endsWith(".class")) {
          try {
            Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
          } catch (ClassNotFoundException | LinkageError ex) {
            throw new IOException("loading " + name + ": " + ex, ex);
          }
        }
      }
    }
  }
}
