package dev.capsa.linux;

/** mount(2) and mount_setattr(2) constants of {@code <sys/mount.h>}. */
public final class Mounts {
  public static final long MS_RDONLY = 1;
  public static final long MS_NOSUID = 2;
  public static final long MS_NODEV = 4;
  public static final long MS_NOEXEC = 8;
  public static final long MS_SYNCHRONOUS = 16;
  public static final long MS_REMOUNT = 32;
  public static final long MS_MANDLOCK = 64;
  public static final long MS_DIRSYNC = 128;
  public static final long MS_NOSYMFOLLOW = 256;
  public static final long MS_NOATIME = 1024;
  public static final long MS_NODIRATIME = 2048;
  public static final long MS_BIND = 4096;
  public static final long MS_MOVE = 8192;
  public static final long MS_REC = 16384;
  public static final long MS_SILENT = 32768;
  public static final long MS_UNBINDABLE = 1 << 17;
  public static final long MS_PRIVATE = 1 << 18;
  public static final long MS_SLAVE = 1 << 19;
  public static final long MS_SHARED = 1 << 20;
  public static final long MS_RELATIME = 1 << 21;
  public static final long MS_I_VERSION = 1 << 23;
  public static final long MS_STRICTATIME = 1 << 24;
  public static final long MS_LAZYTIME = 1 << 25;

  /** The propagation flags: mount(2) takes them alone, without other flags. */
  public static final long MS_PROPAGATION = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;

  public static final long MOUNT_ATTR_RDONLY = 0x1;
  public static final long MOUNT_ATTR_NOSUID = 0x2;
  public static final long MOUNT_ATTR_NODEV = 0x4;
  public static final long MOUNT_ATTR_NOEXEC = 0x8;
  public static final long MOUNT_ATTR__ATIME = 0x70;
  public static final long MOUNT_ATTR_RELATIME = 0x0;
  public static final long MOUNT_ATTR_NOATIME = 0x10;
  public static final long MOUNT_ATTR_STRICTATIME = 0x20;
  public static final long MOUNT_ATTR_NODIRATIME = 0x80;
  public static final long MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

  private Mounts() {}
}
