package dev.capsa.cgroups;

import dev.capsa.linux.FileIo;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's resource usage, read from its cgroup, in the shape of runc's
 * {@code events} stats (cpu, memory, pids, blkio, hugetlb), from v1 or v2 files.
 */
public final class Stats {
  private Stats() {}

  /** The stats tree for {@code events}. */
  public static Map<String, Object> read(Cgroup cg) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("cpu", cpu(cg));
    data.put("memory", memory(cg));
    data.put("pids", pids(cg));
    data.put("blkio", blkio(cg));
    data.put("hugetlb", hugetlb(cg));
    return data;
  }

  private static Map<String, Object> cpu(Cgroup cg) {
    Map<String, Object> usage = new LinkedHashMap<>();
    Map<String, Object> throttling = new LinkedHashMap<>();
    Path acct = cg.dir("cpuacct");
    if (acct != null && !cg.layout().of("cpuacct").v2()) {
      usage.put("total", number(acct, "cpuacct.usage"));
      List<Long> percpu = new ArrayList<>();
      for (String v : text(acct, "cpuacct.usage_percpu").trim().split("\\s+")) {
        if (!v.isEmpty()) {
          percpu.add(Long.parseLong(v));
        }
      }
      usage.put("percpu", percpu);
      Map<String, Long> s = keyed(acct, "cpuacct.stat");
      // USER_HZ ticks to nanoseconds, as runc reports them.
      usage.put("kernel", s.getOrDefault("system", 0L) * 10_000_000L);
      usage.put("user", s.getOrDefault("user", 0L) * 10_000_000L);
    }
    Path cpu = cg.dir("cpu");
    if (cpu != null) {
      Map<String, Long> s = keyed(cpu, "cpu.stat");
      if (cg.layout().of("cpu").v2()) {
        usage.put("total", s.getOrDefault("usage_usec", 0L) * 1000);
        usage.put("kernel", s.getOrDefault("system_usec", 0L) * 1000);
        usage.put("user", s.getOrDefault("user_usec", 0L) * 1000);
        throttling.put("periods", s.getOrDefault("nr_periods", 0L));
        throttling.put("throttled_periods", s.getOrDefault("nr_throttled", 0L));
        throttling.put("throttled_time", s.getOrDefault("throttled_usec", 0L) * 1000);
      } else {
        throttling.put("periods", s.getOrDefault("nr_periods", 0L));
        throttling.put("throttled_periods", s.getOrDefault("nr_throttled", 0L));
        throttling.put("throttled_time", s.getOrDefault("throttled_time", 0L));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("usage", usage);
    out.put("throttling", throttling);
    return out;
  }

  private static Map<String, Object> memory(Cgroup cg) {
    Map<String, Object> out = new LinkedHashMap<>();
    Path m = cg.dir("memory");
    if (m == null) {
      return out;
    }
    if (cg.layout().of("memory").v2()) {
      out.put("usage", entry(number(m, "memory.current"), maxValue(m, "memory.max", UNLIMITED),
          number(m, "memory.peak"), events(m).getOrDefault("max", 0L)));
      out.put("swap", entry(number(m, "memory.swap.current"),
          maxValue(m, "memory.swap.max", UNLIMITED),
          0L, 0L));
      out.put("raw", keyed(m, "memory.stat"));
    } else {
      out.put("usage", entry(number(m, "memory.usage_in_bytes"), number(m, "memory.limit_in_bytes"),
          number(m, "memory.max_usage_in_bytes"), number(m, "memory.failcnt")));
      out.put("swap", entry(number(m, "memory.memsw.usage_in_bytes"),
          number(m, "memory.memsw.limit_in_bytes"), number(m, "memory.memsw.max_usage_in_bytes"),
          number(m, "memory.memsw.failcnt")));
      out.put("kernel", entry(number(m, "memory.kmem.usage_in_bytes"),
          number(m, "memory.kmem.limit_in_bytes"), number(m, "memory.kmem.max_usage_in_bytes"),
          number(m, "memory.kmem.failcnt")));
      out.put("raw", keyed(m, "memory.stat"));
    }
    return out;
  }

  private static Map<String, Object> entry(long usage, Number limit, long max, long failcnt) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("limit", limit);
    e.put("usage", usage);
    e.put("max", max);
    e.put("failcnt", failcnt);
    return e;
  }

  private static Map<String, Object> pids(Cgroup cg) {
    Map<String, Object> out = new LinkedHashMap<>();
    Path p = cg.dir("pids");
    if (p != null) {
      out.put("current", number(p, "pids.current"));
      // runc reports an unlimited pids.max as 0.
      out.put("limit", maxValue(p, "pids.max", 0L));
    }
    return out;
  }

  private static Map<String, Object> blkio(Cgroup cg) {
    Map<String, Object> out = new LinkedHashMap<>();
    Path b = cg.dir("blkio");
    if (b != null) {
      out.put("io_service_bytes_recursive", text(b, "blkio.throttle.io_service_bytes_recursive")
          .lines().filter(l -> !l.isBlank()).toList());
    } else if (cg.dir("io") != null) {
      out.put("io_stat", text(cg.dir("io"), "io.stat").lines().filter(l -> !l.isBlank()).toList());
    }
    return out;
  }

  private static Map<String, Object> hugetlb(Cgroup cg) {
    Map<String, Object> out = new LinkedHashMap<>();
    Path h = cg.dir("hugetlb");
    if (h == null) {
      return out;
    }
    boolean v2 = cg.layout().of("hugetlb").v2();
    try (var files = Files.newDirectoryStream(h, v2 ? "hugetlb.*.current" : "hugetlb.*.usage_in_bytes")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        String size = name.substring(8, name.indexOf('.', 8));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("usage", number(h, name));
        e.put("max", v2 ? number(h, "hugetlb." + size + ".max") : number(h, "hugetlb." + size
            + ".max_usage_in_bytes"));
        e.put("failcnt", v2 ? keyed(h, "hugetlb." + size + ".events").getOrDefault("max", 0L)
            : number(h, "hugetlb." + size + ".failcnt"));
        out.put(size, e);
      }
    } catch (IOException e) {
      // No hugetlb files.
    }
    return out;
  }

  /** The OOM kills counted in the memory cgroup (memory.events or memory.oom_control). */
  public static long oomKills(Cgroup cg) {
    Path m = cg.dir("memory");
    if (m == null) {
      return 0;
    }
    return cg.layout().of("memory").v2() ? events(m).getOrDefault("oom_kill", 0L)
        : keyed(m, "memory.oom_control").getOrDefault("oom_kill", 0L);
  }

  private static Map<String, Long> events(Path m) {
    return keyed(m, "memory.events");
  }

  private static String text(Path dir, String file) {
    try {
      return FileIo.read(dir.resolve(file));
    } catch (IOException e) {
      return "";
    }
  }

  private static long number(Path dir, String file) {
    String t = text(dir, file).trim();
    try {
      return t.isEmpty() ? 0 : Long.parseLong(t);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** What runc reports for a v2 memory limit of "max": the largest uint64. */
  private static final BigInteger UNLIMITED = new BigInteger("18446744073709551615");

  /** A v2 limit: "max" reads as {@code unlimited}. */
  private static Number maxValue(Path dir, String file, Number unlimited) {
    String t = text(dir, file).trim();
    if (t.equals("max")) {
      return unlimited;
    }
    return number(dir, file);
  }

  /** A "key value" per line file. */
  static Map<String, Long> keyed(Path dir, String file) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String line : text(dir, file).split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2) {
        try {
          out.put(f[0], Long.parseLong(f[1]));
        } catch (NumberFormatException e) {
          // Not a counter.
        }
      }
    }
    return out;
  }
}
