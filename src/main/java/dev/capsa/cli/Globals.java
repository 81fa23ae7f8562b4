package dev.capsa.cli;

import dev.capsa.runtime.StateStore;
import java.nio.file.Path;

/**
 * The global options, given before the command as with runc.
 *
 * @param root --root, the state directory
 * @param log --log, or null
 * @param logFormat --log-format, text or json
 */
record Globals(String root, String log, String logFormat, boolean debug, boolean systemdCgroup) {
  StateStore store() {
    return new StateStore(Path.of(root));
  }
}
