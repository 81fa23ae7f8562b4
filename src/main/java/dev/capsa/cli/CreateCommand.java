package dev.capsa.cli;

import dev.capsa.runtime.CreateOptions;
import dev.capsa.runtime.Creator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code capsa create}: runtime.md "Create". */
final class CreateCommand implements Command {
  static final List<Args.Option> OPTIONS = List.of(
      Args.Option.value("bundle", "b", "path to the bundle directory (default: the current directory)"),
      Args.Option.value("console-socket", null, "path to a unix socket that receives the pty master"),
      Args.Option.value("pid-file", null, "file to write the container process's pid to"),
      Args.Option.flag("no-pivot", null, "do not use pivot_root (for a rootfs on a ramdisk)"),
      Args.Option.flag("no-new-keyring", null, "do not make a new session keyring"),
      Args.Option.value("preserve-fds", null, "pass N more fds (3..3+N-1) to the container"));

  @Override
  public String name() {
    return "create";
  }

  @Override
  public String summary() {
    return "create a container";
  }

  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public String description() {
    return """
        Sets up the container from the bundle's config.json (namespaces, mounts, devices,
        credentials) and leaves its process waiting for "capsa start". The container's
        stdio is capsa's own. <container-id> must be unique on this host.""";
  }

  @Override
  public List<Args.Option> options() {
    return OPTIONS;
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    Creator.create(g.store(), a.id(name()), options(a, false, false, g.systemdCgroup()));
    return 0;
  }

  /**
   * The create options of create and run. Socket activation (sd_listen_fds):
   * with LISTEN_FDS set for this process, those fds go to the container too,
   * after the --preserve-fds ones, and it gets LISTEN_FDS and LISTEN_PID=1 (runc).
   */
  static CreateOptions options(Args a, boolean reap, boolean foregroundTerminal,
      boolean systemdCgroup) {
    String pidFile = a.value("pid-file");
    int preserve = a.integer("preserve-fds", 0);
    if (preserve < 0) {
      throw new UsageException("--preserve-fds: must not be negative");
    }
    if (a.flag("no-new-keyring")) {
      throw new UsageException("--no-new-keyring: not supported by this version of capsa");
    }
    checkPreserved(preserve);
    List<String> env = new ArrayList<>();
    int listen = listenFds();
    if (listen > 0) {
      preserve += listen;
      env.add("LISTEN_FDS=" + listen);
      env.add("LISTEN_PID=1");
    }
    String socket = a.value("console-socket");
    return new CreateOptions(
        Path.of(a.value("bundle", ".")),
        pidFile == null || pidFile.isEmpty() ? null : Path.of(pidFile),
        socket,
        a.flag("no-pivot"),
        preserve,
        reap,
        foregroundTerminal && socket == null,
        List.copyOf(env),
        systemdCgroup);
  }

  /**
   * The fds that --preserve-fds hands to the container must be the caller's.
   * One the caller did not open may since be the JVM's own (it opens its
   * files at the lowest free numbers), and that must not reach the container.
   */
  private static void checkPreserved(int n) {
    String jdk = System.getProperty("java.home");
    String home = System.getProperty("capsa.home", "/nonexistent");
    for (int fd = 3; fd < 3 + n; fd++) {
      String target;
      try {
        target = java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
      } catch (java.io.IOException e) {
        throw new UsageException("--preserve-fds " + n + ": fd " + fd + " is not open");
      }
      if (target.startsWith(jdk) || target.startsWith(home)) {
        throw new UsageException("--preserve-fds " + n + ": fd " + fd
            + " is not open in capsa's caller");
      }
    }
  }

  /** sd_listen_fds(3): LISTEN_FDS when LISTEN_PID names this process. */
  private static int listenFds() {
    String fds = System.getenv("LISTEN_FDS");
    String pid = System.getenv("LISTEN_PID");
    if (fds == null || pid == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
      return 0;
    }
    try {
      return Math.max(0, Integer.parseInt(fds));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
