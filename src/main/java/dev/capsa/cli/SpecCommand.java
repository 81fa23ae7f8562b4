package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.spec.DefaultSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** {@code capsa spec}: writes a config.json with runc's defaults. */
final class SpecCommand implements Command {
  @Override
  public String name() {
    return "spec";
  }

  @Override
  public String summary() {
    return "write a new config.json with default settings";
  }

  @Override
  public String arguments() {
    return "";
  }

  @Override
  public String description() {
    return """
        Writes config.json in the bundle directory with the defaults runc uses: a terminal,
        "sh" as the program, /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys and the
        cgroup mounts, a minimal set of capabilities, masked and read-only paths.
        Edit it, put a root filesystem in rootfs/, and run it.""";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.value("bundle", "b", "the bundle directory (default: the current directory)"),
        Args.Option.flag("rootless", null, "a config for a container run by an unprivileged user"));
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) throws IOException {
    Path file = Path.of(a.value("bundle", ".")).resolve("config.json");
    String json = Json.writePretty(a.flag("rootless")
        ? DefaultSpec.rootless(uid(), gid())
        : DefaultSpec.standard()) + "\n";
    try {
      Files.writeString(file, json, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new UsageException("File " + file + " exists. Remove it first");
    }
    return 0;
  }

  private static long uid() throws IOException {
    return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
  }

  private static long gid() throws IOException {
    return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).longValue();
  }
}
