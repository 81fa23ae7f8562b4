package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.it.Inside.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The container cannot reach the host through its rootfs: paths in config.json resolve
 * inside the rootfs even through a symlink that points out of it, and the native stage runs
 * from a sealed memfd that nobody can overwrite (CVE-2019-5736).
 */
class SecurityIT {
  @RegisterExtension final Harness h = new Harness();

  /** A name nothing on the host uses, so that its appearance in the host's /etc is ours. */
  private static final String MARK = "capsa-it-escape-mark";

  private List<String> hostEtcBefore;

  /** rootfs/mnt/escape -> /etc, an absolute symlink that on the host means the host's /etc. */
  @BeforeEach
  void escapeLink() throws IOException {
    Path mnt = Files.createDirectories(h.rootfs().resolve("mnt"));
    Files.createSymbolicLink(mnt.resolve("escape"), Path.of("/etc"));
    assertFalse(Files.exists(Path.of("/etc", MARK)), "/etc/" + MARK + " on the host before the test");
    hostEtcBefore = hostMountsUnderEtc();
    h.onCleanup(() -> {
      // Should the test fail, do not leave the host's /etc changed.
      Harness.exec(List.of("umount", "/etc/" + MARK));
      Harness.exec(List.of("rm", "-rf", "/etc/" + MARK));
    });
  }

  private static List<String> hostMountsUnderEtc() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .filter(l -> l.split(" ")[4].startsWith("/etc")).toList();
  }

  private void assertHostEtcUntouched() throws IOException {
    assertFalse(Files.exists(Path.of("/etc", MARK)), "/etc/" + MARK + " appeared on the host");
    assertEquals(hostEtcBefore, hostMountsUnderEtc(), "mounts under the host's /etc");
  }

  @Test
  void aMountDestinationThroughASymlinkStaysInTheRootfs() throws IOException {
    h.addMount("/mnt/escape/" + MARK, "tmpfs", "tmpfs", "size=64k");
    Harness.Result r = h.run("echo ==mi==; cat /proc/self/mountinfo; echo ==write==; "
        + "echo x > /etc/" + MARK + "/file && echo ok");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    Mount m = Inside.mountAt(out.get("mi"), "/etc/" + MARK);
    assertEquals("tmpfs", m.fstype(), m.line());
    assertEquals("ok", out.get("write"), r::toString);
    assertTrue(Files.isDirectory(h.rootfs().resolve("etc").resolve(MARK)),
        "the mount point was made in the rootfs's /etc");
    assertHostEtcUntouched();
  }

  @Test
  void aBindMountOfAFileThroughASymlinkStaysInTheRootfs() throws IOException {
    Path file = Files.writeString(h.dir().resolve("source-file"), "from the host\n");
    h.addMount("/mnt/escape/" + MARK, "bind", file.toString(), "bind", "ro");
    Harness.Result r = h.run("cat /etc/" + MARK).ok();
    assertEquals("from the host\n", r.stdout(), r::toString);
    assertTrue(Files.isRegularFile(h.rootfs().resolve("etc").resolve(MARK)),
        "the mount point was made in the rootfs's /etc");
    assertHostEtcUntouched();
  }

  @Test
  void aMaskedPathThroughASymlinkMasksTheRootfsFile() throws IOException {
    String hostPasswd = Files.readString(Path.of("/etc/passwd"));
    h.linux().put("maskedPaths", new java.util.ArrayList<>(List.of("/mnt/escape/passwd")));
    Harness.Result r = h.run("echo ==passwd==; cat /etc/passwd; echo ==mi==; "
        + "cat /proc/self/mountinfo").ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("", out.get("passwd"), () -> "the rootfs's /etc/passwd is masked: " + r);
    Inside.mountAt(out.get("mi"), "/etc/passwd");
    assertEquals(hostPasswd, Files.readString(Path.of("/etc/passwd")));
    assertHostEtcUntouched();
  }

  @Test
  void aReadonlyPathThroughASymlinkIsTheRootfsDirectory() throws IOException {
    h.linux().put("readonlyPaths", new java.util.ArrayList<>(List.of("/mnt/escape")));
    Harness.Result r = h.run("echo ==mi==; cat /proc/self/mountinfo").ok();
    Mount etc = Inside.mountAt(Inside.sections(r.stdout()).get("mi"), "/etc");
    assertTrue(etc.has("ro"), etc.line());
    // The root of the mount within its file system: a path ending in the rootfs's etc.
    assertTrue(etc.root().endsWith("/bundle/rootfs/etc"),
        () -> "a bind mount of the rootfs's etc, not of the host's: " + etc.line());
    assertHostEtcUntouched();
  }

  @Test
  void theWaitingContainerProcessRunsFromASealedMemfd() throws Exception {
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = ((Number) h.state(id).get("pid")).longValue();
    Path exe = Path.of("/proc/" + pid + "/exe");
    assertEquals("/memfd:capsa-stage (deleted)", Files.readSymbolicLink(exe).toString());
    assertThrows(IOException.class,
        () -> Files.newOutputStream(exe, StandardOpenOption.WRITE).close(),
        "opening the stage's binary for writing");
    // fcntl(2) F_GET_SEALS is 1034; F_SEAL_WRITE is 8, F_SEAL_SEAL 1.
    String seals = Harness.execOk(List.of(Harness.python(), "-c",
        "import fcntl, os; fd = os.open('" + exe + "', os.O_RDONLY); "
            + "print(fcntl.fcntl(fd, 1034))")).strip();
    int s = Integer.parseInt(seals);
    assertEquals(8, s & 8, () -> "F_SEAL_WRITE in " + s);
    assertEquals(1, s & 1, () -> "F_SEAL_SEAL in " + s);
    h.capsa("delete", "--force", id).ok();
  }
}
