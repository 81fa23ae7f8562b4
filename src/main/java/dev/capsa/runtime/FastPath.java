package dev.capsa.runtime;

import java.util.List;

/**
 * What {@code start} and {@code delete} of this container may do without a JVM,
 * decided by create and kept as {@code <root>/<id>/fastpath} for the launcher
 * (native/launcher.c).
 *
 * <p>A JVM start costs ~30 ms, most of what a {@code start} or {@code delete}
 * costs, while their common case is a few syscalls: release the gate; remove
 * the empty cgroup directories and the state directory. Java still decides
 * what may be done that way, here, once, at create: only what needs no hook,
 * no systemd call and no cgroup that another owner made. The launcher checks
 * the live conditions (the process alive or gone, the cgroup thawed and empty,
 * the fifo there) and hands everything else to the JVM, which checks again
 * from the start and reports errors.
 *
 * <p>The file is lines of words, the first the format's name and version:
 *
 * <pre>
 *   capsa-fastpath 1
 *   pid PID STARTTIME     the container process and its /proc/PID/stat field 22
 *   start                 start may be the gate's byte and the fifo's removal
 *   delete                delete of a stopped container may be rmdir and rm
 *   cgroup DIR            each of the container's cgroup directories
 * </pre>
 *
 * @param pid the container process
 * @param startTime its start time, field 22 of /proc/PID/stat
 * @param start true when start runs no hook
 * @param delete true when delete runs no hook, stops no systemd unit, and
 *     removes only cgroup directories create made
 * @param cgroup the container's cgroup directories, in state.json's order
 */
public record FastPath(int pid, long startTime, boolean start, boolean delete,
    List<String> cgroup) {

  /** The file's name in the container's state directory. */
  public static final String FILE = "fastpath";

  /** The decision for a container create has just made. */
  static FastPath of(ContainerState s, dev.capsa.spec.Hooks hooks) {
    boolean start = hooks.startContainer().isEmpty() && hooks.poststart().isEmpty();
    boolean delete = hooks.poststop().isEmpty() && s.systemdUnit() == null
        && (s.cgroup().isEmpty() || s.cgroupOwned());
    for (String dir : s.cgroup()) {
      // The launcher reads a line a directory.
      if (dir.indexOf('\n') >= 0 || !dir.startsWith("/")) {
        delete = false;
        start = false;
      }
    }
    return new FastPath(s.pid(), s.pidStartTime(), start, delete, s.cgroup());
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
    if (start || delete) {
      for (String dir : cgroup) {
        b.append("cgroup ").append(dir).append('\n');
      }
    }
    return b.toString();
  }
}
