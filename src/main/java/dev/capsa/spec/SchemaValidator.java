package dev.capsa.spec;

import dev.capsa.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Validates {@link Json#parse} trees against the OCI runtime-spec JSON schemas (draft-04 subset).
 *
 * <p>Keywords: {@code $ref} (file-relative {@code defs.json#/x/y} or local {@code #/x/y}),
 * {@code type}, {@code properties}, {@code patternProperties}, {@code additionalProperties},
 * {@code required}, {@code items} (a schema, or an array of schemas for a tuple),
 * {@code minItems}, {@code uniqueItems}, {@code enum}, {@code minimum}/{@code maximum} (compared
 * exactly), {@code pattern} ({@code find()} semantics), {@code minLength}/{@code maxLength},
 * {@code allOf}, {@code anyOf}, {@code oneOf}, {@code not}. Other keywords ({@code format},
 * {@code description}, ...) are ignored and, as in draft-04, {@code $ref} overrides its siblings.
 * "integer" accepts Long and BigInteger only; "number" also Double. Properties the schema does
 * not name are allowed unless {@code additionalProperties} is false.
 *
 * <p>Schema files are classpath resources under {@code schema/}. Each is read, parsed and
 * compiled once, when a {@code $ref} first reaches it during validation (so a Linux config never
 * loads the Windows schema), and kept in static caches; every {@code $ref} is resolved once.
 *
 * <p>Messages name the field by its path from the root: {@code process.user.uid: -1 is less than
 * the minimum 0}, {@code linux.sysctl["net.ipv4.ip_forward"]: ...}, {@code (root): ...}. When
 * no branch of an anyOf/oneOf matches, the messages of the branch that got deepest are reported.
 */
public final class SchemaValidator {
  private static final int OBJECT = 1, ARRAY = 2, STRING = 4, INTEGER = 8, NUMBER = 16, BOOLEAN = 32, NULL = 64;
  private static final String[] TYPE_NAMES = {"object", "array", "string", "integer", "number", "boolean", "null"};

  private static final Object LOCK = new Object();
  private static final Map<String, Object> FILES = new HashMap<>(); // parsed schema files; LOCK
  private static final Map<Object, Schema> COMPILED = new IdentityHashMap<>(); // by JSON node; LOCK
  private static SchemaValidator config, state, features; // LOCK

  private final Schema root;

  private SchemaValidator(String file) {
    root = compile(document(file), file);
  }

  /** Validator for {@code config.json} (root: config-schema.json). */
  public static SchemaValidator config() {
    synchronized (LOCK) {
      return config != null ? config : (config = new SchemaValidator("config-schema.json"));
    }
  }

  /** Validator for the container state (root: state-schema.json). */
  public static SchemaValidator state() {
    synchronized (LOCK) {
      return state != null ? state : (state = new SchemaValidator("state-schema.json"));
    }
  }

  /** Validator for the output of {@code features} (root: features-schema.json). */
  public static SchemaValidator features() {
    synchronized (LOCK) {
      return features != null ? features : (features = new SchemaValidator("features-schema.json"));
    }
  }

  /** For tests: a validator for an in-memory schema named {@code file} (refs resolve beside it). */
  static SchemaValidator of(String file, Object schema) {
    synchronized (LOCK) {
      FILES.put(file, schema);
      return new SchemaValidator(file);
    }
  }

  /** Validates a tree produced by Json.parse; returns human messages, empty when valid. */
  public List<String> validate(Object document) {
    Context c = new Context();
    check(root, document, c);
    return c.errors;
  }

  // ---------------------------------------------------------------- loading and compiling

  /** One compiled schema object; filled under LOCK before it is published, then read-only. */
  private static final class Schema {
    final String file; // for resolving $ref
    String ref;
    volatile Schema target; // ref, resolved on first use
    int types; // bit set of OBJECT..NULL, 0 = any
    int minItems = -1, minLength = -1, maxLength = -1;
    boolean noAdditional, uniqueItems;
    Map<String, Schema> properties;
    Pattern[] patternKeys;
    Schema[] patternSchemas, tupleItems, allOf, anyOf, oneOf;
    Schema additional, items, not;
    String[] required;
    List<?> enumValues;
    Number minimum, maximum;
    Pattern pattern;

    Schema(String file) {
      this.file = file;
    }
  }

  private static Object document(String file) {
    Object doc = FILES.get(file);
    if (doc == null) {
      FILES.put(file, doc = Json.parse(read(file)));
    }
    return doc;
  }

  /**
   * A schema file's text: from {@code capsa.home/schema/} where the runtime is
   * installed (build/package.sh puts the files there), else from the jar. The
   * jar is the slow way: with every class in the AOT cache, reading a resource
   * is what makes the JVM open the jar at all, which costs ~15 ms.
   */
  private static String read(String file) {
    String home = System.getProperty("capsa.home");
    if (home != null) {
      Path path = Path.of(home, "schema", file);
      if (Files.isRegularFile(path)) {
        try {
          return dev.capsa.linux.FileIo.read(path);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    try (InputStream in = SchemaValidator.class.getResourceAsStream("schema/".concat(file))) {
      if (in == null) throw new IllegalStateException("missing schema resource schema/" + file);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Schema compile(Object node, String file) {
    if (!(node instanceof Map<?, ?> map)) throw new IllegalStateException("bad schema in " + file + ": " + node);
    Schema s = COMPILED.get(node);
    if (s != null) return s;
    COMPILED.put(node, s = new Schema(file));
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object v = e.getValue();
      switch ((String) e.getKey()) {
        case "$ref" -> s.ref = (String) v;
        case "type" -> {
          for (Object t : v instanceof List<?> l ? l : List.of(v)) s.types |= typeBit(t);
        }
        case "properties" -> {
          s.properties = new HashMap<>();
          for (Map.Entry<?, ?> p : ((Map<?, ?>) v).entrySet()) {
            s.properties.put((String) p.getKey(), compile(p.getValue(), file));
          }
        }
        case "patternProperties" -> {
          Map<?, ?> props = (Map<?, ?>) v;
          s.patternKeys = new Pattern[props.size()];
          s.patternSchemas = new Schema[props.size()];
          int i = 0;
          for (Map.Entry<?, ?> p : props.entrySet()) {
            s.patternKeys[i] = Pattern.compile((String) p.getKey());
            s.patternSchemas[i++] = compile(p.getValue(), file);
          }
        }
        case "additionalProperties" -> {
          if (v instanceof Boolean b) s.noAdditional = !b;
          else s.additional = compile(v, file);
        }
        case "items" -> {
          if (v instanceof List<?> l) s.tupleItems = compileAll(l, file);
          else s.items = compile(v, file);
        }
        case "required" -> s.required = ((List<?>) v).toArray(new String[0]);
        case "minItems" -> s.minItems = ((Number) v).intValue();
        case "minLength" -> s.minLength = ((Number) v).intValue();
        case "maxLength" -> s.maxLength = ((Number) v).intValue();
        case "uniqueItems" -> s.uniqueItems = (Boolean) v;
        case "enum" -> s.enumValues = (List<?>) v;
        case "minimum" -> s.minimum = (Number) v;
        case "maximum" -> s.maximum = (Number) v;
        case "pattern" -> s.pattern = Pattern.compile((String) v);
        case "allOf" -> s.allOf = compileAll((List<?>) v, file);
        case "anyOf" -> s.anyOf = compileAll((List<?>) v, file);
        case "oneOf" -> s.oneOf = compileAll((List<?>) v, file);
        case "not" -> s.not = compile(v, file);
        default -> { } // description, $schema, definitions, format, ...
      }
    }
    return s;
  }

  private static Schema[] compileAll(List<?> nodes, String file) {
    Schema[] out = new Schema[nodes.size()];
    for (int i = 0; i < out.length; i++) out[i] = compile(nodes.get(i), file);
    return out;
  }

  private static int typeBit(Object name) {
    for (int i = 0; i < TYPE_NAMES.length; i++) {
      if (TYPE_NAMES[i].equals(name)) return 1 << i;
    }
    throw new IllegalStateException("unknown schema type " + name);
  }

  /**
   * Resolves {@code file.json#/a/b} or {@code #/a/b} against the referring file. The leading
   * '/' of the pointer is optional because defs.json says {@code "#definitions/uint32"}.
   */
  private static Schema resolve(Schema s) {
    synchronized (LOCK) {
      if (s.target != null) return s.target;
      String ref = s.ref;
      int hash = ref.indexOf('#');
      String file = hash < 0 ? ref : ref.substring(0, hash);
      Object node = document(file = file.isEmpty() ? s.file : file);
      for (int i = hash + 1, end; hash >= 0 && i < ref.length() && node != null; i = end + 1) {
        end = ref.indexOf('/', i);
        end = end < 0 ? ref.length() : end;
        if (end == i) continue; // the optional leading '/', or "//"
        String token = ref.substring(i, end).replace("~1", "/").replace("~0", "~");
        if (node instanceof List<?> l) {
          int index = -1;
          try {
            index = Integer.parseInt(token);
          } catch (NumberFormatException notAnIndex) {
            // leave -1
          }
          node = index >= 0 && index < l.size() ? l.get(index) : null;
        } else {
          node = node instanceof Map<?, ?> m ? m.get(token) : null;
        }
      }
      if (node == null) throw new IllegalStateException("unresolvable $ref " + ref + " in " + s.file);
      return s.target = compile(node, file);
    }
  }

  // ---------------------------------------------------------------- validation

  /** The path being checked (keys, or null and an index for array items) and the messages. */
  private static final class Context {
    String[] keys = new String[16];
    int[] indices = new int[16];
    int depth;
    ArrayList<String> errors = new ArrayList<>();
    int deepest = -1; // deepest path among errors, to pick an anyOf branch

    void push(String key, int index) {
      if (depth == keys.length) {
        keys = Arrays.copyOf(keys, depth * 2);
        indices = Arrays.copyOf(indices, depth * 2);
      }
      keys[depth] = key;
      indices[depth++] = index;
    }

    void error(Object... parts) {
      StringBuilder sb = new StringBuilder(80).append(depth == 0 ? "(root)" : "");
      for (int i = 0; i < depth; i++) {
        String key = keys[i];
        if (key == null) sb.append('[').append(indices[i]).append(']');
        else if (isIdentifier(key)) sb.append(i == 0 ? "" : ".").append(key);
        else sb.append('[').append(Json.write(key)).append(']');
      }
      sb.append(": ");
      for (Object p : parts) sb.append(p);
      errors.add(sb.toString());
      deepest = Math.max(deepest, depth);
    }
  }

  private static boolean isIdentifier(String key) {
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
      if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return !key.isEmpty();
  }

  private static void check(Schema s, Object v, Context c) {
    while (s.ref != null) {
      Schema t = s.target;
      s = t != null ? t : resolve(s);
    }
    int kind = kind(v);
    if (s.types != 0 && (s.types & kind) == 0 && !(kind == INTEGER && (s.types & NUMBER) != 0)) {
      c.error("expected ", describe(s.types, v), ", got ", describe(kind, v));
      return;
    }
    if (s.enumValues != null && !contains(s.enumValues, v)) {
      StringBuilder sb = new StringBuilder().append('[');
      for (Object e : s.enumValues) {
        sb.append(sb.length() > 1 ? ", " : "").append(e instanceof String x ? x : show(e));
      }
      c.error(show(v), " is not one of ", sb.append(']'));
    }
    if (kind == OBJECT) {
      checkObject(s, (Map<?, ?>) v, c);
    } else if (kind == ARRAY) {
      checkArray(s, (List<?>) v, c);
    } else if (kind == STRING) {
      String str = (String) v;
      if (s.pattern != null && !s.pattern.matcher(str).find()) {
        c.error(show(v), " does not match the pattern ", s.pattern.pattern());
      }
      int length = s.minLength >= 0 || s.maxLength >= 0 ? str.codePointCount(0, str.length()) : 0;
      if (length < s.minLength) c.error(show(v), " is shorter than ", s.minLength, " characters");
      if (s.maxLength >= 0 && length > s.maxLength) {
        c.error(show(v), " is longer than ", s.maxLength, " characters");
      }
    } else if (kind == INTEGER || kind == NUMBER) {
      Number n = (Number) v;
      if (s.minimum != null && compare(n, s.minimum) < 0) c.error(n, " is less than the minimum ", s.minimum);
      if (s.maximum != null && compare(n, s.maximum) > 0) c.error(n, " is greater than the maximum ", s.maximum);
    }
    if (s.allOf != null) {
      for (Schema branch : s.allOf) check(branch, v, c);
    }
    if (s.anyOf != null) branches(s.anyOf, v, c, false);
    if (s.oneOf != null) branches(s.oneOf, v, c, true);
    if (s.not != null) {
      ArrayList<String> saved = c.errors;
      int savedDeepest = c.deepest;
      c.errors = new ArrayList<>();
      check(s.not, v, c);
      boolean matched = c.errors.isEmpty();
      c.errors = saved;
      c.deepest = savedDeepest;
      if (matched) c.error("must not match the schema given by \"not\"");
    }
  }

  private static void checkObject(Schema s, Map<?, ?> map, Context c) {
    if (s.required != null) {
      for (String name : s.required) {
        if (!map.containsKey(name)) {
          c.push(name, -1);
          c.error("required property is missing");
          c.depth--;
        }
      }
    }
    if (s.properties == null && s.patternKeys == null && s.additional == null && !s.noAdditional) return;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = String.valueOf(e.getKey());
      c.push(key, -1);
      Schema p = s.properties == null ? null : s.properties.get(key);
      if (p != null) check(p, e.getValue(), c);
      boolean matched = p != null;
      for (int i = 0; s.patternKeys != null && i < s.patternKeys.length; i++) {
        if (s.patternKeys[i].matcher(key).find()) {
          matched = true;
          check(s.patternSchemas[i], e.getValue(), c);
        }
      }
      if (!matched && s.noAdditional) c.error("property is not allowed here");
      else if (!matched && s.additional != null) check(s.additional, e.getValue(), c);
      c.depth--;
    }
  }

  private static void checkArray(Schema s, List<?> list, Context c) {
    int n = list.size();
    if (n < s.minItems) {
      c.error("expected at least ", s.minItems, s.minItems == 1 ? " item, got " : " items, got ", n);
    }
    if (s.items != null || s.tupleItems != null) {
      int i = 0;
      for (Object item : list) {
        Schema is = s.items != null ? s.items : i < s.tupleItems.length ? s.tupleItems[i] : null;
        if (is != null) {
          c.push(null, i);
          check(is, item, c);
          c.depth--;
        }
        i++;
      }
    }
    for (int j = 1; s.uniqueItems && j < n; j++) {
      for (int i = 0; i < j; i++) {
        if (same(list.get(i), list.get(j))) {
          c.push(null, j);
          c.error("duplicate of item [", i, "], items must be unique");
          c.depth--;
          break;
        }
      }
    }
  }

  /** anyOf / oneOf: when no branch matches, report the branch whose errors got deepest. */
  private static void branches(Schema[] branches, Object v, Context c, boolean exactlyOne) {
    if (branches.length == 1) {
      check(branches[0], v, c);
      return;
    }
    ArrayList<String> saved = c.errors, best = null;
    int savedDeepest = c.deepest, bestDeepest = -1, matches = 0;
    for (Schema branch : branches) {
      c.errors = new ArrayList<>();
      c.deepest = -1;
      check(branch, v, c);
      if (c.errors.isEmpty()) {
        matches++;
        if (!exactlyOne) break;
      } else if (c.deepest > bestDeepest) {
        best = c.errors;
        bestDeepest = c.deepest;
      }
    }
    c.errors = saved;
    c.deepest = Math.max(savedDeepest, matches == 0 ? bestDeepest : -1);
    if (matches == 0) saved.addAll(best);
    else if (matches > 1) c.error("matches ", matches, " schemas of \"oneOf\", expected exactly one");
  }

  private static int kind(Object v) {
    if (v instanceof Map) return OBJECT;
    if (v instanceof List) return ARRAY;
    if (v instanceof String) return STRING;
    if (v instanceof Long || v instanceof BigInteger || v instanceof Integer || v instanceof Short
        || v instanceof Byte) return INTEGER;
    if (v instanceof Number) return NUMBER;
    if (v instanceof Boolean) return BOOLEAN;
    return v == null ? NULL : 0;
  }

  /** "an object", "a string or null", ...; a value of no JSON kind is named by its class. */
  private static String describe(int types, Object v) {
    if (types == 0) return v.getClass().getName();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < TYPE_NAMES.length; i++) {
      if ((types & 1 << i) != 0) {
        sb.append(sb.isEmpty() ? "" : " or ").append(i == 6 ? "" : i < 2 || i == 3 ? "an " : "a ");
        sb.append(TYPE_NAMES[i]);
      }
    }
    return sb.toString();
  }

  /** The value as JSON, cut at 80 characters, for a message. */
  private static String show(Object v) {
    String s;
    try {
      s = Json.write(v);
    } catch (IllegalArgumentException notJson) {
      s = String.valueOf(v);
    }
    return s.length() <= 80 ? s : s.substring(0, 77).concat("...");
  }

  private static boolean contains(List<?> values, Object v) {
    for (Object e : values) {
      if (same(e, v)) return true;
    }
    return false;
  }

  /** JSON equality: numbers by value (1 equals 1.0), arrays in order, objects by content. */
  private static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) return compare(x, y) == 0;
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.get(i), y.get(i))) return false;
      }
      return true;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (x.size() != y.size()) return false;
      for (Map.Entry<?, ?> e : x.entrySet()) {
        if (!y.containsKey(e.getKey()) || !same(e.getValue(), y.get(e.getKey()))) return false;
      }
      return true;
    }
    return Objects.equals(a, b);
  }

  /** Exact numeric comparison; longs and BigIntegers never go through BigDecimal. */
  private static int compare(Number a, Number b) {
    if (kind(a) == INTEGER && kind(b) == INTEGER) {
      if (a instanceof BigInteger x) {
        return b instanceof BigInteger y ? x.compareTo(y) : -compareLong(b.longValue(), x);
      }
      return b instanceof BigInteger y ? compareLong(a.longValue(), y)
          : Long.compare(a.longValue(), b.longValue());
    }
    return decimal(a).compareTo(decimal(b));
  }

  private static int compareLong(long l, BigInteger big) {
    return big.bitLength() < 64 ? Long.compare(l, big.longValue()) : -big.signum();
  }

  private static BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) return d;
    if (n instanceof BigInteger i) return new BigDecimal(i);
    return kind(n) == INTEGER ? BigDecimal.valueOf(n.longValue()) : new BigDecimal(n.doubleValue());
  }
}
