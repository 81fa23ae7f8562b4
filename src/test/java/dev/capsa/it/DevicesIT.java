package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** /dev: the default devices and links (config-linux.md, runtime-linux.md), and linux.devices. */
class DevicesIT {
  @RegisterExtension final Harness h = new Harness();

  /** `stat` of each path: name, type, major:minor in hex, mode, uid:gid. */
  private static String statScript(String... paths) {
    return "stat -c '%n|%F|%t:%T|%a|%u:%g' " + String.join(" ", paths);
  }

  @Test
  void defaultDevices() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("/dev/null", "1:3");
    expected.put("/dev/zero", "1:5");
    expected.put("/dev/full", "1:7");
    expected.put("/dev/random", "1:8");
    expected.put("/dev/urandom", "1:9");
    expected.put("/dev/tty", "5:0");
    String out = h.runOk(statScript(expected.keySet().toArray(String[]::new)));
    List<String> lines = out.lines().toList();
    assertEquals(expected.size(), lines.size(), out);
    int i = 0;
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertEquals(e.getKey() + "|character special file|" + e.getValue() + "|666|0:0", lines.get(i++));
    }
  }

  @Test
  void defaultDevicesWork() {
    Harness.Result r = h.run("echo discarded > /dev/null && echo null-ok; "
        + "head -c 5 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c; "
        + "echo x > /dev/full; echo full=$?");
    assertTrue(r.stdout().startsWith("null-ok\n5\n16\nfull=1\n"), r::toString);
    assertTrue(r.stderr().contains("No space left on device"), r::toString);
  }

  @Test
  void devSymlinks() {
    String out = h.runOk("for l in fd stdin stdout stderr ptmx; do "
        + "[ -L /dev/$l ] && echo \"$l -> $(readlink /dev/$l)\"; done");
    assertEquals(List.of("fd -> /proc/self/fd", "stdin -> /proc/self/fd/0",
        "stdout -> /proc/self/fd/1", "stderr -> /proc/self/fd/2", "ptmx -> pts/ptmx"),
        out.lines().toList());
  }

  private Map<String, Object> device(String path, String type, int major, int minor, int mode,
      int uid, int gid) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("path", path);
    d.put("type", type);
    if (!type.equals("p")) {
      d.put("major", major);
      d.put("minor", minor);
    }
    d.put("fileMode", mode);
    d.put("uid", uid);
    d.put("gid", gid);
    return d;
  }

  @Test
  void configuredCharacterDevice() {
    h.linux().put("devices",
        new java.util.ArrayList<>(List.of(device("/dev/fuse", "c", 10, 229, 438, 1000, 5))));
    assertEquals("/dev/fuse|character special file|a:e5|666|1000:5",
        h.runOk(statScript("/dev/fuse")).strip());
  }

  @Test
  void configuredFifo() {
    h.linux().put("devices",
        new java.util.ArrayList<>(List.of(device("/dev/myfifo", "p", 0, 0, 0600, 1000, 1000))));
    assertEquals("/dev/myfifo|fifo|0:0|600|1000:1000", h.runOk(statScript("/dev/myfifo")).strip());
  }

  @Test
  void configuredDeviceInASubdirectory() {
    h.linux().put("devices",
        new java.util.ArrayList<>(List.of(device("/dev/net/tun", "c", 10, 200, 0620, 0, 5))));
    assertEquals("/dev/net/tun|character special file|a:c8|620|0:5",
        h.runOk(statScript("/dev/net/tun")).strip());
  }
}
