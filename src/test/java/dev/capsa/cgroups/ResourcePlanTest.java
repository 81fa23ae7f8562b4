package dev.capsa.cgroups;

import static dev.capsa.cgroups.Layouts.HYBRID;
import static dev.capsa.cgroups.Layouts.V1;
import static dev.capsa.cgroups.Layouts.V2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.capsa.cgroups.ResourcePlan.Write;
import dev.capsa.json.Json;
import dev.capsa.spec.ConfigParser;
import dev.capsa.spec.Resources;
import dev.capsa.spec.SpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * linux.resources as the exact cgroup writes, on a v1 host, a pure v2 host and this project's
 * hybrid host (v1 everything, hugetlb on v2): config-linux.md's fields, with runc's conversions
 * between the v1 and v2 interfaces.
 */
class ResourcePlanTest {

  // ------------------------------------------------------------------ helpers

  /** linux.resources from JSON written with single quotes. */
  private static Resources resources(String json) {
    @SuppressWarnings("unchecked")
    Map<String, Object> tree = (Map<String, Object>) Json.parse(json.replace('\'', '"'));
    return ConfigParser.resources(tree);
  }

  private static ResourcePlan plan(Layout layout, String json) {
    return ResourcePlan.of(resources(json), layout, false);
  }

  /** The writes of a create, but for the device rules every create writes (tested apart). */
  private static List<Write> writes(Layout layout, String json) {
    return plan(layout, json).writes().stream().filter(x -> !x.controller().equals("devices"))
        .toList();
  }

  private static Write w(String field, String controller, String file, String value) {
    return new Write("linux.resources." + field, controller, file, value);
  }

  /** A write skipped where the kernel lacks the file. */
  private static Write optional(String field, String controller, String file, String value) {
    return new Write("linux.resources." + field, controller, file, value, true);
  }

  /** The message of the SpecException planning {@code json} on {@code layout} throws. */
  private static String refused(Layout layout, String json) {
    SpecException e = assertThrows(SpecException.class, () -> plan(layout, json),
        () -> json + " must be refused on " + layout);
    return e.getMessage();
  }

  private static void assertMessage(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), () -> "\"" + message + "\" should contain \"" + p + "\"");
    }
  }

  // ------------------------------------------------------------------ nothing

  @Test
  void nothingToWriteButDevices() {
    for (Layout l : List.of(V1, V2, HYBRID)) {
      ResourcePlan p = ResourcePlan.of(Resources.NONE, l, false);
      assertEquals(List.of(), p.writes().stream().filter(x -> !x.controller().equals("devices"))
          .toList());
    }
  }

  // ------------------------------------------------------------------ memory

  @Test
  void memoryV1EveryField() {
    assertEquals(List.of(
        w("memory.limit", "memory", "memory.limit_in_bytes", "536870912"),
        w("memory.reservation", "memory", "memory.soft_limit_in_bytes", "268435456"),
        w("memory.swap", "memory", "memory.memsw.limit_in_bytes", "1073741824"),
        w("memory.kernel", "memory", "memory.kmem.limit_in_bytes", "-1"),
        w("memory.kernelTCP", "memory", "memory.kmem.tcp.limit_in_bytes", "-1"),
        w("memory.swappiness", "memory", "memory.swappiness", "0"),
        w("memory.disableOOMKiller", "memory", "memory.oom_control", "1"),
        w("memory.useHierarchy", "memory", "memory.use_hierarchy", "0")),
        writes(V1, "{'memory': {'limit': 536870912, 'reservation': 268435456, 'swap': 1073741824,"
            + " 'kernel': -1, 'kernelTCP': -1, 'swappiness': 0, 'disableOOMKiller': true,"
            + " 'useHierarchy': false}}"));
  }

  @Test
  void memoryV1UnlimitedIsMinusOne() {
    assertEquals(List.of(
        w("memory.limit", "memory", "memory.limit_in_bytes", "-1"),
        w("memory.swap", "memory", "memory.memsw.limit_in_bytes", "-1")),
        writes(V1, "{'memory': {'limit': -1, 'swap': -1}}"));
  }

  @Test
  void memoryV1FlagsThatChangeNothing() {
    assertEquals(List.of(w("memory.useHierarchy", "memory", "memory.use_hierarchy", "1")),
        writes(V1, "{'memory': {'disableOOMKiller': false, 'useHierarchy': true}}"));
  }

  @Test
  void memoryOnTheHybridHostIsV1() {
    assertEquals(List.of(
        w("memory.limit", "memory", "memory.limit_in_bytes", "1048576"),
        w("memory.swap", "memory", "memory.memsw.limit_in_bytes", "2097152")),
        writes(HYBRID, "{'memory': {'limit': 1048576, 'swap': 2097152}}"));
  }

  @Test
  void memoryV2() {
    assertEquals(List.of(
        w("memory.limit", "memory", "memory.max", "536870912"),
        w("memory.reservation", "memory", "memory.low", "268435456"),
        // config-linux.md's swap is memory + swap; memory.swap.max is the swap alone.
        w("memory.swap", "memory", "memory.swap.max", "536870912")),
        writes(V2, "{'memory': {'limit': 536870912, 'reservation': 268435456,"
            + " 'swap': 1073741824, 'useHierarchy': true}}"));
  }

  @Test
  void memoryV2Unlimited() {
    assertEquals(List.of(
        w("memory.limit", "memory", "memory.max", "max"),
        w("memory.reservation", "memory", "memory.low", "max"),
        w("memory.swap", "memory", "memory.swap.max", "max")),
        writes(V2, "{'memory': {'limit': -1, 'reservation': -1, 'swap': -1}}"));
  }

  @Test
  void memoryV2SwapConversion() {
    // runc's ConvertMemorySwapToCgroupV2Value.
    assertEquals(List.of(w("memory.limit", "memory", "memory.max", "100"),
        w("memory.swap", "memory", "memory.swap.max", "0")),
        writes(V2, "{'memory': {'limit': 100, 'swap': 100}}"), "swap equal to limit: no swap");
    assertEquals(List.of(w("memory.swap", "memory", "memory.swap.max", "0")),
        writes(V2, "{'memory': {'swap': 0}}"));
    assertEquals(List.of(w("memory.swap", "memory", "memory.swap.max", "max")),
        writes(V2, "{'memory': {'swap': -1}}"), "unlimited swap needs no limit");
    assertEquals(List.of(w("memory.limit", "memory", "memory.max", "max"),
        w("memory.swap", "memory", "memory.swap.max", "max")),
        writes(V2, "{'memory': {'limit': -1, 'swap': -1}}"));
  }

  @Test
  void memoryV2SwapErrors() {
    assertMessage(refused(V2, "{'memory': {'swap': 1000}}"),
        "linux.resources.memory.swap", "needs memory.limit");
    assertMessage(refused(V2, "{'memory': {'limit': 0, 'swap': 1000}}"),
        "linux.resources.memory.swap", "needs memory.limit");
    assertMessage(refused(V2, "{'memory': {'limit': -1, 'swap': 1000}}"),
        "linux.resources.memory.swap", "unlimited memory.limit");
    assertMessage(refused(V2, "{'memory': {'limit': 2000, 'swap': 1000}}"),
        "linux.resources.memory.swap", "1000", "below memory.limit 2000");
  }

  @Test
  void memoryV2RefusesWhatV2CannotExpress() {
    assertMessage(refused(V2, "{'memory': {'kernel': 1048576}}"),
        "linux.resources.memory.kernel", "cgroup v2 has no interface");
    assertMessage(refused(V2, "{'memory': {'kernelTCP': 1048576}}"),
        "linux.resources.memory.kernelTCP", "cgroup v2 has no interface");
    assertMessage(refused(V2, "{'memory': {'swappiness': 10}}"),
        "linux.resources.memory.swappiness", "cgroup v2");
    assertMessage(refused(V2, "{'memory': {'disableOOMKiller': true}}"),
        "linux.resources.memory.disableOOMKiller", "cgroup v2");
    assertMessage(refused(V2, "{'memory': {'useHierarchy': false}}"),
        "linux.resources.memory.useHierarchy", "always hierarchical");
  }

  @Test
  void swappinessRange() {
    assertEquals(List.of(w("memory.swappiness", "memory", "memory.swappiness", "100")),
        writes(V1, "{'memory': {'swappiness': 100}}"));
    assertMessage(refused(V1, "{'memory': {'swappiness': 101}}"),
        "linux.resources.memory.swappiness", "101 is not 0 to 100");
    // uint64: a value above Long.MAX_VALUE is not read as negative.
    assertMessage(refused(V1, "{'memory': {'swappiness': 9223372036854775808}}"),
        "linux.resources.memory.swappiness", "9223372036854775808 is not 0 to 100");
  }

  @Test
  void swappinessMinusOneMeansUnsetAsInRunc() {
    assertEquals(List.of(), writes(V1, "{'memory': {'swappiness': 18446744073709551615}}"));
  }

  // ------------------------------------------------------------------ cpu

  @Test
  void cpuV1EveryField() {
    assertEquals(List.of(
        w("cpu.shares", "cpu", "cpu.shares", "1024"),
        // The period before the quota: a quota is checked against the current period.
        w("cpu.period", "cpu", "cpu.cfs_period_us", "500000"),
        w("cpu.quota", "cpu", "cpu.cfs_quota_us", "1000000"),
        w("cpu.burst", "cpu", "cpu.cfs_burst_us", "1000000"),
        // As runc: the realtime period before the runtime.
        w("cpu.realtimePeriod", "cpu", "cpu.rt_period_us", "1000000"),
        w("cpu.realtimeRuntime", "cpu", "cpu.rt_runtime_us", "950000"),
        w("cpu.cpus", "cpuset", "cpuset.cpus", "2-3"),
        w("cpu.mems", "cpuset", "cpuset.mems", "0-7"),
        w("cpu.idle", "cpu", "cpu.idle", "0")),
        writes(V1, "{'cpu': {'shares': 1024, 'quota': 1000000, 'burst': 1000000, 'period': 500000,"
            + " 'realtimeRuntime': 950000, 'realtimePeriod': 1000000, 'cpus': '2-3',"
            + " 'mems': '0-7', 'idle': 0}}"));
  }

  @Test
  void cpuV1QuotaAlone() {
    assertEquals(List.of(w("cpu.quota", "cpu", "cpu.cfs_quota_us", "-1")),
        writes(V1, "{'cpu': {'quota': -1}}"));
    assertEquals(List.of(w("cpu.period", "cpu", "cpu.cfs_period_us", "100000")),
        writes(HYBRID, "{'cpu': {'period': 100000}}"));
  }

  @Test
  void cpuEmptyCpusAndZeroSharesWriteNothing() {
    assertEquals(List.of(), writes(V1, "{'cpu': {'shares': 0, 'cpus': '', 'mems': ''}}"));
    assertEquals(List.of(), writes(V2, "{'cpu': {'shares': 0, 'cpus': '', 'mems': ''}}"));
  }

  @Test
  void cpuV1ZeroQuotaAndPeriodAreNotSet() {
    assertEquals(List.of(), writes(V1, "{'cpu': {'quota': 0, 'period': 0}}"));
    assertEquals(List.of(w("cpu.period", "cpu", "cpu.cfs_period_us", "100000")),
        writes(V1, "{'cpu': {'quota': 0, 'period': 100000}}"));
  }

  @Test
  void cpuSharesToWeight() {
    // runc's ConvertCPUSharesToCgroupV2Value: 1 + ((shares - 2) * 9999) / 262142.
    long[][] cases = {{2, 1}, {512, 20}, {1024, 39}, {262144, 10000}};
    for (long[] c : cases) {
      assertEquals(List.of(w("cpu.shares", "cpu", "cpu.weight", Long.toString(c[1]))),
          writes(V2, "{'cpu': {'shares': " + c[0] + "}}"), "shares " + c[0]);
    }
  }

  @Test
  void cpuV2Max() {
    assertEquals(List.of(w("cpu.quota", "cpu", "cpu.max", "50000 100000")),
        writes(V2, "{'cpu': {'quota': 50000, 'period': 100000}}"));
    assertEquals(List.of(w("cpu.quota", "cpu", "cpu.max", "50000")),
        writes(V2, "{'cpu': {'quota': 50000}}"));
    assertEquals(List.of(w("cpu.quota", "cpu", "cpu.max", "max 100000")),
        writes(V2, "{'cpu': {'quota': -1, 'period': 100000}}"));
    assertEquals(List.of(w("cpu.period", "cpu", "cpu.max", "max 250000")),
        writes(V2, "{'cpu': {'period': 250000}}"));
  }

  @Test
  void cpuV2OtherFields() {
    assertEquals(List.of(
        w("cpu.shares", "cpu", "cpu.weight", "39"),
        w("cpu.quota", "cpu", "cpu.max", "20000 100000"),
        w("cpu.burst", "cpu", "cpu.max.burst", "10000"),
        w("cpu.cpus", "cpuset", "cpuset.cpus", "0,2"),
        w("cpu.mems", "cpuset", "cpuset.mems", "0"),
        w("cpu.idle", "cpu", "cpu.idle", "1")),
        writes(V2, "{'cpu': {'shares': 1024, 'quota': 20000, 'period': 100000, 'burst': 10000,"
            + " 'cpus': '0,2', 'mems': '0', 'idle': 1}}"));
  }

  @Test
  void cpuV2RefusesRealtime() {
    assertMessage(refused(V2, "{'cpu': {'realtimeRuntime': 950000}}"),
        "linux.resources.cpu.realtimeRuntime", "cgroup v2 has no interface");
    assertMessage(refused(V2, "{'cpu': {'realtimePeriod': 1000000}}"),
        "linux.resources.cpu.realtimePeriod", "cgroup v2 has no interface");
  }

  // ------------------------------------------------------------------ pids

  @Test
  void pids() {
    for (Layout l : List.of(V1, V2, HYBRID)) {
      assertEquals(List.of(w("pids.limit", "pids", "pids.max", "32771")),
          writes(l, "{'pids': {'limit': 32771}}"));
      assertEquals(List.of(w("pids.limit", "pids", "pids.max", "max")),
          writes(l, "{'pids': {'limit': -1}}"));
      // runc 1.1 leaves pids.max at "max" for 0 too (it writes only non-zero limits).
      assertEquals(List.of(w("pids.limit", "pids", "pids.max", "max")),
          writes(l, "{'pids': {'limit': 0}}"));
    }
  }

  // ------------------------------------------------------------------ blockIO

  private static final String BLOCK_IO = "{'blockIO': {'weight': 500, 'weightDevice': ["
      + "{'major': 8, 'minor': 0, 'weight': 600}, {'major': 8, 'minor': 16, 'weight': 10}],"
      + " 'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
      + " 'throttleWriteBpsDevice': [{'major': 8, 'minor': 16, 'rate': 2097152}],"
      + " 'throttleReadIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 300}],"
      + " 'throttleWriteIOPSDevice': [{'major': 8, 'minor': 16, 'rate': 0}]}}";

  @Test
  void blockIoV1() {
    assertEquals(List.of(
        w("blockIO.weight", "blkio", "blkio.weight", "500"),
        w("blockIO.weightDevice[0].weight", "blkio", "blkio.weight_device", "8:0 600"),
        w("blockIO.weightDevice[1].weight", "blkio", "blkio.weight_device", "8:16 10"),
        w("blockIO.throttleReadBpsDevice[0]", "blkio", "blkio.throttle.read_bps_device",
            "8:0 1048576"),
        w("blockIO.throttleWriteBpsDevice[0]", "blkio", "blkio.throttle.write_bps_device",
            "8:16 2097152"),
        w("blockIO.throttleReadIOPSDevice[0]", "blkio", "blkio.throttle.read_iops_device",
            "8:0 300"),
        w("blockIO.throttleWriteIOPSDevice[0]", "blkio", "blkio.throttle.write_iops_device",
            "8:16 0")),
        writes(V1, BLOCK_IO));
    assertEquals(writes(V1, BLOCK_IO), writes(HYBRID, BLOCK_IO), "blkio is v1 on the hybrid host");
  }

  @Test
  void blockIoZeroWeightsAreNotSet() {
    // runc writes only non-zero weights; Docker sends "weight": 0 for every container.
    for (Layout l : List.of(V1, V2, HYBRID)) {
      assertEquals(List.of(), writes(l, "{'blockIO': {'weight': 0}}"), l.toString());
    }
    assertEquals(List.of(), writes(V1, "{'blockIO': {'weight': 0, 'leafWeight': 0,"
        + " 'weightDevice': [{'major': 8, 'minor': 0, 'weight': 0, 'leafWeight': 0}]}}"));
  }

  @Test
  void blockIoV1LeafWeights() {
    assertEquals(List.of(
        w("blockIO.weight", "blkio", "blkio.weight", "10"),
        w("blockIO.leafWeight", "blkio", "blkio.leaf_weight", "10"),
        w("blockIO.weightDevice[0].weight", "blkio", "blkio.weight_device", "8:0 500"),
        w("blockIO.weightDevice[0].leafWeight", "blkio", "blkio.leaf_weight_device", "8:0 300")),
        writes(V1, "{'blockIO': {'weight': 10, 'leafWeight': 10, 'weightDevice': "
            + "[{'major': 8, 'minor': 0, 'weight': 500, 'leafWeight': 300}]}}"));
  }

  @Test
  void blockIoV2() {
    // runc's ConvertBlkIOToIOWeightValue: 1 + (weight - 10) * 9999 / 990.
    assertEquals(List.of(
        w("blockIO.weight", "io", "io.weight", "default 4950"),
        w("blockIO.weightDevice[0].weight", "io", "io.weight", "8:0 5960"),
        w("blockIO.weightDevice[1].weight", "io", "io.weight", "8:16 1"),
        w("blockIO.throttleReadBpsDevice[0]", "io", "io.max", "8:0 rbps=1048576"),
        w("blockIO.throttleWriteBpsDevice[0]", "io", "io.max", "8:16 wbps=2097152"),
        w("blockIO.throttleReadIOPSDevice[0]", "io", "io.max", "8:0 riops=300"),
        w("blockIO.throttleWriteIOPSDevice[0]", "io", "io.max", "8:16 wiops=max")),
        writes(V2, BLOCK_IO));
  }

  @Test
  void blockIoWeightConversion() {
    long[][] cases = {{10, 1}, {100, 910}, {500, 4950}, {1000, 10000}};
    for (long[] c : cases) {
      assertEquals(c[1], 1 + (c[0] - 10) * 9999 / 990, "the formula itself");
      assertEquals(List.of(w("blockIO.weight", "io", "io.weight", "default " + c[1])),
          writes(V2, "{'blockIO': {'weight': " + c[0] + "}}"), "weight " + c[0]);
    }
  }

  @Test
  void blockIoV2RefusesLeafWeights() {
    assertMessage(refused(V2, "{'blockIO': {'leafWeight': 10}}"),
        "linux.resources.blockIO.leafWeight", "cgroup v2 has no leaf weight");
    assertMessage(refused(V2, "{'blockIO': {'weightDevice': "
        + "[{'major': 8, 'minor': 0, 'weight': 500, 'leafWeight': 300}]}}"),
        "linux.resources.blockIO.weightDevice[0].leafWeight", "cgroup v2 has no leaf weight");
  }

  @Test
  void blockIoWithoutAController() {
    assertMessage(refused(Layouts.NONE, "{'blockIO': {'weight': 10}}"),
        "linux.resources.blockIO", "no blkio or io cgroup controller");
  }

  // ------------------------------------------------------------------ hugetlb

  private static final String HUGEPAGES = "{'hugepageLimits': [{'pageSize': '2MB', 'limit':"
      + " 209715200}, {'pageSize': '1GB', 'limit': 18446744073709551615}]}";

  @Test
  void hugepageLimitsV1() {
    assertEquals(List.of(
        w("hugepageLimits[0]", "hugetlb", "hugetlb.2MB.limit_in_bytes", "209715200"),
        optional("hugepageLimits[0]", "hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", "209715200"),
        w("hugepageLimits[1]", "hugetlb", "hugetlb.1GB.limit_in_bytes", "18446744073709551615"),
        optional("hugepageLimits[1]", "hugetlb", "hugetlb.1GB.rsvd.limit_in_bytes",
            "18446744073709551615")),
        writes(V1, HUGEPAGES));
  }

  @Test
  void hugepageLimitsV2() {
    assertEquals(List.of(
        w("hugepageLimits[0]", "hugetlb", "hugetlb.2MB.max", "209715200"),
        optional("hugepageLimits[0]", "hugetlb", "hugetlb.2MB.rsvd.max", "209715200"),
        w("hugepageLimits[1]", "hugetlb", "hugetlb.1GB.max", "18446744073709551615"),
        optional("hugepageLimits[1]", "hugetlb", "hugetlb.1GB.rsvd.max", "18446744073709551615")),
        writes(V2, HUGEPAGES));
  }

  @Test
  void hugepageLimitsOnTheHybridHostGoToV2() {
    assertEquals(writes(V2, HUGEPAGES), writes(HYBRID, HUGEPAGES));
  }

  // ------------------------------------------------------------------ network, rdma

  @Test
  void networkV1() {
    assertEquals(List.of(
        w("network.classID", "net_cls", "net_cls.classid", "1048577"),
        w("network.priorities[0]", "net_prio", "net_prio.ifpriomap", "eth0 500"),
        w("network.priorities[1]", "net_prio", "net_prio.ifpriomap", "eth1 1000")),
        writes(V1, "{'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority':"
            + " 500}, {'name': 'eth1', 'priority': 1000}]}}"));
  }

  @Test
  void networkRefusedOnV2() {
    assertMessage(refused(V2, "{'network': {'classID': 1048577}}"),
        "linux.resources.network.classID", "net_cls");
    assertMessage(refused(V2, "{'network': {'priorities': [{'name': 'eth0', 'priority': 5}]}}"),
        "linux.resources.network.priorities[0]", "net_prio");
    // The hybrid host has neither controller at all.
    assertMessage(refused(HYBRID, "{'network': {'classID': 1}}"),
        "linux.resources.network.classID", "no net_cls cgroup controller");
  }

  @Test
  void rdma() {
    String json = "{'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000},"
        + " 'mlx4_0': {'hcaObjects': 1000}}}";
    List<Write> expected = List.of(
        w("rdma[\"mlx5_1\"]", "rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"),
        w("rdma[\"mlx4_0\"]", "rdma", "rdma.max", "mlx4_0 hca_object=1000"));
    assertEquals(expected, writes(V1, json));
    assertEquals(expected, writes(V2, json));
    assertMessage(refused(HYBRID, json), "linux.resources.rdma[\"mlx5_1\"]",
        "no rdma cgroup controller");
  }

  // ------------------------------------------------------------------ devices

  private static final String DEVICES = "{'devices': [{'allow': false, 'access': 'rwm'},"
      + " {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'},"
      + " {'allow': true, 'type': 'b', 'major': 8, 'minor': 0, 'access': 'r'},"
      + " {'allow': false, 'type': 'c', 'major': 10, 'access': 'w'}]}";

  private static List<Write> defaultDeviceWrites() {
    String f = "devices (default devices)";
    return List.of(
        w(f, "devices", "devices.allow", "c *:* m"),
        w(f, "devices", "devices.allow", "b *:* m"),
        w(f, "devices", "devices.allow", "c 1:3 rwm"),
        w(f, "devices", "devices.allow", "c 1:5 rwm"),
        w(f, "devices", "devices.allow", "c 1:7 rwm"),
        w(f, "devices", "devices.allow", "c 1:8 rwm"),
        w(f, "devices", "devices.allow", "c 1:9 rwm"),
        w(f, "devices", "devices.allow", "c 5:0 rwm"),
        w(f, "devices", "devices.allow", "c 5:1 rwm"),
        w(f, "devices", "devices.allow", "c 5:2 rwm"),
        w(f, "devices", "devices.allow", "c 136:* rwm"));
  }

  @Test
  void devicesV1InOrderThenTheDefaultDevices() {
    List<Write> expected = new ArrayList<>(List.of(
        w("devices (deny all first)", "devices", "devices.deny", "a *:* rwm"),
        w("devices[0]", "devices", "devices.deny", "a *:* rwm"),
        w("devices[1]", "devices", "devices.allow", "c 10:229 rw"),
        w("devices[2]", "devices", "devices.allow", "b 8:0 r"),
        w("devices[3]", "devices", "devices.deny", "c 10:* w")));
    expected.addAll(defaultDeviceWrites());
    ResourcePlan p = plan(V1, DEVICES);
    assertEquals(expected, p.writes());
    assertNull(p.v2Devices(), "devices is a v1 controller here");
    assertEquals(expected, plan(HYBRID, DEVICES).writes(), "devices is v1 on the hybrid host");
  }

  @Test
  void devicesV1UpdateLeavesTheDefaultsOut() {
    assertEquals(List.of(
        w("devices[0]", "devices", "devices.deny", "a *:* rwm"),
        w("devices[1]", "devices", "devices.allow", "c 10:229 rw"),
        w("devices[2]", "devices", "devices.allow", "b 8:0 r"),
        w("devices[3]", "devices", "devices.deny", "c 10:* w")),
        ResourcePlan.of(resources(DEVICES), V1, true).writes());
  }

  @Test
  void devicesV2AreAnEbpfProgramsRules() {
    ResourcePlan p = plan(V2, DEVICES);
    assertEquals(List.of(), p.writes());
    List<Resources.DeviceRule> expected = new ArrayList<>(List.of(ResourcePlan.DENY_ALL_DEVICES));
    expected.addAll(resources(DEVICES).devices());
    expected.addAll(ResourcePlan.DEFAULT_DEVICES);
    assertEquals(expected, p.v2Devices());
    assertEquals(resources(DEVICES).devices(), ResourcePlan.of(resources(DEVICES), V2, true)
        .v2Devices(), "update: without the default devices");
  }

  @Test
  void devicesBadTypeOrAccess() {
    assertMessage(refused(V1, "{'devices': [{'allow': true, 'type': 'p'}]}"),
        "linux.resources.devices[0].type", "p is not a, c or b");
    assertMessage(refused(V2, "{'devices': [{'allow': true}, {'allow': true, 'access': 'rx'}]}"),
        "linux.resources.devices[1].access", "rx");
  }

  @Test
  void deviceLines() {
    assertEquals("a *:* rwm", ResourcePlan.deviceLine(
        new Resources.DeviceRule(false, null, null, null, null)));
    assertEquals("c *:* m", ResourcePlan.deviceLine(
        new Resources.DeviceRule(true, "c", null, null, "m")));
    assertEquals("b 8:* r", ResourcePlan.deviceLine(
        new Resources.DeviceRule(true, "b", 8L, -1L, "r")));
    assertEquals("c 1:3 rw", ResourcePlan.deviceLine(
        new Resources.DeviceRule(true, "c", 1L, 3L, "rw")));
  }

  @Test
  void withoutDeviceRulesTheDefaultsStillApplyAsInRunc() {
    List<String> expected = new ArrayList<>(List.of("devices.deny a *:* rwm"));
    for (Write d : defaultDeviceWrites()) {
      expected.add(d.file() + " " + d.value());
    }
    assertEquals(expected, plan(V1, "{'pids': {'limit': 10}}").writes().stream()
        .filter(x -> x.controller().equals("devices")).map(x -> x.file() + " " + x.value())
        .toList());
  }

  // ------------------------------------------------------------------ unified

  @Test
  void unifiedOnV2IsWrittenAsGiven() {
    assertEquals(List.of(
        w("unified[\"memory.high\"]", "memory", "memory.high", "50000000"),
        w("unified[\"cgroup.max.descendants\"]", "", "cgroup.max.descendants", "10"),
        w("unified[\"io.max\"]", "io", "io.max", "8:0 rbps=max")),
        writes(V2, "{'unified': {'memory.high': '50000000', 'cgroup.max.descendants': '10',"
            + " 'io.max': '8:0 rbps=max'}}"));
  }

  @Test
  void unifiedKeyOfAControllerNotOnV2IsRefused() {
    assertMessage(refused(V2, "{'unified': {'net_cls.classid': '1'}}"),
        "linux.resources.unified[\"net_cls.classid\"]", "not on the cgroup v2 hierarchy");
    assertMessage(refused(V1, "{'unified': {'memory.high': '1'}}"),
        "linux.resources.unified[\"memory.high\"]", "no cgroup v2 hierarchy");
  }

  @Test
  void unifiedOnTheHybridHost() {
    assertEquals(List.of(w("unified[\"hugetlb.2MB.max\"]", "hugetlb", "hugetlb.2MB.max",
        "4194304")), writes(HYBRID, "{'unified': {'hugetlb.2MB.max': '4194304'}}"));
    assertMessage(refused(HYBRID, "{'unified': {'memory.high': '50000000'}}"),
        "linux.resources.unified[\"memory.high\"]", "memory controller is not on the cgroup v2",
        "it is on v1");
  }

  @Test
  void unifiedKeysThatAreNotInterfaceFiles() {
    for (String key : List.of("memory", ".high", "../memory.high", "a/memory.high")) {
      assertMessage(refused(V2, "{'unified': {'" + key + "': '1'}}"),
          "linux.resources.unified[\"" + key + "\"]");
    }
  }

  // ------------------------------------------------------------------ everything at once

  @Test
  void orderAcrossSections() {
    List<Write> all = plan(HYBRID, "{'unified': {'hugetlb.1GB.max': '0'},"
        + " 'devices': [{'allow': false}], 'hugepageLimits': [{'pageSize': '2MB', 'limit': 0}],"
        + " 'pids': {'limit': 5}, 'cpu': {'shares': 2}, 'memory': {'limit': 4096}}").writes();
    List<String> files = all.stream().map(Write::file).toList();
    assertEquals(List.of("memory.limit_in_bytes", "cpu.shares", "pids.max", "hugetlb.2MB.max",
        "hugetlb.2MB.rsvd.max", "devices.deny"), files.subList(0, 6));
    assertEquals("hugetlb.1GB.max", files.get(files.size() - 1), "unified last, as runc");
  }
}
