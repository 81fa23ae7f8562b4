package dev.capsa.cgroups;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.dbus.Variant;
import dev.capsa.spec.Resources;
import dev.capsa.spec.SpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SystemdScopeTest {

  @Test
  void withoutACgroupsPathTheScopeIsCapsaIdInTheSystemSlice() {
    assertEquals(new SystemdScope("capsa-web.scope", "system.slice", "/system.slice/capsa-web.scope"),
        SystemdScope.of(null, "web"));
    assertEquals(SystemdScope.of(null, "web"), SystemdScope.of("", "web"));
  }

  @Test
  void slicePrefixAndNameMakeTheUnitAndItsPath() {
    // What CRI-O and the kubelet pass: a nested slice, a prefix, the container id.
    assertEquals(new SystemdScope("crio-abc.scope", "kubepods-besteffort-pod1.slice",
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice"
                + "/crio-abc.scope"),
        SystemdScope.of("kubepods-besteffort-pod1.slice:crio:abc", "ignored"));
    // runc's names, also without a prefix.
    assertEquals(new SystemdScope("-x.scope", "system.slice", "/system.slice/-x.scope"),
        SystemdScope.of("::x", "id"));
    assertEquals("/p-x.scope", SystemdScope.of("-.slice:p:x", "id").cgroupPath());
  }

  @Test
  void aPathOfAnotherShapeIsRefusedNamingTheField() {
    for (String bad : List.of("/a/b", "a:b", "a:b:c:d", "user.slice:p:", "user:p:n",
        "a--b.slice:p:n", "-a.slice:p:n", "system.slice:p:n.slice", "system.slice:p:a b",
        "system.slice:p:a/b")) {
      SpecException e = assertThrows(SpecException.class, () -> SystemdScope.of(bad, "id"), bad);
      assertTrue(e.getMessage().startsWith("linux.cgroupsPath: "), e.getMessage());
    }
  }

  @Test
  void cpuListsBecomeByteMasks() {
    assertArrayEquals(new byte[] {0x0f, 0x02}, SystemdScope.bitmask("0-3,9", "f"));
    assertArrayEquals(new byte[] {0x01}, SystemdScope.bitmask("0", "f"));
    assertThrows(SpecException.class, () -> SystemdScope.bitmask("3-1", "f"));
    assertThrows(SpecException.class, () -> SystemdScope.bitmask("x", "f"));
  }

  private static Map<String, Object> props(Resources r, Layout layout, boolean update) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (Object p : SystemdScope.resourceProperties(r, layout, update, 252)) {
      List<?> pair = (List<?>) p;
      Variant v = (Variant) pair.get(1);
      Object value = v.value() instanceof byte[] b ? List.of(b[0]) : v.value();
      out.put(pair.get(0) + " " + v.signature(), value);
    }
    return out;
  }

  private static final Resources LIMITS = new Resources(
      new Resources.Memory(256L << 20, 128L << 20, 512L << 20, null, null, null, null, null,
          null),
      new Resources.Cpu(1024L, 50_000L, null, 100_001L, null, null, "0-1", "0", null),
      new Resources.Pids(64), new Resources.BlockIO(500, null, List.of(), List.of(), List.of(),
          List.of(), List.of()),
      List.of(), null, Map.of(), List.of(), Map.of());

  @Test
  void onV1AndHybridHostsTheLegacyPropertiesMirrorTheLimits() {
    Map<String, Object> p = props(LIMITS, Layouts.HYBRID, true);
    assertEquals(new ArrayList<>(List.of("MemoryLimit t", "CPUShares t", "CPUQuotaPerSecUSec t",
        "CPUQuotaPeriodUSec t", "TasksMax t", "BlockIOWeight t")), new ArrayList<>(p.keySet()));
    assertEquals(256L << 20, p.get("MemoryLimit t"));
    assertEquals(1024L, p.get("CPUShares t"));
    // 50000/100001 of a second is 499995 us, rounded up to whole percent.
    assertEquals(500_000L, p.get("CPUQuotaPerSecUSec t"));
    assertEquals(100_001L, p.get("CPUQuotaPeriodUSec t"));
    assertEquals(64L, p.get("TasksMax t"));
    assertEquals(500L, p.get("BlockIOWeight t"));
  }

  @Test
  void onPureV2TheUnifiedPropertiesMirrorTheLimitsConvertedAsRuncDoes() {
    Map<String, Object> p = props(LIMITS, Layouts.V2, true);
    assertEquals(256L << 20, p.get("MemoryMax t"));
    assertEquals(128L << 20, p.get("MemoryLow t"));
    assertEquals(256L << 20, p.get("MemorySwapMax t"));
    assertEquals(39L, p.get("CPUWeight t"));
    assertEquals(List.of((byte) 0x03), p.get("AllowedCPUs ay"));
    assertEquals(List.of((byte) 0x01), p.get("AllowedMemoryNodes ay"));
    assertEquals(4950L, p.get("IOWeight t"));
  }

  @Test
  void unlimitedIsSystemdsInfinity() {
    Resources r = new Resources(
        new Resources.Memory(-1L, null, -1L, null, null, null, null, null, null),
        new Resources.Cpu(null, -1L, null, null, null, null, null, null, null),
        new Resources.Pids(-1), null, List.of(), null, Map.of(), List.of(), Map.of());
    Map<String, Object> p = props(r, Layouts.V2, true);
    assertEquals(-1L, p.get("MemoryMax t"));
    assertEquals(-1L, p.get("MemorySwapMax t"));
    assertEquals(-1L, p.get("CPUQuotaPerSecUSec t"));
    assertEquals(-1L, p.get("TasksMax t"));
  }

  @Test
  void aNewScopeGetsAccountingAndTheContainersDevicesAsAStrictAllowList() {
    Resources r = new Resources(null, null, null, null, List.of(), null, Map.of(),
        List.of(new Resources.DeviceRule(true, "c", 10L, 200L, "rw")), Map.of());
    Map<String, Object> p = props(r, Layouts.HYBRID, false);
    assertEquals(true, p.get("MemoryAccounting b"));
    assertEquals(true, p.get("BlockIOAccounting b"));
    assertEquals("strict", p.get("DevicePolicy s"));
    assertEquals(List.of(List.of("/dev/char/10:200", "rw"), List.of("char-*", "m"),
        List.of("block-*", "m"), List.of("/dev/char/1:3", "rwm"), List.of("/dev/char/1:5", "rwm"),
        List.of("/dev/char/1:7", "rwm"), List.of("/dev/char/1:8", "rwm"),
        List.of("/dev/char/1:9", "rwm"), List.of("/dev/char/5:0", "rwm"),
        List.of("/dev/char/5:1", "rwm"), List.of("/dev/char/5:2", "rwm"),
        List.of("char-pts", "rwm")), p.get("DeviceAllow a(ss)"));
  }

  @Test
  void allowingEverythingLeavesSystemdsDevicePolicyAlone() {
    Resources r = new Resources(null, null, null, null, List.of(), null, Map.of(),
        List.of(new Resources.DeviceRule(true, "a", null, null, "rwm")), Map.of());
    Map<String, Object> p = props(r, Layouts.V1, false);
    assertTrue(!p.containsKey("DevicePolicy s") && !p.containsKey("DeviceAllow a(ss)"),
        p.toString());
  }

  @Test
  void aDenyListFailsClosedAsInRunc() {
    // Everything but /dev/kmsg: systemd takes allow-lists only.
    Resources r = new Resources(null, null, null, null, List.of(), null, Map.of(),
        List.of(new Resources.DeviceRule(true, "a", null, null, "rwm"),
            new Resources.DeviceRule(false, "c", 1L, 11L, "rwm")), Map.of());
    Map<String, Object> p = props(r, Layouts.V1, false);
    assertEquals("strict", p.get("DevicePolicy s"));
    assertEquals(List.of(), p.get("DeviceAllow a(ss)"));
  }

  @Test
  void oneMinorOfEveryMajorIsLeftOutNotWidenedToEveryDevice() {
    Resources r = new Resources(null, null, null, null, List.of(), null, Map.of(),
        List.of(new Resources.DeviceRule(true, "c", null, 5L, "rw")), Map.of());
    List<?> allow = (List<?>) props(r, Layouts.V1, false).get("DeviceAllow a(ss)");
    assertTrue(!allow.contains(List.of("char-*", "rw")), allow.toString());
    assertEquals(List.of("char-*", "m"), allow.get(0));
  }

  @Test
  void propertiesOlderSystemdDoesNotKnowAreLeftOut() {
    Map<String, Object> p = new java.util.LinkedHashMap<>();
    for (Object o : SystemdScope.resourceProperties(LIMITS, Layouts.V2, true, 239)) {
      p.put((String) ((List<?>) o).get(0), o);
    }
    assertTrue(p.containsKey("CPUQuotaPerSecUSec") && !p.containsKey("CPUQuotaPeriodUSec")
        && !p.containsKey("AllowedCPUs") && !p.containsKey("AllowedMemoryNodes"), p.toString());
  }

  @Test
  void aPidsLimitOfZeroSaysNothing() {
    Resources r = new Resources(null, null, new Resources.Pids(0), null, List.of(), null,
        Map.of(), List.of(), Map.of());
    assertEquals(Map.of(), props(r, Layouts.V2, true));
  }

  @Test
  void anUpdateSetsOnlyWhatItNames() {
    Resources r = new Resources(null, null, new Resources.Pids(10), null, List.of(), null,
        Map.of(), List.of(), Map.of());
    assertEquals(Map.of("TasksMax t", 10L), props(r, Layouts.V1, true));
  }
}
