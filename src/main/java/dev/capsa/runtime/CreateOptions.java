package dev.capsa.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * The options of {@code create} (and {@code run}), as runc names them.
 *
 * @param bundle --bundle, relative to the caller's working directory or absolute
 * @param pidFile --pid-file, or null
 * @param consoleSocket --console-socket, or null
 * @param noPivot --no-pivot
 * @param preserveFds --preserve-fds (and LISTEN_FDS): fds 3..3+N-1 reach the container
 * @param reap the caller waits for the container process (run): it becomes our child
 * @param foregroundTerminal capsa run holds the container's terminal itself (no console socket)
 * @param extraEnv variables added to process.env (LISTEN_FDS, LISTEN_PID)
 * @param systemdCgroup --systemd-cgroup: the cgroup is a transient scope systemd makes
 */
public record CreateOptions(
    Path bundle, Path pidFile, String consoleSocket, boolean noPivot, int preserveFds, boolean reap,
    boolean foregroundTerminal, List<String> extraEnv, boolean systemdCgroup) {

  /** Without a terminal of capsa's own or extra environment. */
  public CreateOptions(Path bundle, Path pidFile, String consoleSocket, boolean noPivot,
      int preserveFds, boolean reap) {
    this(bundle, pidFile, consoleSocket, noPivot, preserveFds, reap, false, List.of(), false);
  }
}
