package dev.capsa.cli;

import dev.capsa.runtime.ContainerException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code capsa checkpoint} and {@code capsa restore}, with runc's flags. Both
 * go through CRIU; capsa first asks {@code criu check} whether CRIU can work on
 * this kernel, and where it cannot (CRIU 3.17 fails on the vDSO of kernel 6.18,
 * as on this project's CI machines) that is the error, with CRIU's own words.
 * Where CRIU works, the RPC driver (criu swrk, protobuf over a socketpair, as
 * runc's libcontainer/criu*.go) is not written yet, and capsa says so.
 */
record CheckpointCommand(boolean restore) implements Command {
  @Override
  public String name() {
    return restore ? "restore" : "checkpoint";
  }

  @Override
  public String summary() {
    return restore ? "restore a container from a checkpoint" : "checkpoint a running container";
  }

  @Override
  public String arguments() {
    return "<container-id>";
  }

  @Override
  public List<Args.Option> options() {
    List<Args.Option> o = new ArrayList<>(List.of(
        Args.Option.value("image-path", null, "where the checkpoint images are"),
        Args.Option.value("work-path", null, "where CRIU's logs and work files go"),
        Args.Option.flag("tcp-established", null, "allow open tcp connections"),
        Args.Option.flag("ext-unix-sk", null, "allow external unix sockets"),
        Args.Option.flag("shell-job", null, "allow shell jobs"),
        Args.Option.flag("file-locks", null, "handle file locks"),
        Args.Option.value("manage-cgroups-mode", null, "cgroups mode: soft, full, strict, ignore"),
        Args.Option.value("empty-ns", null, "create a namespace, but do not restore its properties"),
        Args.Option.flag("auto-dedup", null, "enable auto deduplication of memory images"),
        Args.Option.flag("lazy-pages", null, "use userfaultfd to lazily restore memory pages")));
    if (restore) {
      o.addAll(List.of(
          Args.Option.value("bundle", "b", "path to the bundle directory"),
          Args.Option.value("console-socket", null, "a unix socket that receives the pty master"),
          Args.Option.flag("detach", "d", "detach from the container's process"),
          Args.Option.value("pid-file", null, "file to write the process's pid to"),
          Args.Option.flag("no-subreaper", null, "do not become a subreaper"),
          Args.Option.flag("no-pivot", null, "do not use pivot_root"),
          Args.Option.value("lsm-profile", null, "the LSM profile to restore with"),
          Args.Option.value("lsm-mount-context", null, "the LSM mount context to restore with")));
    } else {
      o.addAll(List.of(
          Args.Option.value("parent-path", null, "path for the previous criu image files"),
          Args.Option.flag("leave-running", null, "leave the process running after checkpointing"),
          Args.Option.value("page-server", null, "ADDRESS:PORT of the page server"),
          Args.Option.value("status-fd", null, "criu writes \\0 to this fd once lazy-pages is ready"),
          Args.Option.flag("pre-dump", null, "dump the container's memory only, leave it running")));
    }
    return o;
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) throws IOException, InterruptedException {
    a.id(name());
    String check;
    int status;
    try {
      Process p = new ProcessBuilder("criu", "check").redirectErrorStream(true).start();
      check = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      status = p.waitFor();
    } catch (IOException e) {
      throw new ContainerException(name() + ": CRIU is not installed (capsa drives criu to "
          + name() + " containers)");
    }
    if (status != 0) {
      String last = check.isEmpty() ? "" : check.substring(check.lastIndexOf('\n') + 1);
      throw new ContainerException(name() + ": CRIU cannot work on this kernel: `criu check`"
          + " exits " + status + (last.isEmpty() ? "" : ": " + last));
    }
    throw new ContainerException(name() + ": `criu check` passes here, but this version of capsa"
        + " does not drive CRIU's RPC yet");
  }
}
