package dev.capsa.dbus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads values in the D-Bus wire format (little-endian), into the Java
 * shapes {@link Marshal} writes. Alignment counts from the start of the
 * message, which {@code data} holds from index 0. Input from the peer is
 * untrusted: every length is checked as unsigned against what is there,
 * nesting is bounded as the specification bounds it, and anything malformed
 * is an IllegalArgumentException, never a loop or an out-of-bounds read.
 */
final class Unmarshal {
  /** The specification's limits: 32 nested arrays plus 32 nested structs. */
  private static final int MAX_DEPTH = 64;
  private static final long MAX_ARRAY = 64L << 20;

  private final byte[] data;
  private int pos;

  Unmarshal(byte[] data, int pos) {
    this.data = data;
    this.pos = pos;
  }

  int position() {
    return pos;
  }

  void align(int n) {
    pos = (pos + n - 1) / n * n;
  }

  int u32() {
    align(4);
    need(4);
    int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16
        | (data[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }

  private void need(long n) {
    if (pos + n > data.length) {
      throw new IllegalArgumentException("D-Bus message truncated at byte " + pos);
    }
  }

  /** A uint32 length, which must fit in what is left of the message. */
  private int length() {
    long n = u32() & 0xffffffffL;
    need(n);
    return (int) n;
  }

  /** Reads every complete type of a signature. */
  List<Object> values(String signature) {
    List<Object> out = new ArrayList<>();
    int i = 0;
    while (i < signature.length()) {
      int end = Signatures.end(signature, i);
      out.add(value(signature.substring(i, end), 0));
      i = end;
    }
    return out;
  }

  /** Reads one value of a complete type. */
  Object value(String type) {
    return value(type, 0);
  }

  private Object value(String type, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("D-Bus value nested deeper than " + MAX_DEPTH);
    }
    char c = type.charAt(0);
    switch (c) {
      case 'y' -> {
        need(1);
        return data[pos++];
      }
      case 'b' -> {
        return u32() != 0;
      }
      case 'u', 'i' -> {
        return u32();
      }
      case 'n', 'q' -> {
        align(2);
        need(2);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return c == 'n' ? (int) (short) v : v;
      }
      case 't', 'x', 'd' -> {
        align(8);
        long lo = u32() & 0xffffffffL;
        long hi = u32() & 0xffffffffL;
        return lo | hi << 32;
      }
      case 's', 'o' -> {
        int n = length();
        need(n + 1L);
        String s = new String(data, pos, n, StandardCharsets.UTF_8);
        pos += n + 1;
        return s;
      }
      case 'g' -> {
        need(1);
        int n = data[pos++] & 0xff;
        need(n + 1L);
        String s = new String(data, pos, n, StandardCharsets.US_ASCII);
        pos += n + 1;
        return s;
      }
      case 'v' -> {
        String sig = (String) value("g", depth);
        if (sig.isEmpty() || Signatures.end(sig, 0) != sig.length()) {
          throw new IllegalArgumentException("D-Bus variant signature \"" + sig
              + "\" is not one complete type");
        }
        return new Variant(sig, value(sig, depth + 1));
      }
      case 'a' -> {
        long length = u32() & 0xffffffffL;
        if (length > MAX_ARRAY) {
          throw new IllegalArgumentException("D-Bus array of " + length + " bytes");
        }
        String element = type.substring(1);
        align(Signatures.alignment(element.charAt(0)));
        need(length);
        int end = pos + (int) length;
        List<Object> out = new ArrayList<>();
        while (pos < end) {
          out.add(value(element, depth + 1));
        }
        if (pos != end) {
          throw new IllegalArgumentException("D-Bus array element runs past the array's end");
        }
        return out;
      }
      case '(', '{' -> {
        align(8);
        String fields = type.substring(1, type.length() - 1);
        List<Object> out = new ArrayList<>();
        int i = 0;
        while (i < fields.length()) {
          int end = Signatures.end(fields, i);
          out.add(value(fields.substring(i, end), depth + 1));
          i = end;
        }
        return out;
      }
      default -> throw new IllegalArgumentException("D-Bus type " + c + " is not supported");
    }
  }
}
