package dev.capsa.setup;

import dev.capsa.linux.Namespaces;
import dev.capsa.spec.Hooks;
import java.util.List;
import java.util.Set;

/**
 * Programs that run something in an existing container's namespaces: the
 * stage joins them by setns on {@code /proc/PID/ns/*} (its own user namespace
 * first, which owns the others; mount last, as it changes how the rest of the
 * paths resolve), forks into the pid namespace, and executes. Used for the
 * hooks that run in the container namespace.
 */
public final class JoinCompiler {
  /** The order in which namespaces are joined. */
  public static final List<String> ORDER =
      List.of("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount");

  private JoinCompiler() {}

  /**
   * A hook: {@code types} are the namespaces of process {@code pid} to join
   * (none for a hook of the runtime namespace). The stage waits for the hook
   * and reports its exit status.
   */
  public static Program hook(String field, int pid, Set<String> types, Hooks.Hook hook) {
    Program p = new Program();
    join(p, field, pid, types);
    p.add(field, new Op.Fork(true));
    p.add(field, new Op.FindExec(hook.path(), ""));
    p.add(field, new Op.Exec(hook.argv(), hook.environment()));
    return p;
  }

  /**
   * Joins the namespaces of process {@code pid}: every file is opened first,
   * since after the mount namespace (or the user namespace, whose root cannot
   * open the host's /proc/PID) the paths are out of reach; then each is
   * entered, the user namespace first as it owns the others. In a user
   * namespace the process becomes its root, as runc's hooks and exec run.
   */
  static void join(Program p, String field, int pid, Set<String> types) {
    int slot = 0;
    for (String type : ORDER) {
      if (types.contains(type)) {
        p.add(field, new Op.OpenNs(path(pid, type), slot++));
      }
    }
    slot = 0;
    for (String type : ORDER) {
      if (types.contains(type)) {
        p.add(field, new Op.Setns(path(pid, type), Namespaces.FLAGS.get(type), slot++));
      }
    }
    if (types.contains("user")) {
      p.add(field, new Op.SetResGid(0));
      p.add(field, new Op.SetResUid(0));
    }
  }

  private static String path(int pid, String type) {
    return "/proc/" + pid + "/ns/" + Namespaces.PROC_NAMES.get(type);
  }
}
