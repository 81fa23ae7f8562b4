package dev.capsa.setup;

import dev.capsa.spec.CpuList;
import dev.capsa.spec.Linux;
import dev.capsa.spec.Spec;
import dev.capsa.spec.SpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The process attributes of config.md and config-linux.md that are one
 * syscall each: {@code process.scheduler} (sched_setattr), {@code ioPriority}
 * (ioprio_set), {@code linux.personality}, {@code linux.memoryPolicy}
 * (set_mempolicy) and the CPU lists of {@code execCPUAffinity}.
 */
final class ProcessAttributes {
  static final Map<String, Integer> POLICIES = Map.of(
      "SCHED_OTHER", 0, "SCHED_FIFO", 1, "SCHED_RR", 2, "SCHED_BATCH", 3, "SCHED_ISO", 4,
      "SCHED_IDLE", 5, "SCHED_DEADLINE", 6);
  static final Map<String, Long> SCHED_FLAGS = Map.of(
      "SCHED_FLAG_RESET_ON_FORK", 0x01L, "SCHED_FLAG_RECLAIM", 0x02L, "SCHED_FLAG_DL_OVERRUN", 0x04L,
      "SCHED_FLAG_KEEP_POLICY", 0x08L, "SCHED_FLAG_KEEP_PARAMS", 0x10L,
      "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20L, "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40L);
  static final Map<String, Integer> IO_CLASSES = Map.of(
      "IOPRIO_CLASS_RT", 1, "IOPRIO_CLASS_BE", 2, "IOPRIO_CLASS_IDLE", 3);
  static final Map<String, Long> PERSONALITIES = Map.of("LINUX", 0x0000L, "LINUX32", 0x0008L);
  static final Map<String, Long> MEMORY_MODES = Map.of(
      "MPOL_DEFAULT", 0L, "MPOL_PREFERRED", 1L, "MPOL_BIND", 2L, "MPOL_INTERLEAVE", 3L,
      "MPOL_LOCAL", 4L, "MPOL_PREFERRED_MANY", 5L, "MPOL_WEIGHTED_INTERLEAVE", 6L);
  static final Map<String, Long> MEMORY_FLAGS = Map.of(
      "MPOL_F_NUMA_BALANCING", 1L << 13, "MPOL_F_RELATIVE_NODES", 1L << 14,
      "MPOL_F_STATIC_NODES", 1L << 15);

  private ProcessAttributes() {}

  /** Adds the ops; before the credentials change, as SCHED_FIFO needs CAP_SYS_NICE. */
  static void compile(Spec.Process p, Linux l, Program program) {
    if (l != null && l.personality() != null) {
      Linux.Personality pe = l.personality();
      if (!pe.flags().isEmpty()) {
        throw new SpecException("linux.personality.flags: " + pe.flags()
            + ": no personality flag is defined by the spec");
      }
      if (pe.domain() == null) {
        throw new SpecException("linux.personality.domain: required (LINUX or LINUX32)");
      }
      program.add("linux.personality", new Op.Personality(PERSONALITIES.get(pe.domain())));
    }
    if (p.scheduler() != null) {
      Spec.Scheduler s = p.scheduler();
      long flags = 0;
      for (String f : s.flags()) {
        flags |= SCHED_FLAGS.get(f);
      }
      program.add("process.scheduler", new Op.Sched(POLICIES.get(s.policy()), flags, s.nice(),
          s.priority(), s.runtime(), s.deadline(), s.period()));
    }
    if (p.ioPriority() != null) {
      int prio = p.ioPriority().priority();
      if (prio < 0 || prio > 7) {
        throw new SpecException("process.ioPriority.priority: " + prio + " is not 0 to 7");
      }
      // IOPRIO_PRIO_VALUE(class, data): the class in the top 3 of 16 bits.
      program.add("process.ioPriority",
          new Op.IoPrio(IO_CLASSES.get(p.ioPriority().ioClass()) << 13 | prio));
    }
    if (l != null && l.memoryPolicy() != null) {
      Linux.MemoryPolicy mp = l.memoryPolicy();
      if (mp.mode() == null) {
        throw new SpecException("linux.memoryPolicy.mode: required");
      }
      long mode = MEMORY_MODES.get(mp.mode());
      for (String f : mp.flags()) {
        mode |= MEMORY_FLAGS.get(f);
      }
      List<Long> nodes = mp.nodes() == null || mp.nodes().isEmpty()
          ? List.of()
          : cpuMask(mp.nodes(), "linux.memoryPolicy.nodes");
      program.add("linux.memoryPolicy", new Op.MemPolicy(mode, nodes));
    }
  }

  /**
   * A list such as {@code 0-3,7} as a mask, 64 a word (the format of
   * {@code execCPUAffinity} and {@code memoryPolicy.nodes}).
   */
  static List<Long> cpuMask(String list, String field) {
    List<Long> out = new ArrayList<>();
    for (long word : CpuList.parse(list, field, 1023).toLongArray()) {
      out.add(word);
    }
    return out;
  }
}
