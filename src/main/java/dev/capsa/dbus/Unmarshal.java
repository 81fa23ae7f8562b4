package dev.capsa.dbus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads values in the D-Bus wire format (little-endian), into the Java
 * shapes {@link Marshal} writes. Alignment counts from the start of the
 * message, which {@code data} holds from index 0.
 */
final class Unmarshal {
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

  private void need(int n) {
    if (pos + n > data.length) {
      throw new IllegalArgumentException("D-Bus message truncated at byte " + pos);
    }
  }

  /** Reads every complete type of a signature. */
  List<Object> values(String signature) {
    List<Object> out = new ArrayList<>();
    int i = 0;
    while (i < signature.length()) {
      int end = Signatures.end(signature, i);
      out.add(value(signature.substring(i, end)));
      i = end;
    }
    return out;
  }

  /** Reads one value of a complete type. */
  Object value(String type) {
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
        int n = u32();
        need(n + 1);
        String s = new String(data, pos, n, StandardCharsets.UTF_8);
        pos += n + 1;
        return s;
      }
      case 'g' -> {
        need(1);
        int n = data[pos++] & 0xff;
        need(n + 1);
        String s = new String(data, pos, n, StandardCharsets.US_ASCII);
        pos += n + 1;
        return s;
      }
      case 'v' -> {
        String sig = (String) value("g");
        return new Variant(sig, value(sig));
      }
      case 'a' -> {
        int length = u32();
        String element = type.substring(1);
        align(Signatures.alignment(element.charAt(0)));
        int end = pos + length;
        need(length);
        List<Object> out = new ArrayList<>();
        while (pos < end) {
          out.add(value(element));
        }
        return out;
      }
      case '(', '{' -> {
        align(8);
        return values(type.substring(1, type.length() - 1));
      }
      default -> throw new IllegalArgumentException("D-Bus type " + c + " is not supported");
    }
  }
}
