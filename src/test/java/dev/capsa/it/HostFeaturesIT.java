package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fields that need something of the host (AppArmor, SELinux, resctrl): on a host without
 * it, create fails with a message that says so, and never runs the container unconfined.
 * These tests expect a host without any of them, as the test machine is.
 */
class HostFeaturesIT {
  @RegisterExtension final Harness h = new Harness();

  @BeforeEach
  void hostHasNone() throws Exception {
    boolean apparmor = Files.exists(Path.of("/sys/module/apparmor/parameters/enabled"))
        && Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).startsWith("Y");
    assertEquals(false, apparmor, "this test expects a host without AppArmor");
    assertEquals(false, Files.exists(Path.of("/sys/fs/selinux/enforce")), "SELinux");
    assertEquals(false, Files.exists(Path.of("/sys/fs/resctrl/schemata")), "resctrl");
  }

  private void createFails(String field, String host) {
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains(field), r::toString);
    assertTrue(r.stderr().contains(host), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void apparmorProfile() {
    h.process().put("apparmorProfile", "capsa-it-profile");
    createFails("process.apparmorProfile", "AppArmor");
  }

  @Test
  void selinuxLabel() {
    h.process().put("selinuxLabel", "system_u:system_r:container_t:s0:c1,c2");
    createFails("process.selinuxLabel", "SELinux");
  }

  @Test
  void mountLabel() {
    h.linux().put("mountLabel", "system_u:object_r:container_file_t:s0:c1,c2");
    createFails("linux.mountLabel", "SELinux");
  }

  @Test
  void intelRdt() {
    Map<String, Object> rdt = new LinkedHashMap<>();
    rdt.put("closID", "capsa-it");
    rdt.put("l3CacheSchema", "L3:0=f");
    h.linux().put("intelRdt", rdt);
    createFails("linux.intelRdt", "resctrl");
  }
}
