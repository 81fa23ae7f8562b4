package dev.capsa.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed reads from a JSON tree that {@link SchemaValidator} has already checked,
 * so the types are known to be right and absent values read as null.
 */
final class Tree {
  private Tree() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Object node) {
    return (Map<String, Object>) node;
  }

  static Map<String, Object> object(Map<String, Object> map, String key) {
    return object(map.get(key));
  }

  @SuppressWarnings("unchecked")
  static List<Object> array(Map<String, Object> map, String key) {
    return (List<Object>) map.get(key);
  }

  static String string(Map<String, Object> map, String key) {
    return (String) map.get(key);
  }

  static boolean bool(Map<String, Object> map, String key) {
    return Boolean.TRUE.equals(map.get(key));
  }

  /** An integer; a uint64 above Long.MAX_VALUE keeps its 64 bits (reads negative). */
  static Long integer(Map<String, Object> map, String key) {
    // instanceof, not a pattern switch: that bootstraps through invokedynamic
    // (SwitchBootstraps) in every JVM that reads a config, and the AOT cache
    // does not keep it. A BigInteger's longValue() is its low 64 bits.
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    throw new IllegalArgumentException(key + ": not an integer");
  }

  static long integer(Map<String, Object> map, String key, long absent) {
    Long v = integer(map, key);
    return v == null ? absent : v;
  }

  static List<String> strings(Map<String, Object> map, String key) {
    List<Object> list = array(map, key);
    if (list == null) {
      return null;
    }
    List<String> out = new ArrayList<>(list.size());
    for (Object o : list) {
      out.add((String) o);
    }
    return List.copyOf(out);
  }

  static List<Long> integers(Map<String, Object> map, String key) {
    List<Object> list = array(map, key);
    if (list == null) {
      return null;
    }
    List<Long> out = new ArrayList<>(list.size());
    for (Object o : list) {
      out.add(((Number) o).longValue());
    }
    return List.copyOf(out);
  }

  static Map<String, String> stringMap(Map<String, Object> map, String key) {
    Map<String, Object> m = object(map, key);
    if (m == null) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      out.put(e.getKey(), (String) e.getValue());
    }
    return out;
  }
}
