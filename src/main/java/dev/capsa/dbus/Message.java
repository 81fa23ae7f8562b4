package dev.capsa.dbus;

import java.util.ArrayList;
import java.util.List;

/**
 * One D-Bus message (the D-Bus specification, "Message Protocol"): what
 * {@link DBusConnection} sends and receives.
 *
 * @param type {@link #METHOD_CALL}, {@link #METHOD_RETURN}, {@link #ERROR} or {@link #SIGNAL}
 * @param serial this message's serial, non-zero
 * @param replySerial the serial of the call a reply answers, 0 for others
 * @param path the object path, or null
 * @param iface the interface, or null
 * @param member the method or signal name, or null
 * @param errorName an error's name, or null
 * @param destination the bus name it is for, or null (a direct connection)
 * @param signature the body's signature, "" for none
 * @param body the body's values
 */
public record Message(int type, int serial, int replySerial, String path, String iface,
    String member, String errorName, String destination, String signature, List<Object> body) {

  public static final int METHOD_CALL = 1;
  public static final int METHOD_RETURN = 2;
  public static final int ERROR = 3;
  public static final int SIGNAL = 4;

  private static final int FIELD_PATH = 1;
  private static final int FIELD_INTERFACE = 2;
  private static final int FIELD_MEMBER = 3;
  private static final int FIELD_ERROR_NAME = 4;
  private static final int FIELD_REPLY_SERIAL = 5;
  private static final int FIELD_DESTINATION = 6;
  private static final int FIELD_SIGNATURE = 8;

  /** The fixed part of the header: endianness, type, flags, version, body length, serial. */
  static final int FIXED_HEADER = 12;

  /** A method call. */
  public static Message call(int serial, String destination, String path, String iface,
      String member, String signature, List<Object> body) {
    return new Message(METHOD_CALL, serial, 0, path, iface, member, null, destination, signature,
        body);
  }

  /** The wire form: little-endian, header fields, padding to 8, body. */
  public byte[] encode() {
    Marshal m = new Marshal();
    m.raw(new byte[] {'l', (byte) type, 0, 1});
    m.u32(0);
    m.u32(serial);
    List<Object> fields = new ArrayList<>();
    field(fields, FIELD_PATH, "o", path);
    field(fields, FIELD_INTERFACE, "s", iface);
    field(fields, FIELD_MEMBER, "s", member);
    field(fields, FIELD_ERROR_NAME, "s", errorName);
    field(fields, FIELD_REPLY_SERIAL, "u", replySerial == 0 ? null : replySerial);
    field(fields, FIELD_DESTINATION, "s", destination);
    field(fields, FIELD_SIGNATURE, "g", signature.isEmpty() ? null : signature);
    m.values("a(yv)", List.of(fields));
    m.align(8);
    int bodyStart = m.size();
    m.values(signature, body);
    m.patch(4, m.size() - bodyStart);
    return m.bytes();
  }

  private static void field(List<Object> fields, int code, String sig, Object value) {
    if (value != null) {
      fields.add(List.of((byte) code, new Variant(sig, value)));
    }
  }

  /**
   * The length of the whole message whose first 16 bytes these are, or an
   * error for a message capsa cannot read (big-endian, another version).
   */
  static int length(byte[] first16) {
    if (first16[0] != 'l') {
      throw new IllegalArgumentException("D-Bus message is not little-endian ('"
          + (char) first16[0] + "')");
    }
    if (first16[3] != 1) {
      throw new IllegalArgumentException("D-Bus protocol version " + first16[3]);
    }
    Unmarshal u = new Unmarshal(first16, 4);
    long body = u.u32() & 0xffffffffL;
    u.u32();
    long fields = u.u32() & 0xffffffffL;
    long total = (FIXED_HEADER + 4 + fields + 7) / 8 * 8 + body;
    // The specification's maximum message size is 128 MiB.
    if (total > 128L << 20) {
      throw new IllegalArgumentException("D-Bus message of " + total + " bytes");
    }
    return (int) total;
  }

  /** Reads one whole message. */
  @SuppressWarnings("unchecked")
  static Message decode(byte[] data) {
    Unmarshal u = new Unmarshal(data, 8);
    int type = data[1];
    int serial = u.u32();
    String path = null;
    String iface = null;
    String member = null;
    String errorName = null;
    String destination = null;
    String signature = "";
    int replySerial = 0;
    for (Object f : (List<Object>) u.value("a(yv)")) {
      List<Object> field = (List<Object>) f;
      Object v = ((Variant) field.get(1)).value();
      switch ((Byte) field.get(0)) {
        case FIELD_PATH -> path = (String) v;
        case FIELD_INTERFACE -> iface = (String) v;
        case FIELD_MEMBER -> member = (String) v;
        case FIELD_ERROR_NAME -> errorName = (String) v;
        case FIELD_REPLY_SERIAL -> replySerial = (Integer) v;
        case FIELD_DESTINATION -> destination = (String) v;
        case FIELD_SIGNATURE -> signature = (String) v;
        default -> {
          // Sender, unix fds and fields a later protocol adds: not needed.
        }
      }
    }
    u.align(8);
    List<Object> body = u.values(signature);
    return new Message(type, serial, replySerial, path, iface, member, errorName, destination,
        signature, body);
  }
}
