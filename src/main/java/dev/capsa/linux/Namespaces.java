package dev.capsa.linux;

import java.util.Map;

/** The namespace types of config-linux.md and their CLONE_NEW* flags. */
public final class Namespaces {
  public static final long CLONE_NEWTIME = 0x80;
  public static final long CLONE_NEWNS = 0x20000;
  public static final long CLONE_NEWCGROUP = 0x2000000;
  public static final long CLONE_NEWUTS = 0x4000000;
  public static final long CLONE_NEWIPC = 0x8000000;
  public static final long CLONE_NEWUSER = 0x10000000;
  public static final long CLONE_NEWPID = 0x20000000;
  public static final long CLONE_NEWNET = 0x40000000;

  /** By the spec's type name ({@code linux.namespaces[].type}). */
  public static final Map<String, Long> FLAGS = Map.of(
      "pid", CLONE_NEWPID,
      "network", CLONE_NEWNET,
      "mount", CLONE_NEWNS,
      "ipc", CLONE_NEWIPC,
      "uts", CLONE_NEWUTS,
      "user", CLONE_NEWUSER,
      "cgroup", CLONE_NEWCGROUP,
      "time", CLONE_NEWTIME);

  /** The name under /proc/PID/ns/ of each spec type. */
  public static final Map<String, String> PROC_NAMES = Map.of(
      "pid", "pid",
      "network", "net",
      "mount", "mnt",
      "ipc", "ipc",
      "uts", "uts",
      "user", "user",
      "cgroup", "cgroup",
      "time", "time");

  private Namespaces() {}
}
