package dev.capsa.runtime;

import dev.capsa.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code start}, {@code delete} and {@code state} of this container may do
 * without a JVM, decided by create and kept as {@code <root>/<id>/fastpath} for
 * the launcher (native/launcher.c).
 *
 * <p>A JVM start costs ~30 ms, most of what these commands cost, while their
 * common case is a few syscalls: release the gate; remove the empty cgroup
 * directories and the state directory; print the state. Java still decides
 * what may be done that way, here, once, at create: only what needs no hook,
 * no systemd call and no cgroup that another owner made, and for {@code state}
 * the very text Java prints for each status. The launcher checks the live
 * conditions as {@link Container#status} does (the process alive with its start
 * time, the freezer, the fifo; for delete, the cgroup empty) and hands
 * everything else to the JVM, which checks again from the start and reports
 * errors.
 *
 * <p>The file is lines of words, the first the format's name and version; after
 * the line {@code end} come the state texts, byte for byte, in the order of
 * their lines:
 *
 * <pre>
 *   capsa-fastpath 1
 *   pid PID STARTTIME     the container process and its /proc/PID/stat field 22
 *   start                 start may be the gate's byte and the fifo's removal
 *   delete                delete of a stopped container may be rmdir and rm
 *   cgroup DIR            each of the container's cgroup directories
 *   state STATUS BYTES    what {@code capsa state} prints in that status
 *   end
 * </pre>
 *
 * @param pid the container process
 * @param startTime its start time, field 22 of /proc/PID/stat
 * @param start true when start runs no hook
 * @param delete true when delete runs no hook, stops no systemd unit, and
 *     removes only cgroup directories create made
 * @param cgroup the container's cgroup directories, in state.json's order
 * @param states what {@code state} prints, by status, or none when the
 *     launcher cannot check the status as Java does
 */
public record FastPath(int pid, long startTime, boolean start, boolean delete,
    List<String> cgroup, Map<Status, String> states) {

  /** The statuses a created container can be found in. */
  private static final List<Status> LIVE =
      List.of(Status.CREATED, Status.RUNNING, Status.PAUSED, Status.STOPPED);

  /** The file's name in the container's state directory. */
  public static final String FILE = "fastpath";

  /** The decision for a container create has just made. */
  static FastPath of(ContainerState s, dev.capsa.spec.Hooks hooks) {
    boolean start = hooks.startContainer().isEmpty() && hooks.poststart().isEmpty();
    boolean delete = hooks.poststop().isEmpty() && s.systemdUnit() == null
        && (s.cgroup().isEmpty() || s.cgroupOwned());
    boolean paths = true;
    for (String dir : s.cgroup()) {
      // The launcher reads a line a directory.
      paths &= dir.indexOf('\n') < 0 && dir.startsWith("/");
    }
    Map<Status, String> states = new LinkedHashMap<>();
    if (paths) {
      for (Status status : LIVE) {
        // As StateCommand prints it.
        states.put(status, Json.writePretty(s.oci(status, "")) + "\n");
      }
    }
    return new FastPath(s.pid(), s.pidStartTime(), start && paths, delete && paths,
        paths ? s.cgroup() : List.of(), states);
  }

  /** The file's text. */
  public String encode() {
    StringBuilder b = new StringBuilder("capsa-fastpath 1\n");
    b.append("pid ").append(pid).append(' ').append(startTime).append('\n');
    if (start) {
      b.append("start\n");
    }
    if (delete) {
      b.append("delete\n");
    }
    for (String dir : cgroup) {
      b.append("cgroup ").append(dir).append('\n');
    }
    for (Map.Entry<Status, String> e : states.entrySet()) {
      b.append("state ").append(e.getKey().json()).append(' ')
          .append(e.getValue().getBytes(StandardCharsets.UTF_8).length).append('\n');
    }
    b.append("end\n");
    for (String text : states.values()) {
      b.append(text);
    }
    return b.toString();
  }
}
