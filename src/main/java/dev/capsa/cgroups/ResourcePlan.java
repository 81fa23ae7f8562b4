package dev.capsa.cgroups;

import dev.capsa.spec.Resources;
import dev.capsa.spec.SpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code linux.resources} as the cgroup files to write: each field goes to the
 * hierarchy its controller lives in on this host (v1, or v2 on a v2 or hybrid
 * host), converted as runc converts it between the two interfaces. A field the
 * host's cgroups cannot express is an error naming it. Pure: tests compile
 * resources for any layout without root.
 *
 * @param writes the files, in the order to write them
 * @param v2Devices device rules to compile to an eBPF program (devices on
 *     cgroup v2); null when the devices controller is v1 or there are none
 */
public record ResourcePlan(List<Write> writes, List<Resources.DeviceRule> v2Devices) {

  /**
   * One file write.
   *
   * @param field the config field, e.g. {@code linux.resources.memory.limit}
   * @param controller the controller whose hierarchy holds the file
   * @param file the file name in the container's cgroup directory
   * @param optional true when a kernel without the file just skips it (an
   *     extra runc writes where the kernel has it)
   */
  public record Write(String field, String controller, String file, String value,
      boolean optional) {
    public Write(String field, String controller, String file, String value) {
      this(field, controller, file, value, false);
    }
  }

  /**
   * The devices every container needs, allowed after the config's rules as
   * runc's AllowedDevices are: mknod of any device (creating a node is
   * harmless; opening it is what the rules guard), config-linux.md's default
   * devices, and the ptys.
   */
  public static final List<Resources.DeviceRule> DEFAULT_DEVICES = List.of(
      new Resources.DeviceRule(true, "c", null, null, "m"),
      new Resources.DeviceRule(true, "b", null, null, "m"),
      rule("c", 1, 3), rule("c", 1, 5), rule("c", 1, 7), rule("c", 1, 8), rule("c", 1, 9),
      rule("c", 5, 0), rule("c", 5, 1), rule("c", 5, 2), new Resources.DeviceRule(true, "c", 136L,
          null, "rwm"));

  /**
   * What a new container's device rules start from: nothing. A new cgroup
   * allows every device, so without this a container given any device node
   * (by a bind mount, or mknod where "m" is allowed) could open it; runc's
   * device emulator starts from the same deny-all.
   */
  public static final Resources.DeviceRule DENY_ALL_DEVICES =
      new Resources.DeviceRule(false, "a", null, null, "rwm");

  /** The device rules a new container's cgroup gets: deny-all, the config's, the defaults. */
  static List<Resources.DeviceRule> createDevices(List<Resources.DeviceRule> rules) {
    List<Resources.DeviceRule> all = new ArrayList<>();
    all.add(DENY_ALL_DEVICES);
    all.addAll(rules);
    all.addAll(DEFAULT_DEVICES);
    return all;
  }

  private static Resources.DeviceRule rule(String type, long major, long minor) {
    return new Resources.DeviceRule(true, type, major, minor, "rwm");
  }

  private static final String R = "linux.resources.";

  /** The plan for {@code r} on {@code layout}; {@code update} leaves the default devices out. */
  public static ResourcePlan of(Resources r, Layout layout, boolean update) {
    Planner p = new Planner(layout);
    if (r.memory() != null) {
      p.memory(r.memory());
    }
    if (r.cpu() != null) {
      p.cpu(r.cpu());
    }
    if (r.pids() != null) {
      p.add(R + "pids.limit", "pids", "pids.max", r.pids().limit() > 0
          ? Long.toString(r.pids().limit()) : "max", "pids.max");
    }
    if (r.blockIO() != null) {
      p.blockIO(r.blockIO());
    }
    for (int i = 0; i < r.hugepageLimits().size(); i++) {
      Resources.HugepageLimit h = r.hugepageLimits().get(i);
      String field = R + "hugepageLimits[" + i + "]";
      String prefix = "hugetlb." + h.pageSize();
      String limit = Long.toUnsignedString(h.limit());
      p.add(field, "hugetlb", prefix + ".limit_in_bytes", limit, prefix + ".max");
      // The same limit on reservations (mmap'd but not yet faulted pages),
      // where the kernel accounts them: as runc does.
      boolean v2 = p.v2(field, "hugetlb");
      p.writes.add(new Write(field, "hugetlb", prefix + (v2 ? ".rsvd.max" : ".rsvd.limit_in_bytes"),
          limit, true));
    }
    if (r.network() != null) {
      p.network(r.network());
    }
    for (Map.Entry<String, Resources.Rdma> e : r.rdma().entrySet()) {
      StringBuilder v = new StringBuilder(e.getKey());
      if (e.getValue().hcaHandles() != null) {
        v.append(" hca_handle=").append(e.getValue().hcaHandles());
      }
      if (e.getValue().hcaObjects() != null) {
        v.append(" hca_object=").append(e.getValue().hcaObjects());
      }
      p.add(R + "rdma[\"" + e.getKey() + "\"]", "rdma", "rdma.max", v.toString(), "rdma.max");
    }
    List<Resources.DeviceRule> v2Devices = p.devices(r.devices(), update);
    for (Map.Entry<String, String> e : r.unified().entrySet()) {
      p.unified(e.getKey(), e.getValue());
    }
    return new ResourcePlan(List.copyOf(p.writes), v2Devices);
  }

  /** runc's convertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000]. */
  static long cpuWeight(long shares) {
    return 1 + ((shares - 2) * 9999) / 262142;
  }

  /** runc's convertBlkIOToIOWeightValue. */
  static long ioWeight(int blkioWeight) {
    return blkioWeight == 0 ? 0 : 1 + (blkioWeight - 10L) * 9999 / 990;
  }

  /**
   * config-linux.md's swap is memory plus swap; cgroup v2's memory.swap.max
   * is the swap alone (runc's ConvertMemorySwapToCgroupV2Value).
   */
  static String swapV2(long swap, Long limit) {
    String field = R + "memory.swap";
    if (swap == -1) {
      return "max";
    }
    if (swap == 0) {
      return "0";
    }
    if (limit == null || limit == 0) {
      throw new SpecException(field + ": on cgroup v2 a swap limit needs memory.limit");
    }
    if (limit == -1) {
      throw new SpecException(field + ": a swap limit with an unlimited memory.limit");
    }
    if (swap < limit) {
      throw new SpecException(field + ": " + swap + " (memory plus swap) is below memory.limit "
          + limit);
    }
    return Long.toString(swap - limit);
  }

  private static final class Planner {
    final Layout layout;
    final List<Write> writes = new ArrayList<>();

    Planner(Layout layout) {
      this.layout = layout;
    }

    /** True when the controller is on the unified hierarchy here. */
    boolean v2(String field, String controller) {
      Hierarchy h = layout.of(controller);
      if (h == null) {
        throw new SpecException(field + ": the host has no " + controller + " cgroup controller");
      }
      return h.v2();
    }

    /** Adds the v1 or the v2 file of a controller; a null file means the interface lacks it. */
    void add(String field, String controller, String v1File, String value, String v2File) {
      add(field, controller, v1File, value, v2File, value);
    }

    void add(String field, String controller, String v1File, String v1Value, String v2File,
        String v2Value) {
      boolean v2 = v2(field, controller);
      String file = v2 ? v2File : v1File;
      if (file == null) {
        throw new SpecException(field + ": cgroup " + (v2 ? "v2" : "v1")
            + " has no interface for it (the " + controller + " controller is on cgroup "
            + (v2 ? "v2" : "v1") + " here)");
      }
      writes.add(new Write(field, controller, file, v2 ? v2Value : v1Value));
    }

    void memory(Resources.Memory m) {
      String f = R + "memory.";
      if (m.limit() != null) {
        add(f + "limit", "memory", "memory.limit_in_bytes", Long.toString(m.limit()), "memory.max",
            max(m.limit()));
      }
      if (m.reservation() != null) {
        add(f + "reservation", "memory", "memory.soft_limit_in_bytes",
            Long.toString(m.reservation()), "memory.low", max(m.reservation()));
      }
      if (m.swap() == null && m.limit() != null && m.limit() == -1 && !v2(f + "limit", "memory")) {
        // No memory limit means no memory+swap limit either (runc does the
        // same): the kernel refuses a memory limit above memory+swap's.
        writes.add(new Write(f + "limit", "memory", "memory.memsw.limit_in_bytes", "-1", true));
      }
      if (m.swap() != null) {
        boolean v2 = v2(f + "swap", "memory");
        if (v2) {
          writes.add(new Write(f + "swap", "memory", "memory.swap.max", swapV2(m.swap(), m.limit())));
        } else {
          writes.add(new Write(f + "swap", "memory", "memory.memsw.limit_in_bytes",
              Long.toString(m.swap())));
        }
      }
      if (m.kernel() != null) {
        add(f + "kernel", "memory", "memory.kmem.limit_in_bytes", Long.toString(m.kernel()), null);
      }
      if (m.kernelTCP() != null) {
        add(f + "kernelTCP", "memory", "memory.kmem.tcp.limit_in_bytes",
            Long.toString(m.kernelTCP()), null);
      }
      // -1 (as uint64: Go tools' "unset") leaves it, as runc does.
      if (m.swappiness() != null && m.swappiness() != -1) {
        if (Long.compareUnsigned(m.swappiness(), 100) > 0) {
          throw new SpecException(f + "swappiness: " + Long.toUnsignedString(m.swappiness())
              + " is not 0 to 100");
        }
        add(f + "swappiness", "memory", "memory.swappiness", Long.toString(m.swappiness()), null);
      }
      if (Boolean.TRUE.equals(m.disableOOMKiller())) {
        add(f + "disableOOMKiller", "memory", "memory.oom_control", "1", null);
      }
      if (m.useHierarchy() != null) {
        if (v2(f + "useHierarchy", "memory")) {
          if (!m.useHierarchy()) {
            throw new SpecException(f + "useHierarchy: cgroup v2 is always hierarchical");
          }
        } else {
          writes.add(new Write(f + "useHierarchy", "memory", "memory.use_hierarchy",
              m.useHierarchy() ? "1" : "0"));
        }
      }
    }


    void cpu(Resources.Cpu c) {
      String f = R + "cpu.";
      if (c.shares() != null && c.shares() != 0) {
        add(f + "shares", "cpu", "cpu.shares", Long.toString(c.shares()), "cpu.weight",
            Long.toString(cpuWeight(c.shares())));
      }
      // 0 is "not set" for both (Go tools write it for "no limit"), as in runc.
      Long quota = c.quota() == null || c.quota() == 0 ? null : c.quota();
      Long period = c.period() == null || c.period() == 0 ? null : c.period();
      if (quota != null || period != null) {
        boolean v2 = v2(f + (quota != null ? "quota" : "period"), "cpu");
        if (v2) {
          String q = quota == null || quota < 0 ? "max" : Long.toString(quota);
          String value = period == null ? q : q + " " + period;
          writes.add(new Write(f + (quota != null ? "quota" : "period"), "cpu", "cpu.max", value));
        } else {
          // The period first: a quota is checked against the current period.
          if (period != null) {
            writes.add(new Write(f + "period", "cpu", "cpu.cfs_period_us", Long.toString(period)));
          }
          if (quota != null) {
            writes.add(new Write(f + "quota", "cpu", "cpu.cfs_quota_us", Long.toString(c.quota())));
          }
        }
      }
      if (c.burst() != null) {
        add(f + "burst", "cpu", "cpu.cfs_burst_us", Long.toString(c.burst()), "cpu.max.burst");
      }
      if (c.realtimePeriod() != null) {
        add(f + "realtimePeriod", "cpu", "cpu.rt_period_us", Long.toString(c.realtimePeriod()), null);
      }
      if (c.realtimeRuntime() != null) {
        add(f + "realtimeRuntime", "cpu", "cpu.rt_runtime_us", Long.toString(c.realtimeRuntime()),
            null);
      }
      if (c.cpus() != null && !c.cpus().isEmpty()) {
        add(f + "cpus", "cpuset", "cpuset.cpus", c.cpus(), "cpuset.cpus");
      }
      if (c.mems() != null && !c.mems().isEmpty()) {
        add(f + "mems", "cpuset", "cpuset.mems", c.mems(), "cpuset.mems");
      }
      if (c.idle() != null) {
        add(f + "idle", "cpu", "cpu.idle", Long.toString(c.idle()), "cpu.idle");
      }
    }

    /**
     * blockIO: the blkio controller on v1, io on v2 (weights rescaled from
     * blkio's 10-1000 to io's 1-10000, as runc does). A weight of 0 is not set,
     * as runc writes only non-zero weights: Docker sends {@code "weight": 0}
     * for every container that names none.
     */
    void blockIO(Resources.BlockIO b) {
      String f = R + "blockIO.";
      boolean v1 = layout.v1("blkio") != null;
      if (!v1 && (layout.v2() == null || !layout.v2Controllers().contains("io"))) {
        throw new SpecException(R + "blockIO: the host has no blkio or io cgroup controller");
      }
      if (b.weight() != null && b.weight() != 0) {
        writes.add(v1
            ? new Write(f + "weight", "blkio", "blkio.weight", Integer.toString(b.weight()))
            : new Write(f + "weight", "io", "io.weight", "default " + ioWeight(b.weight())));
      }
      if (b.leafWeight() != null && b.leafWeight() != 0) {
        if (!v1) {
          throw new SpecException(f + "leafWeight: cgroup v2 has no leaf weight");
        }
        writes.add(new Write(f + "leafWeight", "blkio", "blkio.leaf_weight",
            Integer.toString(b.leafWeight())));
      }
      for (int i = 0; i < b.weightDevice().size(); i++) {
        Resources.WeightDevice d = b.weightDevice().get(i);
        String dev = d.major() + ":" + d.minor();
        String fi = f + "weightDevice[" + i + "]";
        if (d.weight() != null && d.weight() != 0) {
          writes.add(v1
              ? new Write(fi + ".weight", "blkio", "blkio.weight_device", dev + " " + d.weight())
              : new Write(fi + ".weight", "io", "io.weight", dev + " " + ioWeight(d.weight())));
        }
        if (d.leafWeight() != null && d.leafWeight() != 0) {
          if (!v1) {
            throw new SpecException(fi + ".leafWeight: cgroup v2 has no leaf weight");
          }
          writes.add(new Write(fi + ".leafWeight", "blkio", "blkio.leaf_weight_device",
              dev + " " + d.leafWeight()));
        }
      }
      throttle(v1, f + "throttleReadBpsDevice", b.throttleReadBpsDevice(), "read_bps_device", "rbps");
      throttle(v1, f + "throttleWriteBpsDevice", b.throttleWriteBpsDevice(), "write_bps_device",
          "wbps");
      throttle(v1, f + "throttleReadIOPSDevice", b.throttleReadIOPSDevice(), "read_iops_device",
          "riops");
      throttle(v1, f + "throttleWriteIOPSDevice", b.throttleWriteIOPSDevice(), "write_iops_device",
          "wiops");
    }


    void throttle(boolean v1, String field, List<Resources.ThrottleDevice> list, String v1File,
        String v2Key) {
      for (int i = 0; i < list.size(); i++) {
        Resources.ThrottleDevice d = list.get(i);
        String dev = d.major() + ":" + d.minor();
        String fi = field + "[" + i + "]";
        writes.add(v1
            ? new Write(fi, "blkio", "blkio.throttle." + v1File, dev + " "
                + Long.toUnsignedString(d.rate()))
            : new Write(fi, "io", "io.max", dev + " " + v2Key + "="
                + (d.rate() == 0 ? "max" : Long.toUnsignedString(d.rate()))));
      }
    }

    void network(Resources.Network n) {
      String f = R + "network.";
      if (n.classID() != null) {
        add(f + "classID", "net_cls", "net_cls.classid", Long.toString(n.classID()), null);
      }
      for (int i = 0; i < n.priorities().size(); i++) {
        Resources.InterfacePriority p = n.priorities().get(i);
        add(f + "priorities[" + i + "]", "net_prio", "net_prio.ifpriomap",
            p.name() + " " + p.priority(), null);
      }
    }

    /**
     * Devices, in the listed order (config-linux.md); on create after a
     * deny-all and followed by the default ones. On v1 they are writes to
     * devices.allow and devices.deny, which the kernel applies as it goes; on
     * v2 the same rules become an eBPF program.
     */
    List<Resources.DeviceRule> devices(List<Resources.DeviceRule> rules, boolean update) {
      if (update && rules.isEmpty()) {
        return null;
      }
      for (int i = 0; i < rules.size(); i++) {
        check(rules.get(i), R + "devices[" + i + "]");
      }
      List<Resources.DeviceRule> all = update ? List.copyOf(rules) : createDevices(rules);
      if (layout.v1("devices") == null) {
        if (layout.v2() == null) {
          throw new SpecException(R + "devices: the host has no devices cgroup controller");
        }
        return List.copyOf(all);
      }
      int first = update ? 0 : 1;
      for (int i = 0; i < all.size(); i++) {
        Resources.DeviceRule d = all.get(i);
        int index = i - first;
        String field = index < 0 ? R + "devices (deny all first)"
            : index < rules.size() ? R + "devices[" + index + "]"
            : R + "devices (default devices)";
        writes.add(new Write(field, "devices", d.allow() ? "devices.allow" : "devices.deny",
            deviceLine(d)));
      }
      return null;
    }

    static void check(Resources.DeviceRule d, String field) {
      String type = d.type() == null ? "a" : d.type();
      if (!type.equals("a") && !type.equals("c") && !type.equals("b")) {
        throw new SpecException(field + ".type: " + type + " is not a, c or b");
      }
      String access = d.access() == null ? "rwm" : d.access();
      for (char ch : access.toCharArray()) {
        if (ch != 'r' && ch != 'w' && ch != 'm') {
          throw new SpecException(field + ".access: " + access + " is not made of r, w and m");
        }
      }
    }

    void unified(String key, String value) {
      String field = R + "unified[\"" + key + "\"]";
      int dot = key.indexOf('.');
      if (dot <= 0 || key.contains("/") || key.contains("..")) {
        throw new SpecException(field + ": not a cgroup v2 interface file");
      }
      String controller = key.substring(0, dot);
      Hierarchy v2 = layout.v2();
      boolean core = controller.equals("cgroup");
      if (v2 == null) {
        throw new SpecException(field + ": the host has no cgroup v2 hierarchy");
      }
      if (!core && !layout.v2Controllers().contains(controller)) {
        throw new SpecException(field + ": the " + controller + " controller is not on the cgroup"
            + " v2 hierarchy here" + (layout.v1(controller) != null ? " (it is on v1)" : ""));
      }
      writes.add(new Write(field, core ? "" : controller, key, value));
    }

    private static String max(long v) {
      return v == -1 ? "max" : Long.toString(v);
    }
  }

  /** A rule as devices.allow and devices.deny take it: {@code c 1:3 rwm}. */
  public static String deviceLine(Resources.DeviceRule d) {
    String type = d.type() == null ? "a" : d.type();
    String access = d.access() == null ? "rwm" : d.access();
    if (type.equals("a")) {
      return "a *:* " + access;
    }
    return type + " " + (d.major() == null || d.major() < 0 ? "*" : d.major()) + ":"
        + (d.minor() == null || d.minor() < 0 ? "*" : d.minor()) + " " + access;
  }
}
