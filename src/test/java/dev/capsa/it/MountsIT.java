package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.it.Inside.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What /proc/self/mountinfo and the file system look like from inside the container. */
class MountsIT {
  @RegisterExtension final Harness h = new Harness();

  private String mountinfo() {
    return h.runOk("cat /proc/self/mountinfo");
  }

  @Test
  void defaultMountsHaveTheirOptions() {
    String mi = mountinfo();

    Mount proc = Inside.mountAt(mi, "/proc");
    assertEquals("proc", proc.fstype(), proc.line());

    Mount dev = Inside.mountAt(mi, "/dev");
    assertEquals("tmpfs", dev.fstype(), dev.line());
    assertTrue(dev.has("nosuid"), dev.line());
    assertTrue(dev.hasSuper("mode=755"), dev.line());
    assertTrue(dev.hasSuper("size=65536k"), dev.line());

    Mount pts = Inside.mountAt(mi, "/dev/pts");
    assertEquals("devpts", pts.fstype(), pts.line());
    assertTrue(pts.has("nosuid") && pts.has("noexec"), pts.line());
    assertTrue(pts.hasSuper("gid=5") && pts.hasSuper("mode=620") && pts.hasSuper("ptmxmode=666"),
        pts.line());

    Mount shm = Inside.mountAt(mi, "/dev/shm");
    assertEquals("tmpfs", shm.fstype(), shm.line());
    assertEquals("shm", shm.source(), shm.line());
    assertTrue(shm.has("nosuid") && shm.has("nodev") && shm.has("noexec"), shm.line());
    assertTrue(shm.has("rw"), shm.line());
    assertTrue(shm.hasSuper("size=65536k"), shm.line());

    Mount mqueue = Inside.mountAt(mi, "/dev/mqueue");
    assertEquals("mqueue", mqueue.fstype(), mqueue.line());
    assertTrue(mqueue.has("nosuid") && mqueue.has("nodev") && mqueue.has("noexec"), mqueue.line());

    Mount sys = Inside.mountAt(mi, "/sys");
    assertEquals("sysfs", sys.fstype(), sys.line());
    assertTrue(sys.has("ro"), sys.line());
    assertTrue(sys.has("nosuid") && sys.has("nodev") && sys.has("noexec"), sys.line());

    Mount cgroup = Inside.mountAt(mi, "/sys/fs/cgroup");
    assertTrue(cgroup.has("ro"), cgroup.line());
  }

  @Test
  void sysIsReadOnly() {
    Harness.Result r = h.run("touch /sys/x; echo status=$?");
    assertTrue(r.stdout().contains("status=1"), r::toString);
    assertTrue(r.stderr().contains("Read-only file system"), r::toString);
  }

  @Test
  void readOnlyBindMount() throws IOException {
    Path src = h.newDir("host-ro");
    Files.writeString(src.resolve("file"), "from the host\n");
    h.addMount("/mnt/ro", "bind", src.toString(), "bind", "ro");
    Harness.Result r = h.run("cat /mnt/ro/file; echo x > /mnt/ro/new; echo status=$?; "
        + "echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    assertTrue(r.stdout().startsWith("from the host\n"), r::toString);
    assertTrue(r.stdout().contains("status=1"), r::toString);
    assertTrue(r.stderr().contains("Read-only file system"), r::toString);
    assertFalse(Files.exists(src.resolve("new")));
    Mount m = Inside.mountAt(Inside.sections(r.stdout()).get("mi"), "/mnt/ro");
    assertTrue(m.has("ro"), m.line());
    assertEquals(src.toString(), m.root(), m.line());
  }

  @Test
  void bindMountIsWritable() throws IOException {
    Path src = h.newDir("host-rw");
    h.addMount("/mnt/rw", "bind", src.toString(), "bind");
    String out = h.runOk("echo written > /mnt/rw/new && echo ok; grep ' /mnt/rw ' /proc/self/mountinfo");
    assertTrue(out.startsWith("ok\n"), out);
    assertEquals("written\n", Files.readString(src.resolve("new")));
    Mount m = Inside.mountAt(out, "/mnt/rw");
    assertTrue(m.has("rw"), m.line());
  }

  @Test
  void rbindTakesSubmountsAndBindDoesNot() throws IOException {
    Path src = h.newDir("host-tree");
    Path sub = Files.createDirectories(src.resolve("sub"));
    Harness.execOk(List.of("mount", "-t", "tmpfs", "capsa-it-sub", sub.toString()));
    h.onCleanup(() -> Harness.execOk(List.of("umount", sub.toString())));
    Files.writeString(sub.resolve("inner"), "submount\n");
    h.addMount("/mnt/rbind", null, src.toString(), "rbind");
    h.addMount("/mnt/bind", null, src.toString(), "bind");
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==rbind==; cat /mnt/rbind/sub/inner; echo ==bind==; ls -A /mnt/bind/sub"));
    assertEquals("submount", out.get("rbind"));
    assertEquals("", out.get("bind"), "bind (not rbind) does not take the submount");
  }

  @Test
  void recursiveReadOnlyBind() throws IOException {
    Path src = h.newDir("host-rro");
    Path sub = Files.createDirectories(src.resolve("sub"));
    Harness.execOk(List.of("mount", "-t", "tmpfs", "capsa-it-sub", sub.toString()));
    h.onCleanup(() -> Harness.execOk(List.of("umount", sub.toString())));
    h.addMount("/mnt/rro", null, src.toString(), "rbind", "rro");
    h.addMount("/mnt/ro", null, src.toString(), "rbind", "ro");
    Harness.Result r = h.run("touch /mnt/rro/sub/x; echo rro=$?; touch /mnt/ro/sub/y; echo ro=$?; "
        + "echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    assertTrue(r.stdout().contains("rro=1"), "rro makes the submount read-only too: " + r);
    assertTrue(r.stdout().contains("ro=0"), "ro (runc: not recursive) leaves the submount: " + r);
    String mi = Inside.sections(r.stdout()).get("mi");
    assertTrue(Inside.mountAt(mi, "/mnt/rro").has("ro"), mi);
    assertTrue(Inside.mountAt(mi, "/mnt/rro/sub").has("ro"), mi);
    assertTrue(Inside.mountAt(mi, "/mnt/ro").has("ro"), mi);
    assertTrue(Inside.mountAt(mi, "/mnt/ro/sub").has("rw"), mi);
  }

  @Test
  void bindMountFlags() {
    Path src = h.newDir("host-flags");
    h.addMount("/mnt/flags", "bind", src.toString(), "bind", "nosuid", "nodev", "noexec");
    Mount m = Inside.mountAt(mountinfo(), "/mnt/flags");
    assertTrue(m.has("nosuid") && m.has("nodev") && m.has("noexec"), m.line());
    assertTrue(m.has("rw"), m.line());
  }

  @Test
  void relativeDestinationMeansFromRoot() {
    h.addMount("mnt/relative", "tmpfs", "tmpfs", "size=1m");
    assertEquals("tmpfs", Inside.mountAt(mountinfo(), "/mnt/relative").fstype());
  }

  @Test
  void bindMountOfAFile() throws IOException {
    Path file = h.dir().resolve("greeting");
    Files.writeString(file, "hello file\n");
    h.addMount("/etc/greeting", "bind", file.toString(), "bind", "ro");
    Harness.Result r = h.run("cat /etc/greeting; echo x > /etc/greeting; echo status=$?");
    assertTrue(r.stdout().startsWith("hello file\n"), r::toString);
    assertTrue(r.stdout().contains("status=1"), r::toString);
    assertEquals("hello file\n", Files.readString(file));
  }

  @Test
  void readOnlyRoot() {
    h.rootConfig().put("readonly", true);
    Harness.Result r = h.run("touch /x; echo status=$?; cat /proc/self/mountinfo");
    assertTrue(r.stdout().contains("status=1"), r::toString);
    assertTrue(r.stderr().contains("Read-only file system"), r::toString);
    Mount root = Inside.mountAt(r.stdout(), "/");
    assertTrue(root.has("ro"), root.line());
    assertFalse(Files.exists(h.rootfs().resolve("x")));
  }

  @Test
  void writableRoot() {
    h.rootConfig().put("readonly", false);
    String out = h.runOk("echo hi > /x && echo ok; cat /proc/self/mountinfo");
    assertTrue(out.startsWith("ok\n"), out);
    assertTrue(Inside.mountAt(out, "/").has("rw"), out);
    assertTrue(Files.exists(h.rootfs().resolve("x")));
  }

  private Mount rootWithPropagation(String propagation) {
    h.linux().put("rootfsPropagation", propagation);
    return Inside.mountAt(h.runOk("cat /proc/self/mountinfo"), "/");
  }

  @Test
  void rootfsPropagationShared() {
    Mount root = rootWithPropagation("shared");
    assertTrue(root.tagged("shared:"), root.line());
  }

  @Test
  void rootfsPropagationPrivate() {
    // Even when the rootfs is shared on the host, private cuts every tie.
    h.makeRootfsSharedOnHost();
    Mount root = rootWithPropagation("private");
    assertFalse(root.tagged("shared:"), root.line());
    assertFalse(root.tagged("master:"), root.line());
    assertFalse(root.tagged("unbindable"), root.line());
  }

  @Test
  void rootfsPropagationUnbindable() {
    Mount root = rootWithPropagation("unbindable");
    assertTrue(root.tagged("unbindable"), root.line());
  }

  @Test
  void rootfsPropagationSlave() {
    h.makeRootfsSharedOnHost();
    Mount root = rootWithPropagation("slave");
    assertTrue(root.tagged("master:"), root.line());
    assertFalse(root.tagged("shared:"), root.line());
  }

  @Test
  void mountsInTheContainerDoNotReachASharedHostRootfs() {
    h.makeRootfsSharedOnHost();
    h.linux().put("rootfsPropagation", "shared");
    h.runOk("true");
    // The cleanup check fails the test if a container mount appeared on the host; look now too.
    List<String> mounts = new ArrayList<>(h.hostMounts());
    assertEquals(1, mounts.size(), () -> "host mounts: " + mounts);
  }

  @Test
  void tmpfsWithModeAndSize() {
    h.addMount("/scratch", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=700", "size=1m");
    Harness.Result r = h.run("grep ' /scratch ' /proc/self/mountinfo; stat -c 'mode %a' /scratch");
    r.ok();
    Mount m = Inside.mountAt(r.stdout(), "/scratch");
    assertEquals("tmpfs", m.fstype(), m.line());
    assertTrue(m.has("nosuid") && m.has("nodev"), m.line());
    assertTrue(m.hasSuper("mode=700"), m.line());
    assertTrue(m.hasSuper("size=1024k"), m.line());
    assertTrue(r.stdout().contains("mode 700"), r::toString);
  }

  @Test
  void maskedPathsAreUnreadable() {
    List<Object> masked = Harness.asList(h.linux().get("maskedPaths"));
    for (String p : List.of("/proc/keys", "/proc/timer_list", "/proc/kcore", "/sys/firmware")) {
      if (!masked.contains(p)) {
        masked.add(p);
      }
    }
    Harness.Result r = h.run("echo ==keys==; cat /proc/keys; echo ==timer==; cat /proc/timer_list; "
        + "echo ==firmware==; ls -A /sys/firmware; echo ==write==; touch /sys/firmware/x; echo status=$?; "
        + "echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("", out.get("keys"), r::toString);
    assertEquals("", out.get("timer"), r::toString);
    assertEquals("", out.get("firmware"), "a masked directory is empty");
    assertEquals("status=1", out.get("write"), r::toString);
    Mount fw = Inside.mountAt(out.get("mi"), "/sys/firmware");
    assertEquals("tmpfs", fw.fstype(), fw.line());
    assertTrue(fw.has("ro"), fw.line());
  }

  @Test
  void readonlyPathsAreUnwritable() throws IOException {
    h.rootConfig().put("readonly", false);
    List<Object> ro = Harness.asList(h.linux().get("readonlyPaths"));
    ro.add("/root");
    Harness.Result r = h.run("echo ==sys==; echo x > /proc/sys/kernel/domainname; echo status=$?; "
        + "echo ==root==; touch /root/file; echo status=$?; "
        + "echo ==tmp==; touch /tmp/file; echo status=$?");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("status=1", out.get("sys"), r::toString);
    assertEquals("status=1", out.get("root"), r::toString);
    assertEquals("status=0", out.get("tmp"), "the rest of the rootfs is writable: " + r);
    assertTrue(r.stderr().contains("Read-only file system"), r::toString);
    assertFalse(Files.exists(h.rootfs().resolve("root/file")));
  }

  @Test
  void mountDestinationThroughASymlinkStaysInTheRootfs() throws IOException {
    // /mnt/link -> /tmp: an absolute link means the container's /tmp, never the host's.
    String name = "capsa-it-" + h.dir().getFileName();
    Files.createDirectories(h.rootfs().resolve("mnt"));
    Files.createSymbolicLink(h.rootfs().resolve("mnt/link"), Path.of("/tmp"));
    h.addMount("/mnt/link/" + name, "tmpfs", "tmpfs", "size=1m");
    String out = h.runOk("cat /proc/self/mountinfo");
    Mount m = Inside.mountAt(out, "/tmp/" + name);
    assertEquals("tmpfs", m.fstype(), m.line());
    assertTrue(Files.isDirectory(h.rootfs().resolve("tmp/" + name)), "made in the rootfs");
    assertFalse(Files.exists(Path.of("/tmp", name)), "the host's /tmp is untouched");
  }

  @Test
  void mountDestinationThroughADanglingSymlinkIsMadeInsideTheRootfs() throws IOException {
    // As runc (securejoin + MkdirAll in the root): the link's target is resolved within the
    // rootfs, and the missing directories are made there, even though the same path exists
    // on the host.
    Path outside = h.newDir("outside");
    Files.createDirectories(h.rootfs().resolve("mnt"));
    Files.createSymbolicLink(h.rootfs().resolve("mnt/link"), outside);
    h.addMount("/mnt/link/sub", "tmpfs", "tmpfs", "size=1m");
    Harness.Result r = h.run("grep ' " + outside + "/sub ' /proc/self/mountinfo");
    assertFalse(Files.exists(outside.resolve("sub")), "nothing is made outside the rootfs");
    r.ok();
    assertEquals("tmpfs", Inside.mountAt(r.stdout(), outside + "/sub").fstype(), r::toString);
    assertTrue(Files.isDirectory(h.rootfs().resolve(outside.toString().substring(1)).resolve("sub")),
        "made in the rootfs");
  }

  @Test
  void noPivot() {
    h.script("cat /proc/self/mountinfo; touch /x; echo status=$?");
    Harness.Result r = h.capsa("run", "--no-pivot", "--bundle", h.bundle().toString(), h.newId());
    r.ok();
    assertTrue(r.stdout().contains("status=1"), "the root is still read-only: " + r);
    assertTrue(Inside.mountAt(r.stdout(), "/proc").fstype().equals("proc"), r::toString);
  }
}
