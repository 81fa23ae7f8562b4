package dev.capsa.setup;

import dev.capsa.linux.Capabilities;
import dev.capsa.seccomp.SeccompCompiler;
import dev.capsa.spec.OciVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The Features structure (features.md, features-linux.md) of what this build
 * of capsa applies, made from the same tables the compiler uses, so it
 * cannot claim a feature the compiler refuses.
 */
public final class Features {
  /** The namespace types {@link SetupCompiler} makes or joins. */
  static final List<String> NAMESPACES =
      List.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");

  /** The hooks capsa runs, in their order. */
  static final List<String> HOOKS = List.of(
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop");

  private Features() {}

  /** The document {@code capsa features} prints. */
  public static Map<String, Object> document(String capsaVersion) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("ociVersionMin", OciVersion.MINIMUM);
    f.put("ociVersionMax", OciVersion.SUPPORTED);
    f.put("hooks", HOOKS);
    f.put("mountOptions", MountOptions.known());
    Map<String, Object> linux = new LinkedHashMap<>();
    linux.put("namespaces", NAMESPACES);
    linux.put("capabilities", Capabilities.NAMES);
    linux.put("cgroup", flags("v1", true, "v2", true, "systemd", true, "systemdUser", false,
        "rdma", true));
    Map<String, Object> seccomp = new LinkedHashMap<>();
    seccomp.put("enabled", true);
    seccomp.put("actions", sorted(SeccompCompiler.ACTIONS.keySet()));
    seccomp.put("operators", sorted(SeccompCompiler.OPERATORS.keySet()));
    seccomp.put("archs", SeccompCompiler.knownArchitectures());
    seccomp.put("knownFlags", sorted(SeccompCompiler.FLAGS.keySet()));
    seccomp.put("supportedFlags", sorted(SeccompCompiler.FLAGS.keySet()));
    linux.put("seccomp", seccomp);
    linux.put("apparmor", flags("enabled", true));
    linux.put("selinux", flags("enabled", false));
    linux.put("intelRdt", flags("enabled", false));
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("modes", sorted(ProcessAttributes.MEMORY_MODES.keySet()));
    memory.put("flags", sorted(ProcessAttributes.MEMORY_FLAGS.keySet()));
    linux.put("memoryPolicy", memory);
    linux.put("mountExtensions", Map.of("idmap", flags("enabled", true)));
    linux.put("netDevices", flags("enabled", true));
    f.put("linux", linux);
    f.put("annotations", Map.of("dev.capsa.version", capsaVersion));
    return f;
  }

  private static List<String> sorted(java.util.Collection<String> names) {
    return new ArrayList<>(new TreeSet<>(names));
  }

  private static Map<String, Object> flags(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
