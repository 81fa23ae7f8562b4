package dev.capsa.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.spec.Seccomp;
import dev.capsa.spec.SpecException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * linux.seccomp through libseccomp. The filters are not only compared byte for
 * byte: a small classic-BPF interpreter runs struct seccomp_data through them,
 * as the kernel would, to check what each syscall gets.
 */
class SeccompCompilerTest {
  // The return values of seccomp(2).
  private static final int RET_KILL_PROCESS = 0x80000000;
  private static final int RET_KILL_THREAD = 0x00000000;
  private static final int RET_TRAP = 0x00030000;
  private static final int RET_ERRNO = 0x00050000;
  private static final int RET_USER_NOTIF = 0x7fc00000;
  private static final int RET_TRACE = 0x7ff00000;
  private static final int RET_LOG = 0x7ffc0000;
  private static final int RET_ALLOW = 0x7fff0000;

  private static final int EPERM = 1;
  private static final int ENOSYS = 38;

  // audit.h
  private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
  private static final int AUDIT_ARCH_I386 = 0x40000003;
  private static final int X32_SYSCALL_BIT = 0x40000000;

  // x86_64 syscall numbers.
  private static final int GETPID = 39;
  private static final int MKDIR = 83;
  private static final int PERSONALITY = 135;
  private static final int CLONE = 56;
  private static final int SOCKET = 41;
  // i386 syscall numbers.
  private static final int I386_GETPID = 20;
  private static final int I386_MKDIR = 39;
  private static final int I386_SOCKETCALL = 102;

  // ---------------------------------------------------------------- helpers

  private static Seccomp profile(String defaultAction, List<Seccomp.Syscall> syscalls) {
    return new Seccomp(defaultAction, null, List.of(), List.of(), null, null, syscalls);
  }

  private static Seccomp.Syscall rule(String action, String... names) {
    return new Seccomp.Syscall(List.of(names), action, null, List.of());
  }

  private static Seccomp.Syscall rule(String action, List<Seccomp.Arg> args, String... names) {
    return new Seccomp.Syscall(List.of(names), action, null, args);
  }

  private static Bpf filter(Seccomp s) {
    return new Bpf(new SeccompCompiler(s).compile().bpf());
  }

  private static SpecException refused(String field, Seccomp s) {
    SpecException e = assertThrows(SpecException.class, () -> new SeccompCompiler(s).compile());
    assertTrue(e.getMessage().startsWith(field),
        () -> "expected " + field + " in: " + e.getMessage());
    return e;
  }

  // ---------------------------------------------------------------- the interpreter itself

  @Test
  void interpreterRunsAHandWrittenFilter() {
    // ld [0]; jeq #39, 0, 1; ret ALLOW; ret ERRNO|1
    byte[] prog = new byte[32];
    Bpf.put(prog, 0, 0x20, 0, 0, 0);
    Bpf.put(prog, 1, 0x15, 0, 1, 39);
    Bpf.put(prog, 2, 0x06, 0, 0, RET_ALLOW);
    Bpf.put(prog, 3, 0x06, 0, 0, RET_ERRNO | 1);
    Bpf bpf = new Bpf(prog);
    assertEquals(RET_ALLOW, bpf.run(39));
    assertEquals(RET_ERRNO | 1, bpf.run(40));
  }

  // ---------------------------------------------------------------- actions

  @Test
  void errnoByDefaultIsEperm() {
    Bpf bpf = filter(profile("SCMP_ACT_ALLOW", List.of(rule("SCMP_ACT_ERRNO", "mkdir"))));
    assertEquals(RET_ERRNO | EPERM, bpf.run(MKDIR));
    assertEquals(RET_ALLOW, bpf.run(GETPID));
  }

  @Test
  void errnoRetIsTheErrno() {
    Bpf bpf = filter(profile("SCMP_ACT_ALLOW", List.of(
        new Seccomp.Syscall(List.of("mkdir"), "SCMP_ACT_ERRNO", 38L, List.of()))));
    assertEquals(RET_ERRNO | ENOSYS, bpf.run(MKDIR));
  }

  @Test
  void defaultErrnoRetIsTheDefaultActionsErrno() {
    Bpf bpf = filter(new Seccomp("SCMP_ACT_ERRNO", 38L, List.of(), List.of(), null, null,
        List.of(rule("SCMP_ACT_ALLOW", "getpid"))));
    assertEquals(RET_ALLOW, bpf.run(GETPID));
    assertEquals(RET_ERRNO | ENOSYS, bpf.run(MKDIR));
  }

  @Test
  void defaultErrnoWithoutErrnoRetIsEperm() {
    Bpf bpf = filter(profile("SCMP_ACT_ERRNO", List.of(rule("SCMP_ACT_ALLOW", "getpid"))));
    assertEquals(RET_ERRNO | EPERM, bpf.run(MKDIR));
  }

  @ParameterizedTest
  @CsvSource({
    "SCMP_ACT_KILL, 0x00000000",
    "SCMP_ACT_KILL_THREAD, 0x00000000",
    "SCMP_ACT_KILL_PROCESS, 0x80000000",
    "SCMP_ACT_TRAP, 0x00030000",
    "SCMP_ACT_LOG, 0x7ffc0000",
    "SCMP_ACT_ALLOW, 0x7fff0000",
  })
  void actionIsItsSeccompReturnValue(String action, String value) {
    int ret = Integer.parseUnsignedInt(value.substring(2), 16);
    String other = action.equals("SCMP_ACT_ALLOW") ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW";
    Bpf bpf = filter(profile(other, List.of(rule(action, "mkdir"))));
    assertEquals(ret, bpf.run(MKDIR), action);
    // And as the default action.
    Bpf asDefault = filter(profile(action, List.of(rule(other, "getpid"))));
    assertEquals(ret, asDefault.run(MKDIR), action);
  }

  @Test
  void traceCarriesItsErrnoRet() {
    Bpf bpf = filter(profile("SCMP_ACT_ALLOW", List.of(
        new Seccomp.Syscall(List.of("mkdir"), "SCMP_ACT_TRACE", 5L, List.of()))));
    assertEquals(RET_TRACE | 5, bpf.run(MKDIR));
  }

  @Test
  void traceWithoutErrnoRetIsEperm() {
    Bpf bpf = filter(profile("SCMP_ACT_ALLOW", List.of(rule("SCMP_ACT_TRACE", "mkdir"))));
    assertEquals(RET_TRACE | EPERM, bpf.run(MKDIR));
    // As the default action, without defaultErrnoRet, too.
    Bpf asDefault = filter(profile("SCMP_ACT_TRACE", List.of(rule("SCMP_ACT_ALLOW", "getpid"))));
    assertEquals(RET_TRACE | EPERM, asDefault.run(MKDIR));
    assertEquals(RET_ALLOW, asDefault.run(GETPID));
  }

  @Test
  void actionValuesAreThoseOfSeccompH() {
    assertEquals(RET_KILL_THREAD, SeccompCompiler.action("f", "SCMP_ACT_KILL", null, "e"));
    assertEquals(RET_KILL_PROCESS, SeccompCompiler.action("f", "SCMP_ACT_KILL_PROCESS", null, "e"));
    assertEquals(RET_TRAP, SeccompCompiler.action("f", "SCMP_ACT_TRAP", null, "e"));
    assertEquals(RET_ERRNO | EPERM, SeccompCompiler.action("f", "SCMP_ACT_ERRNO", null, "e"));
    assertEquals(RET_ERRNO | 13, SeccompCompiler.action("f", "SCMP_ACT_ERRNO", 13L, "e"));
    assertEquals(RET_TRACE | 7, SeccompCompiler.action("f", "SCMP_ACT_TRACE", 7L, "e"));
    assertEquals(RET_TRACE | EPERM, SeccompCompiler.action("f", "SCMP_ACT_TRACE", null, "e"));
    assertEquals(RET_ALLOW, SeccompCompiler.action("f", "SCMP_ACT_ALLOW", null, "e"));
    assertEquals(RET_LOG, SeccompCompiler.action("f", "SCMP_ACT_LOG", null, "e"));
    assertEquals(RET_USER_NOTIF, SeccompCompiler.action("f", "SCMP_ACT_NOTIFY", null, "e"));
    assertEquals(RET_ERRNO | 0xffff, SeccompCompiler.action("f", "SCMP_ACT_ERRNO", 0xffffL, "e"));
  }

  @ParameterizedTest
  @CsvSource({"SCMP_ACT_ALLOW", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
      "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"})
  void errnoRetOnAnActionThatTakesNoneIsRefused(String action) {
    SpecException e = refused("linux.seccomp.syscalls[1].errnoRet", new Seccomp("SCMP_ACT_ERRNO",
        null, List.of(), List.of(), "/run/agent.sock", null, List.of(
            rule("SCMP_ACT_ALLOW", "getpid"),
            new Seccomp.Syscall(List.of("mkdir"), action, 1L, List.of()))));
    assertTrue(e.getMessage().contains(action), e.getMessage());
  }

  @Test
  void defaultErrnoRetOnADefaultActionThatTakesNoneIsRefused() {
    refused("linux.seccomp.defaultErrnoRet", new Seccomp("SCMP_ACT_ALLOW", 1L, List.of(),
        List.of(), null, null, List.of()));
  }

  @Test
  void errnoRetBeyondSixteenBitsIsRefused() {
    refused("linux.seccomp.syscalls[0].errnoRet", profile("SCMP_ACT_ALLOW",
        List.of(new Seccomp.Syscall(List.of("mkdir"), "SCMP_ACT_ERRNO", 0x10000L, List.of()))));
  }

  @Test
  void unknownActionIsRefused() {
    refused("linux.seccomp.syscalls[0].action", profile("SCMP_ACT_ALLOW",
        List.of(rule("SCMP_ACT_MAYBE", "mkdir"))));
    refused("linux.seccomp.defaultAction", profile("SCMP_ACT_MAYBE", List.of()));
  }

  @Test
  void ruleWithTheDefaultActionIsLeftOut() {
    // libseccomp refuses such a rule (EACCES); it would change nothing anyway.
    Bpf bpf = filter(profile("SCMP_ACT_ALLOW", List.of(rule("SCMP_ACT_ALLOW", "mkdir"),
        rule("SCMP_ACT_ERRNO", "getpid"))));
    assertEquals(RET_ALLOW, bpf.run(MKDIR));
    assertEquals(RET_ERRNO | EPERM, bpf.run(GETPID));
  }

  // ---------------------------------------------------------------- names and architectures

  @Test
  void unknownSyscallNamesAreSkipped() {
    Bpf bpf = filter(profile("SCMP_ACT_ALLOW",
        List.of(rule("SCMP_ACT_ERRNO", "no_such_syscall", "mkdir", "arm_fadvise64_64"))));
    assertEquals(RET_ERRNO | EPERM, bpf.run(MKDIR));
    assertEquals(RET_ALLOW, bpf.run(GETPID));
  }

  @Test
  void syscallsOfOtherArchitecturesOnlyCountWhereTheFilterHasThem() {
    // podman's default profile without CAP_SYS_ADMIN (cap-drop ALL): socketcall
    // (i386 only) allowed, then socket(AF_NETLINK, *, NETLINK_AUDIT) refused
    // and the rest allowed by rules that libseccomp could not combine on
    // i386's socketcall had socketcall been left out (EEXIST).
    Bpf bpf = filter(new Seccomp("SCMP_ACT_ERRNO", 38L,
        List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), List.of(), null, null,
        List.of(rule("SCMP_ACT_ALLOW", "getpid", "socketcall"),
            new Seccomp.Syscall(List.of("socket"), "SCMP_ACT_ERRNO", 22L, List.of(
                new Seccomp.Arg(0, 16, 0, "SCMP_CMP_EQ"), new Seccomp.Arg(2, 9, 0, "SCMP_CMP_EQ"))),
            rule("SCMP_ACT_ALLOW", List.of(new Seccomp.Arg(2, 9, 0, "SCMP_CMP_NE")), "socket"),
            rule("SCMP_ACT_ALLOW", List.of(new Seccomp.Arg(0, 16, 0, "SCMP_CMP_NE")), "socket"),
            rule("SCMP_ACT_ALLOW", List.of(new Seccomp.Arg(2, 9, 0, "SCMP_CMP_NE")), "socket"))));
    assertEquals(RET_ERRNO | 22, bpf.run(SOCKET, AUDIT_ARCH_X86_64, 16, 3, 9));
    assertEquals(RET_ALLOW, bpf.run(SOCKET, AUDIT_ARCH_X86_64, 2, 1, 0));
    assertEquals(RET_ALLOW, bpf.run(SOCKET, AUDIT_ARCH_X86_64, 16, 3, 0));
    assertEquals(RET_ALLOW, bpf.run(I386_SOCKETCALL, AUDIT_ARCH_I386, 1));
    assertEquals(RET_ERRNO | ENOSYS, bpf.run(MKDIR));
  }

  @Test
  void unknownArchitectureIsRefusedNamingItsEntry() {
    SpecException e = refused("linux.seccomp.architectures[1]", new Seccomp("SCMP_ACT_ALLOW",
        null, List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"), List.of(), null, null, List.of()));
    assertTrue(e.getMessage().contains("SCMP_ARCH_VAX"), e.getMessage());
  }

  @Test
  void architectureOfTheOtherByteOrderIsRefusedNamingItsEntry() {
    refused("linux.seccomp.architectures[1]", new Seccomp("SCMP_ACT_ALLOW", null,
        List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"), List.of(), null, null, List.of()));
  }

  @Test
  void otherArchitecturesAreKilledUnlessListed() {
    Seccomp.Syscall errnoMkdir = rule("SCMP_ACT_ERRNO", "mkdir");
    Bpf nativeOnly = filter(profile("SCMP_ACT_ALLOW", List.of(errnoMkdir)));
    assertEquals(RET_KILL_THREAD, nativeOnly.run(I386_GETPID, AUDIT_ARCH_I386));
    assertEquals(RET_KILL_THREAD, nativeOnly.run(MKDIR | X32_SYSCALL_BIT));

    Bpf withX86 = filter(new Seccomp("SCMP_ACT_ALLOW", null,
        List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), List.of(), null, null,
        List.of(errnoMkdir)));
    // mkdir has another number on i386 (39, getpid's on x86_64): the rule follows the name.
    assertEquals(RET_ERRNO | EPERM, withX86.run(I386_MKDIR, AUDIT_ARCH_I386));
    assertEquals(RET_ALLOW, withX86.run(I386_GETPID, AUDIT_ARCH_I386));
    assertEquals(RET_ALLOW, withX86.run(GETPID));
    assertEquals(RET_ERRNO | EPERM, withX86.run(MKDIR));
    assertEquals(RET_ERRNO | EPERM, withX86.run(MKDIR | X32_SYSCALL_BIT));
    assertEquals(RET_ALLOW, withX86.run(GETPID | X32_SYSCALL_BIT));
  }

  // ---------------------------------------------------------------- argument conditions

  /** personality(arg0) allowed when {@code arg0 op value}, else EPERM. */
  private static Bpf personalityAllowedIf(String op, long value, long valueTwo) {
    return filter(profile("SCMP_ACT_ERRNO", List.of(rule("SCMP_ACT_ALLOW", "getpid"),
        rule("SCMP_ACT_ALLOW", List.of(new Seccomp.Arg(0, value, valueTwo, op)), "personality"))));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // op, allowed for arg0 = 9, 10, 11, 2^32 (the high word counts), 2^64-1
    "SCMP_CMP_NE, true, false, true, true, true",
    "SCMP_CMP_LT, true, false, false, false, false",
    "SCMP_CMP_LE, true, true, false, false, false",
    "SCMP_CMP_EQ, false, true, false, false, false",
    "SCMP_CMP_GE, false, true, true, true, true",
    "SCMP_CMP_GT, false, false, true, true, true",
  })
  void operatorComparesAll64Bits(String op, boolean nine, boolean ten, boolean eleven,
      boolean big, boolean max) {
    Bpf bpf = personalityAllowedIf(op, 10, 0);
    boolean[] want = {nine, ten, eleven, big, max};
    long[] args = {9, 10, 11, 1L << 32, -1L};
    for (int k = 0; k < args.length; k++) {
      int expected = want[k] ? RET_ALLOW : RET_ERRNO | EPERM;
      assertEquals(expected, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, args[k]),
          op + " with arg0 = " + Long.toUnsignedString(args[k]));
    }
    assertEquals(RET_ALLOW, bpf.run(GETPID));
  }

  @Test
  void equalityWithTheAllOnesPersonality() {
    // personality(0xffffffff) queries the persona; Docker's profile allows it so.
    Bpf bpf = personalityAllowedIf("SCMP_CMP_EQ", 0xffffffffL, 0);
    assertEquals(RET_ALLOW, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, 0xffffffffL));
    assertEquals(RET_ERRNO | EPERM, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, 0));
    assertEquals(RET_ERRNO | EPERM, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, -1L));
  }

  @Test
  void maskedEqualityMasksWithValueAndComparesWithValueTwo() {
    // Docker's clone rule: allowed when no namespace flag (0x7e020000) is set.
    Bpf bpf = filter(profile("SCMP_ACT_ERRNO", List.of(rule("SCMP_ACT_ALLOW",
        List.of(new Seccomp.Arg(0, 0x7e020000L, 0, "SCMP_CMP_MASKED_EQ")), "clone"))));
    assertEquals(RET_ALLOW, bpf.run(CLONE, AUDIT_ARCH_X86_64, 0x11));
    assertEquals(RET_ALLOW, bpf.run(CLONE, AUDIT_ARCH_X86_64, 0x01200011L));
    assertEquals(RET_ERRNO | EPERM, bpf.run(CLONE, AUDIT_ARCH_X86_64, 0x10000011L));
    assertEquals(RET_ERRNO | EPERM, bpf.run(CLONE, AUDIT_ARCH_X86_64, 0x00020000L));

    Bpf two = personalityAllowedIf("SCMP_CMP_MASKED_EQ", 0xff, 0x08);
    assertEquals(RET_ALLOW, two.run(PERSONALITY, AUDIT_ARCH_X86_64, 0x0108));
    assertEquals(RET_ERRNO | EPERM, two.run(PERSONALITY, AUDIT_ARCH_X86_64, 0x0109));
  }

  @Test
  void conditionsOnTheSameArgumentAreAlternatives() {
    // As runc: each condition its own rule, so that either allows.
    Bpf bpf = filter(profile("SCMP_ACT_ERRNO", List.of(rule("SCMP_ACT_ALLOW", List.of(
        new Seccomp.Arg(0, 0, 0, "SCMP_CMP_EQ"),
        new Seccomp.Arg(0, 8, 0, "SCMP_CMP_EQ")), "personality"))));
    assertEquals(RET_ALLOW, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, 0));
    assertEquals(RET_ALLOW, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, 8));
    assertEquals(RET_ERRNO | EPERM, bpf.run(PERSONALITY, AUDIT_ARCH_X86_64, 4));
  }

  @Test
  void conditionsOnDifferentArgumentsMustAllHold() {
    // socket(AF_UNIX=1, SOCK_STREAM=1, ...) only.
    Bpf bpf = filter(profile("SCMP_ACT_ERRNO", List.of(rule("SCMP_ACT_ALLOW", List.of(
        new Seccomp.Arg(0, 1, 0, "SCMP_CMP_EQ"),
        new Seccomp.Arg(1, 1, 0, "SCMP_CMP_EQ")), "socket"))));
    assertEquals(RET_ALLOW, bpf.run(SOCKET, AUDIT_ARCH_X86_64, 1, 1));
    assertEquals(RET_ERRNO | EPERM, bpf.run(SOCKET, AUDIT_ARCH_X86_64, 1, 2));
    assertEquals(RET_ERRNO | EPERM, bpf.run(SOCKET, AUDIT_ARCH_X86_64, 2, 1));
  }

  @Test
  void unknownOperatorIsRefused() {
    refused("linux.seccomp.syscalls[0].args[0].op", profile("SCMP_ACT_ALLOW", List.of(rule(
        "SCMP_ACT_ERRNO", List.of(new Seccomp.Arg(0, 1, 0, "SCMP_CMP_NEAR")), "personality"))));
  }

  @Test
  void argumentIndexBeyondFiveIsRefused() {
    refused("linux.seccomp.syscalls[0].args[0].index", profile("SCMP_ACT_ALLOW", List.of(rule(
        "SCMP_ACT_ERRNO", List.of(new Seccomp.Arg(6, 1, 0, "SCMP_CMP_EQ")), "personality"))));
  }

  // ---------------------------------------------------------------- flags and notify

  @Test
  void flagsAreTheirBits() {
    SeccompCompiler.Filter f = new SeccompCompiler(new Seccomp("SCMP_ACT_ALLOW", null,
        List.of(), List.of("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            "SECCOMP_FILTER_FLAG_TSYNC"), null, null, List.of())).compile();
    assertEquals(1 | 2 | 4, f.flags());
    assertEquals(0, new SeccompCompiler(profile("SCMP_ACT_ALLOW", List.of())).compile().flags());
  }

  @Test
  void unknownFlagIsRefused() {
    refused("linux.seccomp.flags", new Seccomp("SCMP_ACT_ALLOW", null, List.of(),
        List.of("SECCOMP_FILTER_FLAG_FAST"), null, null, List.of()));
  }

  @Test
  void notifyAsksForAListener() {
    Seccomp s = new Seccomp("SCMP_ACT_ALLOW", null, List.of(), List.of(), "/run/agent.sock",
        "meta", List.of(rule("SCMP_ACT_NOTIFY", "mkdir")));
    SeccompCompiler c = new SeccompCompiler(s);
    assertTrue(c.notifies());
    SeccompCompiler.Filter f = c.compile();
    assertEquals(SeccompCompiler.FLAG_NEW_LISTENER, f.flags());
    Bpf bpf = new Bpf(f.bpf());
    assertEquals(RET_USER_NOTIF, bpf.run(MKDIR));
    assertEquals(RET_ALLOW, bpf.run(GETPID));
  }

  @Test
  void notifyNeedsAListenerPath() {
    refused("linux.seccomp.listenerPath", profile("SCMP_ACT_ALLOW",
        List.of(rule("SCMP_ACT_NOTIFY", "mkdir"))));
    refused("linux.seccomp.listenerPath", new Seccomp("SCMP_ACT_ALLOW", null, List.of(),
        List.of(), "", null, List.of(rule("SCMP_ACT_NOTIFY", "mkdir"))));
  }

  @Test
  void withoutNotifyTheListenerPathIsIgnored() {
    SeccompCompiler c = new SeccompCompiler(new Seccomp("SCMP_ACT_ALLOW", null, List.of(),
        List.of(), "/run/agent.sock", "meta", List.of(rule("SCMP_ACT_ERRNO", "mkdir"))));
    assertFalse(c.notifies());
    assertEquals(0, c.compile().flags());
  }

  @Test
  void listenerMetadataWithoutListenerPathIsRefused() {
    refused("linux.seccomp.listenerMetadata", new Seccomp("SCMP_ACT_ALLOW", null, List.of(),
        List.of(), null, "meta", List.of(rule("SCMP_ACT_ERRNO", "mkdir"))));
  }

  @Test
  void notifyAsTheDefaultActionIsRefused() {
    refused("linux.seccomp.defaultAction", new Seccomp("SCMP_ACT_NOTIFY", null, List.of(),
        List.of(), "/run/agent.sock", null, List.of(rule("SCMP_ACT_ALLOW", "getpid"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sendmsg", "sendto", "close", "ppoll", "read", "rt_sigprocmask",
      "rt_sigaction", "execve", "exit", "exit_group"})
  void notifyOnASyscallOfTheStageIsRefusedNamingTheRule(String name) {
    // The stage makes these after loading the filter (sending the listener fd,
    // waiting at the gate, execve): with NOTIFY on them it would wait for an
    // agent that has no fd yet.
    SpecException e = refused("linux.seccomp.syscalls[1]", new Seccomp("SCMP_ACT_ALLOW", null,
        List.of(), List.of(), "/run/agent.sock", null, List.of(
            rule("SCMP_ACT_NOTIFY", "mkdir"), rule("SCMP_ACT_NOTIFY", "getpid", name))));
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }

  @Test
  void stageSyscallsWithAnotherActionThanNotifyAreTaken() {
    Bpf bpf = filter(new Seccomp("SCMP_ACT_ALLOW", null, List.of(), List.of(),
        "/run/agent.sock", null, List.of(rule("SCMP_ACT_NOTIFY", "mkdir"),
            rule("SCMP_ACT_LOG", "close", "read", "sendmsg"))));
    assertEquals(RET_USER_NOTIF, bpf.run(MKDIR));
    assertEquals(RET_ALLOW, bpf.run(GETPID));
  }

  // ---------------------------------------------------------------- a tiny classic BPF VM

  /**
   * Runs a classic BPF program (struct sock_filter[], little-endian) over a
   * struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]} as the kernel
   * does, and returns what the filter returns. Only the instructions a seccomp
   * filter may use are known; any other is an error.
   */
  static final class Bpf {
    private static final int BPF_LD = 0x00;
    private static final int BPF_LDX = 0x01;
    private static final int BPF_ST = 0x02;
    private static final int BPF_STX = 0x03;
    private static final int BPF_ALU = 0x04;
    private static final int BPF_JMP = 0x05;
    private static final int BPF_RET = 0x06;
    private static final int BPF_MISC = 0x07;

    private final int[] code;
    private final int[] jt;
    private final int[] jf;
    private final int[] k;

    Bpf(byte[] prog) {
      assertEquals(0, prog.length % 8, "not a whole number of sock_filter");
      int n = prog.length / 8;
      assertTrue(n > 0 && n <= 4096, "BPF_MAXINSNS");
      code = new int[n];
      jt = new int[n];
      jf = new int[n];
      k = new int[n];
      for (int i = 0; i < n; i++) {
        int o = i * 8;
        code[i] = (prog[o] & 0xff) | (prog[o + 1] & 0xff) << 8;
        jt[i] = prog[o + 2] & 0xff;
        jf[i] = prog[o + 3] & 0xff;
        k[i] = (prog[o + 4] & 0xff) | (prog[o + 5] & 0xff) << 8 | (prog[o + 6] & 0xff) << 16
            | (prog[o + 7] & 0xff) << 24;
      }
    }

    static void put(byte[] prog, int index, int code, int jt, int jf, int k) {
      int o = index * 8;
      prog[o] = (byte) code;
      prog[o + 1] = (byte) (code >> 8);
      prog[o + 2] = (byte) jt;
      prog[o + 3] = (byte) jf;
      for (int b = 0; b < 4; b++) {
        prog[o + 4 + b] = (byte) (k >> (8 * b));
      }
    }

    /** A native (x86_64) syscall without arguments. */
    int run(int nr) {
      return run(nr, AUDIT_ARCH_X86_64);
    }

    int run(int nr, int arch, long... args) {
      // struct seccomp_data as 32-bit words, as BPF_LD|BPF_W|BPF_ABS reads it.
      int[] data = new int[16];
      data[0] = nr;
      data[1] = arch;
      data[2] = 0x1000; // instruction_pointer
      for (int a = 0; a < args.length; a++) {
        data[4 + 2 * a] = (int) args[a]; // the low word first: little-endian
        data[5 + 2 * a] = (int) (args[a] >>> 32);
      }
      int acc = 0;
      int x = 0;
      int[] mem = new int[16];
      int pc = 0;
      while (true) {
        assertTrue(pc < code.length, "ran off the end of the program");
        int c = code[pc];
        int kk = k[pc];
        int next = pc + 1;
        switch (c & 0x07) {
          case BPF_LD -> acc = load(c, kk, data, mem, pc);
          case BPF_LDX -> x = switch (c) {
            case 0x01 -> kk; // BPF_LDX|BPF_W|BPF_IMM
            case 0x61 -> mem[kk]; // BPF_LDX|BPF_W|BPF_MEM
            default -> throw bad(c, pc);
          };
          case BPF_ST -> mem[kk] = acc;
          case BPF_STX -> mem[kk] = x;
          case BPF_ALU -> acc = alu(c, acc, (c & 0x08) != 0 ? x : kk, pc);
          case BPF_JMP -> {
            int operand = (c & 0x08) != 0 ? x : kk;
            int op = c & 0xf0;
            if (op == 0x00) { // BPF_JA
              next = pc + 1 + kk;
            } else {
              boolean taken = switch (op) {
                case 0x10 -> acc == operand; // BPF_JEQ
                case 0x20 -> Integer.compareUnsigned(acc, operand) > 0; // BPF_JGT
                case 0x30 -> Integer.compareUnsigned(acc, operand) >= 0; // BPF_JGE
                case 0x40 -> (acc & operand) != 0; // BPF_JSET
                default -> throw bad(c, pc);
              };
              next = pc + 1 + (taken ? jt[pc] : jf[pc]);
            }
          }
          case BPF_RET -> {
            return switch (c & 0x18) {
              case 0x00 -> kk; // BPF_K
              case 0x10 -> acc; // BPF_A
              default -> throw bad(c, pc);
            };
          }
          case BPF_MISC -> {
            if (c == 0x07) { // BPF_TAX
              x = acc;
            } else if (c == 0x87) { // BPF_TXA
              acc = x;
            } else {
              throw bad(c, pc);
            }
          }
          default -> throw bad(c, pc);
        }
        assertTrue(next > pc, "a backward jump at " + pc);
        pc = next;
      }
    }

    private static int load(int c, int kk, int[] data, int[] mem, int pc) {
      return switch (c) {
        case 0x20 -> { // BPF_LD|BPF_W|BPF_ABS
          assertEquals(0, kk % 4, "unaligned load at " + pc);
          assertTrue(kk >= 0 && kk < 64, "load beyond seccomp_data at " + pc);
          yield data[kk / 4];
        }
        case 0x00 -> kk; // BPF_LD|BPF_W|BPF_IMM
        case 0x60 -> mem[kk]; // BPF_LD|BPF_W|BPF_MEM
        case 0x80 -> 64; // BPF_LD|BPF_W|BPF_LEN
        default -> throw bad(c, pc);
      };
    }

    private static int alu(int c, int acc, int v, int pc) {
      return switch (c & 0xf0) {
        case 0x00 -> acc + v;
        case 0x10 -> acc - v;
        case 0x20 -> acc * v;
        case 0x40 -> acc | v;
        case 0x50 -> acc & v;
        case 0x60 -> acc << v;
        case 0x70 -> acc >>> v;
        case 0x80 -> -acc;
        case 0xa0 -> acc ^ v;
        default -> throw bad(c, pc);
      };
    }

    private static AssertionError bad(int c, int pc) {
      return new AssertionError("instruction 0x" + Integer.toHexString(c) + " at " + pc
          + " is not one a seccomp filter uses");
    }
  }
}
