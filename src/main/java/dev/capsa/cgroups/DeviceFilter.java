package dev.capsa.cgroups;

import dev.capsa.spec.Resources;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * cgroup v2 has no devices.allow: device access is an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. This compiles the
 * config's rules into one, with the semantics the rules have on cgroup v1
 * (security/device_cgroup.c, as runc's emulator copies them): a rule of type
 * "a" sets the default and clears the exceptions, whatever major and minor it
 * names; a rule that agrees with the default removes the access bits it names
 * from the exception for the same device (dev_exception_rm); any other rule
 * adds its bits to that device's exception (dev_exception_add). All
 * exceptions then have the opposite polarity of the default, so their order
 * no longer matters.
 */
public final class DeviceFilter {
  /** The emulated state: the default, and the exceptions (the opposite of the default). */
  record State(boolean defaultAllow, List<Resources.DeviceRule> exceptions) {}

  private DeviceFilter() {}

  /** The v1 state the rules leave, starting from a new cgroup's allow-everything. */
  static State emulate(List<Resources.DeviceRule> rules) {
    boolean allow = true;
    List<Resources.DeviceRule> exceptions = new ArrayList<>();
    for (Resources.DeviceRule r : rules) {
      String type = r.type() == null ? "a" : r.type();
      if (type.equals("a")) {
        allow = r.allow();
        exceptions.clear();
        continue;
      }
      long major = r.major() == null || r.major() < 0 ? -1 : r.major();
      long minor = r.minor() == null || r.minor() < 0 ? -1 : r.minor();
      int bits = accessBits(r.access());
      int at = -1;
      for (int i = 0; i < exceptions.size(); i++) {
        Resources.DeviceRule e = exceptions.get(i);
        if (e.type().equals(type) && e.major() == major && e.minor() == minor) {
          at = i;
        }
      }
      int old = at < 0 ? 0 : accessBits(exceptions.get(at).access());
      int now = r.allow() == allow ? old & ~bits : old | bits;
      if (at >= 0 && now == 0) {
        exceptions.remove(at);
      } else if (now != 0) {
        Resources.DeviceRule e = new Resources.DeviceRule(!allow, type, major, minor,
            accessString(now));
        if (at >= 0) {
          exceptions.set(at, e);
        } else {
          exceptions.add(e);
        }
      }
    }
    return new State(allow, List.copyOf(exceptions));
  }

  private static String accessString(int bits) {
    return ((bits & ACC_READ) != 0 ? "r" : "") + ((bits & ACC_WRITE) != 0 ? "w" : "")
        + ((bits & ACC_MKNOD) != 0 ? "m" : "");
  }

  /** What the program decides (for tests): access is a subset of "rwm", type "c" or "b". */
  static boolean allows(State s, String type, long major, long minor, String access) {
    int want = accessBits(access);
    for (int i = s.exceptions().size() - 1; i >= 0; i--) {
      Resources.DeviceRule e = s.exceptions().get(i);
      if (matches(e, type, major, minor)) {
        int bits = accessBits(e.access());
        if (e.allow() && (want & ~bits) == 0) {
          return true;
        }
        if (!e.allow() && (want & bits) != 0) {
          return false;
        }
      }
    }
    return s.defaultAllow();
  }

  private static boolean matches(Resources.DeviceRule e, String type, long major, long minor) {
    String t = e.type() == null ? "a" : e.type();
    return (t.equals("a") || t.equals(type))
        && (e.major() == null || e.major() < 0 || e.major() == major)
        && (e.minor() == null || e.minor() < 0 || e.minor() == minor);
  }

  // bpf_cgroup_dev_ctx.access_type: the kernel sets (access << 16) | type, so the type is in
  // the low 16 bits and the access in the high 16 (BPF_DEVCG_ACC_* << 16 | BPF_DEVCG_DEV_*).
  private static final int ACC_MKNOD = 1;
  private static final int ACC_READ = 2;
  private static final int ACC_WRITE = 4;
  private static final int DEV_BLOCK = 1;
  private static final int DEV_CHAR = 2;

  static int accessBits(String access) {
    String a = access == null ? "rwm" : access;
    int bits = 0;
    for (char c : a.toCharArray()) {
      bits |= c == 'r' ? ACC_READ : c == 'w' ? ACC_WRITE : c == 'm' ? ACC_MKNOD : 0;
    }
    return bits;
  }

  /** The program, as struct bpf_insn[] for bpf(BPF_PROG_LOAD). */
  public static byte[] compile(List<Resources.DeviceRule> rules) {
    State s = emulate(rules);
    Asm a = new Asm();
    a.ldxw(2, 1, 0);          // r2 = ctx->access_type
    a.mov64(3, 2);            // r3 = r2
    a.rsh32(3, 16);           // r3 = access
    a.and32(2, 0xffff);       // r2 = type
    a.ldxw(4, 1, 4);          // r4 = ctx->major
    a.ldxw(5, 1, 8);          // r5 = ctx->minor
    // The latest exception first: the first match returns.
    for (int i = s.exceptions().size() - 1; i >= 0; i--) {
      block(a, s.exceptions().get(i));
    }
    a.mov64k(0, s.defaultAllow() ? 1 : 0);
    a.exit();
    return a.bytes();
  }

  private static void block(Asm a, Resources.DeviceRule e) {
    List<long[]> body = new ArrayList<>();
    String t = e.type() == null ? "a" : e.type();
    if (!t.equals("a")) {
      body.add(Asm.jne(2, t.equals("b") ? DEV_BLOCK : DEV_CHAR));
    }
    int bits = accessBits(e.access());
    if (bits != 7) {
      body.add(Asm.insn(0xbf, 1, 3, 0, 0));                  // r1 = r3
      if (e.allow()) {
        body.add(Asm.insn(0x54, 1, 0, 0, ~bits & 7));        // r1 &= ~allowed
        body.add(Asm.jne(1, 0));                              // asks for more: no match
      } else {
        body.add(Asm.insn(0x54, 1, 0, 0, bits));             // r1 &= denied
        body.add(Asm.insn(0x15, 1, 0, -1, 0));               // none of it: no match
      }
    }
    if (e.major() != null && e.major() >= 0) {
      body.add(Asm.jne(4, e.major().intValue()));
    }
    if (e.minor() != null && e.minor() >= 0) {
      body.add(Asm.jne(5, e.minor().intValue()));
    }
    body.add(Asm.insn(0xb7, 0, 0, 0, e.allow() ? 1 : 0));     // r0 = decision
    body.add(Asm.insn(0x95, 0, 0, 0, 0));                    // exit
    // Each conditional jump skips to the end of the block.
    for (int k = 0; k < body.size(); k++) {
      long[] in = body.get(k);
      if (in[2] == -1) {
        in[2] = body.size() - k - 1;
      }
      a.emit(in);
    }
  }

  /** A minimal eBPF assembler. */
  private static final class Asm {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static long[] insn(int code, int dst, int src, int off, int imm) {
      return new long[] {code, dst | (src << 4), off, imm};
    }

    /** if dst != imm goto end of block (offset patched by block()). */
    static long[] jne(int dst, int imm) {
      return insn(0x55, dst, 0, -1, imm);
    }

    void emit(long[] in) {
      out.write((int) in[0]);
      out.write((int) in[1]);
      out.write((int) in[2]);
      out.write((int) (in[2] >> 8));
      int imm = (int) in[3];
      out.write(imm);
      out.write(imm >> 8);
      out.write(imm >> 16);
      out.write(imm >> 24);
    }

    void ldxw(int dst, int src, int off) {
      emit(insn(0x61, dst, src, off, 0));
    }

    void mov64(int dst, int src) {
      emit(insn(0xbf, dst, src, 0, 0));
    }

    void mov64k(int dst, int imm) {
      emit(insn(0xb7, dst, 0, 0, imm));
    }

    void and32(int dst, int imm) {
      emit(insn(0x54, dst, 0, 0, imm));
    }

    void rsh32(int dst, int imm) {
      emit(insn(0x74, dst, 0, 0, imm));
    }

    void exit() {
      emit(insn(0x95, 0, 0, 0, 0));
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
