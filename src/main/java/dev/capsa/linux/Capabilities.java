package dev.capsa.linux;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Linux capability names of capabilities(7) and their numbers. */
public final class Capabilities {
  /** Indexed by capability number. */
  public static final List<String> NAMES = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
      "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
      "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
      "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
      "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

  private Capabilities() {}

  /** The number of a capability name, or -1 if capsa does not know it. */
  public static int number(String name) {
    return NAMES.indexOf(name);
  }

  /** The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
  public static int lastCap() {
    // Not Files.readString: it reads st_size (0) + 1 bytes first, and a sysctl
    // file answers a read that does not start at offset 0 with end-of-file.
    try (InputStream in = new FileInputStream("/proc/sys/kernel/cap_last_cap")) {
      byte[] buf = new byte[32];
      int n = in.read(buf);
      return Integer.parseInt(new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII).trim());
    } catch (IOException | NumberFormatException e) {
      return NAMES.size() - 1;
    }
  }
}
