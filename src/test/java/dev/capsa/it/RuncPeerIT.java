package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.capsa.json.Json;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * capsa beside runc: the same linux.resources applied by both (each with its own state root and
 * cgroupsPath), and the v1 cgroup files they wrote compared. Skipped where runc is not installed.
 */
class RuncPeerIT {
  @RegisterExtension final Harness h = new Harness();

  private static final Path CG = Path.of("/sys/fs/cgroup");
  private static final long MB = 1024 * 1024;
  /** hierarchy/file, as compared. */
  private static final List<String> FILES = List.of(
      "memory/memory.limit_in_bytes",
      "memory/memory.memsw.limit_in_bytes",
      "memory/memory.soft_limit_in_bytes",
      "memory/memory.swappiness",
      "cpu/cpu.shares",
      "cpu/cpu.cfs_quota_us",
      "cpu/cpu.cfs_period_us",
      "pids/pids.max",
      "cpuset/cpuset.cpus",
      "cpuset/cpuset.mems");

  private String runc;
  private Path runcRoot;

  @BeforeEach
  void needsRunc() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin").split(":")) {
      Path p = Path.of(d, "runc");
      if (Files.isExecutable(p)) {
        runc = p.toString();
        break;
      }
    }
    assumeTrue(runc != null, "runc is not installed (not on PATH): nothing to compare with");
    assumeTrue(Files.exists(CG.resolve("memory/memory.limit_in_bytes")),
        "the comparison reads cgroup v1 files");
  }

  // ------------------------------------------------------------------ helpers

  private Map<String, Object> resources() {
    return Harness.asMap(h.linux().computeIfAbsent("resources",
        k -> new LinkedHashMap<String, Object>()));
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** runc with its own state root; stdio in files (a container inherits them). */
  private Harness.Result runc(String... args) {
    if (runcRoot == null) {
      runcRoot = h.newDir("runc-state");
    }
    List<String> command = new ArrayList<>(List.of(runc, "--root", runcRoot.toString()));
    command.addAll(Arrays.asList(args));
    Path out = h.dir().resolve("runc-" + args[0] + ".out");
    Path err = h.dir().resolve("runc-" + args[0] + ".err");
    try {
      Process p = new ProcessBuilder(command).directory(h.dir().toFile())
          .redirectInput(new File("/dev/null")).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      if (!p.waitFor(Harness.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      return new Harness.Result(command, p.exitValue(), Files.readString(out),
          Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Creates the configured container with capsa (cgroupsPath /ID) and with runc (its own
   * bundle, ociVersion 1.0.2, the same rootfs, cgroupsPath /RUNC-ID); returns both ids.
   */
  private String[] createBoth() {
    h.args("sleep", "1000");
    String capsaId = h.newId();
    String runcId = h.newId();
    h.create(capsaId);

    @SuppressWarnings("unchecked")
    Map<String, Object> config = (Map<String, Object>) Json.parse(Json.write(h.config()));
    config.put("ociVersion", "1.0.2");
    Harness.asMap(config.get("root")).put("path", h.rootfs().toString());
    Harness.asMap(config.get("linux")).put("cgroupsPath", "/" + runcId);
    Path bundle = h.newDir("runc-bundle");
    try {
      Files.writeString(bundle.resolve("config.json"), Json.writePretty(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    h.onCleanup(() -> {
      Harness.Result r = runc("delete", "--force", runcId);
      if (r.status() != 0 && !r.stderr().contains("does not exist")) {
        throw new AssertionError("runc delete --force: " + r);
      }
    });
    runc("create", "--bundle", bundle.toString(), runcId).ok();
    return new String[] {capsaId, runcId};
  }

  private static String read(Path p) {
    try {
      return Files.readString(p).strip();
    } catch (IOException e) {
      return "(" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
    }
  }

  /** The files of both containers, compared; every difference named in the message. */
  private static void assertSameFiles(String capsaId, String runcId) {
    Map<String, String> capsa = new LinkedHashMap<>();
    Map<String, String> runc = new LinkedHashMap<>();
    List<String> differences = new ArrayList<>();
    for (String f : FILES) {
      String hier = f.substring(0, f.indexOf('/'));
      String file = f.substring(f.indexOf('/') + 1);
      String c = read(CG.resolve(hier).resolve(capsaId).resolve(file));
      String r = read(CG.resolve(hier).resolve(runcId).resolve(file));
      capsa.put(f, c);
      runc.put(f, r);
      if (!c.equals(r)) {
        differences.add(f + ": capsa " + c + ", runc " + r);
      }
    }
    assertEquals(runc, capsa, "capsa and runc wrote different values:\n  "
        + String.join("\n  ", differences));
  }

  // ------------------------------------------------------------------ comparisons

  @Test
  void createWritesWhatRuncWrites() {
    Map<String, Object> r = resources();
    r.put("memory", map("limit", 96 * MB, "reservation", 48 * MB, "swap", 192 * MB,
        "swappiness", 20));
    r.put("cpu", map("shares", 768, "quota", 30000, "period", 60000, "cpus", "0", "mems", "0"));
    r.put("pids", map("limit", 64));
    String[] ids = createBoth();
    assertSameFiles(ids[0], ids[1]);
  }

  @Test
  void unlimitedValuesAsRuncWritesThem() {
    Map<String, Object> r = resources();
    r.put("memory", map("limit", -1, "swap", -1));
    r.put("cpu", map("quota", -1, "period", 100000));
    r.put("pids", map("limit", -1));
    String[] ids = createBoth();
    assertSameFiles(ids[0], ids[1]);
  }

  @Test
  void updateWritesWhatRuncWrites() {
    Map<String, Object> r = resources();
    r.put("memory", map("limit", 64 * MB, "swap", 64 * MB));
    r.put("pids", map("limit", 10));
    String[] ids = createBoth();
    // (--memory-reservation is left out: see CgroupsIT.updateRaisingMemoryAndSwapWithAReservation.)
    String[] flags = {"--memory", "256m", "--memory-swap", "512m", "--cpu-share", "300", "--cpu-quota", "40000", "--cpu-period", "80000", "--cpuset-cpus",
        "0", "--pids-limit", "99"};
    List<String> capsaArgs = new ArrayList<>(List.of("update"));
    capsaArgs.addAll(List.of(flags));
    capsaArgs.add(ids[0]);
    h.capsa(capsaArgs.toArray(String[]::new)).ok();
    List<String> runcArgs = new ArrayList<>(List.of("update"));
    runcArgs.addAll(List.of(flags));
    runcArgs.add(ids[1]);
    runc(runcArgs.toArray(String[]::new)).ok();
    assertSameFiles(ids[0], ids[1]);
  }

  @Test
  void zeroQuotaIsCreatedAsByRunc() {
    resources().put("cpu", map("shares", 1024, "quota", 0, "period", 100000));
    String[] ids = createBoth();
    assertSameFiles(ids[0], ids[1]);
  }

  @Test
  void updateToUnlimitedMemoryAsRuncDoes() {
    resources().put("memory", map("limit", 64 * MB, "swap", 128 * MB));
    String[] ids = createBoth();
    runc("update", "--memory", "-1", ids[1]).ok();
    h.capsa("update", "--memory", "-1", ids[0]).ok();
    assertSameFiles(ids[0], ids[1]);
  }
}
