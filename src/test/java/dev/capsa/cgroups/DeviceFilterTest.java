package dev.capsa.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.capsa.spec.Resources.DeviceRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * cgroup v2's device filter: the v1 semantics it emulates ({@code DeviceFilter.allows}), and the
 * eBPF program it compiles, run by a small interpreter of the instructions it uses, agreeing
 * with the emulation.
 */
class DeviceFilterTest {

  // ------------------------------------------------------------------ rules

  private static DeviceRule allow(String type, Long major, Long minor, String access) {
    return new DeviceRule(true, type, major, minor, access);
  }

  private static DeviceRule deny(String type, Long major, Long minor, String access) {
    return new DeviceRule(false, type, major, minor, access);
  }

  private static final DeviceRule DENY_ALL = new DeviceRule(false, null, null, null, "rwm");
  private static final DeviceRule ALLOW_ALL = new DeviceRule(true, "a", null, null, "rwm");

  private static boolean allows(List<DeviceRule> rules, String type, long major, long minor,
      String access) {
    return DeviceFilter.allows(DeviceFilter.emulate(rules), type, major, minor, access);
  }

  // ------------------------------------------------------------------ v1 emulation

  @Test
  void aNewCgroupAllowsEverything() {
    assertTrue(allows(List.of(), "c", 1, 3, "rwm"));
    assertTrue(allows(List.of(), "b", 8, 0, "rwm"));
  }

  @Test
  void denyAllThenAllows() {
    List<DeviceRule> rules = List.of(DENY_ALL,
        allow("c", 1L, 3L, "rwm"),
        allow("c", 10L, 229L, "r"),
        allow("b", 8L, null, "r"),
        allow("c", 136L, -1L, "rw"));
    assertTrue(allows(rules, "c", 1, 3, "rw"));
    assertTrue(allows(rules, "c", 1, 3, "m"));
    assertFalse(allows(rules, "c", 1, 5, "r"), "not listed");
    assertTrue(allows(rules, "c", 10, 229, "r"));
    assertFalse(allows(rules, "c", 10, 229, "w"), "only r was allowed");
    assertFalse(allows(rules, "c", 10, 229, "rw"), "asks for more than allowed");
    assertTrue(allows(rules, "b", 8, 0, "r"), "minor * matches any");
    assertTrue(allows(rules, "b", 8, 16, "r"));
    assertFalse(allows(rules, "b", 8, 0, "w"));
    assertFalse(allows(rules, "c", 8, 0, "r"), "a char device is not the block one");
    assertFalse(allows(rules, "b", 1, 3, "r"), "a block device is not the char one");
    assertTrue(allows(rules, "c", 136, 7, "rw"), "-1 is * too");
    assertFalse(allows(rules, "c", 136, 7, "m"));
  }

  @Test
  void allowAllThenDenies() {
    List<DeviceRule> rules = List.of(ALLOW_ALL,
        deny("c", 1L, 3L, "w"),
        deny("b", null, null, "rwm"));
    assertTrue(allows(rules, "c", 1, 3, "r"));
    assertFalse(allows(rules, "c", 1, 3, "w"));
    assertFalse(allows(rules, "c", 1, 3, "rw"), "any denied part denies the request");
    assertTrue(allows(rules, "c", 1, 5, "rwm"));
    assertFalse(allows(rules, "b", 8, 0, "r"));
    assertFalse(allows(rules, "b", 259, 1, "m"));
  }

  @Test
  void laterRulesUndoExceptions() {
    // Denying what a deny-all default denies removes the exception made for it.
    List<DeviceRule> undoAllow = List.of(DENY_ALL, allow("c", 1L, 3L, "rwm"),
        deny("c", 1L, 3L, "rwm"));
    assertFalse(allows(undoAllow, "c", 1, 3, "r"));
    // Allowing what an allow-all default allows removes the deny exception.
    List<DeviceRule> undoDeny = List.of(ALLOW_ALL, deny("c", 1L, 3L, "rwm"),
        allow("c", 1L, 3L, "rwm"));
    assertTrue(allows(undoDeny, "c", 1, 3, "rw"));
    // A rule for everything resets the default and drops every exception.
    List<DeviceRule> reset = List.of(DENY_ALL, allow("c", 1L, 3L, "rwm"), DENY_ALL);
    assertFalse(allows(reset, "c", 1, 3, "r"));
    List<DeviceRule> resetToAllow = List.of(ALLOW_ALL, deny("c", 1L, 3L, "rwm"), ALLOW_ALL);
    assertTrue(allows(resetToAllow, "c", 1, 3, "r"));
    List<DeviceRule> twice = List.of(ALLOW_ALL, deny("c", 1L, 3L, "rwm"), DENY_ALL,
        allow("c", 1L, 5L, "r"));
    assertFalse(allows(twice, "c", 1, 3, "r"));
    assertTrue(allows(twice, "c", 1, 5, "r"));
    assertFalse(allows(twice, "c", 1, 5, "w"));
  }

  @Test
  void theDefaultDevicesAfterADenyAll() {
    List<DeviceRule> rules = new ArrayList<>(List.of(DENY_ALL));
    rules.addAll(ResourcePlan.DEFAULT_DEVICES);
    for (long[] d : new long[][] {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2},
        {136, 0}, {136, 42}}) {
      assertTrue(allows(rules, "c", d[0], d[1], "rwm"), d[0] + ":" + d[1]);
    }
    assertFalse(allows(rules, "c", 10, 229, "r"));
    assertFalse(allows(rules, "b", 8, 0, "r"));
  }

  @Test
  void aDenyRemovesOnlyTheAccessItNames() {
    List<DeviceRule> rules = List.of(DENY_ALL, allow("c", 1L, 3L, "rwm"), deny("c", 1L, 3L, "w"));
    assertTrue(allows(rules, "c", 1, 3, "r"));
    assertTrue(allows(rules, "c", 1, 3, "m"));
    assertFalse(allows(rules, "c", 1, 3, "w"));
  }

  @Test
  void allowsForTheSameDeviceMerge() {
    List<DeviceRule> rules = List.of(DENY_ALL, allow("c", 1L, 3L, "r"), allow("c", 1L, 3L, "w"));
    assertTrue(allows(rules, "c", 1, 3, "rw"));
  }

  @Test
  void typeAWithNumbersIsEveryDevice() {
    List<DeviceRule> rules = List.of(deny("a", 1L, 3L, "rwm"));
    assertEquals("a *:* rwm", ResourcePlan.deviceLine(rules.get(0)), "what v1 gets");
    assertFalse(allows(rules, "c", 1, 5, "r"));
    assertFalse(allows(rules, "b", 8, 0, "r"));
  }

  // ------------------------------------------------------------------ the eBPF program

  /** The bpf_cgroup_dev_ctx fields (include/uapi/linux/bpf.h). */
  private static final int BPF_DEVCG_ACC_MKNOD = 1;
  private static final int BPF_DEVCG_ACC_READ = 2;
  private static final int BPF_DEVCG_ACC_WRITE = 4;
  private static final int BPF_DEVCG_DEV_BLOCK = 1;
  private static final int BPF_DEVCG_DEV_CHAR = 2;

  /** A pointer the interpreter recognises as the context (r1 at entry). */
  private static final long CTX = 0x7c7c_0000_0000L;

  /**
   * Runs a BPF_PROG_TYPE_CGROUP_DEVICE program on one request, with the checks of the kernel's
   * verifier that matter here: known opcodes, loads only from the context, no reads of unset
   * registers, no backward jumps, no falling off the end. Returns r0 (1 allows).
   */
  static long run(byte[] prog, int type, int access, long major, long minor) {
    assertEquals(0, prog.length % 8, "whole instructions");
    int n = prog.length / 8;
    int[] ctx = {(access << 16) | type, (int) major, (int) minor}; // as the kernel sets it
    long[] r = new long[11];
    boolean[] set = new boolean[11];
    r[1] = CTX;
    set[1] = true;
    set[10] = true;
    int pc = 0;
    for (int steps = 0; steps <= n; steps++) {
      if (pc < 0 || pc >= n) {
        fail("pc " + pc + " is outside the program of " + n + " instructions");
      }
      int b = pc * 8;
      int code = prog[b] & 0xff;
      int dst = prog[b + 1] & 0x0f;
      int src = (prog[b + 1] >> 4) & 0x0f;
      int off = (short) ((prog[b + 2] & 0xff) | (prog[b + 3] << 8));
      int imm = (prog[b + 4] & 0xff) | (prog[b + 5] & 0xff) << 8 | (prog[b + 6] & 0xff) << 16
          | (prog[b + 7] & 0xff) << 24;
      final int at = pc;
      pc++;
      switch (code) {
        case 0x61 -> { // ldxw dst = *(u32 *)(src + off)
          assertTrue(set[src] && r[src] == CTX, () -> "insn " + at + ": load from r" + src
              + ", which is not the context");
          assertTrue(off == 0 || off == 4 || off == 8, () -> "insn " + at + ": ctx offset " + off);
          r[dst] = ctx[off / 4] & 0xffffffffL;
          set[dst] = true;
        }
        case 0xbf -> { // mov64 dst = src
          assertTrue(set[src], () -> "insn " + at + ": r" + src + " read before it is set");
          r[dst] = r[src];
          set[dst] = true;
        }
        case 0xb7 -> { // mov64 dst = imm (sign-extended)
          r[dst] = imm;
          set[dst] = true;
        }
        case 0x54 -> { // and32 dst &= imm, upper half cleared
          assertTrue(set[dst], () -> "insn " + at + ": r" + dst + " read before it is set");
          r[dst] = (r[dst] & imm) & 0xffffffffL;
        }
        case 0x74 -> { // rsh32 dst >>= imm
          assertTrue(set[dst], () -> "insn " + at + ": r" + dst + " read before it is set");
          r[dst] = ((r[dst] & 0xffffffffL) >>> (imm & 31)) & 0xffffffffL;
        }
        case 0x55, 0x15 -> { // jne / jeq dst, imm, +off
          assertTrue(set[dst], () -> "insn " + at + ": r" + dst + " read before it is set");
          assertTrue(off >= 0, () -> "insn " + at + ": backward jump " + off);
          boolean equal = r[dst] == (long) imm;
          if (code == 0x55 ? !equal : equal) {
            pc += off;
          }
        }
        case 0x95 -> { // exit
          assertTrue(set[0], () -> "insn " + at + ": exit with r0 unset");
          return r[0];
        }
        default -> fail(String.format("insn %d: opcode 0x%02x is not one the filter uses", at,
            code));
      }
    }
    fail("the program did not exit");
    return -1;
  }

  private static boolean program(byte[] prog, String type, long major, long minor,
      String access) {
    int acc = 0;
    for (char c : access.toCharArray()) {
      acc |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    }
    long r0 = run(prog, type.equals("b") ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, acc, major,
        minor);
    assertTrue(r0 == 0 || r0 == 1, "r0 is 0 or 1: " + r0);
    return r0 == 1;
  }

  private static final String[] TYPES = {"c", "b"};
  private static final long[] MAJORS = {0, 1, 5, 8, 10, 136, 259};
  private static final long[] MINORS = {0, 1, 3, 5, 7, 16, 229};
  private static final String[] ACCESSES = {"r", "w", "m", "rw", "rm", "wm", "rwm"};

  /** The program and the emulation agree on every request of the grid. */
  private static int assertAgree(List<DeviceRule> rules) {
    byte[] prog = DeviceFilter.compile(rules);
    DeviceFilter.State state = DeviceFilter.emulate(rules);
    int allowed = 0;
    for (String t : TYPES) {
      for (long major : MAJORS) {
        for (long minor : MINORS) {
          for (String a : ACCESSES) {
            boolean want = DeviceFilter.allows(state, t, major, minor, a);
            boolean got = program(prog, t, major, minor, a);
            if (want != got) {
              fail(t + " " + major + ":" + minor + " " + a + ": the emulation says " + want
                  + ", the program " + got + "; rules " + rules);
            }
            allowed += got ? 1 : 0;
          }
        }
      }
    }
    return allowed;
  }

  @Test
  void programOfNoRulesAllowsEverything() {
    assertEquals(TYPES.length * MAJORS.length * MINORS.length * ACCESSES.length,
        assertAgree(List.of()));
  }

  @Test
  void programOfDenyAllDeniesEverything() {
    assertEquals(0, assertAgree(List.of(DENY_ALL)));
  }

  @Test
  void programAgreesOnTheHandWrittenRuleSets() {
    List<DeviceRule> withDefaults = new ArrayList<>(List.of(DENY_ALL, allow("c", 10L, 229L, "r")));
    withDefaults.addAll(ResourcePlan.DEFAULT_DEVICES);
    for (List<DeviceRule> rules : List.of(
        List.of(DENY_ALL, allow("c", 1L, 3L, "rwm"), allow("c", 10L, 229L, "r"),
            allow("b", 8L, null, "r"), allow("c", 136L, -1L, "rw")),
        List.of(ALLOW_ALL, deny("c", 1L, 3L, "w"), deny("b", null, null, "rwm")),
        List.of(DENY_ALL, allow("c", 1L, 3L, "rwm"), deny("c", 1L, 3L, "rwm")),
        List.of(ALLOW_ALL, deny("c", 1L, 3L, "rwm"), DENY_ALL, allow("c", 1L, 5L, "r")),
        List.of(DENY_ALL, allow(null, null, null, "m"), allow("c", 1L, null, "rw")),
        List.of(DENY_ALL, allow("c", null, 5L, "wm")),
        withDefaults)) {
      assertAgree(rules);
    }
  }

  @Test
  void programAgreesOnTheConfigLinuxExample() {
    List<DeviceRule> rules = List.of(DENY_ALL, allow("c", 10L, 229L, "rw"),
        allow("b", 8L, 0L, "r"));
    assertAgree(rules);
    byte[] prog = DeviceFilter.compile(rules);
    assertTrue(program(prog, "c", 10, 229, "rw"));
    assertFalse(program(prog, "c", 10, 229, "m"));
    assertTrue(program(prog, "b", 8, 0, "r"));
    assertFalse(program(prog, "b", 8, 0, "w"));
    assertFalse(program(prog, "c", 1, 3, "r"));
  }

  @Test
  void programAgreesOnRandomRuleSets() {
    Random random = new Random(4);
    String[] types = {null, "a", "c", "b"};
    Long[] majors = {null, -1L, 1L, 8L, 10L, 136L};
    Long[] minors = {null, -1L, 3L, 5L, 229L};
    for (int set = 0; set < 300; set++) {
      List<DeviceRule> rules = new ArrayList<>();
      int size = random.nextInt(8);
      for (int i = 0; i < size; i++) {
        String type = types[random.nextInt(types.length)];
        Long major = majors[random.nextInt(majors.length)];
        Long minor = minors[random.nextInt(minors.length)];
        String access = ACCESSES[random.nextInt(ACCESSES.length)];
        rules.add(new DeviceRule(random.nextBoolean(), type, major, minor, access));
      }
      assertAgree(rules);
    }
  }

  @Test
  void programIsWholeInstructionsEndingInExit() {
    byte[] prog = DeviceFilter.compile(List.of(DENY_ALL, allow("c", 1L, 3L, "rwm")));
    assertEquals(0, prog.length % 8);
    assertEquals(0x95, prog[prog.length - 8] & 0xff, "the last instruction is exit");
  }
}
