package dev.capsa.seccomp;

import dev.capsa.linux.Native;
import dev.capsa.linux.SyscallException;
import dev.capsa.log.Log;
import dev.capsa.spec.Seccomp;
import dev.capsa.spec.SpecException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compiles {@code linux.seccomp} (config-linux.md "Seccomp") into a BPF
 * program with libseccomp, in the runtime process; the native stage only
 * loads the bytes. Names of syscalls libseccomp does not know are skipped, as
 * runc and crun do (one that only another architecture of the filter has
 * stays, under libseccomp's pseudo number); an unknown action, operator, flag
 * or architecture is an error naming the field.
 */
public final class SeccompCompiler {
  /** The actions of config-linux.md and their SCMP_ACT_* values (seccomp.h). */
  public static final Map<String, Integer> ACTIONS = Map.of(
      "SCMP_ACT_KILL", 0x00000000,
      "SCMP_ACT_KILL_THREAD", 0x00000000,
      "SCMP_ACT_KILL_PROCESS", 0x80000000,
      "SCMP_ACT_TRAP", 0x00030000,
      "SCMP_ACT_ERRNO", 0x00050000,
      "SCMP_ACT_TRACE", 0x7ff00000,
      "SCMP_ACT_ALLOW", 0x7fff0000,
      "SCMP_ACT_LOG", 0x7ffc0000,
      "SCMP_ACT_NOTIFY", 0x7fc00000);

  /** The operators of config-linux.md and their enum scmp_compare values. */
  public static final Map<String, Integer> OPERATORS = Map.of(
      "SCMP_CMP_NE", 1, "SCMP_CMP_LT", 2, "SCMP_CMP_LE", 3, "SCMP_CMP_EQ", 4,
      "SCMP_CMP_GE", 5, "SCMP_CMP_GT", 6, "SCMP_CMP_MASKED_EQ", 7);

  /** The filter flags of config-linux.md and their SECCOMP_FILTER_FLAG_* bits. */
  public static final Map<String, Long> FLAGS = Map.of(
      "SECCOMP_FILTER_FLAG_TSYNC", 1L,
      "SECCOMP_FILTER_FLAG_LOG", 2L,
      "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4L,
      "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 32L);

  /** The architectures of config-linux.md (libseccomp names them without the prefix, lower case). */
  public static final List<String> ARCHITECTURES = List.of(
      "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
      "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
      "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
      "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
      "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
      "SCMP_ARCH_SH", "SCMP_ARCH_SHEB");

  /**
   * The architectures of {@link #ARCHITECTURES} that the installed libseccomp
   * resolves (features.md: only what the runtime recognizes); all of them
   * when libseccomp cannot be loaded, as the table is what capsa knows.
   */
  public static List<String> knownArchitectures() {
    java.util.ArrayList<String> out = new java.util.ArrayList<>();
    long ctx;
    try {
      ctx = Native.seccompInit(ACTIONS.get("SCMP_ACT_ALLOW"));
    } catch (SyscallException | UnsatisfiedLinkError e) {
      return ARCHITECTURES;
    }
    try {
      for (String a : ARCHITECTURES) {
        try {
          if (Native.seccompArchAdd(ctx, a.substring(10).toLowerCase(Locale.ROOT))) {
            out.add(a);
          }
        } catch (SyscallException e) {
          // Known to libseccomp, though not addable next to this architecture: still recognized.
          out.add(a);
        }
      }
    } finally {
      Native.seccompRelease(ctx);
    }
    return out;
  }

  /** SECCOMP_FILTER_FLAG_NEW_LISTENER: the kernel returns the notify fd. */
  public static final long FLAG_NEW_LISTENER = 8;

  private static final int EPERM = 1;

  /** What the native stage calls between loading the filter and execve (see stage.c). */
  private static final List<String> STAGE_SYSCALLS = List.of("sendmsg", "sendto", "close",
      "ppoll", "read", "rt_sigprocmask", "rt_sigaction", "execve", "exit", "exit_group");

  private final Seccomp seccomp;

  public SeccompCompiler(Seccomp seccomp) {
    this.seccomp = seccomp;
  }

  /** True when some action is SCMP_ACT_NOTIFY: the listener fd goes to listenerPath. */
  public boolean notifies() {
    if ("SCMP_ACT_NOTIFY".equals(seccomp.defaultAction())) {
      return true;
    }
    for (Seccomp.Syscall s : seccomp.syscalls()) {
      if ("SCMP_ACT_NOTIFY".equals(s.action())) {
        return true;
      }
    }
    return false;
  }

  /**
   * A compiled filter: the flags for seccomp(2) and the BPF program.
   *
   * @param bpf struct sock_filter[], as the kernel takes it
   */
  public record Filter(long flags, byte[] bpf) {}

  /** Compiles the profile. */
  public Filter compile() {
    long flags = 0;
    for (String f : seccomp.flags()) {
      Long bit = FLAGS.get(f);
      if (bit == null) {
        throw new SpecException("linux.seccomp.flags: unknown flag " + f);
      }
      flags |= bit;
    }
    boolean notify = notifies();
    if ("SCMP_ACT_NOTIFY".equals(seccomp.defaultAction())) {
      throw new SpecException("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY would stop the"
          + " runtime's own last syscalls, which send the listener to the agent (runc refuses it too)");
    }
    for (int i = 0; i < seccomp.syscalls().size(); i++) {
      Seccomp.Syscall s = seccomp.syscalls().get(i);
      if ("SCMP_ACT_NOTIFY".equals(s.action())) {
        for (String name : s.names()) {
          if (STAGE_SYSCALLS.contains(name)) {
            throw new SpecException("linux.seccomp.syscalls[" + i + "]: SCMP_ACT_NOTIFY on " + name
                + ", which capsa itself makes after loading the filter");
          }
        }
      }
    }
    if (notify) {
      if (seccomp.listenerPath() == null || seccomp.listenerPath().isEmpty()) {
        throw new SpecException("linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listener");
      }
      flags |= FLAG_NEW_LISTENER;
    } else if (seccomp.listenerMetadata() != null && seccomp.listenerPath() == null) {
      throw new SpecException("linux.seccomp.listenerMetadata: set without listenerPath");
    }
    return new Filter(flags, bpf());
  }

  /** The filter as struct sock_filter[] bytes. */
  public byte[] bpf() {
    int defaultAction = action("linux.seccomp.defaultAction", seccomp.defaultAction(),
        seccomp.defaultErrnoRet(), "linux.seccomp.defaultErrnoRet");
    long ctx;
    try {
      ctx = Native.seccompInit(defaultAction);
    } catch (SyscallException e) {
      throw new SpecException("linux.seccomp: " + e.getMessage());
    }
    try {
      for (int i = 0; i < seccomp.architectures().size(); i++) {
        String arch = seccomp.architectures().get(i);
        boolean known;
        try {
          known = ARCHITECTURES.contains(arch)
              && Native.seccompArchAdd(ctx, arch.substring(10).toLowerCase(Locale.ROOT));
        } catch (SyscallException e) {
          throw new SpecException("linux.seccomp.architectures[" + i + "]: " + arch
              + " cannot be filtered here: " + e.getMessage());
        }
        if (!known) {
          throw new SpecException("linux.seccomp.architectures[" + i + "]: " + arch
              + " is not an architecture libseccomp knows");
        }
      }
      for (int i = 0; i < seccomp.syscalls().size(); i++) {
        rule(ctx, "linux.seccomp.syscalls[" + i + "]", seccomp.syscalls().get(i), defaultAction);
      }
      return Native.seccompExport(ctx);
    } catch (SyscallException e) {
      throw new SpecException("linux.seccomp: " + e.getMessage());
    } finally {
      Native.seccompRelease(ctx);
    }
  }

  private void rule(long ctx, String field, Seccomp.Syscall s, int defaultAction) {
    int action = action(field + ".action", s.action(), s.errnoRet(), field + ".errnoRet");
    if (action == defaultAction) {
      // libseccomp refuses a rule that repeats the default action; it would change nothing.
      return;
    }
    int n = s.args().size();
    int[] index = new int[n];
    int[] op = new int[n];
    long[] value = new long[n];
    long[] valueTwo = new long[n];
    Set<Long> indexes = new HashSet<>();
    for (int k = 0; k < n; k++) {
      Seccomp.Arg a = s.args().get(k);
      Integer o = OPERATORS.get(a.op());
      if (o == null) {
        throw new SpecException(field + ".args[" + k + "].op: unknown operator " + a.op());
      }
      if (a.index() < 0 || a.index() > 5) {
        throw new SpecException(field + ".args[" + k + "].index: " + a.index()
            + " is not a syscall argument (0 to 5)");
      }
      index[k] = (int) a.index();
      op[k] = o;
      value[k] = a.value();
      valueTwo[k] = a.valueTwo();
      indexes.add(a.index());
    }
    for (String name : s.names()) {
      // A pseudo number (negative) still counts: libseccomp translates it for
      // the architectures of the filter that have the syscall (socketcall on
      // x86), as runc does; leaving it out there made conditional rules on
      // socket conflict in x86's socketcall tree (EEXIST).
      int nr = Native.seccompSyscall(name);
      if (nr == -1) {
        Log.debug(field + ": " + name + " is not a syscall libseccomp knows; skipped");
        continue;
      }
      try {
        if (indexes.size() == n) {
          // Conditions on different arguments all hold at once (AND): one rule.
          Native.seccompRule(ctx, action, nr, index, op, value, valueTwo);
        } else {
          // libseccomp takes one condition per argument in a rule; several on
          // the same argument are alternatives (OR), one rule each, as runc does.
          for (int k = 0; k < n; k++) {
            Native.seccompRule(ctx, action, nr, new int[] {index[k]}, new int[] {op[k]},
                new long[] {value[k]}, new long[] {valueTwo[k]});
          }
        }
      } catch (SyscallException e) {
        throw new SpecException(field + ": " + name + ": " + e.getMessage());
      }
    }
  }

  /** The SCMP_ACT_* value; an errno only with ERRNO and TRACE, as config-linux.md says. */
  static int action(String field, String name, Long errnoRet, String errnoField) {
    Integer a = ACTIONS.get(name);
    if (a == null) {
      throw new SpecException(field + ": unknown action " + name);
    }
    boolean takesErrno = name.equals("SCMP_ACT_ERRNO") || name.equals("SCMP_ACT_TRACE");
    if (errnoRet != null && !takesErrno) {
      throw new SpecException(errnoField + ": " + name + " takes no errno");
    }
    if (!takesErrno) {
      return a;
    }
    long ret = errnoRet != null ? errnoRet : EPERM;
    if (ret < 0 || ret > 0xffff) {
      throw new SpecException(errnoField + ": " + ret + " does not fit the 16 bits of SECCOMP_RET_DATA");
    }
    return a | (int) ret;
  }
}
