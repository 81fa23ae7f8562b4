package dev.capsa.runtime;

import dev.capsa.spec.Spec;
import java.nio.file.Path;

/**
 * What {@code exec} starts and how.
 *
 * @param process the process (from --process, or the container's with exec's flags applied)
 * @param detach do not wait for it (the caller's subreaper gets it)
 * @param pidFile --pid-file, or null
 * @param consoleSocket --console-socket, or null
 * @param foregroundTerminal capsa holds the process's terminal itself
 * @param preserveFds --preserve-fds
 * @param subCgroup --cgroup: a cgroup below the container's to put the process in, or null
 * @param ignorePaused --ignore-paused
 */
public record ExecOptions(Spec.Process process, boolean detach, Path pidFile, String consoleSocket,
    boolean foregroundTerminal, int preserveFds, String subCgroup, boolean ignorePaused) {}
