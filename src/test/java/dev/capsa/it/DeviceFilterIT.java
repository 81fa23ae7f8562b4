package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.capsa.cgroups.DeviceFilter;
import dev.capsa.cgroups.Hierarchy;
import dev.capsa.cgroups.Layout;
import dev.capsa.cgroups.ResourcePlan;
import dev.capsa.linux.Native;
import dev.capsa.spec.Resources.DeviceRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The cgroup v2 device program on this host's kernel: loaded by the verifier
 * and attached to a cgroup of the unified hierarchy (which the hybrid host has,
 * without the devices controller: containers here use v1's devices.allow), and
 * deciding opens as the rules say. The pure v2 VM leg runs it in containers.
 */
class DeviceFilterIT {

  @Test
  void aLongRuleListLoadsAndDecidesOpens() throws Exception {
    Layout layout = Layout.ofHost();
    Hierarchy v2 = layout.v2();
    assumeTrue(v2 != null, "the host has no cgroup v2 hierarchy");
    List<DeviceRule> rules = new ArrayList<>(List.of(ResourcePlan.DENY_ALL_DEVICES));
    // Many rules: a verifier log of one line per instruction once overflowed
    // the log buffer and failed the load (ENOSPC).
    for (long minor = 0; minor < 100; minor++) {
      rules.add(new DeviceRule(true, "c", 240L, minor, "rw"));
    }
    rules.add(new DeviceRule(true, "c", 1L, 3L, "rwm"));   // /dev/null
    rules.add(new DeviceRule(true, "c", 1L, 5L, "r"));     // /dev/zero, read only
    Path cg = Path.of(v2.mountPoint(), "capsa-it-devfilter-" + ProcessHandle.current().pid());
    Files.createDirectory(cg);
    try {
      int prog = Native.bpfLoadDeviceFilter(DeviceFilter.compile(rules));
      try {
        int dir = Native.open(cg.toString(), 0x10000 /* O_DIRECTORY */);
        try {
          Native.bpfAttachDeviceFilter(dir, prog);
        } finally {
          Native.close(dir);
        }
      } finally {
        Native.close(prog);
      }
      String out = sh(cg, "echo $$ > " + cg + "/cgroup.procs || exit 9;"
          + " echo x > /dev/null && echo null-ok;"
          + " head -c 3 /dev/zero | wc -c;"
          + " (echo x > /dev/zero) 2>&1;"
          + " (head -c 1 /dev/urandom) 2>&1; true");
      List<String> lines = out.lines().toList();
      assertEquals("null-ok", lines.get(0), out);
      assertEquals("3", lines.get(1).trim(), out);
      assertTrue(lines.get(2).contains("Operation not permitted"), "write to /dev/zero: " + out);
      assertTrue(lines.get(3).contains("Operation not permitted"), "/dev/urandom: " + out);
    } finally {
      for (int i = 0; i < 100 && Files.exists(cg); i++) {
        try {
          Files.delete(cg);
        } catch (IOException e) {
          Thread.sleep(10);
        }
      }
    }
  }

  /** Runs a shell script, which moves itself into the cgroup first; returns its output. */
  private static String sh(Path cg, String script) throws Exception {
    Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the script did not end");
    assertEquals(0, p.exitValue(), () -> "the script in " + cg + " failed: " + out);
    return out;
  }
}
