package dev.capsa.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** Errno values worded as runc (Go) words them: engines match these words. */
class ErrnoTest {

  @Test
  void describeUsesGoWords() {
    assumeTrue(Errno.describe(Errno.ENOENT).contains("("), "the native library is not loaded");
    // Docker's client: 127 for "no such file or directory", 126 for "permission denied".
    assertEquals("ENOENT (no such file or directory)", Errno.describe(Errno.ENOENT));
    assertEquals("EACCES (permission denied)", Errno.describe(Errno.EACCES));
    assertEquals("EPERM (operation not permitted)", Errno.describe(Errno.EPERM));
  }

  @Test
  void names() {
    assertEquals("ENOENT", Errno.name(2));
    assertEquals("errno 4095", Errno.name(4095));
  }
}
