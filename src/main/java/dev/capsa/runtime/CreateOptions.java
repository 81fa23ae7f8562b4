package dev.capsa.runtime;

import java.nio.file.Path;

/**
 * The options of {@code create} (and {@code run}), as runc names them.
 *
 * @param bundle --bundle, relative to the caller's working directory or absolute
 * @param pidFile --pid-file, or null
 * @param consoleSocket --console-socket, or null
 * @param noPivot --no-pivot
 * @param preserveFds --preserve-fds: fds 3..3+N-1 reach the container
 * @param reap the caller waits for the container process (run): it becomes our child
 */
public record CreateOptions(
    Path bundle, Path pidFile, String consoleSocket, boolean noPivot, int preserveFds, boolean reap) {}
