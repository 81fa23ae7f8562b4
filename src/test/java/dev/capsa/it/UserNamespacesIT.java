package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.it.Inside.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code linux.namespaces} with a user namespace, {@code linux.uidMappings} and
 * {@code gidMappings} (config-linux.md "User namespace mappings").
 */
class UserNamespacesIT {
  @RegisterExtension final Harness h = new Harness();

  static final long HOST_ID = 100000;
  static final long SIZE = 65536;

  /** One LinuxIDMapping. */
  static Map<String, Object> mapping(long containerId, long hostId, long size) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("containerID", containerId);
    m.put("hostID", hostId);
    m.put("size", size);
    return m;
  }

  static List<Object> mappings(long containerId, long hostId, long size) {
    return new ArrayList<>(List.of(mapping(containerId, hostId, size)));
  }

  /** A new user namespace mapping container ids 0..65535 to host ids 100000..165535. */
  static void userNamespace(Harness h) {
    Map<String, Object> ns = new LinkedHashMap<>();
    ns.put("type", "user");
    h.namespaces().add(ns);
    h.linux().put("uidMappings", mappings(0, HOST_ID, SIZE));
    h.linux().put("gidMappings", mappings(0, HOST_ID, SIZE));
    ownRootfs(h, HOST_ID);
  }

  /**
   * The rootfs belongs to the user namespace's root, as for any container with a user
   * namespace (it makes mount points in it), and the bundle is reachable through the test's
   * 0700 temp dir.
   */
  static void ownRootfs(Harness h, long hostId) {
    h.openToAll();
    Harness.execOk(List.of("chown", "-R", "-h", hostId + ":" + hostId, h.rootfs().toString()));
  }

  private static String compact(String map) {
    return map.strip().replaceAll("\\s+", " ");
  }

  @Test
  void rootInsideIsTheMappedHostId() {
    userNamespace(h);
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==id==; id; echo ==uid_map==; cat /proc/self/uid_map; echo ==gid_map==; "
            + "cat /proc/self/gid_map; echo ==ns==; readlink /proc/self/ns/user"));
    assertEquals("uid=0(root) gid=0(root)", out.get("id").split(" groups=")[0]);
    assertEquals("0 100000 65536", compact(out.get("uid_map")));
    assertEquals("0 100000 65536", compact(out.get("gid_map")));
    assertNotEquals(Harness.hostNamespace("user"), out.get("ns"));
  }

  @Test
  void onTheHostTheContainerProcessIsTheMappedId() throws IOException {
    userNamespace(h);
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    long pid = ((Number) h.state(id).get("pid")).longValue();
    Map<String, String> status =
        Inside.keyValues(Files.readString(Path.of("/proc/" + pid + "/status")));
    assertEquals("100000 100000 100000 100000", status.get("Uid").replaceAll("\\s+", " "));
    assertEquals("100000 100000 100000 100000", status.get("Gid").replaceAll("\\s+", " "));
    h.capsa("delete", "--force", id).ok();
  }

  @Test
  void aFileMadeInABindMountBelongsToTheHostId() throws IOException {
    userNamespace(h);
    Path shared = h.shared();
    String out = h.runOk("touch /shared/made; mkdir /shared/dir; stat -c '%u %g' /shared/made");
    assertEquals("0 0", out.strip(), "inside, the file is root's");
    assertEquals(100000, Files.getAttribute(shared.resolve("made"), "unix:uid"));
    assertEquals(100000, Files.getAttribute(shared.resolve("made"), "unix:gid"));
    assertEquals(100000, Files.getAttribute(shared.resolve("dir"), "unix:uid"));
  }

  @Test
  void aHostRootFileIsNobodyInside() throws IOException {
    userNamespace(h);
    Path shared = h.shared();
    Files.writeString(shared.resolve("hosts"), "x");
    assertEquals("65534 65534",
        h.runOk("stat -c '%u %g' /shared/hosts").strip(), "unmapped ids show as the overflow id");
  }

  @Test
  void devNodesAreBindMountsOfTheHosts() {
    userNamespace(h);
    Harness.Result r = h.run("echo ==mi==; cat /proc/self/mountinfo; echo ==null==; "
        + "stat -c '%F %t %T' /dev/null; echo ==use==; echo x > /dev/null && head -c 3 /dev/zero | wc -c");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    for (String dev : List.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
        "/dev/tty")) {
      Mount m = Inside.mountAt(out.get("mi"), dev);
      assertEquals(dev.substring(4), m.root(), () -> "a bind mount of the host's " + dev + ": " + m.line());
    }
    assertEquals("character special file 1 3", out.get("null"), r::toString);
    assertEquals("3", out.get("use"), r::toString);
  }

  @Test
  void anExistingUserNamespaceIsJoinedByPath() throws IOException {
    Process holder = h.host("unshare", "--user", "sleep", "60");
    Harness.awaitOwnNamespace(holder, "user");
    Files.writeString(Path.of("/proc/" + holder.pid() + "/uid_map"), "0 200000 65536\n");
    Files.writeString(Path.of("/proc/" + holder.pid() + "/gid_map"), "0 200000 65536\n");
    String expected = Harness.namespaceOf(holder.pid(), "user");
    h.joinNamespace("user", "/proc/" + holder.pid() + "/ns/user");
    ownRootfs(h, 200000);
    Path shared = h.shared();
    Map<String, String> out = Inside.sections(h.runOk(
        "echo ==ns==; readlink /proc/self/ns/user; echo ==uid_map==; cat /proc/self/uid_map; "
            + "echo ==id==; id -u; touch /shared/made"));
    assertEquals(expected, out.get("ns"));
    assertEquals("0 200000 65536", compact(out.get("uid_map")));
    assertEquals("0", out.get("id"));
    assertEquals(200000, Files.getAttribute(shared.resolve("made"), "unix:uid"));
  }

  @Test
  void mappingsWithoutAUserNamespaceAreRefused() {
    h.linux().put("uidMappings", mappings(0, HOST_ID, SIZE));
    h.linux().put("gidMappings", mappings(0, HOST_ID, SIZE));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.uidMappings"), r::toString);
    assertTrue(r.stderr().contains("user namespace"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void aUserNamespaceWithoutRootMappedIsRefused() {
    userNamespace(h);
    h.linux().put("uidMappings", mappings(1, HOST_ID, SIZE));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.uidMappings"), r::toString);
    assertTrue(r.stderr().contains("0"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void aUserNamespaceWithoutMappingsIsRefused() {
    userNamespace(h);
    h.linux().remove("uidMappings");
    h.linux().remove("gidMappings");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.uidMappings"), r::toString);
    h.assertNoContainer(id);
  }
}
