package dev.capsa.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

  // ---------------------------------------------------------------- parse: values

  @Test
  void parsesEveryKindOfValue() {
    Object tree = Json.parse(" {\"s\": \"x\", \"i\": -12, \"d\": 1.5, \"e\": 2E3, \"t\": true,"
        + " \"f\": false, \"n\": null, \"a\": [1, [], {}], \"o\": {\"k\": \"v\"}}\n");
    Map<?, ?> map = assertInstanceOf(LinkedHashMap.class, tree);
    assertEquals(List.of("s", "i", "d", "e", "t", "f", "n", "a", "o"), new ArrayList<>(map.keySet()));
    assertEquals("x", map.get("s"));
    assertEquals(-12L, map.get("i"));
    assertEquals(1.5, map.get("d"));
    assertEquals(2000.0, map.get("e"));
    assertEquals(Boolean.TRUE, map.get("t"));
    assertEquals(Boolean.FALSE, map.get("f"));
    assertTrue(map.containsKey("n"));
    assertNull(map.get("n"));
    ArrayList<?> a = assertInstanceOf(ArrayList.class, map.get("a"));
    assertEquals(1L, a.get(0));
    assertEquals(List.of(), a.get(1));
    assertEquals(Map.of(), a.get(2));
    assertEquals(Map.of("k", "v"), map.get("o"));
  }

  @Test
  void parsesScalarsAtTheTop() {
    assertEquals("a", Json.parse("\"a\""));
    assertEquals(0L, Json.parse("0"));
    assertEquals(-0.0, Json.parse("-0.0"));
    assertNull(Json.parse(" null "));
    assertEquals(true, Json.parse("true"));
  }

  @Test
  void integersAreLongsOrBigIntegers() {
    assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
    assertEquals(999_999_999_999_999_999L, Json.parse("999999999999999999"));
    assertEquals(new BigInteger("18446744073709551615"), Json.parse("18446744073709551615"));
    assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
    assertEquals(new BigInteger("-9223372036854775809"), Json.parse("-9223372036854775809"));
    assertEquals(1e300, Json.parse("1e300"));
    assertEquals(0.25, Json.parse("25e-2"));
    assertEquals(-1.0, Json.parse("-1.0"));
    assertEquals(10.0, Json.parse("1E+1"));
  }

  @Test
  void decodesEscapesAndSurrogates() {
    assertEquals("a\"b\\c/d\b\f\n\r\te", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\""));
    assertEquals("é€", Json.parse("\"\\u00e9\\u20AC\""));
    assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""));
    assertEquals("x😀y", Json.parse("\"x😀y\""));
    assertEquals("\ud800", Json.parse("\"\\ud800\"")); // a lone surrogate passes as a char
    assertEquals("a\udc00b", Json.parse("\"a\\udc00b\""));
    assertEquals("plain then \n escaped then plain", Json.parse("\"plain then \\n escaped then plain\""));
  }

  // ---------------------------------------------------------------- parse: errors

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      `{]`                      | 1 | 2  | expected a string key
      `[1 2]`                   | 1 | 4  | expected ',' or ']'
      `{"a":1 "b":2}`           | 1 | 8  | expected ',' or '}'
      `{"a" 1}`                 | 1 | 6  | expected ':'
      `{"a":1,}`                | 1 | 8  | trailing comma before '}'
      `[1,]`                    | 1 | 4  | trailing comma before ']'
      `{"a":1} x`               | 1 | 9  | unexpected 'x' after the JSON value
      `[] []`                   | 1 | 4  | unexpected '[' after the JSON value
      `01`                      | 1 | 1  | leading zeros are not allowed
      `[-012]`                  | 1 | 2  | leading zeros are not allowed
      `1.`                      | 1 | 3  | unexpected end of input, expected a digit after '.'
      `1.e5`                    | 1 | 3  | expected a digit after '.'
      `1e`                      | 1 | 3  | unexpected end of input, expected a digit in the exponent
      `-`                       | 1 | 2  | unexpected end of input, expected a digit
      `-a`                      | 1 | 2  | expected a digit
      `+1`                      | 1 | 1  | unexpected '+', expected a value
      `.5`                      | 1 | 1  | unexpected '.', expected a value
      `1e999`                   | 1 | 1  | number out of range
      `"a\\x"`                  | 1 | 3  | invalid escape '\\x'
      `"\\u12g4"`               | 1 | 6  | invalid \\u escape, expected 4 hex digits
      `"\\u12"`                 | 1 | 6  | invalid \\u escape, expected 4 hex digits
      `"abc`                    | 1 | 1  | unterminated string
      `"a\\"`                   | 1 | 1  | unterminated string
      `tru`                     | 1 | 1  | invalid literal, expected true
      `nul`                     | 1 | 1  | invalid literal, expected null
      ` \n `                   | 2 | 2  | unexpected end of input, expected a value
      `[1,`                     | 1 | 4  | unexpected end of input, expected a value
      `{"a":1`                  | 1 | 7  | unexpected end of input, expected ',' or '}'
      `{`                       | 1 | 2  | unexpected end of input, expected a string key
      `{"a":1,"a":2}`           | 1 | 8  | duplicate key "a"
      """)
  void rejectsInvalidJson(String text, int line, int column, String detail) {
    // CsvSource does not unescape: the table writes a backslash as \\ for readability.
    String json = text.replace("\\\\", "\\");
    JsonException e = assertThrows(JsonException.class, () -> Json.parse(json));
    assertEquals(detail.replace("\\\\", "\\"), e.detail(), json);
    assertEquals(line, e.line(), "line of " + json);
    assertEquals(column, e.column(), "column of " + json);
    assertEquals("invalid JSON at line " + line + ", column " + column + ": " + e.detail(), e.getMessage());
  }

  @Test
  void rejectsEmptyInput() {
    JsonException e = assertThrows(JsonException.class, () -> Json.parse(""));
    assertEquals("invalid JSON at line 1, column 1: unexpected end of input, expected a value", e.getMessage());
    e = assertThrows(JsonException.class, () -> Json.parse("   "));
    assertEquals(4, e.column());
  }

  @Test
  void reportsLineAndColumnOnLaterLines() {
    JsonException e = assertThrows(JsonException.class,
        () -> Json.parse("{\n  \"a\": 1,\n  \"b\": 2 \"c\"\n}"));
    assertEquals("invalid JSON at line 3, column 10: expected ',' or '}'", e.getMessage());
    assertEquals(3, e.line());
    assertEquals(10, e.column());

    e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"k\": 1,\n  \"k\": 2\n}"));
    assertEquals("invalid JSON at line 3, column 3: duplicate key \"k\"", e.getMessage());
  }

  @Test
  void rejectsControlCharactersInStrings() {
    JsonException e = assertThrows(JsonException.class, () -> Json.parse("[\"a\nb\"]"));
    assertEquals("invalid JSON at line 1, column 4: control character U+000A must be escaped in a string",
        e.getMessage());
    e = assertThrows(JsonException.class, () -> Json.parse("\"a\\n\tb\""));
    assertEquals(1, e.line());
    assertEquals(5, e.column());
    assertTrue(e.getMessage().endsWith("U+0009 must be escaped in a string"));
    e = assertThrows(JsonException.class, () -> Json.parse("\u0001"));
    assertEquals("unexpected character U+0001, expected a value", e.detail());
  }

  @Test
  void nestingIsLimitedTo512() {
    assertEquals(512, depth(Json.parse("[".repeat(512) + "]".repeat(512))));
    assertEquals(512, depth(Json.parse("{\"a\":".repeat(511) + "[]" + "}".repeat(511))));
    JsonException e = assertThrows(JsonException.class,
        () -> Json.parse("[".repeat(513) + "]".repeat(513)));
    assertEquals("nesting deeper than 512 levels", e.detail());
    assertEquals(513, e.column());
    // No StackOverflowError however deep the input is.
    e = assertThrows(JsonException.class, () -> Json.parse("[{\"a\":".repeat(200_000)));
    assertEquals("nesting deeper than 512 levels", e.detail());
  }

  private static int depth(Object v) {
    if (v instanceof List<?> l) return 1 + (l.isEmpty() ? 0 : depth(l.get(0)));
    if (v instanceof Map<?, ?> m) return 1 + (m.isEmpty() ? 0 : depth(m.values().iterator().next()));
    return 0;
  }

  // ---------------------------------------------------------------- write

  @Test
  void writesCompact() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("z", 1);
    m.put("a", Arrays.asList("x", null, true, 2.5, List.of(), Map.of()));
    m.put("n", null);
    assertEquals("{\"z\":1,\"a\":[\"x\",null,true,2.5,[],{}],\"n\":null}", Json.write(m));
    assertEquals("\"s\"", Json.write("s"));
    assertEquals("null", Json.write(null));
    assertEquals("{}", Json.write(Map.of()));
    assertEquals("[]", Json.write(Set.of()));
  }

  @Test
  void writesPrettyLikeGoMarshalIndent() {
    Map<String, Object> linux = new LinkedHashMap<>();
    linux.put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "mount")));
    linux.put("sysctl", Map.of());
    linux.put("maskedPaths", List.of());
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("ociVersion", "1.2.0");
    root.put("process", Map.of("args", List.of("sh", "-c")));
    root.put("linux", linux);
    root.put("pid", 42L);
    assertEquals("""
        {
          "ociVersion": "1.2.0",
          "process": {
            "args": [
              "sh",
              "-c"
            ]
          },
          "linux": {
            "namespaces": [
              {
                "type": "pid"
              },
              {
                "type": "mount"
              }
            ],
            "sysctl": {},
            "maskedPaths": []
          },
          "pid": 42
        }""", Json.writePretty(root));
    assertEquals("[]", Json.writePretty(List.of()));
    assertEquals("[\n  1\n]", Json.writePretty(List.of(1)));
    assertEquals("\"x\"", Json.writePretty("x"));
  }

  @Test
  void writesNumbers() {
    assertEquals("[1,2,3,4,-9223372036854775808,18446744073709551615,1.5E-7,0.1,1.0,-0.0,1.0E21,100.5,1E+3]",
        Json.write(List.of(1, (short) 2, (byte) 3, 4L, Long.MIN_VALUE,
                new BigInteger("18446744073709551615"), 1.5e-7, 0.1f, 1.0, -0.0, 1e21,
                new BigDecimal("100.5"), new BigDecimal("1E+3"))));
    for (double d : new double[] {0.1, 1.0 / 3, Math.PI, Double.MIN_VALUE, Double.MAX_VALUE, -1e-300}) {
      assertEquals(d, Json.parse(Json.write(d)));
    }
    assertEquals(0.1f, ((Double) Json.parse(Json.write(0.1f))).floatValue());
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
  }

  @Test
  void escapesStrings() {
    assertEquals("\"q\\\" b\\\\ n\\n t\\t r\\r b\\b f\\f \\u0001 \\u001f / é 😀 \u007f\"",
        Json.write("q\" b\\ n\n t\t r\r b\b f\f \u0001 \u001f / é 😀 \u007f"));
    assertEquals("\"\\ud800 x \\udc00\"", Json.write("\ud800 x \udc00")); // lone surrogates
    assertEquals("{\"a\\nb\":1}", Json.write(Map.of("a\nb", 1)));
  }

  @Test
  void writesAnyMapKeyAndKeepsIterationOrder() {
    Map<Object, Object> m = new TreeMap<>();
    m.put(2, "two");
    m.put(1, "one");
    assertEquals("{\"1\":\"one\",\"2\":\"two\"}", Json.write(m));
  }

  @Test
  void rejectsOtherTypes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Json.write(Map.of("a", new Object[] {1})));
    assertTrue(e.getMessage().contains("[Ljava.lang.Object;"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Json.write(new StringBuilder("x")));
    assertTrue(e.getMessage().contains("java.lang.StringBuilder"), e.getMessage());
    List<Object> cyclic = new ArrayList<>();
    cyclic.add(cyclic);
    assertThrows(IllegalArgumentException.class, () -> Json.write(cyclic));
  }

  // ---------------------------------------------------------------- round trips

  @Test
  void roundTrips() {
    String[] texts = {
      "{\"a\":[1,-2,3.25,-4.0E-10,true,false,null,\"s\\\"\\\\\\n\\u0000é😀\"],\"b\":{},\"c\":[]}",
      "[18446744073709551615,-9223372036854775808,9223372036854775807,0,-0.0]",
      "\"\\ud800\"",
      "{\"\":\"\",\"k\":{\"k\":{\"k\":[[[]]]}}}",
    };
    for (String text : texts) {
      Object tree = Json.parse(text);
      assertEquals(text, Json.write(tree));
      assertEquals(tree, Json.parse(Json.write(tree)));
      assertEquals(tree, Json.parse(Json.writePretty(tree)));
    }
  }
}
