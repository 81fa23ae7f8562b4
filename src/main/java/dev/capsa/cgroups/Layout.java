package dev.capsa.cgroups;

import dev.capsa.linux.FileIo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host's cgroup layout, read from /proc/self/mountinfo and the unified
 * hierarchy's cgroup.controllers, never guessed: pure v1 (one hierarchy per
 * controller or co-mounted group), pure v2 (one unified hierarchy), or hybrid
 * (v1 hierarchies and a v2 one that holds the controllers no v1 hierarchy
 * has, like hugetlb on this project's CI machine).
 *
 * @param hierarchies every mounted hierarchy, v1 and v2
 * @param v2Controllers the controllers the unified hierarchy offers (cgroup.controllers of its root)
 */
public record Layout(List<Hierarchy> hierarchies, Set<String> v2Controllers) {

  /** The kinds of host. */
  public enum Kind { V1, V2, HYBRID, NONE }

  /** The host's layout. */
  public static Layout ofHost() {
    return of(Hierarchy.ofHost());
  }

  /** The layout of these hierarchies (read from this host). */
  public static Layout of(List<Hierarchy> hs) {
    Set<String> controllers = new LinkedHashSet<>();
    for (Hierarchy h : hs) {
      if (h.v2()) {
        try {
          String text = FileIo.read(Path.of(h.mountPoint(), h.cgroup(), "cgroup.controllers"));
          for (String c : text.trim().split(" ")) {
            if (!c.isEmpty()) {
              controllers.add(c);
            }
          }
        } catch (IOException e) {
          // A v2 hierarchy without cgroup.controllers offers nothing.
        }
      }
    }
    return new Layout(hs, controllers);
  }

  public Kind kind() {
    boolean v1 = false;
    boolean v2 = false;
    for (Hierarchy h : hierarchies) {
      if (h.v2()) {
        v2 = true;
      } else {
        v1 = true;
      }
    }
    return v1 && v2 ? Kind.HYBRID : v1 ? Kind.V1 : v2 ? Kind.V2 : Kind.NONE;
  }

  /** The v1 hierarchy of a controller, or null. */
  public Hierarchy v1(String controller) {
    for (Hierarchy h : hierarchies) {
      if (!h.v2()) {
        for (String c : h.options().split(",")) {
          if (c.equals(controller)) {
            return h;
          }
        }
      }
    }
    return null;
  }

  /** The unified hierarchy, or null. */
  public Hierarchy v2() {
    for (Hierarchy h : hierarchies) {
      if (h.v2()) {
        return h;
      }
    }
    return null;
  }

  /**
   * Where a controller lives: its v1 hierarchy if one has it (the kernel binds
   * a controller to one hierarchy), else the unified one if it offers it, else
   * null (the host does not have it).
   */
  public Hierarchy of(String controller) {
    Hierarchy h = v1(controller);
    if (h != null) {
      return h;
    }
    Hierarchy u = v2();
    return u != null && v2Controllers.contains(controller) ? u : null;
  }

  /** The v1 controllers mounted, in mountinfo order (for stats and features). */
  public Map<String, Hierarchy> v1Controllers() {
    Map<String, Hierarchy> out = new LinkedHashMap<>();
    for (Hierarchy h : hierarchies) {
      if (!h.v2()) {
        for (String c : h.options().split(",")) {
          if (!c.startsWith("name=")) {
            out.put(c, h);
          }
        }
      }
    }
    return out;
  }
}
