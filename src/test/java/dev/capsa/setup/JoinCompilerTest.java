package dev.capsa.setup;

import static dev.capsa.linux.Namespaces.CLONE_NEWCGROUP;
import static dev.capsa.linux.Namespaces.CLONE_NEWIPC;
import static dev.capsa.linux.Namespaces.CLONE_NEWNET;
import static dev.capsa.linux.Namespaces.CLONE_NEWNS;
import static dev.capsa.linux.Namespaces.CLONE_NEWPID;
import static dev.capsa.linux.Namespaces.CLONE_NEWTIME;
import static dev.capsa.linux.Namespaces.CLONE_NEWUSER;
import static dev.capsa.linux.Namespaces.CLONE_NEWUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.spec.Hooks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The programs that run a hook, in the runtime's namespaces or in a container's. */
class JoinCompilerTest {
  private static final Hooks.Hook HOOK = new Hooks.Hook("/usr/bin/hook", List.of("hook", "-v"),
      List.of("A=1", "PATH=/bin"), 5);

  @Test
  void hookOfTheRuntimeNamespaceForksWaitsAndExecs() {
    Program p = JoinCompiler.hook("hooks.prestart[0]", 0, Set.of(), HOOK);
    assertEquals(List.of(
        new Op.Fork(true),
        new Op.FindExec("/usr/bin/hook", ""),
        new Op.Exec(List.of("hook", "-v"), List.of("A=1", "PATH=/bin"))), p.ops());
    for (int i = 0; i < p.size(); i++) {
      assertEquals("hooks.prestart[0]", p.field(i));
    }
  }

  @Test
  void hookJoinsEveryNamespaceUserFirstAndMountLast() {
    Program p = JoinCompiler.hook("hooks.createContainer[1]", 4242,
        Set.of("mount", "time", "cgroup", "pid", "network", "uts", "ipc", "user"), HOOK);
    assertEquals(List.of(
        // Every file first: after the mount (or user) namespace /proc/4242 is out of reach.
        new Op.OpenNs("/proc/4242/ns/user", 0),
        new Op.OpenNs("/proc/4242/ns/ipc", 1),
        new Op.OpenNs("/proc/4242/ns/uts", 2),
        new Op.OpenNs("/proc/4242/ns/net", 3),
        new Op.OpenNs("/proc/4242/ns/pid", 4),
        new Op.OpenNs("/proc/4242/ns/cgroup", 5),
        new Op.OpenNs("/proc/4242/ns/time", 6),
        new Op.OpenNs("/proc/4242/ns/mnt", 7),
        // Then each through its slot, the user namespace first as it owns the others.
        new Op.Setns("/proc/4242/ns/user", CLONE_NEWUSER, 0),
        new Op.Setns("/proc/4242/ns/ipc", CLONE_NEWIPC, 1),
        new Op.Setns("/proc/4242/ns/uts", CLONE_NEWUTS, 2),
        new Op.Setns("/proc/4242/ns/net", CLONE_NEWNET, 3),
        new Op.Setns("/proc/4242/ns/pid", CLONE_NEWPID, 4),
        new Op.Setns("/proc/4242/ns/cgroup", CLONE_NEWCGROUP, 5),
        new Op.Setns("/proc/4242/ns/time", CLONE_NEWTIME, 6),
        new Op.Setns("/proc/4242/ns/mnt", CLONE_NEWNS, 7),
        // Root of the container's user namespace, as runc's hooks run.
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        // After setns into the pid namespace only a child is in it.
        new Op.Fork(true),
        new Op.FindExec("/usr/bin/hook", ""),
        new Op.Exec(List.of("hook", "-v"), List.of("A=1", "PATH=/bin"))), p.ops());
    for (int i = 0; i < p.size(); i++) {
      assertEquals("hooks.createContainer[1]", p.field(i));
    }
  }

  @Test
  void onlyTheNamespacesAskedForAreJoined() {
    Program p = JoinCompiler.hook("hooks.startContainer[0]", 7, Set.of("mount", "pid"), HOOK);
    assertEquals(List.of(
        new Op.OpenNs("/proc/7/ns/pid", 0),
        new Op.OpenNs("/proc/7/ns/mnt", 1),
        new Op.Setns("/proc/7/ns/pid", CLONE_NEWPID, 0),
        new Op.Setns("/proc/7/ns/mnt", CLONE_NEWNS, 1),
        new Op.Fork(true)), p.ops().subList(0, 5));
  }

  @Test
  void withoutAUserNamespaceTheHookKeepsItsIds() {
    Program p = JoinCompiler.hook("hooks.prestart[0]", 7,
        Set.of("ipc", "uts", "network", "pid", "cgroup", "mount"), HOOK);
    assertEquals(List.of(), p.ops().stream()
        .filter(o -> o instanceof Op.SetResGid || o instanceof Op.SetResUid).toList());
  }

  @Test
  void slotsAreNumberedInJoinOrderWhateverTheSetsOrder() {
    Program p = JoinCompiler.hook("hooks.createContainer[0]", 9,
        new LinkedHashSet<>(List.of("mount", "network", "user")), HOOK);
    assertEquals(List.of(
        new Op.OpenNs("/proc/9/ns/user", 0),
        new Op.OpenNs("/proc/9/ns/net", 1),
        new Op.OpenNs("/proc/9/ns/mnt", 2),
        new Op.Setns("/proc/9/ns/user", CLONE_NEWUSER, 0),
        new Op.Setns("/proc/9/ns/net", CLONE_NEWNET, 1),
        new Op.Setns("/proc/9/ns/mnt", CLONE_NEWNS, 2),
        new Op.SetResGid(0),
        new Op.SetResUid(0)), p.ops().subList(0, 8));
  }

  @Test
  void eachNamespaceIsOpenedBeforeAnyIsJoinedAndJoinedThroughItsOwnSlot() {
    Program p = JoinCompiler.hook("hooks.createContainer[0]", 4242,
        Set.copyOf(JoinCompiler.ORDER), HOOK);
    List<Op> ops = p.ops();
    int lastOpen = -1;
    int firstSetns = ops.size();
    Map<Integer, String> opened = new HashMap<>();
    for (int i = 0; i < ops.size(); i++) {
      if (ops.get(i) instanceof Op.OpenNs o) {
        lastOpen = i;
        assertNull(opened.put(o.slot(), o.path()), "slot " + o.slot() + " opened twice");
      } else if (ops.get(i) instanceof Op.Setns s) {
        firstSetns = Math.min(firstSetns, i);
        assertEquals(opened.get(s.slot()), s.path(), "slot " + s.slot());
      }
    }
    assertTrue(lastOpen < firstSetns, p::toString);
    assertEquals(JoinCompiler.ORDER.size(), opened.size());
  }

  @Test
  void everySlotFitsTheStagesTable() throws IOException {
    // native/stage.c keeps the OP_OPEN_NS fds in NS_SLOTS slots; a slot beyond
    // them is an EPROTO failure of the stage.
    Matcher m = Pattern.compile("#define\\s+NS_SLOTS\\s+(\\d+)").matcher(Files.readString(
        Path.of(System.getProperty("user.dir"), "native", "stage.c")));
    assertTrue(m.find(), "no NS_SLOTS in native/stage.c");
    int slots = Integer.parseInt(m.group(1));
    Program p = JoinCompiler.hook("hooks.createContainer[0]", 1, Set.copyOf(JoinCompiler.ORDER),
        HOOK);
    for (Op op : p.ops()) {
      if (op instanceof Op.OpenNs o) {
        assertTrue(o.slot() >= 0 && o.slot() < slots, o::toString);
      }
    }
    assertTrue(JoinCompiler.ORDER.size() <= slots);
  }

  @Test
  void orderCoversEveryNamespaceType() {
    assertEquals(List.of("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"),
        JoinCompiler.ORDER);
    assertTrue(Features.NAMESPACES.containsAll(JoinCompiler.ORDER));
    assertEquals(Features.NAMESPACES.size(), JoinCompiler.ORDER.size());
  }

  @Test
  void hookWithoutArgsIsExecutedWithItsPathAsArgvZeroAndAnEmptyEnvironment() {
    Hooks.Hook bare = new Hooks.Hook("/bin/true", null, null, null);
    Program p = JoinCompiler.hook("hooks.poststop[0]", 0, Set.of(), bare);
    assertEquals(new Op.Exec(List.of("/bin/true"), List.of()), p.op(p.size() - 1));
    Hooks.Hook emptyArgs = new Hooks.Hook("/bin/true", List.of(), List.of(), null);
    Program q = JoinCompiler.hook("hooks.poststop[0]", 0, Set.of(), emptyArgs);
    assertEquals(new Op.Exec(List.of("/bin/true"), List.of()), q.op(q.size() - 1));
  }

  @Test
  void argvZeroMayDifferFromThePath() {
    Hooks.Hook busybox = new Hooks.Hook("/bin/busybox", List.of("true"), null, null);
    Program p = JoinCompiler.hook("hooks.prestart[0]", 0, Set.of(), busybox);
    assertEquals(List.of(new Op.FindExec("/bin/busybox", ""),
        new Op.Exec(List.of("true"), List.of())), p.ops().subList(1, 3));
  }

  @Test
  void hookInAUserNamespaceBecomesItsRoot() {
    // Its files opened before the user namespace is joined (the container
    // process is no longer dumpable, so its root could not open them), and
    // root of that namespace once every one is joined, so the hook keeps its
    // capabilities at execve as runc's hooks do.
    Program p = JoinCompiler.hook("hooks.createContainer[0]", 4242, Set.of("user", "mount"),
        HOOK);
    assertEquals(List.of(
        new Op.OpenNs("/proc/4242/ns/user", 0),
        new Op.OpenNs("/proc/4242/ns/mnt", 1),
        new Op.Setns("/proc/4242/ns/user", CLONE_NEWUSER, 0),
        new Op.Setns("/proc/4242/ns/mnt", CLONE_NEWNS, 1),
        new Op.SetResGid(0),
        new Op.SetResUid(0),
        new Op.Fork(true)), p.ops().subList(0, 7));
  }
}
