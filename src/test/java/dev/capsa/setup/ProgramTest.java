package dev.capsa.setup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The wire form of a setup program, and its agreement with native/protocol.h. */
class ProgramTest {
  private static final Path PROTOCOL_H =
      Path.of(System.getProperty("user.dir"), "native", "protocol.h");

  /** Op records whose opcode name is not their name in UPPER_SNAKE_CASE. */
  private static final Map<String, String> IRREGULAR = Map.of(
      "SetHostname", "OP_SETHOSTNAME",
      "SetDomainname", "OP_SETDOMAINNAME",
      "SetRlimit", "OP_SETRLIMIT",
      "SetGroups", "OP_SETGROUPS",
      "SetResGid", "OP_SETRESGID",
      "SetResUid", "OP_SETRESUID",
      "CapBsetDrop", "OP_CAPBSET_DROP",
      "KeepCaps", "OP_KEEPCAPS",
      "IoPrio", "OP_IOPRIO",
      "MemPolicy", "OP_MEMPOLICY");

  // ---------------------------------------------------------------- encoding

  @Test
  void twoOpProgramIsEncodedByteForByte() {
    Program p = new Program()
        .add("process.rlimits[0]", new Op.SetRlimit(7, -1L, 0x0102030405060708L))
        .add("(dev)", new Op.Symlink("é", "/x", true));

    ByteArrayOutputStream want = new ByteArrayOutputStream();
    bytes(want, 0x43, 0x41, 0x50, 0x53); // magic "CAPS" = 0x53504143 little-endian
    bytes(want, 1, 0, 0, 0); // version
    bytes(want, 2, 0, 0, 0); // op count
    // op 0: OP_SETRLIMIT, 3 ints, 0 strings
    bytes(want, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0);
    bytes(want, 7, 0, 0, 0, 0, 0, 0, 0);
    bytes(want, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    bytes(want, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01);
    // op 1: OP_SYMLINK, 1 int, 2 strings
    bytes(want, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0);
    bytes(want, 1, 0, 0, 0, 0, 0, 0, 0);
    bytes(want, 3, 0, 0, 0, 0xc3, 0xa9, 0); // "é" is two UTF-8 bytes, then the NUL
    bytes(want, 3, 0, 0, 0, '/', 'x', 0);

    assertArrayEquals(want.toByteArray(), p.encode());
  }

  @Test
  void emptyStringIsJustItsNul() {
    byte[] b = new Program().add("x", new Op.OpenGate("")).encode();
    byte[] tail = {29, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    assertEquals(12 + tail.length, b.length);
    for (int i = 0; i < tail.length; i++) {
      assertEquals(tail[i], b[12 + i], "byte " + (12 + i));
    }
  }

  @Test
  void emptyProgramIsTheHeaderOnly() {
    assertArrayEquals(new byte[] {0x43, 0x41, 0x50, 0x53, 1, 0, 0, 0, 0, 0, 0, 0},
        new Program().encode());
  }

  @Test
  void nulInsideAStringIsRejected() {
    Program p = new Program().add("process.cwd", new Op.Chdir("/a\0b"));
    assertThrows(IllegalArgumentException.class, p::encode);
  }

  @Test
  void execEncodesArgcThenArgsThenEnv() {
    Op.Exec exec = new Op.Exec(List.of("sh", "-c", "true"), List.of("A=1"));
    assertArrayEquals(new long[] {3}, exec.ints());
    assertArrayEquals(new String[] {"sh", "-c", "true", "A=1"}, exec.strings());
  }

  @Test
  void mountEncodesKindAndCreateAsTheirOrdinals() {
    Op.Mount m = new Op.Mount("a", "/b", "tmpfs", 6, "mode=755", Op.Target.IN_ROOT, Op.Create.FILE);
    assertArrayEquals(new long[] {6, 1, 2}, m.ints());
    assertArrayEquals(new String[] {"a", "/b", "tmpfs", "mode=755"}, m.strings());
  }

  @Test
  void programKeepsTheFieldOfEachOp() {
    Program p = new Program().add("a", new Op.Fork(false)).add("b", new Op.WaitGate());
    assertEquals(2, p.size());
    assertEquals("a", p.field(0));
    assertEquals("b", p.field(1));
    assertEquals(new Op.WaitGate(), p.op(1));
    assertEquals(List.of(new Op.Fork(false), new Op.WaitGate()), p.ops());
    assertThrows(UnsupportedOperationException.class, () -> p.ops().add(new Op.Fork(false)));
  }

  @Test
  void newOpsEncodeTheirArgumentsInProtocolHOrder() {
    assertArrayEquals(new long[] {1}, new Op.Fork(true).ints());
    assertArrayEquals(new long[] {0}, new Op.Fork(false).ints());
    Op.Seccomp seccomp = new Op.Seccomp(8, "0600000000007fff");
    assertArrayEquals(new long[] {8}, seccomp.ints());
    assertArrayEquals(new String[] {"0600000000007fff"}, seccomp.strings());
    assertArrayEquals(new long[] {5, 24, 80, 1000, 1}, new Op.Terminal(5, 24, 80, 1000).ints());
    assertArrayEquals(new long[] {5, 24, 80, 1000, 0},
        new Op.Terminal(5, 24, 80, 1000, false).ints());
    assertArrayEquals(new long[] {6, 2, -5, 0, 10, 20, 30},
        new Op.Sched(6, 2, -5, 0, 10, 20, 30).ints());
    assertArrayEquals(new long[] {1 << 13 | 4}, new Op.IoPrio(1 << 13 | 4).ints());
    assertArrayEquals(new long[] {0x8f, 1}, new Op.Affinity(List.of(0x8fL, 1L)).ints());
    assertArrayEquals(new long[] {8}, new Op.Personality(8).ints());
    assertArrayEquals(new long[] {2 | 1 << 15, 3, 4},
        new Op.MemPolicy(2 | 1 << 15, List.of(3L, 4L)).ints());
    assertArrayEquals(new long[] {4}, new Op.MemPolicy(4, List.of()).ints());
    Op.Idmap idmap = new Op.Idmap("/data", "/proc/7/ns/user", true);
    assertArrayEquals(new long[] {1}, idmap.ints());
    assertArrayEquals(new String[] {"/data", "/proc/7/ns/user"}, idmap.strings());
    assertArrayEquals(new String[] {"/etc"}, new Op.SaveDir("/etc").strings());
    assertArrayEquals(new String[] {"/etc"}, new Op.CopyUp("/etc").strings());
    assertArrayEquals(new long[] {3}, new Op.Sync(3).ints());
  }

  @Test
  void openNsIsOpcode43WithItsSlotAndPath() throws IOException {
    Op.OpenNs open = new Op.OpenNs("/proc/42/ns/net", 3);
    assertEquals(43, open.code());
    assertEquals(cEnum("capsa_op").get("OP_OPEN_NS").intValue(), open.code());
    assertArrayEquals(new long[] {3}, open.ints());
    assertArrayEquals(new String[] {"/proc/42/ns/net"}, open.strings());
  }

  @Test
  void setnsCarriesItsSlotOnlyWhenItHasOne() {
    Op.Setns bySlot = new Op.Setns("/proc/42/ns/net", 0x40000000, 3);
    assertArrayEquals(new long[] {0x40000000, 3}, bySlot.ints());
    assertArrayEquals(new String[] {"/proc/42/ns/net"}, bySlot.strings());
    Op.Setns slotZero = new Op.Setns("/proc/42/ns/user", 0x10000000, 0);
    assertArrayEquals(new long[] {0x10000000, 0}, slotZero.ints());
    // By path (config.json's namespaces): the stage opens it, as before slots.
    Op.Setns byPath = new Op.Setns("/proc/self/ns/ipc", 0x08000000);
    assertEquals(-1, byPath.slot());
    assertArrayEquals(new long[] {0x08000000}, byPath.ints());
    assertEquals(2, byPath.code());
  }

  @Test
  void openNsThenSetnsAreEncodedByteForByte() {
    Program p = new Program()
        .add("hooks.prestart[0]", new Op.OpenNs("/n", 1))
        .add("hooks.prestart[0]", new Op.Setns("/n", 0x20000000, 1));

    ByteArrayOutputStream want = new ByteArrayOutputStream();
    bytes(want, 0x43, 0x41, 0x50, 0x53); // magic
    bytes(want, 1, 0, 0, 0); // version
    bytes(want, 2, 0, 0, 0); // op count
    // OP_OPEN_NS, 1 int, 1 string: slot 1, "/n"
    bytes(want, 43, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0);
    bytes(want, 1, 0, 0, 0, 0, 0, 0, 0);
    bytes(want, 3, 0, 0, 0, '/', 'n', 0);
    // OP_SETNS, 2 ints, 1 string: CLONE_NEWPID, slot 1, "/n"
    bytes(want, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0);
    bytes(want, 0, 0, 0, 0x20, 0, 0, 0, 0);
    bytes(want, 1, 0, 0, 0, 0, 0, 0, 0);
    bytes(want, 3, 0, 0, 0, '/', 'n', 0);

    assertArrayEquals(want.toByteArray(), p.encode());
  }

  @Test
  void protocolHDocumentsTheArgumentsOfOpenNsAndTheSlotOfSetns() throws IOException {
    String text = Files.readString(PROTOCOL_H);
    Matcher open = Pattern.compile("OP_OPEN_NS\\s*=\\s*43,\\s*/\\*\\s*slot\\b").matcher(text);
    assertTrue(open.find(), "OP_OPEN_NS's comment in protocol.h does not start with its slot");
    Matcher setns = Pattern.compile("OP_SETNS\\s*=\\s*2,\\s*/\\*\\s*nstype\\[, slot")
        .matcher(text);
    assertTrue(setns.find(), "OP_SETNS's comment in protocol.h does not name the optional slot");
  }

  @Test
  void seccompListenerFdKindMatchesProtocolH() throws IOException {
    assertEquals(1, define("FD_SECCOMP_LISTENER"));
  }

  private static void bytes(ByteArrayOutputStream out, int... values) {
    for (int v : values) {
      out.write(v);
    }
  }

  // ---------------------------------------------------------------- protocol.h

  /** {@code NAME = N} entries of the C enum named {@code enumName} in protocol.h. */
  private static Map<String, Integer> cEnum(String enumName) throws IOException {
    String text = Files.readString(PROTOCOL_H);
    Matcher body = Pattern.compile("enum\\s+" + enumName + "\\s*\\{(.*?)\\};", Pattern.DOTALL)
        .matcher(text);
    assertTrue(body.find(), "no enum " + enumName + " in " + PROTOCOL_H);
    String withoutComments = body.group(1).replaceAll("(?s)/\\*.*?\\*/", "");
    Map<String, Integer> out = new LinkedHashMap<>();
    Matcher m = Pattern.compile("([A-Z][A-Z0-9_]*)\\s*=\\s*(\\d+)").matcher(withoutComments);
    while (m.find()) {
      out.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    return out;
  }

  /** {@code #define NAME value} of protocol.h. */
  private static long define(String name) throws IOException {
    Matcher m = Pattern.compile("#define\\s+" + name + "\\s+(0x[0-9a-fA-F]+|\\d+)u?\\b")
        .matcher(Files.readString(PROTOCOL_H));
    assertTrue(m.find(), "no #define " + name + " in " + PROTOCOL_H);
    String v = m.group(1);
    return v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
  }

  static String opcodeName(String recordName) {
    String irregular = IRREGULAR.get(recordName);
    if (irregular != null) {
      return irregular;
    }
    return "OP_" + recordName.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
  }

  /** An instance of an Op record, with zero, false or null for each component. */
  private static Op instance(Class<?> record) throws ReflectiveOperationException {
    RecordComponent[] components = record.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      Class<?> t = components[i].getType();
      types[i] = t;
      if (t == long.class) {
        args[i] = 0L;
      } else if (t == int.class) {
        args[i] = 0;
      } else if (t == boolean.class) {
        args[i] = false;
      }
    }
    Constructor<?> c = record.getDeclaredConstructor(types);
    return (Op) c.newInstance(args);
  }

  @Test
  void opcodeNamesMapCamelCaseToUpperSnake() {
    assertEquals("OP_UNSHARE", opcodeName("Unshare"));
    assertEquals("OP_MOUNT_SETATTR", opcodeName("MountSetattr"));
    assertEquals("OP_OPEN_ROOT", opcodeName("OpenRoot"));
    assertEquals("OP_NO_NEW_PRIVS", opcodeName("NoNewPrivs"));
    assertEquals("OP_CAPBSET_DROP", opcodeName("CapBsetDrop"));
    assertEquals("OP_SETRESGID", opcodeName("SetResGid"));
  }

  @Test
  void everyOpRecordHasTheOpcodeOfProtocolH() throws Exception {
    Map<String, Integer> opcodes = cEnum("capsa_op");
    assertTrue(opcodes.size() >= 32, "found only " + opcodes + " in " + PROTOCOL_H);
    Class<?>[] records = Op.class.getPermittedSubclasses();
    assertTrue(records.length >= 32, "only " + records.length + " Op records");

    Map<String, String> mismatches = new TreeMap<>();
    Set<String> covered = new HashSet<>();
    for (Class<?> record : records) {
      String name = opcodeName(record.getSimpleName());
      Integer want = opcodes.get(name);
      if (want == null) {
        mismatches.put(record.getSimpleName(), "no " + name + " in protocol.h");
        continue;
      }
      covered.add(name);
      int got = instance(record).code();
      if (got != want) {
        mismatches.put(record.getSimpleName(), "code() " + got + " but " + name + " = " + want);
      }
    }
    assertEquals(Map.of(), mismatches);

    List<String> uncovered = new ArrayList<>();
    for (String name : opcodes.keySet()) {
      if (!name.equals("OP_MAX") && !covered.contains(name)) {
        uncovered.add(name);
      }
    }
    assertEquals(List.of(), uncovered, "opcodes of protocol.h without an Op record");
  }

  @Test
  void opcodesAreDistinct() throws Exception {
    Set<Integer> codes = new HashSet<>();
    for (Class<?> record : Op.class.getPermittedSubclasses()) {
      assertTrue(codes.add(instance(record).code()), record.getSimpleName() + " reuses a code");
    }
  }

  @Test
  void programHeaderMatchesProtocolH() throws IOException {
    byte[] b = new Program().encode();
    long magic = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16
        | (long) (b[3] & 0xff) << 24;
    assertEquals(define("CAPSA_MAGIC"), magic);
    assertEquals(define("CAPSA_VERSION"), b[4] & 0xff);
  }

  @Test
  void mountTargetKindsAndCreateModesMatchProtocolH() throws IOException {
    assertEquals(define("TARGET_HOST"), Op.Target.HOST.ordinal());
    assertEquals(define("TARGET_IN_ROOT"), Op.Target.IN_ROOT.ordinal());
    assertEquals(define("CREATE_NONE"), Op.Create.NONE.ordinal());
    assertEquals(define("CREATE_DIR"), Op.Create.DIR.ordinal());
    assertEquals(define("CREATE_FILE"), Op.Create.FILE.ordinal());
    assertEquals(2, Op.Target.values().length);
    assertEquals(3, Op.Create.values().length);
  }

  @Test
  void stageSessionMessageTypesMatchProtocolH() throws Exception {
    Map<String, Integer> types = cEnum("capsa_msg_type");
    assertEquals(List.of("MSG_PROGRAM", "MSG_PID", "MSG_SYNC", "MSG_CONTINUE", "MSG_READY",
        "MSG_ERROR", "MSG_FD", "MSG_EXIT"), List.copyOf(types.keySet()));
    Class<?> session = Class.forName("dev.capsa.runtime.StageSession");
    for (Map.Entry<String, Integer> e : types.entrySet()) {
      Field f = session.getDeclaredField(e.getKey());
      f.setAccessible(true);
      assertEquals(e.getValue().intValue(), f.getInt(null), e.getKey());
    }
    Field max = session.getDeclaredField("MAX_PACKET");
    max.setAccessible(true);
    assertEquals(define("CAPSA_MAX_PACKET"), max.getInt(null));
  }
}
