package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code linux.netDevices} (config-linux.md "Network Devices"): a host interface moved into
 * the container's network namespace. Each test makes a veth pair capsaT0/capsaT1 on the host;
 * capsaT0 goes in, and the pair disappears with the container's namespace (cleanup deletes
 * whatever is left).
 */
class NetDevicesIT {
  @RegisterExtension final Harness h = new Harness();

  private static final String DEV = "capsaT0";
  private static final String PEER = "capsaT1";

  @BeforeEach
  void vethPair() {
    Harness.exec(List.of("ip", "link", "del", PEER));
    Harness.execOk(List.of("ip", "link", "add", DEV, "type", "veth", "peer", "name", PEER));
    h.onCleanup(() -> {
      Harness.exec(List.of("ip", "link", "del", PEER));
      Harness.exec(List.of("ip", "link", "del", DEV));
      Harness.exec(List.of("ip", "link", "del", "eth9"));
    });
  }

  private void netDevice(String hostName, String name) {
    Map<String, Object> entry = new LinkedHashMap<>();
    if (name != null) {
      entry.put("name", name);
    }
    Map<String, Object> devices = new LinkedHashMap<>();
    devices.put(hostName, entry);
    h.linux().put("netDevices", devices);
  }

  private static boolean onHost(String name) {
    return Harness.exec(List.of("ip", "-o", "link", "show", name)).contains(name + "@");
  }

  private Harness.Result createFails(String... fragments) {
    String id = h.newId();
    Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id).status(1);
    for (String f : fragments) {
      assertTrue(r.stderr().contains(f), () -> "the message should name \"" + f + "\": " + r);
    }
    h.assertNoContainer(id);
    return r;
  }

  @Test
  void theDeviceIsMovedInAndRenamed() {
    netDevice(DEV, "eth9");
    h.args("sleep", "100");
    String id = h.newId();
    h.create(id);
    assertFalse(onHost(DEV), "capsaT0 has left the host's namespace");
    long pid = ((Number) h.state(id).get("pid")).longValue();
    String inside = Harness.execOk(List.of("nsenter", "-t", Long.toString(pid), "-n",
        "ip", "-o", "link", "show"));
    assertTrue(inside.contains(" eth9@"), inside);
    assertFalse(inside.contains(DEV), inside);
    h.capsa("delete", "--force", id).ok();
  }

  @Test
  void theContainerSeesItUnderItsNewName() {
    netDevice(DEV, "eth9");
    Harness.Result r = h.run("ip link show eth9 && echo found; ip link show " + DEV + " 2>&1");
    assertTrue(r.stdout().contains("eth9") && r.stdout().contains("found"), r::toString);
    assertTrue(r.stdout().contains("can't find device"), r::toString);
  }

  @Test
  void withoutANameItKeepsTheHostsName() {
    netDevice(DEV, null);
    Harness.Result r = h.run("ip link show " + DEV).ok();
    assertTrue(r.stdout().contains(DEV + "@"), r::toString);
  }

  @Test
  void theDeviceIsUp() {
    netDevice(DEV, "eth9");
    Harness.Result r = h.run("ip link show eth9").ok();
    String flags = r.stdout().substring(r.stdout().indexOf('<'), r.stdout().indexOf('>') + 1);
    assertTrue(flags.contains(",UP") || flags.contains("<UP"), () -> "flags " + flags + ": " + r);
  }

  @Test
  void theDeviceKeepsItsAddresses() {
    Harness.execOk(List.of("ip", "addr", "add", "10.199.0.1/24", "dev", DEV));
    netDevice(DEV, "eth9");
    Harness.Result r = h.run("ip addr show eth9").ok();
    assertTrue(r.stdout().contains("inet 10.199.0.1/24"), r::toString);
  }

  @Test
  void aDeviceThatDoesNotExistFailsCreate() {
    netDevice("capsaNoSuch0", "eth9");
    createFails("linux.netDevices", "capsaNoSuch0");
  }

  @Test
  void aNameTakenInTheContainerFailsCreateAndTheHostKeepsItsDevice() {
    netDevice(DEV, "lo");
    createFails("linux.netDevices", DEV);
    assertTrue(onHost(DEV), "the host still has capsaT0");
  }

  @Test
  void withoutANetworkNamespaceItIsRefused() {
    h.removeNamespace("network");
    netDevice(DEV, "eth9");
    createFails("linux.netDevices");
    assertTrue(onHost(DEV), "the host's capsaT0 is untouched");
    assertFalse(onHost("eth9"), "the host has no eth9");
  }
}
