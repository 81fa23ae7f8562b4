package dev.capsa.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** /proc/PID/stat: the state letter, the parent (field 4) and the start time (field 22). */
class ProcStatTest {
  /** Fields 4 to 52 of a stat line after the state: ppid (field 4) 1, starttime (22) 8675309. */
  private static final String REST = "1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 8675309"
      + " 2363392 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

  @Test
  void parsesStateAndStartTime() {
    assertEquals(new ProcStat('S', 1, 8675309), ProcStat.parse("4242 (sh) S " + REST));
  }

  @Test
  void commandWithSpacesAndParentheses() {
    assertEquals(new ProcStat('R', 1, 8675309), ProcStat.parse("4242 (a) b (c) d) R " + REST));
    assertEquals(new ProcStat('D', 1, 8675309), ProcStat.parse("4242 () ) ) D " + REST));
    assertEquals(new ProcStat('S', 1, 8675309), ProcStat.parse("4242 (x S 1 2) S " + REST));
  }

  @Test
  void zombieAndDeadHaveExited() {
    ProcStat z = ProcStat.parse("4242 (defunct) Z " + REST);
    assertEquals('Z', z.state());
    assertTrue(z.exited());
    assertTrue(ProcStat.parse("4242 (x) X " + REST).exited());
    assertFalse(ProcStat.parse("4242 (x) S " + REST).exited());
    assertFalse(ProcStat.parse("4242 (x) R " + REST).exited());
    assertFalse(ProcStat.parse("4242 (x) T " + REST).exited());
  }

  @Test
  void readsThisProcess() throws IOException {
    int pid = (int) ProcessHandle.current().pid();
    ProcStat s = ProcStat.read(pid);
    assertNotNull(s);
    assertFalse(s.exited());
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    assertEquals(Long.parseLong(f[19]), s.startTime());
    assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), s.ppid());
  }

  @Test
  void missingProcessIsNull() {
    assertNull(ProcStat.read(Integer.MAX_VALUE));
  }
}
