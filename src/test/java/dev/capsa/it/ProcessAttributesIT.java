package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The process attributes that are one syscall each: {@code process.scheduler},
 * {@code process.ioPriority}, {@code process.execCPUAffinity}, {@code linux.personality} and
 * {@code linux.memoryPolicy}, as /proc and busybox show them inside.
 */
class ProcessAttributesIT {
  @RegisterExtension final Harness h = new Harness();

  /** The fields of /proc/PID/stat after the command name, numbered as in proc(5). */
  private static String statField(String stat, int field) {
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return rest[field - 3];
  }

  private static Map<String, Object> object(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void schedBatchWithNice() {
    h.process().put("scheduler", object("policy", "SCHED_BATCH", "nice", 5));
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==stat==; cat /proc/self/stat; echo ==sched==; grep ^policy /proc/self/sched"));
    assertEquals("5", statField(out.get("stat"), 19), () -> "nice: " + out);
    assertEquals("3", statField(out.get("stat"), 41), () -> "policy SCHED_BATCH: " + out);
    assertTrue(out.get("sched").matches("policy\\s*:\\s*3"), out::toString);
  }

  @Test
  void schedFifoWithPriorityEvenWithoutCapSysNice() {
    // The container's capabilities (capsa spec's) have no CAP_SYS_NICE: the policy is set
    // while capsa still holds it.
    h.process().put("scheduler", object("policy", "SCHED_FIFO", "priority", 10));
    if (java.nio.file.Files.exists(java.nio.file.Path.of("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"))) {
      // With RT group scheduling (v1 cpu controller) a new cgroup has no
      // realtime budget: sched_setattr(SCHED_FIFO) fails with EPERM (runc too).
      h.linux().put("resources", object("cpu", object("realtimeRuntime", 10000)));
    }
    String stat = h.runOk("cat /proc/self/stat");
    assertEquals("1", statField(stat, 41), () -> "policy SCHED_FIFO: " + stat);
    assertEquals("10", statField(stat, 40), () -> "rt_priority: " + stat);
  }

  @Test
  void ioPriority() {
    h.process().put("ioPriority", object("class", "IOPRIO_CLASS_BE", "priority", 6));
    assertEquals("best-effort: prio 6", h.runOk("ionice -p $$").strip());
  }

  @Test
  void ioPriorityIdle() {
    h.process().put("ioPriority", object("class", "IOPRIO_CLASS_IDLE", "priority", 0));
    assertEquals("idle", h.runOk("ionice -p $$").strip());
  }

  @Test
  void ioPriorityOutOfRangeIsRefused() {
    h.process().put("ioPriority", object("class", "IOPRIO_CLASS_BE", "priority", 8));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("process.ioPriority"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void execCpuAffinityIsNotForTheInitProcess() {
    // config.md: "This setting is not applicable to the container's init process."
    String host = Inside.keyValues(h.runOk("cat /proc/self/status")).get("Cpus_allowed_list");
    h.process().put("execCPUAffinity", object("final", "0"));
    Map<String, String> status = Inside.keyValues(h.runOk("cat /proc/self/status"));
    assertEquals(host, status.get("Cpus_allowed_list"), status::toString);
    assertTrue(Runtime.getRuntime().availableProcessors() < 2 || !host.equals("0"),
        "the test needs more than cpu 0 to tell: " + host);
  }

  @Test
  void personalityLinux32() {
    h.linux().put("personality", object("domain", "LINUX32"));
    List<String> out = h.runOk("uname -m; cat /proc/self/personality").lines().toList();
    assertEquals("i686", out.get(0), out::toString);
    assertEquals("00000008", out.get(1), out::toString);
  }

  @Test
  void memoryPolicyBind() {
    h.linux().put("memoryPolicy", object("mode", "MPOL_BIND", "nodes", "0"));
    List<String> maps = h.runOk("cat /proc/self/numa_maps").lines().toList();
    assertFalse(maps.isEmpty());
    // Every mapping of the process follows its policy unless it has its own.
    assertTrue(maps.stream().allMatch(l -> l.split(" ")[1].equals("bind:0")), maps::toString);
  }

  @Test
  void withoutAMemoryPolicyTheDefault() {
    List<String> maps = h.runOk("cat /proc/self/numa_maps").lines().toList();
    assertTrue(maps.stream().allMatch(l -> l.split(" ")[1].equals("default")), maps::toString);
  }
}
