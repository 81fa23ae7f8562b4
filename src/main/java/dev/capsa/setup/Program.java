package dev.capsa.setup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A setup program: the ops the native stage runs, each with the config field it
 * applies ({@code mounts[2]}, {@code process.user.uid}), so that a failed op can
 * be reported in the words of config.json.
 */
public final class Program {
  private static final int MAGIC = 0x53504143; // "CAPS"
  private static final int VERSION = 1;

  private final List<Op> ops = new ArrayList<>();
  private final List<String> fields = new ArrayList<>();

  /** Appends {@code op}, which applies {@code field}. */
  public Program add(String field, Op op) {
    ops.add(op);
    fields.add(field);
    return this;
  }

  public List<Op> ops() {
    return List.copyOf(ops);
  }

  /** The config field op {@code index} applies. */
  public String field(int index) {
    return fields.get(index);
  }

  public Op op(int index) {
    return ops.get(index);
  }

  public int size() {
    return ops.size();
  }

  /** The wire form described in protocol.h. */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    u32(out, MAGIC);
    u32(out, VERSION);
    u32(out, ops.size());
    for (Op op : ops) {
      long[] ints = op.ints();
      String[] strings = op.strings();
      u32(out, op.code());
      u32(out, ints.length);
      u32(out, strings.length);
      for (long v : ints) {
        u32(out, (int) v);
        u32(out, (int) (v >>> 32));
      }
      for (String s : strings) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (byte c : b) {
          if (c == 0) {
            throw new IllegalArgumentException("NUL byte in " + op);
          }
        }
        u32(out, b.length + 1);
        out.write(b, 0, b.length);
        out.write(0);
      }
    }
    return out.toByteArray();
  }

  private static void u32(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < ops.size(); i++) {
      b.append(i).append(' ').append(fields.get(i)).append(": ").append(ops.get(i)).append('\n');
    }
    return b.toString();
  }
}
