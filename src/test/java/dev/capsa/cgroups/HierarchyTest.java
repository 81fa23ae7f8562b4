package dev.capsa.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** The host's cgroup hierarchies, from mountinfo(5) and /proc/self/cgroup lines. */
class HierarchyTest {

  private static List<String> lines(String text) {
    return text.lines().toList();
  }

  @Test
  void v2Only() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
        24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 \
        rw,nsdelegate,memory_recursiveprot
        31 24 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw
        """), lines("""
        0::/user.slice/user-1000.slice/session-2.scope
        """));
    assertEquals(List.of(new Hierarchy("/sys/fs/cgroup", true, "",
        "/user.slice/user-1000.slice/session-2.scope")), h);
    assertEquals("cgroup", h.get(0).name());
  }

  @Test
  void aHierarchyMountedTwiceIsOneHierarchyAtItsFirstMount() {
    // After mount --rbind / /mnt: every cgroup mount appears again below /mnt.
    List<Hierarchy> h = Hierarchy.parse(lines("""
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        90 80 0:29 / /mnt/sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        91 80 0:32 / /mnt/sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        92 80 0:38 / /mnt/sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """), lines("""
        4:memory:/
        1:cpu:/
        0::/
        """));
    assertEquals(List.of(new Hierarchy("/sys/fs/cgroup/cpu", false, "cpu", "/"),
        new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/"),
        new Hierarchy("/sys/fs/cgroup/unified", true, "", "/")), h);
  }

  @Test
  void ofTwoMountsOfAHierarchyTheOneUnderSysFsCgroupWins() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        90 80 0:29 / /mnt/sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        """), lines("""
        1:cpu:/
        """));
    assertEquals(List.of(new Hierarchy("/sys/fs/cgroup/cpu", false, "cpu", "/")), h);
  }

  @Test
  void hybridLikeThisMachine() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """), lines("""
        9:name=systemd:/
        8:pids:/
        7:blkio:/
        6:freezer:/
        5:devices:/
        4:memory:/process_api/c481f4b41e4fdbbf88cd8b955bc9c365
        3:cpuset:/
        2:cpuacct:/
        1:cpu:/
        0::/
        """));
    assertEquals(List.of(
        new Hierarchy("/sys/fs/cgroup/cpu", false, "cpu", "/"),
        new Hierarchy("/sys/fs/cgroup/cpuacct", false, "cpuacct", "/"),
        new Hierarchy("/sys/fs/cgroup/cpuset", false, "cpuset", "/"),
        new Hierarchy("/sys/fs/cgroup/memory", false, "memory",
            "/process_api/c481f4b41e4fdbbf88cd8b955bc9c365"),
        new Hierarchy("/sys/fs/cgroup/devices", false, "devices", "/"),
        new Hierarchy("/sys/fs/cgroup/freezer", false, "freezer", "/"),
        new Hierarchy("/sys/fs/cgroup/blkio", false, "blkio", "/"),
        new Hierarchy("/sys/fs/cgroup/pids", false, "pids", "/"),
        new Hierarchy("/sys/fs/cgroup/systemd", false, "name=systemd", "/"),
        new Hierarchy("/sys/fs/cgroup/unified", true, "", "/")), h);
    assertEquals("systemd", h.get(8).name());
    assertEquals("unified", h.get(9).name());
  }

  @Test
  void v1WithSystemdOptionsAndCoMountedControllers() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup \
        cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
        30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - \
        cgroup cgroup rw,cpu,cpuacct
        31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 \
        - cgroup cgroup rw,net_cls,net_prio
        32 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup \
        cgroup rw,cpuset,clone_children
        33 25 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup \
        cgroup rw,memory
        """), lines("""
        12:cpuset:/
        11:memory:/user.slice/user-1000.slice/session-2.scope
        5:net_cls,net_prio:/
        4:cpu,cpuacct:/user.slice
        1:name=systemd:/user.slice/user-1000.slice/session-2.scope
        """));
    assertEquals(List.of(
        new Hierarchy("/sys/fs/cgroup/systemd", false, "name=systemd",
            "/user.slice/user-1000.slice/session-2.scope"),
        new Hierarchy("/sys/fs/cgroup/cpu,cpuacct", false, "cpu,cpuacct", "/user.slice"),
        new Hierarchy("/sys/fs/cgroup/net_cls,net_prio", false, "net_cls,net_prio", "/"),
        new Hierarchy("/sys/fs/cgroup/cpuset", false, "cpuset", "/"),
        new Hierarchy("/sys/fs/cgroup/memory", false, "memory",
            "/user.slice/user-1000.slice/session-2.scope")), h);
    assertEquals("cpu,cpuacct", h.get(1).name());
    assertTrue(h.stream().noneMatch(Hierarchy::v2));
  }

  @Test
  void v1ProcessCgroupMissingFromProcSelfCgroupIsTheRoot() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        33 25 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        """), List.of());
    assertEquals(List.of(new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/")), h);
  }

  @Test
  void escapedMountPointsAreUnescaped() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        40 31 0:50 / /mnt/my\\040cgroups rw,relatime - cgroup cgroup rw,memory
        41 31 0:51 / /mnt/tab\\011and\\134backslash rw,relatime - cgroup2 cgroup2 rw
        42 31 0:52 / /mnt/end\\040 rw,relatime - cgroup cgroup rw,pids
        """), lines("""
        3:memory:/a b
        2:pids:/
        0::/c
        """));
    assertEquals(List.of(
        new Hierarchy("/mnt/my cgroups", false, "memory", "/a b"),
        new Hierarchy("/mnt/tab\tand\\backslash", true, "", "/c"),
        new Hierarchy("/mnt/end ", false, "pids", "/")), h);
    assertEquals("my cgroups", h.get(0).name());
  }

  @Test
  void unescapeLeavesPlainTextAlone() {
    assertEquals("/sys/fs/cgroup", Hierarchy.unescape("/sys/fs/cgroup"));
    assertEquals("a b\nc", Hierarchy.unescape("a\\040b\\012c"));
  }

  @Test
  void otherFilesystemsAndMalformedLinesAreIgnored() {
    List<Hierarchy> h = Hierarchy.parse(lines("""
        garbage
        1 2 3 - cgroup2
        24 22 0:22 / /sys rw - sysfs sysfs rw
        26 22 0:24 / /cgroupish rw - tmpfs cgroup rw
        """), lines("""
        not a cgroup line
        0::/x
        """));
    assertEquals(List.of(), h);
  }

  @Test
  void cgroupIsRelativeToTheRootOfTheMount() {
    // Inside a container without a cgroup namespace the hierarchy's mount root is the
    // container's cgroup; /proc/self/cgroup still shows the full path. The directory of
    // this process is mountPoint + cgroup, so cgroup must be relative to the mount root
    // (as runc's getCgroupMounts computes it with filepath.Rel(mount.Root, path)).
    List<Hierarchy> h = Hierarchy.parse(lines("""
        32 31 0:29 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
        41 31 0:38 /docker/abc /sys/fs/cgroup/unified ro,nosuid - cgroup2 cgroup2 rw
        """), lines("""
        4:memory:/docker/abc/inner
        0::/docker/abc
        """));
    assertEquals(List.of(
        new Hierarchy("/sys/fs/cgroup/memory", false, "memory", "/inner"),
        new Hierarchy("/sys/fs/cgroup/unified", true, "", "/")), h);
  }

  @Test
  void thisHostParses() {
    List<Hierarchy> h = Hierarchy.ofHost();
    for (Hierarchy x : h) {
      assertTrue(x.mountPoint().startsWith("/"), x::toString);
      assertTrue(x.cgroup().startsWith("/"), x::toString);
      assertFalse(x.v2() && !x.options().isEmpty(), x::toString);
    }
  }
}
