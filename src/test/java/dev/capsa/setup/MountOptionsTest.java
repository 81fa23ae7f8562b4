package dev.capsa.setup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** config.md "Linux mount options", split the way mount(2) and mount_setattr(2) take them. */
class MountOptionsTest {
  // <linux/mount.h>, written out so that the test does not share the constants it checks.
  private static final long MS_RDONLY = 1;
  private static final long MS_NOSUID = 2;
  private static final long MS_NODEV = 4;
  private static final long MS_NOEXEC = 8;
  private static final long MS_SYNCHRONOUS = 16;
  private static final long MS_REMOUNT = 32;
  private static final long MS_MANDLOCK = 64;
  private static final long MS_DIRSYNC = 128;
  private static final long MS_NOSYMFOLLOW = 256;
  private static final long MS_NOATIME = 1024;
  private static final long MS_NODIRATIME = 2048;
  private static final long MS_BIND = 4096;
  private static final long MS_REC = 16384;
  private static final long MS_SILENT = 32768;
  private static final long MS_UNBINDABLE = 1 << 17;
  private static final long MS_PRIVATE = 1 << 18;
  private static final long MS_SLAVE = 1 << 19;
  private static final long MS_SHARED = 1 << 20;
  private static final long MS_RELATIME = 1 << 21;
  private static final long MS_I_VERSION = 1 << 23;
  private static final long MS_STRICTATIME = 1 << 24;
  private static final long MS_LAZYTIME = 1 << 25;

  private static final long MOUNT_ATTR_RDONLY = 0x1;
  private static final long MOUNT_ATTR_NOSUID = 0x2;
  private static final long MOUNT_ATTR_NODEV = 0x4;
  private static final long MOUNT_ATTR_NOEXEC = 0x8;
  private static final long MOUNT_ATTR__ATIME = 0x70;
  private static final long MOUNT_ATTR_RELATIME = 0x0;
  private static final long MOUNT_ATTR_NOATIME = 0x10;
  private static final long MOUNT_ATTR_STRICTATIME = 0x20;
  private static final long MOUNT_ATTR_NODIRATIME = 0x80;
  private static final long MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

  /** The table of config.md (runtime-spec v1.3.0), "Linux mount options", as it is written. */
  private static final String TABLE = """
       Option name      | Requirement | Description
      ------------------|-------------|-----------------------------------------------------
       `async`          | MUST        | [^1]
       `atime`          | MUST        | [^1]
       `bind`           | MUST        | Bind mount [^2]
       `defaults`       | MUST        | [^1]
       `dev`            | MUST        | [^1]
       `diratime`       | MUST        | [^1]
       `dirsync`        | MUST        | [^1]
       `exec`           | MUST        | [^1]
       `iversion`       | MUST        | [^1]
       `lazytime`       | MUST        | [^1]
       `loud`           | MUST        | [^1]
       `mand`           | MAY         | [^1] (Deprecated in kernel 5.15, util-linux 2.38)
       `noatime`        | MUST        | [^1]
       `nodev`          | MUST        | [^1]
       `nodiratime`     | MUST        | [^1]
       `noexec`         | MUST        | [^1]
       `noiversion`     | MUST        | [^1]
       `nolazytime`     | MUST        | [^1]
       `nomand`         | MAY         | [^1]
       `norelatime`     | MUST        | [^1]
       `nostrictatime`  | MUST        | [^1]
       `nosuid`         | MUST        | [^1]
       `nosymfollow`    | SHOULD      | [^1] (Introduced in kernel 5.10, util-linux 2.38)
       `private`        | MUST        | Bind mount propagation [^2]
       `ratime`         | SHOULD      | Recursive `atime` [^3]
       `rbind`          | MUST        | Recursive bind mount [^2]
       `rdev`           | SHOULD      | Recursive `dev` [^3]
       `rdiratime`      | SHOULD      | Recursive `diratime` [^3]
       `relatime`       | MUST        | [^1]
       `remount`        | MUST        | [^1]
       `rexec`          | SHOULD      | Recursive `dev` [^3]
       `rnoatime`       | SHOULD      | Recursive `noatime` [^3]
       `rnodiratime`    | SHOULD      | Recursive `nodiratime` [^3]
       `rnoexec`        | SHOULD      | Recursive `noexec` [^3]
       `rnorelatime`    | SHOULD      | Recursive `norelatime` [^3]
       `rnostrictatime` | SHOULD      | Recursive `nostrictatime` [^3]
       `rnosuid`        | SHOULD      | Recursive `nosuid` [^3]
       `rnosymfollow`   | SHOULD      | Recursive `nosymfollow` [^3]
       `ro`             | MUST        | [^1]
       `rprivate`       | MUST        | Bind mount propagation [^2]
       `rrelatime  `    | SHOULD      | Recursive `relatime` [^3]
       `rro`            | SHOULD      | Recursive `ro` [^3]
       `rrw`            | SHOULD      | Recursive `rw` [^3]
       `rshared`        | MUST        | Bind mount propagation [^2]
       `rslave`         | MUST        | Bind mount propagation [^2]
       `rstrictatime`   | SHOULD      | Recursive `strictatime` [^3]
       `rsuid`          | SHOULD      | Recursive `suid` [^3]
       `rsymfollow`     | SHOULD      | Recursive `symfollow` [^3]
       `runbindable`    | MUST        | Bind mount propagation [^2]
       `rw`             | MUST        | [^1]
       `shared`         | MUST        | [^1]
       `silent`         | MUST        | [^1]
       `slave`          | MUST        | Bind mount propagation [^2]
       `strictatime`    | MUST        | [^1]
       `suid`           | MUST        | [^1]
       `symfollow`      | SHOULD      | Opposite of `nosymfollow`
       `sync`           | MUST        | [^1]
       `tmpcopyup`      | MAY         | copy up the contents to a tmpfs
       `unbindable`     | MUST        | Bind mount propagation [^2]
       `idmap`          | SHOULD      | Indicates that the mount MUST have an idmapping applied.
       `ridmap`         | SHOULD      | Indicates that the mount MUST have an idmapping applied,
      """;

  private static final Pattern ROW =
      Pattern.compile("^\\s*`([a-z]+)\\s*`\\s*\\|\\s*(MUST|SHOULD|MAY)\\s*\\|");

  /** Option name to requirement, from a config.md table. */
  private static Map<String, String> table(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.find()) {
        out.put(m.group(1), m.group(2));
      }
    }
    return out;
  }

  private static MountOptions parse(String... options) {
    return MountOptions.parse(List.of(options));
  }

  private static MountOptions flags(long set, long cleared) {
    return new MountOptions(set, cleared, 0, 0, 0, "", List.of());
  }

  private static MountOptions propagation(long p) {
    return new MountOptions(0, 0, p, 0, 0, "", List.of());
  }

  private static MountOptions recursive(long set, long clear) {
    return new MountOptions(0, 0, 0, set, clear, "", List.of());
  }

  private static MountOptions extension(String name) {
    return new MountOptions(0, 0, 0, 0, 0, "", List.of(name));
  }

  /** What each option of the table parses to, alone; the atime recursive ones are below. */
  private static Map<String, MountOptions> expected() {
    Map<String, MountOptions> m = new LinkedHashMap<>();
    m.put("async", flags(0, MS_SYNCHRONOUS));
    m.put("atime", flags(0, MS_NOATIME));
    m.put("bind", flags(MS_BIND, 0));
    m.put("defaults", flags(0, 0));
    m.put("dev", flags(0, MS_NODEV));
    m.put("diratime", flags(0, MS_NODIRATIME));
    m.put("dirsync", flags(MS_DIRSYNC, 0));
    m.put("exec", flags(0, MS_NOEXEC));
    m.put("iversion", flags(MS_I_VERSION, 0));
    m.put("lazytime", flags(MS_LAZYTIME, 0));
    m.put("loud", flags(0, MS_SILENT));
    m.put("mand", flags(MS_MANDLOCK, 0));
    m.put("noatime", flags(MS_NOATIME, 0));
    m.put("nodev", flags(MS_NODEV, 0));
    m.put("nodiratime", flags(MS_NODIRATIME, 0));
    m.put("noexec", flags(MS_NOEXEC, 0));
    m.put("noiversion", flags(0, MS_I_VERSION));
    m.put("nolazytime", flags(0, MS_LAZYTIME));
    m.put("nomand", flags(0, MS_MANDLOCK));
    m.put("norelatime", flags(0, MS_RELATIME));
    m.put("nostrictatime", flags(0, MS_STRICTATIME));
    m.put("nosuid", flags(MS_NOSUID, 0));
    m.put("nosymfollow", flags(MS_NOSYMFOLLOW, 0));
    m.put("private", propagation(MS_PRIVATE));
    m.put("rbind", flags(MS_BIND | MS_REC, 0));
    m.put("rdev", recursive(0, MOUNT_ATTR_NODEV));
    m.put("rdiratime", recursive(0, MOUNT_ATTR_NODIRATIME));
    m.put("relatime", flags(MS_RELATIME, 0));
    m.put("remount", flags(MS_REMOUNT, 0));
    m.put("rexec", recursive(0, MOUNT_ATTR_NOEXEC));
    m.put("rnodiratime", recursive(MOUNT_ATTR_NODIRATIME, 0));
    m.put("rnoexec", recursive(MOUNT_ATTR_NOEXEC, 0));
    m.put("rnosuid", recursive(MOUNT_ATTR_NOSUID, 0));
    m.put("rnosymfollow", recursive(MOUNT_ATTR_NOSYMFOLLOW, 0));
    m.put("ro", flags(MS_RDONLY, 0));
    m.put("rprivate", propagation(MS_PRIVATE | MS_REC));
    m.put("rro", recursive(MOUNT_ATTR_RDONLY, 0));
    m.put("rrw", recursive(0, MOUNT_ATTR_RDONLY));
    m.put("rshared", propagation(MS_SHARED | MS_REC));
    m.put("rslave", propagation(MS_SLAVE | MS_REC));
    m.put("rsuid", recursive(0, MOUNT_ATTR_NOSUID));
    m.put("rsymfollow", recursive(0, MOUNT_ATTR_NOSYMFOLLOW));
    m.put("runbindable", propagation(MS_UNBINDABLE | MS_REC));
    m.put("rw", flags(0, MS_RDONLY));
    m.put("shared", propagation(MS_SHARED));
    m.put("silent", flags(MS_SILENT, 0));
    m.put("slave", propagation(MS_SLAVE));
    m.put("strictatime", flags(MS_STRICTATIME, 0));
    m.put("suid", flags(0, MS_NOSUID));
    m.put("symfollow", flags(0, MS_NOSYMFOLLOW));
    m.put("sync", flags(MS_SYNCHRONOUS, 0));
    m.put("tmpcopyup", extension("tmpcopyup"));
    m.put("unbindable", propagation(MS_UNBINDABLE));
    m.put("idmap", extension("idmap"));
    m.put("ridmap", extension("ridmap"));
    // The atime modes are an enum in mount_setattr(2): setting one takes the whole field.
    m.put("rnoatime", recursive(MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME));
    m.put("rstrictatime", recursive(MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME));
    m.put("rrelatime", recursive(MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME));
    return m;
  }

  /** The recursive options that turn an atime mode off: their result is checked below. */
  private static final List<String> ATIME_OFF = List.of("ratime", "rnostrictatime", "rnorelatime");

  @Test
  void embeddedTableHasEveryOption() {
    Map<String, String> t = table(TABLE);
    assertEquals(61, t.size(), t.keySet()::toString);
    assertEquals("SHOULD", t.get("rrelatime"));
    assertEquals("MAY", t.get("mand"));
  }

  @Test
  void embeddedTableIsTheOneOfTheSpec() throws IOException {
    Path configMd = Path.of(System.getProperty("capsa.specDocs", "/work/shared/runtime-spec"),
        "config.md");
    assumeTrue(Files.isRegularFile(configMd), configMd + " is not here");
    String text = Files.readString(configMd);
    String section = text.substring(text.indexOf("### <a name=\"configLinuxMountOptions\""));
    section = section.substring(0, section.indexOf("[^1]:"));
    assertEquals(table(TABLE), table(section));
  }

  @Test
  void everyOptionOfTheTableParsesToItsFlag() {
    Map<String, MountOptions> want = expected();
    List<String> wrong = new ArrayList<>();
    for (String option : table(TABLE).keySet()) {
      if (ATIME_OFF.contains(option)) {
        continue;
      }
      MountOptions expect = want.get(option);
      assertTrue(expect != null, "no expectation for " + option);
      MountOptions got = MountOptions.parse(List.of(option));
      if (!expect.equals(got)) {
        wrong.add(option + ": expected " + expect + " but got " + got);
      }
    }
    assertEquals(List.of(), wrong);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rnoatime", "rstrictatime", "rrelatime", "rnorelatime",
      "rstrictatime,rrelatime", "rrelatime,rnoatime", "ratime,rnoatime", "rnoatime,ratime",
      "rro,rnoatime,rnosuid"})
  void recursiveAtimeOptionsAreAcceptedByMountSetattr(String options) {
    assertAcceptedByMountSetattr(options);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ratime", "rnostrictatime", "rnoatime,rstrictatime"})
  void recursiveAtimeOptionsThatMountSetattrRefuses(String options) {
    assertAcceptedByMountSetattr(options);
  }

  /**
   * mount_setattr(2): MOUNT_ATTR__ATIME is cleared entirely or not at all, and an atime mode
   * in attr_set needs it cleared; anything else is EINVAL (checked on this kernel with
   * attr_clr = MOUNT_ATTR_NOATIME: EINVAL).
   */
  private static void assertAcceptedByMountSetattr(String options) {
    MountOptions o = MountOptions.parse(List.of(options.split(",")));
    long clearedAtime = o.recursiveClear() & MOUNT_ATTR__ATIME;
    assertTrue(clearedAtime == 0 || clearedAtime == MOUNT_ATTR__ATIME,
        () -> options + ": attr_clr " + Long.toHexString(o.recursiveClear())
            + " clears part of the atime field");
    long setAtime = o.recursiveSet() & MOUNT_ATTR__ATIME;
    assertTrue(setAtime == 0 || clearedAtime == MOUNT_ATTR__ATIME,
        () -> options + ": attr_set has an atime mode without clearing the atime field");
    assertTrue(
        setAtime == 0 || setAtime == MOUNT_ATTR_NOATIME || setAtime == MOUNT_ATTR_STRICTATIME,
        () -> options + ": attr_set " + Long.toHexString(o.recursiveSet())
            + " holds two atime modes");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ratime", "rnostrictatime"})
  void recursiveAtimeOffOptionsRestoreTheDefaultRelatime(String option) {
    // mount(8): atime and nostrictatime leave access times to the kernel default, relatime.
    assertEquals(recursive(MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME), parse(option));
  }

  @ParameterizedTest(name = "{0} is atime mode {1}")
  @CsvSource({"'rrelatime,rnoatime', 16", "'ratime,rnoatime', 16"})
  void laterRecursiveAtimeModeWins(String options, long mode) {
    assertEquals(recursive(mode, MOUNT_ATTR__ATIME),
        MountOptions.parse(List.of(options.split(","))));
  }

  @ParameterizedTest(name = "{0} is atime mode {1}")
  @CsvSource({"'rnoatime,rstrictatime', 32", "'rstrictatime,rrelatime', 0",
      "'rstrictatime,rnoatime', 16", "'rnoatime,rrelatime', 0"})
  void laterRecursiveAtimeModeReplacesAnEarlierOne(String options, long mode) {
    assertEquals(recursive(mode, MOUNT_ATTR__ATIME),
        MountOptions.parse(List.of(options.split(","))));
  }

  @Test
  void laterOptionsWin() {
    assertEquals(flags(0, MS_RDONLY), parse("ro", "rw"));
    assertEquals(flags(MS_RDONLY, 0), parse("rw", "ro"));
    assertEquals(flags(0, MS_NOSUID), parse("nosuid", "suid"));
    assertEquals(flags(MS_NOEXEC, 0), parse("exec", "noexec"));
    assertEquals(propagation(MS_SHARED), parse("rprivate", "shared"));
    assertEquals(recursive(0, MOUNT_ATTR_RDONLY), parse("rro", "rrw"));
    assertEquals(recursive(MOUNT_ATTR_RDONLY, 0), parse("rrw", "rro"));
  }

  @Test
  void unknownOptionsAreDataInTheirOrder() {
    MountOptions o = parse("mode=755", "nosuid", "size=65536k", "ro", "uid=0", "newinstance");
    assertEquals(MS_NOSUID | MS_RDONLY, o.flags());
    assertEquals("mode=755,size=65536k,uid=0,newinstance", o.data());
    assertEquals(List.of(), o.extensions());
  }

  @Test
  void noOptionsIsNothing() {
    assertEquals(flags(0, 0), MountOptions.parse(List.of()));
  }

  @Test
  void mixedOptionsLandInTheirOwnFields() {
    MountOptions o = parse("rbind", "ro", "rslave", "rnosuid", "idmap", "x-gvfs-hide");
    assertEquals(new MountOptions(MS_BIND | MS_REC | MS_RDONLY, 0, MS_SLAVE | MS_REC,
        MOUNT_ATTR_NOSUID, 0, "x-gvfs-hide", List.of("idmap")), o);
    assertTrue(o.bind());
    assertTrue(parse("bind").bind());
    assertTrue(!parse("ro").bind());
  }

  // ---------------------------------------------------------------- bindAttributes

  @Test
  void bindAttributesSetThePerMountFlags() {
    assertArrayEquals(new long[] {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
        | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW, 0},
        parse("ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow").bindAttributes());
  }

  @Test
  void bindAttributesClearWhatTheOptionsTurnOff() {
    assertArrayEquals(new long[] {0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
        | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW},
        parse("rw", "suid", "dev", "exec", "diratime", "symfollow").bindAttributes());
  }

  @Test
  void bindAttributesOfTheAtimeModes() {
    assertArrayEquals(new long[] {MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
        parse("noatime").bindAttributes());
    assertArrayEquals(new long[] {MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
        parse("strictatime").bindAttributes());
    assertArrayEquals(new long[] {MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        parse("relatime").bindAttributes());
    assertArrayEquals(new long[] {MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        parse("atime").bindAttributes());
    assertArrayEquals(new long[] {MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        parse("nostrictatime").bindAttributes());
  }

  @Test
  void bindAttributesStrictatimeAfterNoatimeWins() {
    // Later options win, and mount(2) itself lets MS_STRICTATIME override MS_NOATIME.
    assertArrayEquals(new long[] {MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
        parse("noatime", "strictatime").bindAttributes());
  }

  @Test
  void bindAttributesOfNothingAreNothing() {
    assertArrayEquals(new long[] {0, 0}, parse("rbind", "mode=755", "sync").bindAttributes());
  }

  @Test
  void superblockFlagsAreTheFilesystemWideOnes() {
    assertEquals(MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_I_VERSION | MS_LAZYTIME | MS_SILENT,
        parse("sync", "dirsync", "mand", "iversion", "lazytime", "silent", "ro", "nosuid",
            "noatime", "bind").superblockFlags());
    assertEquals(0, parse("ro", "nodev", "relatime").superblockFlags());
  }

  // ---------------------------------------------------------------- known

  @Test
  void knownHasEveryMustAndShouldOptionOfTheTable() {
    TreeSet<String> known = new TreeSet<>(MountOptions.known());
    List<String> missing = new ArrayList<>();
    table(TABLE).forEach((option, requirement) -> {
      if (!requirement.equals("MAY") && !known.contains(option)) {
        missing.add(option);
      }
    });
    assertEquals(List.of(), missing);
  }

  @Test
  void knownIsSortedWithoutDuplicates() {
    List<String> known = MountOptions.known();
    assertEquals(new ArrayList<>(new TreeSet<>(known)), known);
  }

  @Test
  void knownHasNothingOutsideTheTableButRnodev() {
    // The table lists rdev but not its counterpart rnodev, which runc implements too.
    List<String> extra = new ArrayList<>(MountOptions.known());
    extra.removeAll(table(TABLE).keySet());
    assertEquals(List.of("rnodev"), extra);
    assertEquals(recursive(MOUNT_ATTR_NODEV, 0), parse("rnodev"));
  }
}
