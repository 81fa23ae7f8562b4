package dev.capsa.cgroups;

import java.util.List;
import java.util.Set;

/** Hand-made layouts for the tests: a v1 host, a pure v2 host, and this project's hybrid CI host. */
final class Layouts {
  private Layouts() {}

  private static Hierarchy v1(String name, String options) {
    return new Hierarchy("/sys/fs/cgroup/" + name, false, options, "/");
  }

  /** A v1 host as systemd mounts it: cpu and cpuacct co-mounted, net_cls and net_prio too. */
  static final Layout V1 = new Layout(List.of(
      v1("systemd", "name=systemd"),
      v1("cpu,cpuacct", "cpu,cpuacct"),
      v1("cpuset", "cpuset"),
      v1("memory", "memory"),
      v1("devices", "devices"),
      v1("freezer", "freezer"),
      v1("blkio", "blkio"),
      v1("pids", "pids"),
      v1("net_cls,net_prio", "net_cls,net_prio"),
      v1("hugetlb", "hugetlb"),
      v1("rdma", "rdma")), Set.of());

  /** A pure v2 host: one unified hierarchy with every controller. */
  static final Layout V2 = new Layout(List.of(
      new Hierarchy("/sys/fs/cgroup", true, "", "/")),
      Set.of("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"));

  /**
   * This project's CI machine: v1 hierarchies for cpu, cpuacct, cpuset, memory, devices,
   * freezer, blkio, pids and name=systemd, and a v2 hierarchy holding only hugetlb.
   */
  static final Layout HYBRID = new Layout(List.of(
      v1("cpu", "cpu"),
      v1("cpuacct", "cpuacct"),
      v1("cpuset", "cpuset"),
      v1("memory", "memory"),
      v1("devices", "devices"),
      v1("freezer", "freezer"),
      v1("blkio", "blkio"),
      v1("pids", "pids"),
      v1("systemd", "name=systemd"),
      new Hierarchy("/sys/fs/cgroup/unified", true, "", "/")), Set.of("hugetlb"));

  /** No cgroups mounted at all. */
  static final Layout NONE = new Layout(List.of(), Set.of());
}
