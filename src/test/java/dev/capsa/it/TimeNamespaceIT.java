package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A time namespace and {@code linux.timeOffsets} (config-linux.md, time_namespaces(7)). */
class TimeNamespaceIT {
  @RegisterExtension final Harness h = new Harness();

  private static final long BOOT_OFFSET = 10 * 86400;
  private static final long MONO_OFFSET = 5 * 86400;

  private void timeNamespace() {
    Map<String, Object> ns = new LinkedHashMap<>();
    ns.put("type", "time");
    h.namespaces().add(ns);
  }

  private void offsets() {
    Map<String, Object> offsets = new LinkedHashMap<>();
    offsets.put("boottime", new LinkedHashMap<>(Map.of("secs", BOOT_OFFSET, "nanosecs", 0)));
    offsets.put("monotonic", new LinkedHashMap<>(Map.of("secs", MONO_OFFSET)));
    h.linux().put("timeOffsets", offsets);
  }

  private static double hostUptime() throws IOException {
    return Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
  }

  @Test
  void uptimeIsAheadByTheBoottimeOffset() throws IOException {
    timeNamespace();
    offsets();
    double before = hostUptime();
    Map<String, String> out = Inside.sections(h.runOk("echo ==uptime==; cat /proc/uptime; "
        + "echo ==offsets==; cat /proc/self/timens_offsets; echo ==ns==; readlink /proc/self/ns/time"));
    double after = hostUptime();
    double inside = Double.parseDouble(out.get("uptime").split(" ")[0]);
    assertTrue(inside >= before + BOOT_OFFSET - 1 && inside <= after + BOOT_OFFSET + 1,
        () -> "uptime inside " + inside + ", host's " + before + ".." + after + " + " + BOOT_OFFSET);
    String offsets = out.get("offsets").replaceAll("[ \\t]+", " ");
    assertTrue(offsets.contains("monotonic " + MONO_OFFSET + " 0"), offsets);
    assertTrue(offsets.contains("boottime " + BOOT_OFFSET + " 0"), offsets);
    assertNotEquals(Harness.hostNamespace("time"), out.get("ns"));
  }

  @Test
  void aTimeNamespaceWithoutOffsetsKeepsTheHostsClocks() throws IOException {
    timeNamespace();
    double before = hostUptime();
    String out = h.runOk("cat /proc/uptime; readlink /proc/self/ns/time");
    double after = hostUptime();
    double inside = Double.parseDouble(out.split(" ")[0]);
    assertTrue(inside >= before - 1 && inside <= after + 1, out);
    assertNotEquals(Harness.hostNamespace("time"), out.lines().toList().get(1));
  }

  @Test
  void offsetsWithoutATimeNamespaceAreRefused() {
    offsets();
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.timeOffsets"), r::toString);
    assertTrue(r.stderr().contains("time namespace"), r::toString);
    h.assertNoContainer(id);
  }

  @Test
  void offsetsOfAnUnknownClockAreRefused() {
    timeNamespace();
    h.linux().put("timeOffsets", new LinkedHashMap<>(Map.of("realtime",
        new LinkedHashMap<>(Map.of("secs", 5)))));
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    assertTrue(r.stderr().contains("linux.timeOffsets"), r::toString);
    assertTrue(r.stderr().contains("realtime"), r::toString);
    h.assertNoContainer(id);
  }
}
