package dev.capsa.setup;

import dev.capsa.linux.Capabilities;
import dev.capsa.spec.OciVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Features structure (features.md, features-linux.md) of what this build
 * of capsa applies, made from the same tables the compiler uses, so it
 * cannot claim a feature the compiler refuses.
 */
public final class Features {
  /** The namespace types {@link SetupCompiler} makes or joins. */
  static final List<String> NAMESPACES = List.of("pid", "network", "mount", "ipc", "uts", "cgroup");

  private Features() {}

  /** The document {@code capsa features} prints. */
  public static Map<String, Object> document(String capsaVersion) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("ociVersionMin", OciVersion.MINIMUM);
    f.put("ociVersionMax", OciVersion.SUPPORTED);
    f.put("hooks", List.of());
    List<String> options = new ArrayList<>(MountOptions.known());
    options.removeAll(MountOptions.EXTENSIONS);
    f.put("mountOptions", options);
    Map<String, Object> linux = new LinkedHashMap<>();
    linux.put("namespaces", NAMESPACES);
    linux.put("capabilities", Capabilities.NAMES);
    linux.put("cgroup", flags("v1", false, "v2", false, "systemd", false, "systemdUser", false,
        "rdma", false));
    linux.put("seccomp", flags("enabled", false));
    linux.put("apparmor", flags("enabled", false));
    linux.put("selinux", flags("enabled", false));
    linux.put("intelRdt", flags("enabled", false));
    linux.put("mountExtensions", Map.of("idmap", flags("enabled", false)));
    linux.put("netDevices", flags("enabled", false));
    f.put("linux", linux);
    f.put("annotations", Map.of("dev.capsa.version", capsaVersion));
    return f;
  }

  private static Map<String, Object> flags(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
