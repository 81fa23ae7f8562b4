package dev.capsa.it;

import static dev.capsa.it.UserNamespacesIT.mappings;
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
 * Idmapped mounts (config.md "Mounts": the {@code idmap} and {@code ridmap} options, a mount's
 * own {@code uidMappings} and {@code gidMappings}). As in runc, a file owned by
 * {@code containerID} on the source appears owned by {@code hostID} through the mount.
 */
class IdmappedMountsIT {
  @RegisterExtension final Harness h = new Harness();

  /** The source: {@code root-file} owned by 0:0, {@code other-file} by 5000:5000. */
  private Path source() throws IOException {
    Path src = h.newDir("src");
    Files.writeString(src.resolve("root-file"), "r");
    Files.writeString(src.resolve("other-file"), "o");
    Harness.execOk(List.of("chown", "5000:5000", src.resolve("other-file").toString()));
    Harness.execOk(List.of("chmod", "777", src.toString()));
    return src;
  }

  /** A tmpfs mounted on the host at {@code dir/sub} with {@code inner} (0:0) in it; unmounted at cleanup. */
  private void submount(Path dir) throws IOException {
    Path sub = Files.createDirectories(dir.resolve("sub"));
    Harness.execOk(List.of("mount", "-t", "tmpfs", "capsa-it-sub", sub.toString()));
    h.onCleanup(() -> Harness.execOk(List.of("umount", sub.toString())));
    Files.writeString(sub.resolve("inner"), "i");
  }

  /** A bind mount of {@code src} at {@code dest} with {@code options}, mapping 0 to 1000. */
  private Map<String, Object> idmapped(String dest, Path src, String... options) {
    Map<String, Object> m = h.addMount(dest, "bind", src.toString(), options);
    m.put("uidMappings", mappings(0, 1000, 1));
    m.put("gidMappings", mappings(0, 1000, 1));
    return m;
  }

  @Test
  void aFileOwnedByContainerIdAppearsOwnedByHostId() throws IOException {
    Path src = source();
    idmapped("/m", src, "bind", "idmap");
    Harness.Result r = h.run("echo ==root==; stat -c '%u:%g' /m/root-file; echo ==other==; "
        + "stat -c '%u:%g' /m/other-file; echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("1000:1000", out.get("root"), r::toString);
    assertEquals("65534:65534", out.get("other"), () -> "an id outside the mapping: " + r);
    Mount m = Inside.mountAt(out.get("mi"), "/m");
    assertTrue(m.has("idmapped"), m.line());
    assertEquals(0, Files.getAttribute(src.resolve("root-file"), "unix:uid"),
        "the source is unchanged on the host");
  }

  @Test
  void ridmapMapsTheSubmountsOfAnRbind() throws IOException {
    Path src = source();
    submount(src);
    idmapped("/m", src, "rbind", "ridmap");
    Harness.Result r = h.run("echo ==top==; stat -c '%u' /m/root-file; echo ==inner==; "
        + "stat -c '%u' /m/sub/inner; echo ==mi==; cat /proc/self/mountinfo");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("1000", out.get("top"), r::toString);
    assertEquals("1000", out.get("inner"), r::toString);
    Mount sub = Inside.mountAt(out.get("mi"), "/m/sub");
    assertEquals("tmpfs", sub.fstype(), sub.line());
    assertTrue(sub.has("idmapped"), sub.line());
  }

  @Test
  void idmapOnAnRbindMapsOnlyTheTopMountAndKeepsTheSubmounts() throws IOException {
    Path src = source();
    submount(src);
    idmapped("/m", src, "rbind", "idmap");
    Harness.Result r = h.run("echo ==top==; stat -c '%u' /m/root-file; echo ==inner==; "
        + "stat -c '%u' /m/sub/inner; echo ==mi==; cat /proc/self/mountinfo");
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("1000", out.get("top"), r::toString);
    Mount sub = Inside.mountAt(out.get("mi"), "/m/sub");
    assertEquals("tmpfs", sub.fstype(), () -> "rbind keeps the submount: " + sub.line());
    assertFalse(sub.has("idmapped"), sub.line());
    assertEquals("0", out.get("inner"), () -> "idmap is not recursive: " + r);
    r.ok();
  }

  @Test
  void idmapWithoutMappingsOrUserNamespaceIsRefused() throws IOException {
    Path src = source();
    h.addMount("/m", "bind", src.toString(), "bind", "idmap");
    int i = h.mountIndex("/m");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("mounts[" + i + "].options"), r::toString);
    assertTrue(r.stderr().contains("idmap"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void uidMappingsWithoutGidMappingsIsRefused() throws IOException {
    Path src = source();
    Map<String, Object> m = h.addMount("/m", "bind", src.toString(), "bind", "idmap");
    m.put("uidMappings", mappings(0, 1000, 1));
    int i = h.mountIndex("/m");
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("mounts[" + i + "]"), r::toString);
    assertTrue(r.stderr().contains("gidMappings"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void idmapWithoutMappingsUsesTheContainersUserNamespace() throws IOException {
    Path src = source();
    UserNamespacesIT.userNamespace(h);
    h.addMount("/m", "bind", src.toString(), "bind", "idmap");
    h.addMount("/plain", "bind", src.toString(), "bind");
    Harness.Result r = h.run("echo ==idmapped==; stat -c '%u:%g' /m/root-file; echo ==plain==; "
        + "stat -c '%u:%g' /plain/root-file; touch /m/made");
    r.ok();
    Map<String, String> out = Inside.sections(r.stdout());
    assertEquals("0:0", out.get("idmapped"), () -> "host root is the container's root: " + r);
    assertEquals("65534:65534", out.get("plain"), () -> "without idmap it is unmapped: " + r);
    assertEquals(0, Files.getAttribute(src.resolve("made"), "unix:uid"),
        "made by the container's root through the idmapped mount: host root's");
  }

  @Test
  void ownMappingsInAContainerWithAUserNamespace() throws IOException {
    Path src = source();
    UserNamespacesIT.userNamespace(h);
    Map<String, Object> m = h.addMount("/m", "bind", src.toString(), "bind", "idmap");
    // On-disk 0 appears as host 100000, which is the container's root.
    m.put("uidMappings", mappings(0, UserNamespacesIT.HOST_ID, 1));
    m.put("gidMappings", mappings(0, UserNamespacesIT.HOST_ID, 1));
    assertEquals("0:0", h.runOk("stat -c '%u:%g' /m/root-file").strip());
  }
}
