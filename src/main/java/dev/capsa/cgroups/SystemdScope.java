package dev.capsa.cgroups;

import dev.capsa.dbus.DBusConnection;
import dev.capsa.dbus.DBusException;
import dev.capsa.dbus.Message;
import dev.capsa.dbus.Variant;
import dev.capsa.linux.FileIo;
import dev.capsa.linux.Native;
import dev.capsa.log.Log;
import dev.capsa.spec.CpuList;
import dev.capsa.spec.Resources;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The systemd cgroup driver ({@code --systemd-cgroup}): the container's
 * cgroup is a transient scope unit that systemd makes, as runc's systemd
 * driver does. {@code linux.cgroupsPath} is {@code slice:prefix:name}; the
 * scope is {@code prefix-name.scope} (runc's name, "-name.scope" without a
 * prefix) in {@code slice} ({@code system.slice} when empty), and its directory {@code /<expanded slice>/prefix-name.scope}
 * in every hierarchy. systemd is asked over D-Bus
 * ({@code org.freedesktop.systemd1.Manager.StartTransientUnit}) with the
 * stage's pid, so systemd moves it in; then capsa writes the resources
 * through cgroupfs as for any cgroup. The resources systemd itself manages
 * are also given as unit properties: systemd rewrites its controllers' files
 * from the unit's properties whenever it realizes the unit again (a
 * daemon-reload), and without them it would lift the container's limits.
 *
 * @param unit the scope's name, e.g. {@code capsa-abc.scope}
 * @param slice the slice it goes in, e.g. {@code system.slice}
 * @param cgroupPath its cgroup directory below each hierarchy's root
 */
public record SystemdScope(String unit, String slice, String cgroupPath) {
  /** systemd's own socket: a direct connection, root only, no dbus-daemon needed. */
  static final String PRIVATE_SOCKET = "/run/systemd/private";
  /** The system bus, for when the private socket is not there. */
  static final String SYSTEM_BUS = "/run/dbus/system_bus_socket";
  private static final String SYSTEMD = "org.freedesktop.systemd1";
  private static final String MANAGER_PATH = "/org/freedesktop/systemd1";
  private static final String MANAGER = "org.freedesktop.systemd1.Manager";
  /** How long a job may take; systemd's start of a scope takes milliseconds. */
  private static final long TIMEOUT_MILLIS = 30_000;
  private static final String F = "linux.cgroupsPath";

  /**
   * The scope for {@code cgroupsPath}, or for {@code :capsa:<id>} when it is
   * absent (runc uses {@code :runc:<id>}).
   */
  public static SystemdScope of(String cgroupsPath, String id) {
    String path = cgroupsPath == null || cgroupsPath.isEmpty() ? ":capsa:" + id : cgroupsPath;
    String[] parts = path.split(":", -1);
    if (parts.length != 3) {
      throw new SpecException(F + ": \"" + path + "\" is not slice:prefix:name, the form the"
          + " systemd cgroup driver (--systemd-cgroup) takes");
    }
    String slice = parts[0].isEmpty() ? "system.slice" : parts[0];
    String name = parts[2];
    if (name.isEmpty()) {
      throw new SpecException(F + ": \"" + path + "\" names no unit (slice:prefix:name)");
    }
    if (name.endsWith(".slice")) {
      throw new SpecException(F + ": \"" + path + "\": a slice as the container's own unit is"
          + " not supported; capsa makes a scope");
    }
    // runc's getUnitName, also for an empty prefix ("-name.scope"): tools that
    // find a container's cgroup from its path expect runc's names.
    String unit = parts[1] + "-" + name + ".scope";
    if (unit.length() > 255) {
      throw new SpecException(F + ": \"" + path + "\": the unit name " + unit + " is longer"
          + " than systemd's 255 characters");
    }
    for (char c : unit.toCharArray()) {
      if (!(Character.isLetterOrDigit(c) && c < 128) && ":-_.\\@".indexOf(c) < 0) {
        throw new SpecException(F + ": \"" + path + "\": '" + c + "' cannot be in a systemd"
            + " unit name (" + unit + ")");
      }
    }
    return new SystemdScope(unit, slice, expandSlice(slice) + "/" + unit);
  }

  /**
   * A slice's cgroup path: every dash is a level, {@code a-b-c.slice} is
   * {@code /a.slice/a-b.slice/a-b-c.slice}, and {@code -.slice} the root
   * (systemd.slice(5)).
   */
  static String expandSlice(String slice) {
    if (!slice.endsWith(".slice") || slice.contains("/")) {
      throw new SpecException(F + ": \"" + slice + "\" is not a systemd slice (name.slice)");
    }
    String name = slice.substring(0, slice.length() - ".slice".length());
    if (name.equals("-")) {
      return "";
    }
    if (name.isEmpty() || name.startsWith("-") || name.endsWith("-") || name.contains("--")) {
      throw new SpecException(F + ": \"" + slice + "\" is not a valid slice name");
    }
    StringBuilder path = new StringBuilder();
    int dash = -1;
    do {
      dash = name.indexOf('-', dash + 1);
      path.append('/').append(dash < 0 ? name : name.substring(0, dash)).append(".slice");
    } while (dash >= 0);
    return path.toString();
  }

  /** Why the driver cannot work here, or null when systemd runs the machine. */
  public static String unavailable() {
    // sd_booted(3): systemd as the init system made this directory.
    if (Files.isDirectory(Path.of("/run/systemd/system"))) {
      return null;
    }
    String init = "";
    try {
      init = FileIo.read(Path.of("/proc/1/comm")).trim();
    } catch (IOException e) {
      // Unknown.
    }
    return "systemd is not running as PID 1 here (PID 1 is \"" + init + "\"), so it cannot"
        + " manage the container's cgroup; run without --systemd-cgroup (cgroupfs driver)";
  }

  /**
   * Makes the scope with {@code pid} in it and waits until systemd has
   * started it: the pid is then in the scope's cgroup. When this throws,
   * there is no scope of ours to stop (one of that name may be another's).
   */
  public void start(int pid, String id, Resources resources, Layout layout) {
    try (Bus bus = Bus.connect()) {
      List<Object> props = new ArrayList<>();
      prop(props, "Description", "s", "capsa container " + id);
      prop(props, "Slice", "s", slice);
      prop(props, "DefaultDependencies", "b", false);
      // Delegate: the cgroup is the container's to manage (sub-cgroups, its
      // own writes); systemd leaves what is below the scope alone.
      prop(props, "Delegate", "b", true);
      prop(props, "PIDs", "au", List.of(pid));
      props.addAll(resourceProperties(resources, layout, false, bus.version()));
      List<Object> call = List.of(unit, "replace", props, List.of());
      List<Object> reply;
      try {
        reply = bus.manager("StartTransientUnit", "ssa(sv)a(sa(sv))", call);
      } catch (DBusException e) {
        if (!e.name().equals("org.freedesktop.systemd1.UnitExists")) {
          throw e;
        }
        // A unit of that name that failed (an OOM kill leaves a scope failed
        // before systemd 253) stays loaded until it is reset; resetting an
        // active one does nothing, and the retry then fails as it should.
        bus.resetFailed(unit);
        reply = bus.manager("StartTransientUnit", "ssa(sv)a(sa(sv))", call);
      }
      String result = bus.waitForJob((String) reply.get(0));
      if (!result.equals("done")) {
        bus.resetFailed(unit);
        throw new SpecException(F + ": systemd could not start " + unit + ": job " + result
            + " (journalctl -u " + unit + " says why)");
      }
    } catch (DBusException e) {
      String why = e.name().equals("org.freedesktop.systemd1.UnitExists")
          ? unit + " exists already (another container, or one not deleted)" : e.getMessage();
      throw new SpecException(F + ": systemd: starting " + unit + ": " + why);
    } catch (IOException e) {
      throw new SpecException(F + ": systemd: starting " + unit + ": " + e.getMessage());
    }
    Log.debug("systemd started " + unit + " in " + slice);
  }

  /**
   * Stops the scope (its remaining processes are killed by systemd), waits
   * for the job, and resets it if it failed (a failed unit stays loaded and
   * would refuse the next container of that name). A scope that is gone
   * already (systemd stops a scope when its last process exits) is no error.
   */
  public static void stop(String unit) {
    try (Bus bus = Bus.connect()) {
      try {
        List<Object> reply = bus.manager("StopUnit", "ss", List.of(unit, "replace"));
        bus.waitForJob((String) reply.get(0));
      } catch (DBusException e) {
        if (!e.name().equals("org.freedesktop.systemd1.NoSuchUnit")) {
          throw e;
        }
      }
      bus.resetFailed(unit);
    } catch (IOException e) {
      throw new SpecException(F + ": systemd: stopping " + unit + ": " + e.getMessage());
    }
  }

  /** {@code update}: the new values as the unit's properties too, so systemd keeps them. */
  public static void setProperties(String unit, Resources resources, Layout layout) {
    try (Bus bus = Bus.connect()) {
      List<Object> props = resourceProperties(resources, layout, true, bus.version());
      if (!props.isEmpty()) {
        bus.manager("SetUnitProperties", "sba(sv)", List.of(unit, true, props));
      }
    } catch (IOException e) {
      throw new SpecException("linux.resources: systemd: setting the properties of " + unit + ": "
          + e.getMessage());
    }
  }

  /** A connection to systemd's manager. */
  private record Bus(DBusConnection connection) implements java.io.Closeable {
    static Bus connect() throws IOException {
      boolean direct = Files.exists(Path.of(PRIVATE_SOCKET));
      String socket = direct ? PRIVATE_SOCKET : SYSTEM_BUS;
      DBusConnection c;
      try {
        c = DBusConnection.open(socket, Native.geteuid(), !direct, TIMEOUT_MILLIS);
      } catch (IOException e) {
        throw new IOException("connecting to " + socket + ": " + e.getMessage(), e);
      }
      try {
        if (!direct) {
          // A message bus sends a broadcast signal only to those who asked.
          c.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
              "AddMatch", "s", List.of("type='signal',sender='" + SYSTEMD + "',interface='"
                  + MANAGER + "',member='JobRemoved'"));
        }
        // systemd sends job signals to subscribers (a direct connection gets them anyway).
        c.call(SYSTEMD, MANAGER_PATH, MANAGER, "Subscribe", "", List.of());
        return new Bus(c);
      } catch (IOException e) {
        c.close();
        throw e;
      }
    }

    List<Object> manager(String method, String signature, List<Object> args)
        throws IOException {
      return connection.call(SYSTEMD, MANAGER_PATH, MANAGER, method, signature, args);
    }

    /** systemd's version, e.g. 252 for "252.39-1~deb12u2"; 0 when it cannot be read. */
    int version() {
      try {
        List<Object> v = connection.call(SYSTEMD, MANAGER_PATH,
            "org.freedesktop.DBus.Properties", "Get", "ss", List.of(MANAGER, "Version"));
        String text = (String) ((Variant) v.get(0)).value();
        int i = 0;
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
          i++;
        }
        return i == 0 ? 0 : Integer.parseInt(text.substring(0, Math.min(i, 6)));
      } catch (IOException | RuntimeException e) {
        Log.debug("systemd: reading its version: " + e.getMessage());
        return 0;
      }
    }

    /** ResetFailedUnit, whose errors (not failed, not loaded) do not matter. */
    void resetFailed(String unit) {
      try {
        manager("ResetFailedUnit", "s", List.of(unit));
      } catch (IOException e) {
        Log.debug("systemd: resetting " + unit + ": " + e.getMessage());
      }
    }

    /**
     * Waits for systemd's JobRemoved signal for {@code job} and returns its
     * result ("done", "failed", ...), within one deadline however many other
     * signals a busy systemd sends meanwhile.
     */
    String waitForJob(String job) throws IOException {
      long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000;
      while (System.nanoTime() < deadline) {
        Message m = connection.nextSignal();
        // JobRemoved(u id, o job, s unit, s result)
        if ("JobRemoved".equals(m.member()) && m.body().size() == 4
            && job.equals(m.body().get(1))) {
          Log.debug("systemd: " + m.body().get(2) + ": job " + job + " " + m.body().get(3));
          return (String) m.body().get(3);
        }
      }
      throw new IOException("systemd did not finish job " + job + " within " + TIMEOUT_MILLIS
          + " ms");
    }

    @Override
    public void close() throws IOException {
      connection.close();
    }
  }

  /**
   * The unit properties that mirror the resources systemd manages
   * (systemd.resource-control(5)), converted as runc converts them. On a host
   * whose controllers are v1 (pure or hybrid), systemd takes the legacy
   * names; on pure v2 the unified ones. {@code update} gives only what the
   * resources name (a new scope also gets accounting and its devices).
   * Properties newer than {@code systemdVersion} are left out, as runc does
   * (systemd refuses a unit with a property it does not know): the cgroupfs
   * writes still apply those values.
   */
  static List<Object> resourceProperties(Resources r, Layout layout, boolean update,
      int systemdVersion) {
    boolean legacy = layout.v1("memory") != null || layout.v1("cpu") != null;
    List<Object> props = new ArrayList<>();
    if (!update) {
      prop(props, "MemoryAccounting", "b", true);
      prop(props, "CPUAccounting", "b", true);
      prop(props, "TasksAccounting", "b", true);
      prop(props, legacy ? "BlockIOAccounting" : "IOAccounting", "b", true);
    }
    Resources.Memory mem = r.memory();
    if (mem != null && mem.limit() != null && mem.limit() != 0) {
      prop(props, legacy ? "MemoryLimit" : "MemoryMax", "t", infinity(mem.limit()));
    }
    if (!legacy && mem != null && mem.reservation() != null && mem.reservation() != 0) {
      prop(props, "MemoryLow", "t", infinity(mem.reservation()));
    }
    if (!legacy && mem != null && mem.swap() != null && mem.swap() != 0) {
      // OCI's swap is memory+swap; cgroup v2's swap.max is the swap alone.
      String swapMax = ResourcePlan.swapV2(mem.swap(), mem.limit());
      prop(props, "MemorySwapMax", "t", swapMax.equals("max") ? -1L : Long.parseLong(swapMax));
    }
    Resources.Cpu cpu = r.cpu();
    if (cpu != null && cpu.shares() != null && cpu.shares() != 0) {
      prop(props, legacy ? "CPUShares" : "CPUWeight", "t",
          legacy ? cpu.shares() : ResourcePlan.cpuWeight(cpu.shares()));
    }
    if (cpu != null && cpu.quota() != null && cpu.quota() != 0) {
      long period = cpu.period() == null || cpu.period() == 0 ? 100_000 : cpu.period();
      long perSec = -1;
      if (cpu.quota() > 0) {
        // systemd keeps CPUQuota= as whole percent of a CPU: round up to
        // 10 ms a second, so that it never allows less than the config's.
        perSec = (cpu.quota() * 1_000_000 / period + 9_999) / 10_000 * 10_000;
      }
      prop(props, "CPUQuotaPerSecUSec", "t", perSec);
    }
    if (cpu != null && cpu.period() != null && cpu.period() != 0 && systemdVersion >= 242) {
      prop(props, "CPUQuotaPeriodUSec", "t", cpu.period());
    }
    boolean cpuset = !legacy && systemdVersion >= 244;
    if (cpuset && cpu != null && cpu.cpus() != null && !cpu.cpus().isEmpty()) {
      prop(props, "AllowedCPUs", "ay", bitmask(cpu.cpus(), "linux.resources.cpu.cpus"));
    }
    if (cpuset && cpu != null && cpu.mems() != null && !cpu.mems().isEmpty()) {
      prop(props, "AllowedMemoryNodes", "ay", bitmask(cpu.mems(), "linux.resources.cpu.mems"));
    }
    // runc: a limit, or -1 for none; 0 says nothing.
    if (r.pids() != null && (r.pids().limit() > 0 || r.pids().limit() == -1)) {
      prop(props, "TasksMax", "t", r.pids().limit());
    }
    if (r.blockIO() != null && r.blockIO().weight() != null && r.blockIO().weight() != 0) {
      int w = r.blockIO().weight();
      prop(props, legacy ? "BlockIOWeight" : "IOWeight", "t",
          legacy ? (long) w : ResourcePlan.ioWeight(w));
    }
    if (!update) {
      // On update the rules would change a list systemd appends to; update
      // writes them to cgroupfs only (runc's update takes no device flags).
      devices(props, ResourcePlan.createDevices(r.devices()));
    }
    return props;
  }

  /**
   * Devices. systemd rewrites the devices controller whenever it realizes
   * the unit, from DevicePolicy and DeviceAllow (on v1 "allow all" when the
   * unit has neither), so they must say what the rules say. The rules as v1
   * would apply them (the emulator the v2 filter uses) end in an allow-list
   * for a container (capsa starts from deny-all and adds the default
   * devices); an allow-list becomes DevicePolicy=strict and one DeviceAllow
   * per device, spelled as runc spells them: {@code /dev/char/M:N} for one
   * device, {@code char-<name>} from /proc/devices for a whole major,
   * {@code char-*} for every device of a type. What systemd cannot say
   * fails closed, as in runc: an allow of one minor of every major is left
   * out (systemd would allow every device), and a deny-list (allow all but
   * some) becomes "strict" with nothing allowed, with a warning: after a
   * reload systemd denies more than the config, never less.
   */
  private static void devices(List<Object> props, List<Resources.DeviceRule> rules) {
    DeviceFilter.State state = DeviceFilter.emulate(rules);
    if (state.defaultAllow()) {
      if (!state.exceptions().isEmpty()) {
        Log.warn("linux.resources.devices: systemd takes no deny-list; its DevicePolicy is"
            + " strict with nothing allowed, which a systemd reload would apply");
        prop(props, "DevicePolicy", "s", "strict");
        prop(props, "DeviceAllow", "a(ss)", List.of());
      }
      return;
    }
    List<Object> allow = new ArrayList<>();
    for (Resources.DeviceRule e : state.exceptions()) {
      String kind = e.type().equals("b") ? "block" : "char";
      String path;
      if (e.major() < 0 && e.minor() >= 0) {
        Log.warn("linux.resources.devices: " + kind + " *:" + e.minor() + " cannot be said to"
            + " systemd (it would allow every device): left out of DeviceAllow");
        continue;
      } else if (e.major() < 0) {
        path = kind + "-*";
      } else if (e.minor() < 0) {
        path = deviceGroup(e.type(), e.major());
        if (path == null) {
          Log.warn("linux.resources.devices: " + kind + " major " + e.major() + " is not in"
              + " /proc/devices, so systemd cannot allow it: left out of DeviceAllow");
          continue;
        }
      } else {
        path = "/dev/" + kind + "/" + e.major() + ":" + e.minor();
      }
      allow.add(List.of(path, e.access()));
    }
    prop(props, "DevicePolicy", "s", "strict");
    prop(props, "DeviceAllow", "a(ss)", allow);
  }

  /** {@code char-<name>} or {@code block-<name>} for a major in /proc/devices, or null. */
  private static String deviceGroup(String type, long major) {
    String text;
    try {
      text = FileIo.read(Path.of("/proc/devices"));
    } catch (IOException e) {
      return null;
    }
    String section = type.equals("b") ? "Block devices:" : "Character devices:";
    boolean in = false;
    for (String line : text.split("\n")) {
      if (line.endsWith("devices:")) {
        in = line.equals(section);
      } else if (in && !line.isBlank()) {
        String[] f = line.trim().split("\\s+", 2);
        if (f.length == 2 && f[0].equals(Long.toString(major))) {
          return (type.equals("b") ? "block-" : "char-") + f[1];
        }
      }
    }
    return null;
  }

  /** A cpu or node list ("0-3,5") as systemd's byte mask: bit i of byte i/8 is cpu i. */
  static byte[] bitmask(String list, String field) {
    return CpuList.parse(list, field, 8191).toByteArray();
  }

  /** -1 (unlimited in the config) is systemd's infinity, UINT64_MAX: the same bits. */
  private static long infinity(long v) {
    return v < 0 ? -1L : v;
  }

  private static void prop(List<Object> props, String name, String sig, Object value) {
    props.add(List.of(name, new Variant(sig, value)));
  }
}
