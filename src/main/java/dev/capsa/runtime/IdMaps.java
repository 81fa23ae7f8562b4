package dev.capsa.runtime;

import dev.capsa.linux.FileIo;
import dev.capsa.linux.Native;
import dev.capsa.spec.IdMapping;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a user namespace's uid_map and gid_map (user_namespaces(7)) for a
 * process that waits in it. Root writes them itself. Anyone else may write
 * only a map of their own id, after denying setgroups for the gid map; for
 * more, the setuid helpers newuidmap and newgidmap (shadow's uidmap package)
 * check /etc/subuid and /etc/subgid and write them.
 */
final class IdMaps {
  private IdMaps() {}

  static void write(int pid, List<IdMapping> uids, List<IdMapping> gids, String field) {
    String uidMap = lines(uids);
    String gidMap = lines(gids);
    if (Native.geteuid() == 0) {
      writeFile(pid, "uid_map", uidMap, field);
      writeFile(pid, "gid_map", gidMap, field);
      return;
    }
    if (ownIds(uids, gids)) {
      writeFile(pid, "uid_map", uidMap, field);
      // user_namespaces(7): an unprivileged gid_map needs setgroups denied first.
      writeFile(pid, "setgroups", "deny", field);
      writeFile(pid, "gid_map", gidMap, field);
      return;
    }
    helper("newuidmap", pid, uids, field);
    helper("newgidmap", pid, gids, field.replace("uidMappings", "gidMappings"));
  }

  /** True when {@link #write} will deny setgroups for this config's user namespace. */
  static boolean deniesSetgroups(dev.capsa.spec.Spec spec) {
    dev.capsa.spec.Linux l = spec.linux();
    if (l == null || l.gidMappings() == null || l.uidMappings() == null || Native.geteuid() == 0) {
      return false;
    }
    return ownIds(l.uidMappings(), l.gidMappings());
  }

  private static boolean ownIds(List<IdMapping> uids, List<IdMapping> gids) {
    return uids.size() == 1 && gids.size() == 1 && uids.get(0).size() == 1
        && gids.get(0).size() == 1 && uids.get(0).hostID() == Native.geteuid();
  }

  private static String lines(List<IdMapping> mappings) {
    StringBuilder b = new StringBuilder();
    for (IdMapping m : mappings) {
      b.append(m.containerID()).append(' ').append(m.hostID()).append(' ').append(m.size())
          .append('\n');
    }
    return b.toString();
  }

  private static void writeFile(int pid, String name, String text, String field) {
    try {
      FileIo.write(Path.of("/proc/" + pid + "/" + name), text);
    } catch (IOException e) {
      throw new ContainerException(field + ": writing /proc/" + pid + "/" + name + ": "
          + e.getMessage());
    }
  }

  private static void helper(String tool, int pid, List<IdMapping> mappings, String field) {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool);
    cmd.add(Integer.toString(pid));
    for (IdMapping m : mappings) {
      cmd.add(Long.toString(m.containerID()));
      cmd.add(Long.toString(m.hostID()));
      cmd.add(Long.toString(m.size()));
    }
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      if (p.waitFor() != 0) {
        throw new ContainerException(field + ": " + tool + " failed: " + out);
      }
    } catch (IOException e) {
      throw new ContainerException(field + ": " + tool + " (from the uidmap package) is needed to"
          + " map ids other than your own: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerException(field + ": interrupted waiting for " + tool);
    }
  }
}
