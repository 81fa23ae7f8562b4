package dev.capsa.spec;

import dev.capsa.json.Json;
import dev.capsa.json.JsonException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads config.json: parses it, validates it against the spec's JSON schema
 * (config-schema.json, so every message names the field), and binds it to a
 * {@link Spec}. Unknown properties are ignored, as config.md requires.
 */
public final class ConfigParser {
  private static final List<String> OTHER_PLATFORMS =
      List.of("solaris", "windows", "vm", "zos", "freebsd");

  private ConfigParser() {}

  /** Parses and validates a config.json text. */
  public static Spec parse(String json) {
    Object tree;
    try {
      tree = Json.parse(json);
    } catch (JsonException e) {
      throw new SpecException("config.json: " + e.getMessage());
    }
    dev.capsa.log.Log.debug("json parsed");
    deviceFileTypes(tree);
    SchemaValidator v = SchemaValidator.config();
    dev.capsa.log.Log.debug("schema loaded");
    List<String> errors = v.validate(tree);
    if (!errors.isEmpty()) {
      throw new SpecException("config.json: " + String.join("; ", errors));
    }
    return bind(Tree.object(tree));
  }

  private static int umask(long v) {
    if (v < 0 || v > 0777) {
      throw new SpecException("config.json: process.user.umask: " + v
          + " is not a umask (0 to 0777, 511 in decimal)");
    }
    return (int) v;
  }

  private static int oomScoreAdj(long v) {
    if (v < -1000 || v > 1000) {
      throw new SpecException("config.json: process.oomScoreAdj: " + v
          + " is outside the kernel's range -1000 to 1000");
    }
    return (int) v;
  }

  /**
   * A config.json capsa itself kept (validated at create): parsed without the
   * schema check, which costs ~10 ms of start-up.
   */
  public static Spec parseTrusted(String json) {
    Object tree = Json.parse(json);
    deviceFileTypes(tree);
    return bind(Tree.object(tree));
  }

  /** S_IFMT and the file types of linux.devices[].type (stat.h). */
  private static final long S_IFMT = 0170000;
  private static final Map<String, Long> DEVICE_FILE_TYPES =
      Map.of("c", 0020000L, "u", 0020000L, "b", 0060000L, "p", 0010000L);

  /**
   * Drops from linux.devices[].fileMode the file type bits of the device's own
   * type: podman writes st_mode there (S_IFCHR|0666, 8630 in decimal) for
   * --device and --privileged, and runc and crun take it. Other bits beyond
   * the permissions are still the schema's error.
   */
  private static void deviceFileTypes(Object tree) {
    if (!(tree instanceof Map<?, ?> root) || !(root.get("linux") instanceof Map<?, ?> linux)
        || !(linux.get("devices") instanceof List<?> devices)) {
      return;
    }
    for (Object o : devices) {
      if (o instanceof Map<?, ?> d && d.get("fileMode") instanceof Long mode
          && d.get("type") instanceof String type && DEVICE_FILE_TYPES.containsKey(type)
          && (mode & S_IFMT) == DEVICE_FILE_TYPES.get(type)) {
        @SuppressWarnings("unchecked")
        Map<String, Object> device = (Map<String, Object>) d;
        device.put("fileMode", mode & ~S_IFMT);
      }
    }
  }

  /** A process.json (runc exec --process): a config.json {@code process} object. */
  public static Spec.Process parseProcess(String json) {
    Object tree;
    try {
      tree = Json.parse(json);
    } catch (JsonException e) {
      throw new SpecException("process.json: " + e.getMessage());
    }
    Map<String, Object> wrapper = new LinkedHashMap<>();
    wrapper.put("ociVersion", OciVersion.SUPPORTED);
    wrapper.put("process", tree);
    List<String> errors = SchemaValidator.config().validate(wrapper);
    if (!errors.isEmpty()) {
      throw new SpecException("process.json: " + String.join("; ", errors));
    }
    return process(Tree.object(tree));
  }

  static Spec bind(Map<String, Object> m) {
    List<String> others = new ArrayList<>();
    for (String p : OTHER_PLATFORMS) {
      if (m.containsKey(p)) {
        others.add(p);
      }
    }
    Map<String, Object> root = Tree.object(m, "root");
    return new Spec(
        Tree.string(m, "ociVersion"),
        process(Tree.object(m, "process")),
        root == null ? null : new Spec.Root(Tree.string(root, "path"), Tree.bool(root, "readonly")),
        Tree.string(m, "hostname"),
        Tree.string(m, "domainname"),
        mounts(Tree.array(m, "mounts")),
        hooks(Tree.object(m, "hooks")),
        Tree.stringMap(m, "annotations"),
        linux(Tree.object(m, "linux")),
        List.copyOf(others));
  }

  private static List<Spec.Mount> mounts(List<Object> list) {
    if (list == null) {
      return List.of();
    }
    List<Spec.Mount> out = new ArrayList<>(list.size());
    for (Object o : list) {
      Map<String, Object> m = Tree.object(o);
      out.add(new Spec.Mount(
          Tree.string(m, "destination"),
          Tree.string(m, "type"),
          Tree.string(m, "source"),
          Tree.strings(m, "options"),
          idMappings(Tree.array(m, "uidMappings")),
          idMappings(Tree.array(m, "gidMappings"))));
    }
    return List.copyOf(out);
  }

  private static Spec.Process process(Map<String, Object> p) {
    if (p == null) {
      return null;
    }
    Map<String, Object> u = Tree.object(p, "user");
    Spec.User user = u == null
        ? null
        : new Spec.User(
            Tree.integer(u, "uid", 0),
            Tree.integer(u, "gid", 0),
            u.containsKey("umask") ? umask(Tree.integer(u, "umask")) : null,
            Tree.integers(u, "additionalGids"));
    Map<String, Object> c = Tree.object(p, "capabilities");
    Spec.Capabilities caps = c == null
        ? null
        : new Spec.Capabilities(
            Tree.strings(c, "bounding"),
            Tree.strings(c, "effective"),
            Tree.strings(c, "inheritable"),
            Tree.strings(c, "permitted"),
            Tree.strings(c, "ambient"));
    List<Spec.Rlimit> rlimits = null;
    List<Object> rl = Tree.array(p, "rlimits");
    if (rl != null) {
      rlimits = new ArrayList<>(rl.size());
      for (Object o : rl) {
        Map<String, Object> r = Tree.object(o);
        rlimits.add(new Spec.Rlimit(
            Tree.string(r, "type"), Tree.integer(r, "soft"), Tree.integer(r, "hard")));
      }
      rlimits = List.copyOf(rlimits);
    }
    Long oom = Tree.integer(p, "oomScoreAdj");
    Map<String, Object> cs = Tree.object(p, "consoleSize");
    Map<String, Object> sc = Tree.object(p, "scheduler");
    Map<String, Object> io = Tree.object(p, "ioPriority");
    Map<String, Object> af = Tree.object(p, "execCPUAffinity");
    return new Spec.Process(
        Tree.bool(p, "terminal"),
        cs == null ? null
            : new Spec.ConsoleSize(Tree.integer(cs, "height", 0), Tree.integer(cs, "width", 0)),
        Tree.string(p, "cwd"),
        Tree.strings(p, "env"),
        Tree.strings(p, "args"),
        Tree.string(p, "commandLine"),
        user,
        caps,
        rlimits,
        Tree.bool(p, "noNewPrivileges"),
        oom == null ? null : oomScoreAdj(oom),
        Tree.string(p, "apparmorProfile"),
        Tree.string(p, "selinuxLabel"),
        sc == null ? null : new Spec.Scheduler(
            Tree.string(sc, "policy"),
            (int) Tree.integer(sc, "nice", 0),
            (int) Tree.integer(sc, "priority", 0),
            orEmpty(Tree.strings(sc, "flags")),
            Tree.integer(sc, "runtime", 0),
            Tree.integer(sc, "deadline", 0),
            Tree.integer(sc, "period", 0)),
        io == null ? null
            : new Spec.IoPriority(Tree.string(io, "class"), (int) Tree.integer(io, "priority", 0)),
        af == null ? null : new Spec.CpuAffinity(Tree.string(af, "initial"), Tree.string(af, "final")));
  }

  private static Linux linux(Map<String, Object> l) {
    if (l == null) {
      return null;
    }
    List<Linux.Namespace> namespaces = null;
    List<Object> ns = Tree.array(l, "namespaces");
    if (ns != null) {
      namespaces = new ArrayList<>(ns.size());
      for (Object o : ns) {
        Map<String, Object> n = Tree.object(o);
        namespaces.add(new Linux.Namespace(Tree.string(n, "type"), Tree.string(n, "path")));
      }
      namespaces = List.copyOf(namespaces);
    }
    List<Linux.Device> devices = null;
    List<Object> dv = Tree.array(l, "devices");
    if (dv != null) {
      devices = new ArrayList<>(dv.size());
      for (Object o : dv) {
        Map<String, Object> d = Tree.object(o);
        if (!"p".equals(d.get("type"))) {
          for (String key : List.of("major", "minor")) {
            if (!d.containsKey(key)) {
              throw new SpecException("config.json: linux.devices[" + devices.size() + "]." + key
                  + ": required unless the type is p");
            }
          }
        }
        devices.add(new Linux.Device(
            Tree.string(d, "type"),
            Tree.string(d, "path"),
            Tree.integer(d, "major", 0),
            Tree.integer(d, "minor", 0),
            Tree.integer(d, "fileMode"),
            Tree.integer(d, "uid"),
            Tree.integer(d, "gid")));
      }
      devices = List.copyOf(devices);
    }
    Map<String, Linux.TimeOffset> offsets = null;
    Map<String, Object> to = Tree.object(l, "timeOffsets");
    if (to != null) {
      offsets = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : to.entrySet()) {
        Map<String, Object> o = Tree.object(e.getValue());
        offsets.put(e.getKey(),
            new Linux.TimeOffset(Tree.integer(o, "secs", 0), Tree.integer(o, "nanosecs", 0)));
      }
    }
    Map<String, String> netDevices = null;
    Map<String, Object> nd = Tree.object(l, "netDevices");
    if (nd != null) {
      netDevices = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : nd.entrySet()) {
        String name = Tree.string(Tree.object(e.getValue()), "name");
        netDevices.put(e.getKey(), name == null || name.isEmpty() ? e.getKey() : name);
      }
    }
    Map<String, Object> mp = Tree.object(l, "memoryPolicy");
    Map<String, Object> pe = Tree.object(l, "personality");
    return new Linux(
        namespaces,
        idMappings(Tree.array(l, "uidMappings")),
        idMappings(Tree.array(l, "gidMappings")),
        offsets,
        devices,
        netDevices,
        Tree.string(l, "cgroupsPath"),
        resources(Tree.object(l, "resources")),
        Tree.string(l, "rootfsPropagation"),
        seccomp(Tree.object(l, "seccomp")),
        Tree.stringMap(l, "sysctl"),
        Tree.strings(l, "maskedPaths"),
        Tree.strings(l, "readonlyPaths"),
        Tree.string(l, "mountLabel"),
        l.get("intelRdt"),
        mp == null ? null : new Linux.MemoryPolicy(Tree.string(mp, "mode"), Tree.string(mp, "nodes"),
            orEmpty(Tree.strings(mp, "flags"))),
        pe == null ? null
            : new Linux.Personality(Tree.string(pe, "domain"), orEmpty(Tree.strings(pe, "flags"))));
  }

  /** Binds linux.resources (also the JSON of {@code update -r}). */
  public static Resources resources(Map<String, Object> r) {
    if (r == null) {
      return null;
    }
    Map<String, Object> m = Tree.object(r, "memory");
    Map<String, Object> c = Tree.object(r, "cpu");
    Map<String, Object> p = Tree.object(r, "pids");
    Map<String, Object> b = Tree.object(r, "blockIO");
    Map<String, Object> n = Tree.object(r, "network");
    List<Resources.HugepageLimit> huge = new ArrayList<>();
    List<Object> hl = Tree.array(r, "hugepageLimits");
    if (hl != null) {
      for (Object o : hl) {
        Map<String, Object> h = Tree.object(o);
        huge.add(new Resources.HugepageLimit(Tree.string(h, "pageSize"), Tree.integer(h, "limit", 0)));
      }
    }
    Map<String, Resources.Rdma> rdma = new LinkedHashMap<>();
    Map<String, Object> rd = Tree.object(r, "rdma");
    if (rd != null) {
      for (Map.Entry<String, Object> e : rd.entrySet()) {
        Map<String, Object> x = Tree.object(e.getValue());
        rdma.put(e.getKey(), new Resources.Rdma(Tree.integer(x, "hcaHandles"),
            Tree.integer(x, "hcaObjects")));
      }
    }
    List<Resources.DeviceRule> devices = new ArrayList<>();
    List<Object> dl = Tree.array(r, "devices");
    if (dl != null) {
      for (Object o : dl) {
        Map<String, Object> d = Tree.object(o);
        devices.add(new Resources.DeviceRule(Tree.bool(d, "allow"), Tree.string(d, "type"),
            Tree.integer(d, "major"), Tree.integer(d, "minor"), Tree.string(d, "access")));
      }
    }
    Map<String, String> unified = Tree.stringMap(r, "unified");
    return new Resources(
        m == null ? null : new Resources.Memory(Tree.integer(m, "limit"),
            Tree.integer(m, "reservation"), Tree.integer(m, "swap"), Tree.integer(m, "kernel"),
            Tree.integer(m, "kernelTCP"), Tree.integer(m, "swappiness"),
            (Boolean) m.get("disableOOMKiller"), (Boolean) m.get("useHierarchy"),
            (Boolean) m.get("checkBeforeUpdate")),
        c == null ? null : new Resources.Cpu(Tree.integer(c, "shares"), Tree.integer(c, "quota"),
            Tree.integer(c, "burst"), Tree.integer(c, "period"), Tree.integer(c, "realtimeRuntime"),
            Tree.integer(c, "realtimePeriod"), Tree.string(c, "cpus"), Tree.string(c, "mems"),
            Tree.integer(c, "idle")),
        p == null ? null : new Resources.Pids(Tree.integer(p, "limit", 0)),
        b == null ? null : blockIO(b),
        List.copyOf(huge),
        n == null ? null : network(n),
        rdma,
        List.copyOf(devices),
        unified == null ? Map.of() : unified);
  }

  private static Resources.BlockIO blockIO(Map<String, Object> b) {
    List<Resources.WeightDevice> weights = new ArrayList<>();
    List<Object> wl = Tree.array(b, "weightDevice");
    if (wl != null) {
      for (Object o : wl) {
        Map<String, Object> w = Tree.object(o);
        Long weight = Tree.integer(w, "weight");
        Long leaf = Tree.integer(w, "leafWeight");
        weights.add(new Resources.WeightDevice(Tree.integer(w, "major", 0), Tree.integer(w, "minor", 0),
            weight == null ? null : weight.intValue(), leaf == null ? null : leaf.intValue()));
      }
    }
    Long weight = Tree.integer(b, "weight");
    Long leaf = Tree.integer(b, "leafWeight");
    return new Resources.BlockIO(weight == null ? null : weight.intValue(),
        leaf == null ? null : leaf.intValue(), List.copyOf(weights),
        throttle(b, "throttleReadBpsDevice"), throttle(b, "throttleWriteBpsDevice"),
        throttle(b, "throttleReadIOPSDevice"), throttle(b, "throttleWriteIOPSDevice"));
  }

  private static List<Resources.ThrottleDevice> throttle(Map<String, Object> b, String key) {
    List<Resources.ThrottleDevice> out = new ArrayList<>();
    List<Object> list = Tree.array(b, key);
    if (list != null) {
      for (Object o : list) {
        Map<String, Object> t = Tree.object(o);
        out.add(new Resources.ThrottleDevice(Tree.integer(t, "major", 0), Tree.integer(t, "minor", 0),
            Tree.integer(t, "rate", 0)));
      }
    }
    return List.copyOf(out);
  }

  private static Resources.Network network(Map<String, Object> n) {
    List<Resources.InterfacePriority> prios = new ArrayList<>();
    List<Object> pl = Tree.array(n, "priorities");
    if (pl != null) {
      for (Object o : pl) {
        Map<String, Object> x = Tree.object(o);
        prios.add(new Resources.InterfacePriority(Tree.string(x, "name"), Tree.integer(x, "priority", 0)));
      }
    }
    return new Resources.Network(Tree.integer(n, "classID"), List.copyOf(prios));
  }

  private static List<String> orEmpty(List<String> list) {
    return list == null ? List.of() : list;
  }

  private static List<IdMapping> idMappings(List<Object> list) {
    if (list == null) {
      return null;
    }
    List<IdMapping> out = new ArrayList<>(list.size());
    for (Object o : list) {
      Map<String, Object> m = Tree.object(o);
      out.add(new IdMapping(Tree.integer(m, "containerID", 0), Tree.integer(m, "hostID", 0),
          Tree.integer(m, "size", 0)));
    }
    return List.copyOf(out);
  }

  /** Hooks as JSON, to keep for start and delete (config.json may change after create). */
  public static String hooksJson(Hooks hooks) {
    Map<String, Object> m = new LinkedHashMap<>();
    String[] kinds = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
        "poststop"};
    List<List<Hooks.Hook>> lists = List.of(hooks.prestart(), hooks.createRuntime(),
        hooks.createContainer(), hooks.startContainer(), hooks.poststart(), hooks.poststop());
    for (int k = 0; k < kinds.length; k++) {
      List<Object> out = new ArrayList<>();
      for (Hooks.Hook h : lists.get(k)) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("path", h.path());
        if (h.args() != null) {
          e.put("args", h.args());
        }
        if (h.env() != null) {
          e.put("env", h.env());
        }
        if (h.timeout() != null) {
          e.put("timeout", h.timeout());
        }
        out.add(e);
      }
      if (!out.isEmpty()) {
        m.put(kinds[k], out);
      }
    }
    return Json.write(m);
  }

  /** Reads what {@link #hooksJson} wrote. */
  public static Hooks parseHooks(String json) {
    return hooks(Tree.object(Json.parse(json)));
  }

  private static Hooks hooks(Map<String, Object> h) {
    if (h == null) {
      return Hooks.NONE;
    }
    return new Hooks(hookList(h, "prestart"), hookList(h, "createRuntime"),
        hookList(h, "createContainer"), hookList(h, "startContainer"), hookList(h, "poststart"),
        hookList(h, "poststop"));
  }

  private static List<Hooks.Hook> hookList(Map<String, Object> h, String key) {
    List<Object> list = Tree.array(h, key);
    if (list == null) {
      return List.of();
    }
    List<Hooks.Hook> out = new ArrayList<>(list.size());
    for (Object o : list) {
      Map<String, Object> m = Tree.object(o);
      Long timeout = Tree.integer(m, "timeout");
      out.add(new Hooks.Hook(Tree.string(m, "path"), Tree.strings(m, "args"), Tree.strings(m, "env"),
          timeout == null ? null : Math.toIntExact(timeout)));
    }
    return List.copyOf(out);
  }

  private static Seccomp seccomp(Map<String, Object> s) {
    if (s == null) {
      return null;
    }
    List<Seccomp.Syscall> syscalls = new ArrayList<>();
    List<Object> list = Tree.array(s, "syscalls");
    if (list != null) {
      for (Object o : list) {
        Map<String, Object> c = Tree.object(o);
        List<Seccomp.Arg> args = new ArrayList<>();
        List<Object> al = Tree.array(c, "args");
        if (al != null) {
          for (Object a : al) {
            Map<String, Object> m = Tree.object(a);
            args.add(new Seccomp.Arg(Tree.integer(m, "index", 0), Tree.integer(m, "value", 0),
                Tree.integer(m, "valueTwo", 0), Tree.string(m, "op")));
          }
        }
        syscalls.add(new Seccomp.Syscall(Tree.strings(c, "names"), Tree.string(c, "action"),
            Tree.integer(c, "errnoRet"), List.copyOf(args)));
      }
    }
    return new Seccomp(Tree.string(s, "defaultAction"), Tree.integer(s, "defaultErrnoRet"),
        orEmpty(Tree.strings(s, "architectures")), orEmpty(Tree.strings(s, "flags")),
        Tree.string(s, "listenerPath"), Tree.string(s, "listenerMetadata"), List.copyOf(syscalls));
  }
}
