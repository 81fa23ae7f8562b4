package dev.capsa.cli;

import dev.capsa.runtime.CreateOptions;
import dev.capsa.runtime.Creator;
import java.io.PrintStream;
import java.nio.file.Path;
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
    Creator.create(g.store(), a.id(name()), options(a, false));
    return 0;
  }

  /** The create options of create and run. */
  static CreateOptions options(Args a, boolean reap) {
    String pidFile = a.value("pid-file");
    int preserve = a.integer("preserve-fds", 0);
    if (preserve < 0) {
      throw new UsageException("--preserve-fds: must not be negative");
    }
    if (a.flag("no-new-keyring")) {
      throw new UsageException("--no-new-keyring: not supported by this version of capsa");
    }
    return new CreateOptions(
        Path.of(a.value("bundle", ".")),
        pidFile == null || pidFile.isEmpty() ? null : Path.of(pidFile),
        a.value("console-socket"),
        a.flag("no-pivot"),
        preserve,
        reap);
  }
}
