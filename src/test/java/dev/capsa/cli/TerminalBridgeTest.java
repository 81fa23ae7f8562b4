package dev.capsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** exec -t's pidfd: only of the process the stage (its parent) has not reaped yet. */
class TerminalBridgeTest {
  @Test
  void watchChildPinsOnlyAChildOfTheGivenParent() throws Exception {
    Process child = new ProcessBuilder("sleep", "30").start();
    try {
      int pid = (int) child.pid();
      int us = (int) ProcessHandle.current().pid();
      int pidfd = TerminalBridge.watchChild(pid, us);
      assertTrue(pidfd >= 0, "our own child");
      TerminalBridge.closeQuietly(pidfd);
      assertEquals(-1, TerminalBridge.watchChild(pid, us + 1),
          "a process with that pid whose parent is another: not the one we started");
      assertEquals(-1, TerminalBridge.watchChild(Integer.MAX_VALUE, us), "no such process");
    } finally {
      child.destroyForcibly().waitFor();
    }
  }
}
