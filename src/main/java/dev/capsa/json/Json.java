package dev.capsa.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A small, strict JSON (RFC 8259) reader and writer working on plain JDK trees.
 *
 * <p>{@link #parse} maps JSON to Java as follows:
 * <table>
 *   <caption>JSON to Java</caption>
 *   <tr><td>object</td><td>{@link LinkedHashMap}{@code <String,Object>}, key order kept</td></tr>
 *   <tr><td>array</td><td>{@link ArrayList}{@code <Object>}</td></tr>
 *   <tr><td>string</td><td>{@link String}</td></tr>
 *   <tr><td>integer</td><td>{@link Long}, or {@link BigInteger} when it does not fit in a long</td></tr>
 *   <tr><td>number with fraction or exponent</td><td>{@link Double}</td></tr>
 *   <tr><td>true / false</td><td>{@link Boolean}</td></tr>
 *   <tr><td>null</td><td>{@code null}</td></tr>
 * </table>
 *
 * <p>Parsing is strict: no trailing garbage, trailing commas, leading zeros, raw control
 * characters in strings, invalid escapes, duplicate keys or numbers that overflow a double, and
 * at most {@value #MAX_DEPTH} nested arrays/objects. Lone surrogates ({@code "\ud800"}) are
 * accepted as chars. Errors are {@link JsonException}s carrying line and column.
 *
 * <p>The parser makes a single pass over the string with an index; it allocates only the
 * resulting tree (plus a {@link StringBuilder} for strings that contain escapes).
 *
 * <p>{@link #write} and {@link #writePretty} accept {@link Map} (keys via
 * {@link String#valueOf}), {@link Collection}, {@link String}, {@link Number}, {@link Boolean}
 * and {@code null}; anything else is an {@link IllegalArgumentException}.
 */
public final class Json {
  /** Maximum nesting depth of arrays and objects accepted by {@link #parse}. */
  public static final int MAX_DEPTH = 512;
  /** Nesting depth past which the writer gives up (the tree is probably cyclic). */
  private static final int MAX_WRITE_DEPTH = 1000;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final String s;
  private final int len;
  private int pos;
  private int depth;

  private Json(String text) {
    this.s = text;
    this.len = text.length();
  }

  /**
   * Parses one JSON value, which may be surrounded by whitespace only.
   *
   * @throws JsonException if {@code text} is not valid JSON
   */
  public static Object parse(String text) {
    Json p = new Json(Objects.requireNonNull(text, "text"));
    p.skipWhitespace();
    Object value = p.value();
    p.skipWhitespace();
    if (p.pos < p.len) {
      throw p.error(p.pos, "unexpected " + p.describe(p.pos) + " after the JSON value");
    }
    return value;
  }

  // ---------------------------------------------------------------- reader

  private void skipWhitespace() {
    while (pos < len) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      pos++;
    }
  }

  private Object value() {
    if (pos >= len) {
      throw error(pos, "unexpected end of input, expected a value");
    }
    char c = s.charAt(pos);
    switch (c) {
      case '{': return object();
      case '[': return array();
      case '"': return string();
      case 't': return literal("true", Boolean.TRUE);
      case 'f': return literal("false", Boolean.FALSE);
      case 'n': return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error(pos, "unexpected " + describe(pos) + ", expected a value");
    }
  }

  private Object literal(String word, Object result) {
    if (!s.startsWith(word, pos)) {
      throw error(pos, "invalid literal, expected " + word);
    }
    pos += word.length();
    return result;
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw error(pos, "nesting deeper than " + MAX_DEPTH + " levels");
    }
    pos++; // the '{' or '['
    skipWhitespace();
  }

  private LinkedHashMap<String, Object> object() {
    enter();
    LinkedHashMap<String, Object> map = new LinkedHashMap<>();
    if (pos < len && s.charAt(pos) == '}') {
      pos++;
      depth--;
      return map;
    }
    while (true) {
      if (pos >= len || s.charAt(pos) != '"') {
        throw pos < len && s.charAt(pos) == '}'
            ? error(pos, "trailing comma before '}'") : expected(pos, "a string key");
      }
      int keyPos = pos;
      String key = string();
      skipWhitespace();
      if (pos >= len || s.charAt(pos) != ':') {
        throw expected(pos, "':'");
      }
      pos++;
      skipWhitespace();
      Object v = value();
      int size = map.size();
      map.put(key, v); // one hash lookup; a duplicate leaves the size unchanged
      if (map.size() == size) {
        throw error(keyPos, "duplicate key " + write(key));
      }
      skipWhitespace();
      char c = pos < len ? s.charAt(pos) : 0;
      if (c == ',') {
        pos++;
        skipWhitespace();
      } else if (c == '}') {
        pos++;
        depth--;
        return map;
      } else {
        throw expected(pos, "',' or '}'");
      }
    }
  }

  private ArrayList<Object> array() {
    enter();
    ArrayList<Object> list = new ArrayList<>();
    if (pos < len && s.charAt(pos) == ']') {
      pos++;
      depth--;
      return list;
    }
    while (true) {
      if (pos < len && s.charAt(pos) == ']') {
        throw error(pos, "trailing comma before ']'");
      }
      list.add(value());
      skipWhitespace();
      char c = pos < len ? s.charAt(pos) : 0;
      if (c == ',') {
        pos++;
        skipWhitespace();
      } else if (c == ']') {
        pos++;
        depth--;
        return list;
      } else {
        throw expected(pos, "',' or ']'");
      }
    }
  }

  /** Reads a string starting at the opening quote; fast path without escapes. */
  private String string() {
    int start = pos + 1;
    for (int i = start; i < len; i++) {
      char c = s.charAt(i);
      if (c == '"') {
        pos = i + 1;
        return s.substring(start, i);
      }
      if (c == '\\') {
        return escapedString(start, i);
      }
      if (c < 0x20) {
        throw error(i, controlCharacter(c));
      }
    }
    throw error(start - 1, "unterminated string");
  }

  /** Slow path of {@link #string()}: {@code i} is the first backslash. */
  private String escapedString(int start, int i) {
    StringBuilder sb = new StringBuilder(i - start + 16).append(s, start, i);
    while (i < len) {
      char c = s.charAt(i);
      if (c == '"') {
        pos = i + 1;
        return sb.toString();
      } else if (c == '\\') {
        if (i + 1 >= len) {
          break;
        }
        char e = s.charAt(i + 1);
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            int code = 0;
            for (int k = i + 2; k < i + 6; k++) {
              int h = k < len ? Character.digit(s.charAt(k), 16) : -1;
              if (h < 0) {
                throw error(k, "invalid \\u escape, expected 4 hex digits");
              }
              code = code << 4 | h;
            }
            // Surrogate pairs need no special care: two \\u escapes append two chars.
            sb.append((char) code);
            i += 4;
          }
          default -> throw error(i, "invalid escape '\\" + e + "'");
        }
        i += 2;
      } else if (c < 0x20) {
        throw error(i, controlCharacter(c));
      } else {
        int run = i;
        while (++i < len && (c = s.charAt(i)) != '"' && c != '\\' && c >= 0x20) {
          // scan a run of plain characters
        }
        sb.append(s, run, i);
      }
    }
    throw error(start - 1, "unterminated string");
  }

  private Object number() {
    int start = pos;
    int i = pos;
    if (s.charAt(i) == '-') {
      i++;
    }
    int digits = i;
    if (i < len && s.charAt(i) == '0') {
      i++;
      if (i < len && isDigit(s.charAt(i))) {
        throw error(start, "leading zeros are not allowed");
      }
    } else if (i < len && isDigit(s.charAt(i))) {
      while (++i < len && isDigit(s.charAt(i))) {
        // integer part
      }
    } else {
      throw expected(i, "a digit");
    }
    int intEnd = i;
    if (i < len && s.charAt(i) == '.') {
      i = digitsAfter(i + 1, "a digit after '.'");
    }
    if (i < len && (s.charAt(i) | 0x20) == 'e') {
      i++;
      if (i < len && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      i = digitsAfter(i, "a digit in the exponent");
    }
    pos = i;
    if (i == intEnd) { // an integer
      if (intEnd - digits <= 18) { // fits in a long for sure
        long v = 0;
        for (int k = digits; k < intEnd; k++) {
          v = v * 10 + (s.charAt(k) - '0');
        }
        return Long.valueOf(digits == start ? v : -v);
      }
      BigInteger big = new BigInteger(s.substring(start, intEnd));
      return big.bitLength() < 64 ? (Object) Long.valueOf(big.longValue()) : big;
    }
    double d = Double.parseDouble(s.substring(start, i));
    if (Double.isInfinite(d)) {
      throw error(start, "number out of range");
    }
    return Double.valueOf(d);
  }

  private int digitsAfter(int i, String what) {
    if (i >= len || !isDigit(s.charAt(i))) {
      throw expected(i, what);
    }
    while (++i < len && isDigit(s.charAt(i))) {
      // more digits
    }
    return i;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private JsonException expected(int at, String what) {
    return error(at, at >= len ? "unexpected end of input, expected " + what : "expected " + what);
  }

  /** Names the character at {@code i} for an error message. */
  private String describe(int i) {
    char c = s.charAt(i);
    return c > 0x20 && c < 0x7f ? "'" + c + "'" : "character " + codePoint(c);
  }

  private static String controlCharacter(char c) {
    return "control character " + codePoint(c) + " must be escaped in a string";
  }

  private static String codePoint(char c) {
    StringBuilder sb = new StringBuilder(6);
    hex4(sb, c);
    return "U+" + sb.toString().toUpperCase(java.util.Locale.ROOT);
  }

  private JsonException error(int at, String detail) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0, end = Math.min(at, len); i < end; i++) {
      if (s.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new JsonException(detail, line, at - lineStart + 1);
  }

  // ---------------------------------------------------------------- writer

  /** Writes {@code value} as compact JSON (no whitespace). */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder(64);
    write(sb, value, -1);
    return sb.toString();
  }

  /**
   * Writes {@code value} indented by two spaces per level, like Go's
   * {@code json.MarshalIndent(v, "", "  ")}: {@code "key": value}, empty objects and arrays as
   * {@code {}} and {@code []}, no trailing newline.
   */
  public static String writePretty(Object value) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, value, 0);
    return sb.toString();
  }

  /** {@code level} is the indentation level, or negative for compact output. */
  private static void write(StringBuilder sb, Object v, int level) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String str) {
      quote(sb, str);
    } else if (v instanceof Boolean b) {
      sb.append(b.booleanValue());
    } else if (v instanceof Number n) {
      number(sb, n);
    } else if (v instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        sb.append("{}");
        return;
      }
      int inner = deeper(level);
      char sep = '{';
      for (Map.Entry<?, ?> e : map.entrySet()) {
        sb.append(sep);
        sep = ',';
        newline(sb, inner);
        quote(sb, String.valueOf(e.getKey()));
        sb.append(level < 0 ? ":" : ": ");
        write(sb, e.getValue(), inner);
      }
      newline(sb, level);
      sb.append('}');
    } else if (v instanceof Collection<?> list) {
      if (list.isEmpty()) {
        sb.append("[]");
        return;
      }
      int inner = deeper(level);
      char sep = '[';
      for (Object item : list) {
        sb.append(sep);
        sep = ',';
        newline(sb, inner);
        write(sb, item, inner);
      }
      newline(sb, level);
      sb.append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
    }
  }

  private static int deeper(int level) {
    if (level >= MAX_WRITE_DEPTH || level < -MAX_WRITE_DEPTH) {
      throw new IllegalArgumentException("JSON nested too deeply (is the tree cyclic?)");
    }
    return level < 0 ? level - 1 : level + 1;
  }

  private static void newline(StringBuilder sb, int level) {
    if (level >= 0) {
      sb.append('\n');
      for (int i = 0; i < level; i++) {
        sb.append("  ");
      }
    }
  }

  private static void number(StringBuilder sb, Number n) {
    if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
      sb.append(n.longValue());
    } else if (n instanceof BigInteger || n instanceof BigDecimal) {
      sb.append(n.toString()); // BigDecimal's toString is valid JSON, e.g. 1E+3
    } else {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("cannot write " + d + " as JSON");
      }
      if (n instanceof Float f) {
        sb.append(f.floatValue()); // shortest decimal that reads back as the same float
      } else {
        sb.append(d); // shortest decimal that reads back as the same double
      }
    }
  }

  /**
   * Appends {@code str} quoted. Escapes {@code "}, {@code \}, control characters and unpaired
   * surrogates (so the output survives UTF-8 encoding); everything else is copied as is.
   */
  private static void quote(StringBuilder sb, String str) {
    sb.append('"');
    int run = 0;
    int n = str.length();
    for (int i = 0; i < n; i++) {
      char c = str.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\' && (c < 0xd800 || c > 0xdfff)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(str.charAt(i + 1))) {
        i++;
        continue;
      }
      sb.append(str, run, i);
      run = i + 1;
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> hex4(sb.append("\\u"), c);
      }
    }
    sb.append(str, run, n).append('"');
  }

  private static void hex4(StringBuilder sb, char c) {
    sb.append(HEX[c >> 12]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
  }
}
