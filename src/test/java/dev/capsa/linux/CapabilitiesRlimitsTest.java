package dev.capsa.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The capability and rlimit tables against capabilities(7) and getrlimit(2). */
class CapabilitiesRlimitsTest {
  @Test
  void capabilityNumbers() {
    assertEquals(0, Capabilities.number("CAP_CHOWN"));
    assertEquals(5, Capabilities.number("CAP_KILL"));
    assertEquals(10, Capabilities.number("CAP_NET_BIND_SERVICE"));
    assertEquals(21, Capabilities.number("CAP_SYS_ADMIN"));
    assertEquals(29, Capabilities.number("CAP_AUDIT_WRITE"));
    assertEquals(37, Capabilities.number("CAP_AUDIT_READ"));
    assertEquals(38, Capabilities.number("CAP_PERFMON"));
    assertEquals(39, Capabilities.number("CAP_BPF"));
    assertEquals(40, Capabilities.number("CAP_CHECKPOINT_RESTORE"));
    assertEquals(41, Capabilities.NAMES.size());
  }

  @Test
  void unknownCapabilityIsMinusOne() {
    assertEquals(-1, Capabilities.number("CAP_FLY"));
    assertEquals(-1, Capabilities.number("cap_kill"));
    assertEquals(-1, Capabilities.number("KILL"));
  }

  @Test
  void lastCapOfThisKernelIsPlausible() {
    int last = Capabilities.lastCap();
    assertTrue(last >= 36 && last < 64, "cap_last_cap " + last);
  }

  @Test
  void rlimitNumbers() {
    assertEquals(0, Rlimits.number("RLIMIT_CPU"));
    assertEquals(4, Rlimits.number("RLIMIT_CORE"));
    assertEquals(6, Rlimits.number("RLIMIT_NPROC"));
    assertEquals(7, Rlimits.number("RLIMIT_NOFILE"));
    assertEquals(8, Rlimits.number("RLIMIT_MEMLOCK"));
    assertEquals(9, Rlimits.number("RLIMIT_AS"));
    assertEquals(15, Rlimits.number("RLIMIT_RTTIME"));
    assertEquals(-1, Rlimits.number("RLIMIT_FOO"));
    assertEquals(16, Rlimits.NAMES.size());
  }
}
