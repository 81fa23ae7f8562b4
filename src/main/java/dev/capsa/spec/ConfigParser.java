package dev.capsa.spec;

import dev.capsa.json.Json;
import dev.capsa.json.JsonException;
import java.util.ArrayList;
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
        m.get("hooks"),
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
          m.get("uidMappings"),
          m.get("gidMappings")));
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
    return new Spec.Process(
        Tree.bool(p, "terminal"),
        p.get("consoleSize"),
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
        p.get("scheduler"),
        p.get("ioPriority"),
        p.get("execCPUAffinity"));
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
    return new Linux(
        namespaces,
        l.get("uidMappings"),
        l.get("gidMappings"),
        l.get("timeOffsets"),
        devices,
        l.get("netDevices"),
        Tree.string(l, "cgroupsPath"),
        l.get("resources"),
        Tree.string(l, "rootfsPropagation"),
        l.get("seccomp"),
        Tree.stringMap(l, "sysctl"),
        Tree.strings(l, "maskedPaths"),
        Tree.strings(l, "readonlyPaths"),
        Tree.string(l, "mountLabel"),
        l.get("intelRdt"),
        l.get("memoryPolicy"),
        l.get("personality"));
  }
}
