package dev.capsa.dbus;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Writes values in the D-Bus wire format (little-endian), driven by a
 * signature. Java shapes: {@code y} Byte; {@code b} Boolean; {@code u},
 * {@code i} Integer; {@code t}, {@code x} Long; {@code s}, {@code o},
 * {@code g} String; {@code v} {@link Variant}; arrays a List (or a byte[]
 * for {@code ay}); structs and dict entries a List of their fields.
 * Alignment counts from the start of the message, so one Marshal writes one
 * whole message (header, padding, body).
 */
final class Marshal {
  private byte[] buf = new byte[256];
  private int size;

  int size() {
    return size;
  }

  byte[] bytes() {
    return Arrays.copyOf(buf, size);
  }

  private void write(int b) {
    if (size == buf.length) {
      buf = Arrays.copyOf(buf, size * 2);
    }
    buf[size++] = (byte) b;
  }

  void raw(byte[] b) {
    for (byte x : b) {
      write(x);
    }
  }

  void align(int n) {
    while (size % n != 0) {
      write(0);
    }
  }

  void u32(int v) {
    align(4);
    write(v);
    write(v >>> 8);
    write(v >>> 16);
    write(v >>> 24);
  }

  /** Overwrites a uint32 written earlier (an array's length, a body length). */
  void patch(int at, int v) {
    buf[at] = (byte) v;
    buf[at + 1] = (byte) (v >>> 8);
    buf[at + 2] = (byte) (v >>> 16);
    buf[at + 3] = (byte) (v >>> 24);
  }

  /** Writes every value of a signature's complete types. */
  void values(String signature, List<?> values) {
    int[] pos = {0};
    for (Object v : values) {
      if (pos[0] >= signature.length()) {
        throw new IllegalArgumentException("more values than signature " + signature);
      }
      value(signature, pos, v);
    }
    if (pos[0] != signature.length()) {
      throw new IllegalArgumentException("fewer values than signature " + signature);
    }
  }

  /** Writes one value of the complete type at {@code sig[pos[0]]}, advancing pos past it. */
  private void value(String sig, int[] pos, Object v) {
    char c = sig.charAt(pos[0]++);
    switch (c) {
      case 'y' -> write((Byte) v);
      case 'b' -> u32((Boolean) v ? 1 : 0);
      case 'u', 'i' -> u32((Integer) v);
      case 't', 'x' -> {
        align(8);
        long l = (Long) v;
        u32((int) l);
        u32((int) (l >>> 32));
      }
      case 's', 'o' -> {
        byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        raw(b);
        write(0);
      }
      case 'g' -> {
        byte[] b = ((String) v).getBytes(StandardCharsets.US_ASCII);
        if (b.length > 255) {
          throw new IllegalArgumentException("signature longer than 255 bytes");
        }
        write(b.length);
        raw(b);
        write(0);
      }
      case 'v' -> {
        Variant var = (Variant) v;
        value("g", new int[] {0}, var.signature());
        value(var.signature(), new int[] {0}, var.value());
      }
      case 'a' -> {
        int elementStart = pos[0];
        int elementEnd = Signatures.end(sig, elementStart);
        String element = sig.substring(elementStart, elementEnd);
        pos[0] = elementEnd;
        u32(0);
        int lengthAt = size - 4;
        align(Signatures.alignment(element.charAt(0)));
        int start = size;
        if (v instanceof byte[] bytes) {
          raw(bytes);
        } else {
          for (Object e : (List<?>) v) {
            value(element, new int[] {0}, e);
          }
        }
        patch(lengthAt, size - start);
      }
      case '(', '{' -> {
        align(8);
        int end = Signatures.end(sig, pos[0] - 1);
        String fields = sig.substring(pos[0], end - 1);
        pos[0] = end;
        values(fields, (List<?>) v);
      }
      default -> throw new IllegalArgumentException("signature " + sig + ": type " + c);
    }
  }
}
