package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.it.Inside.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The mount options beyond mount(2)'s flags: {@code tmpcopyup}, {@code nosymfollow} and the
 * recursive {@code r*} options of mount_setattr(2) (config.md "Mounts", runc's options).
 */
class MountExtensionsIT {
  @RegisterExtension final Harness h = new Harness();

  /** A source directory with {@code file} and {@code sub}, a tmpfs on the host (unmounted at cleanup). */
  private Path sourceWithSubmount() throws IOException {
    Path src = h.newDir("src");
    Files.writeString(src.resolve("file"), "top\n");
    Path sub = Files.createDirectories(src.resolve("sub"));
    Harness.execOk(List.of("mount", "-t", "tmpfs", "capsa-it-sub", sub.toString()));
    h.onCleanup(() -> Harness.execOk(List.of("umount", sub.toString())));
    return src;
  }

  @Test
  void tmpcopyupFillsTheTmpfsWithTheImagesFiles() throws IOException {
    Path etc = h.rootfs().resolve("etc");
    String passwd = Files.readString(etc.resolve("passwd"));
    List<String> before;
    try (var s = Files.list(etc)) {
      before = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    h.addMount("/etc", "tmpfs", "tmpfs", "tmpcopyup", "mode=755");
    Harness.Result r = h.run("echo ==ls==; ls /etc; echo ==passwd==; cat /etc/passwd; "
        + "echo ==write==; echo new > /etc/newfile && cat /etc/newfile && echo more >> /etc/passwd "
        + "&& tail -n 1 /etc/passwd; echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals(before, out.get("ls").lines().toList(), r::toString);
    assertEquals(passwd.strip(), out.get("passwd"), r::toString);
    assertEquals("new\nmore", out.get("write"), r::toString);
    Mount m = Inside.mountAt(out.get("mi"), "/etc");
    assertEquals("tmpfs", m.fstype(), m.line());
    // The image is untouched.
    assertFalse(Files.exists(etc.resolve("newfile")), "the host's rootfs/etc/newfile");
    assertEquals(passwd, Files.readString(etc.resolve("passwd")), "the host's rootfs/etc/passwd");
  }

  @Test
  void tmpcopyupOnABindMountIsRefused() throws IOException {
    Path src = h.newDir("src");
    h.addMount("/mnt", "bind", src.toString(), "bind", "tmpcopyup");
    int i = h.mountIndex("/mnt");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("mounts[" + i + "]"), r::toString);
    assertTrue(r.stderr().contains("tmpcopyup"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void nosymfollowRefusesToFollowSymlinks() throws IOException {
    Path src = h.newDir("src");
    Files.writeString(src.resolve("target"), "reached\n");
    Files.createSymbolicLink(src.resolve("link"), Path.of("target"));
    h.addMount("/nf", "bind", src.toString(), "bind", "nosymfollow");
    h.addMount("/plain", "bind", src.toString(), "bind");
    Harness.Result r = h.run("echo ==nf==; cat /nf/link 2>&1; echo ==direct==; cat /nf/target; "
        + "echo ==readlink==; readlink /nf/link; echo ==plain==; cat /plain/link; "
        + "echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertTrue(out.get("nf").contains("Too many levels of symbolic links"), r::toString);
    assertEquals("reached", out.get("direct"), r::toString);
    assertEquals("target", out.get("readlink"), () -> "the link itself is readable: " + r);
    assertEquals("reached", out.get("plain"), r::toString);
    assertTrue(Inside.mountAt(out.get("mi"), "/nf").has("nosymfollow"), r::toString);
  }

  @Test
  void rroMakesTheSubmountsOfAnRbindReadOnly() throws IOException {
    Path src = sourceWithSubmount();
    h.addMount("/r", "bind", src.toString(), "rbind", "rro");
    Harness.Result r = h.run("echo ==top==; touch /r/x 2>&1; echo ==sub==; touch /r/sub/x 2>&1; "
        + "echo ==read==; cat /r/file; echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertTrue(out.get("top").contains("Read-only file system"), r::toString);
    assertTrue(out.get("sub").contains("Read-only file system"), r::toString);
    assertEquals("top", out.get("read"), r::toString);
    assertTrue(Inside.mountAt(out.get("mi"), "/r").has("ro"), r::toString);
    Mount sub = Inside.mountAt(out.get("mi"), "/r/sub");
    assertEquals("tmpfs", sub.fstype(), sub.line());
    assertTrue(sub.has("ro"), sub.line());
    assertFalse(Files.exists(src.resolve("sub/x")));
  }

  @Test
  void plainRoOnAnRbindLeavesTheSubmountsAlone() throws IOException {
    Path src = sourceWithSubmount();
    h.addMount("/r", "bind", src.toString(), "rbind", "ro");
    Harness.Result r = h.run("echo ==top==; touch /r/x 2>&1; echo ==sub==; touch /r/sub/x 2>&1 "
        + "&& echo written");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertTrue(out.get("top").contains("Read-only file system"), r::toString);
    assertEquals("written", out.get("sub"), () -> "ro is not recursive (runc): " + r);
  }

  @Test
  void rnosuidAndRnodevReachTheSubmounts() throws IOException {
    Path src = sourceWithSubmount();
    h.addMount("/r", "bind", src.toString(), "rbind", "rnosuid", "rnodev", "rnoexec");
    String mi = h.runOk("cat /proc/self/mountinfo");
    for (String at : List.of("/r", "/r/sub")) {
      Mount m = Inside.mountAt(mi, at);
      assertTrue(m.has("nosuid") && m.has("nodev") && m.has("noexec"), m.line());
    }
  }
}
