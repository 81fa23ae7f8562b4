package dev.capsa.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageTest {

  @Test
  void aCallIsEncodedByteForByteAsTheSpecificationLaysItOut() {
    byte[] b = Message.call(1, null, "/a", null, "M", "", List.of()).encode();
    byte[] want = {
        'l', 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, // little-endian call, version 1, no body, serial 1
        26, 0, 0, 0, // header fields: 26 bytes
        1, 1, 'o', 0, 2, 0, 0, 0, '/', 'a', 0, // PATH: variant "o" "/a"
        0, 0, 0, 0, 0, // struct padding to 8
        3, 1, 's', 0, 1, 0, 0, 0, 'M', 0, // MEMBER: variant "s" "M"
        0, 0, 0, 0, 0, 0}; // header padding to 8, then the (empty) body
    assertArrayEquals(want, b);
    assertEquals(b.length, Message.length(Arrays.copyOf(b, 16)));
  }

  @Test
  void aStartTransientUnitCallSurvivesTheRoundTrip() {
    List<Object> props = List.of(
        List.of("Description", new Variant("s", "capsa container x")),
        List.of("Delegate", new Variant("b", true)),
        List.of("PIDs", new Variant("au", List.of(4242))),
        List.of("MemoryMax", new Variant("t", -1L)),
        List.of("AllowedCPUs", new Variant("ay", new byte[] {0x0f, 0x02})),
        List.of("DeviceAllow", new Variant("a(ss)", List.of(List.of("char-pts", "rwm")))));
    Message call = Message.call(7, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
        "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))",
        List.of("capsa-x.scope", "replace", props, List.of()));
    byte[] wire = call.encode();
    assertEquals(wire.length, Message.length(Arrays.copyOf(wire, 16)));
    Message back = Message.decode(wire);
    assertEquals(Message.METHOD_CALL, back.type());
    assertEquals(7, back.serial());
    assertEquals("org.freedesktop.systemd1", back.destination());
    assertEquals("StartTransientUnit", back.member());
    assertEquals("ssa(sv)a(sa(sv))", back.signature());
    assertEquals("capsa-x.scope", back.body().get(0));
    assertEquals("replace", back.body().get(1));
    List<?> got = (List<?>) back.body().get(2);
    assertEquals(List.of("Description", new Variant("s", "capsa container x")), got.get(0));
    assertEquals(List.of("Delegate", new Variant("b", true)), got.get(1));
    assertEquals(List.of("PIDs", new Variant("au", List.of(4242))), got.get(2));
    assertEquals(List.of("MemoryMax", new Variant("t", -1L)), got.get(3));
    assertEquals(List.of("AllowedCPUs", new Variant("ay", List.of((byte) 0x0f, (byte) 2))),
        got.get(4));
    assertEquals(List.of("DeviceAllow",
        new Variant("a(ss)", List.of(List.of("char-pts", "rwm")))), got.get(5));
    assertEquals(List.of(), back.body().get(3));
  }

  @Test
  void aUint64FollowingAByteIsPaddedToEight() {
    Marshal m = new Marshal();
    m.values("yt", List.of((byte) 1, 0x0102030405060708L));
    assertArrayEquals(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}, m.bytes());
  }

  @Test
  void anArrayLengthLeavesOutThePaddingBeforeItsFirstElement() {
    Marshal m = new Marshal();
    m.values("at", List.of(List.of(5L)));
    // length 8, then 4 bytes of padding to the uint64's alignment, then the element.
    assertArrayEquals(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0}, m.bytes());
    assertEquals(List.of(List.of(5L)), new Unmarshal(m.bytes(), 0).values("at"));
  }

  @Test
  void aBigEndianMessageIsRefusedNotMisread() {
    byte[] head = new byte[16];
    head[0] = 'B';
    head[3] = 1;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Message.length(head));
    assertEquals("D-Bus message is not little-endian ('B')", e.getMessage());
  }

  @Test
  void malformedInputIsAnErrorNeverALoopOrAnOverrun() {
    // A string as long as 4 GiB - 1, in a message of 4 bytes.
    assertThrows(IllegalArgumentException.class,
        () -> new Unmarshal(new byte[] {-1, -1, -1, -1}, 0).values("s"));
    // An array of empty structs would consume nothing per element.
    assertThrows(IllegalArgumentException.class,
        () -> new Unmarshal(new byte[] {8, 0, 0, 0, 0, 0, 0, 0}, 0).values("a()"));
    // A variant without a type, and one with two.
    assertThrows(IllegalArgumentException.class,
        () -> new Unmarshal(new byte[] {0, 0}, 0).values("v"));
    assertThrows(IllegalArgumentException.class,
        () -> new Unmarshal(new byte[] {2, 'y', 'y', 0, 1, 2}, 0).values("v"));
    // Variants in variants, deeper than the specification allows.
    java.io.ByteArrayOutputStream deep = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 100; i++) {
      deep.writeBytes(new byte[] {1, 'v', 0});
    }
    deep.writeBytes(new byte[] {1, 'y', 0, 7});
    assertThrows(IllegalArgumentException.class,
        () -> new Unmarshal(deep.toByteArray(), 0).values("v"));
    // An element that runs past its array's end.
    assertThrows(IllegalArgumentException.class,
        () -> new Unmarshal(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 9, 9}, 0).values("au"));
  }

  @Test
  void aMessageLongerThanTheSpecificationAllowsIsRefused() {
    byte[] head = {'l', 2, 0, 1, -1, -1, -1, -1, 1, 0, 0, 0, 0, 0, 0, 0};
    assertThrows(IllegalArgumentException.class, () -> Message.length(head));
  }

  @Test
  void valuesMustMatchTheSignature() {
    assertThrows(IllegalArgumentException.class, () -> new Marshal().values("ss", List.of("a")));
    assertThrows(IllegalArgumentException.class,
        () -> new Marshal().values("s", List.of("a", "b")));
  }
}
