package dev.capsa.runtime;

import dev.capsa.linux.Native;
import dev.capsa.setup.Op;
import dev.capsa.setup.Program;

/**
 * Runs the native stage with a one-op program that must fail, and returns the
 * report: proves the embedded stage starts, reads a program and reports
 * errors, without privileges. The AOT training run uses it to walk the
 * create path's protocol code.
 */
public final class StageCheck {
  private StageCheck() {}

  /** @return the stage's error report, e.g. "open /nonexistent: ENOENT" */
  public static String run(String missingDirectory) {
    Program p = new Program().add("check", new Op.OpenRoot(missingDirectory));
    try (StageSession s = StageSession.spawn(0)) {
      s.sendProgram(p.encode());
      StageSession.Message m = s.next();
      Native.waitPid(s.stagePid(), false);
      if (m.type() != StageSession.MSG_ERROR) {
        throw new ContainerException("native stage: expected an error report, got " + m);
      }
      return m.text() + ": " + dev.capsa.linux.Errno.name(m.b());
    }
  }
}
