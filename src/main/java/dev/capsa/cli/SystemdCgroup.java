package dev.capsa.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The systemd cgroup driver ({@code --systemd-cgroup}, cgroupsPath
 * {@code slice:prefix:name}): systemd must be PID 1 to own cgroups through
 * transient scopes. Where it is not, as in most containers and on this
 * project's CI machines, that is the error; where it is, capsa does not drive
 * systemd's D-Bus API yet and says so.
 */
final class SystemdCgroup {
  private SystemdCgroup() {}

  static String unavailable() {
    String init = "";
    try {
      init = Files.readString(Path.of("/proc/1/comm")).trim();
    } catch (IOException e) {
      // Unknown: treated as not systemd.
    }
    if (!init.equals("systemd")) {
      return "systemd is not running as PID 1 here (PID 1 is \"" + init + "\"), so it cannot"
          + " manage the container's cgroup; run without --systemd-cgroup (cgroupfs driver)";
    }
    return "the systemd cgroup driver (transient scopes over D-Bus) is not implemented in this"
        + " version of capsa; run without --systemd-cgroup (cgroupfs driver)";
  }
}
