package dev.capsa.spec;

import java.util.List;
import java.util.Map;

/**
 * {@code linux.resources} (config-linux.md "Control groups"). Absent values are
 * null; lists and maps are never null. Fields keep the spec's names so that a
 * search for the JSON name finds where it is applied ({@code cgroups/ResourcePlan}).
 */
public record Resources(
    Memory memory,
    Cpu cpu,
    Pids pids,
    BlockIO blockIO,
    List<HugepageLimit> hugepageLimits,
    Network network,
    Map<String, Rdma> rdma,
    List<DeviceRule> devices,
    Map<String, String> unified) {

  /** Nothing to set. */
  public static final Resources NONE =
      new Resources(null, null, null, null, List.of(), null, Map.of(), List.of(), Map.of());

  /** {@code memory}; limits are bytes, -1 meaning unlimited. */
  public record Memory(Long limit, Long reservation, Long swap, Long kernel, Long kernelTCP,
      Long swappiness, Boolean disableOOMKiller, Boolean useHierarchy, Boolean checkBeforeUpdate) {}

  /** {@code cpu}. */
  public record Cpu(Long shares, Long quota, Long burst, Long period, Long realtimeRuntime,
      Long realtimePeriod, String cpus, String mems, Long idle) {}

  /** {@code pids}. */
  public record Pids(long limit) {}

  /** {@code blockIO}. */
  public record BlockIO(Integer weight, Integer leafWeight, List<WeightDevice> weightDevice,
      List<ThrottleDevice> throttleReadBpsDevice, List<ThrottleDevice> throttleWriteBpsDevice,
      List<ThrottleDevice> throttleReadIOPSDevice, List<ThrottleDevice> throttleWriteIOPSDevice) {}

  /** One {@code blockIO.weightDevice} entry. */
  public record WeightDevice(long major, long minor, Integer weight, Integer leafWeight) {}

  /** One {@code blockIO.throttle*Device} entry. */
  public record ThrottleDevice(long major, long minor, long rate) {}

  /** One {@code hugepageLimits} entry, e.g. pageSize "2MB". */
  public record HugepageLimit(String pageSize, long limit) {}

  /** {@code network}. */
  public record Network(Long classID, List<InterfacePriority> priorities) {}

  /** One {@code network.priorities} entry. */
  public record InterfacePriority(String name, long priority) {}

  /** One {@code rdma} entry. */
  public record Rdma(Long hcaHandles, Long hcaObjects) {}

  /**
   * One {@code devices} rule; major/minor null mean all ({@code *}), type null
   * or "a" all devices, access null "rwm".
   */
  public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {}

  public boolean isEmpty() {
    return memory == null && cpu == null && pids == null && blockIO == null
        && hugepageLimits.isEmpty() && network == null && rdma.isEmpty() && devices.isEmpty()
        && unified.isEmpty();
  }
}
