package dev.capsa.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stats.keyed: the "key value" files of cgroups (memory.stat, cpu.stat, memory.events...). */
class StatsTest {
  @TempDir Path dir;

  private Map<String, Long> keyed(String text) throws IOException {
    Files.writeString(dir.resolve("f"), text);
    return Stats.keyed(dir, "f");
  }

  @Test
  void memoryStatV1() throws IOException {
    Map<String, Long> m = keyed("cache 4096\nrss 106496\nrss_huge 0\n"
        + "hierarchical_memory_limit 9223372036854771712\n");
    assertEquals(List.of("cache", "rss", "rss_huge", "hierarchical_memory_limit"),
        List.copyOf(m.keySet()), "in file order");
    assertEquals(4096L, m.get("cache"));
    assertEquals(106496L, m.get("rss"));
    assertEquals(9223372036854771712L, m.get("hierarchical_memory_limit"));
  }

  @Test
  void oomControl() throws IOException {
    Map<String, Long> m = keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    assertEquals(Map.of("oom_kill_disable", 0L, "under_oom", 0L, "oom_kill", 3L), m);
  }

  @Test
  void cpuStatV2() throws IOException {
    Map<String, Long> m = keyed("usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n"
        + "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
    assertEquals(1234L, m.get("usage_usec"));
    assertEquals(6, m.size());
  }

  @Test
  void linesThatAreNotKeyAndNumberAreSkipped() throws IOException {
    Map<String, Long> m = keyed("  spaced   7  \nthree fields here\nname text\nlonely\n\n"
        + "max 9\ntoo_big 99999999999999999999\nnegative -1\n\ttab\t5\n");
    assertEquals(Map.of("spaced", 7L, "max", 9L, "negative", -1L, "tab", 5L), m);
  }

  @Test
  void aMissingFileIsEmpty() {
    assertEquals(Map.of(), Stats.keyed(dir, "absent"));
  }

  @Test
  void anEmptyFileIsEmpty() throws IOException {
    assertEquals(Map.of(), keyed(""));
  }
}
