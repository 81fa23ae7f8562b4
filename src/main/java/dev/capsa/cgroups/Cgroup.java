package dev.capsa.cgroups;

import dev.capsa.linux.FileIo;
import dev.capsa.linux.Native;
import dev.capsa.linux.SyscallException;
import dev.capsa.spec.Resources;
import dev.capsa.spec.SpecException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's cgroup: one directory in every mounted hierarchy (v1 ones and
 * the unified one), as runc makes it, so the container is accounted and
 * findable in all of them. Creates, enters, limits, freezes and removes it.
 */
public final class Cgroup {
  /** How long delete retries rmdir while the container's last processes exit. */
  private static final int RMDIR_TRIES = 50;

  private final Layout layout;
  /** The container's directory in each hierarchy, in mountinfo order. */
  private final Map<Hierarchy, Path> dirs;

  private Cgroup(Layout layout, Map<Hierarchy, Path> dirs) {
    this.layout = layout;
    this.dirs = dirs;
  }

  /**
   * The cgroup for {@code cgroupsPath} (config-linux.md "Cgroups Path"): an
   * absolute path is taken from each hierarchy's root; a relative one from the
   * runtime's own cgroup there (its parent on a pure v2 host, see
   * {@link #relativeBase}); without one, {@code /<id>} as runc does.
   */
  public static Cgroup of(Layout layout, String cgroupsPath, String id) {
    String path = cgroupsPath == null || cgroupsPath.isEmpty() ? "/" + id : cgroupsPath;
    if (path.contains("..") || path.contains("//") || path.equals("/")) {
      throw new SpecException("linux.cgroupsPath: " + path + " is not a cgroup path capsa accepts");
    }
    if (path.contains(":")) {
      throw new SpecException("linux.cgroupsPath: " + path
          + " is a systemd path (slice:prefix:name); it needs --systemd-cgroup");
    }
    Map<Hierarchy, Path> dirs = new LinkedHashMap<>();
    for (Hierarchy h : layout.hierarchies()) {
      String base = path.startsWith("/") ? "" : relativeBase(layout, h);
      dirs.put(h, Path.of(h.mountPoint(), base, path).normalize());
    }
    if (dirs.isEmpty()) {
      throw new SpecException("linux.cgroupsPath: the host has no cgroup hierarchy mounted");
    }
    return new Cgroup(layout, dirs);
  }

  /**
   * Where a relative cgroupsPath starts in a hierarchy: the runtime's own
   * cgroup, except on a pure v2 host. There that cgroup holds processes (the
   * runtime's own), and a v2 cgroup with processes cannot enable controllers
   * for its children (EBUSY), so runc's fs2 (defaultDirPath) starts from its
   * parent, and so does capsa.
   */
  static String relativeBase(Layout layout, Hierarchy h) {
    String own = h.cgroup();
    if (layout.kind() != Layout.Kind.V2 || own.equals("/")) {
      return own;
    }
    int slash = own.lastIndexOf('/');
    return slash <= 0 ? "/" : own.substring(0, slash);
  }

  /** The cgroup's directories, as kept in the container's state. */
  public List<String> directories() {
    List<String> out = new ArrayList<>();
    for (Path p : dirs.values()) {
      out.add(p.toString());
    }
    return out;
  }

  /** Reattaches to directories a create recorded. */
  public static Cgroup at(Layout layout, List<String> directories) {
    Map<Hierarchy, Path> dirs = new LinkedHashMap<>();
    for (String d : directories) {
      Path p = Path.of(d);
      for (Hierarchy h : layout.hierarchies()) {
        if (p.startsWith(h.mountPoint()) && !dirs.containsKey(h)) {
          dirs.put(h, p);
          break;
        }
      }
    }
    return new Cgroup(layout, dirs);
  }

  public Layout layout() {
    return layout;
  }

  /** The directory of the hierarchy that holds {@code controller}, or null. */
  public Path dir(String controller) {
    Hierarchy h = layout.of(controller);
    return h == null ? null : dirs.get(h);
  }

  /** The unified hierarchy's directory, or null. */
  public Path v2Dir() {
    Hierarchy h = layout.v2();
    return h == null ? null : dirs.get(h);
  }

  /** True when every directory exists already (a cgroup to join). */
  public boolean exists() {
    for (Path p : dirs.values()) {
      if (!Files.isDirectory(p)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Makes the directories. On v2 the parents delegate the controllers down
   * (cgroup.subtree_control); on v1 a new cpuset starts with its parent's cpus
   * and mems, without which no task could join it.
   */
  public void create() {
    for (Map.Entry<Hierarchy, Path> e : dirs.entrySet()) {
      Hierarchy h = e.getKey();
      Path dir = e.getValue();
      if (h.v2()) {
        enableControllers(Path.of(h.mountPoint()), dir);
      }
      try {
        mkdirs(Path.of(h.mountPoint()), dir, h.options().contains("cpuset"));
      } catch (IOException ex) {
        throw new SpecException("linux.cgroupsPath: making " + dir + ": " + ex.getMessage());
      }
    }
  }

  /**
   * Makes {@code dir} and its missing parents. In a v1 cpuset hierarchy every
   * level gets its parent's cpus and mems where it has none, also a level that
   * existed already (a cgroup made by hand and joined): no task can enter a
   * cpuset cgroup with no cpus.
   */
  static void mkdirs(Path root, Path dir, boolean cpuset) throws IOException {
    if (dir.equals(root)) {
      return;
    }
    if (!cpuset && Files.isDirectory(dir)) {
      return;
    }
    mkdirs(root, dir.getParent(), cpuset);
    if (!Files.isDirectory(dir)) {
      Files.createDirectory(dir);
    }
    if (cpuset) {
      for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
        Path mine = dir.resolve(f);
        if (Files.exists(mine) && FileIo.read(mine).isBlank()) {
          FileIo.write(mine, FileIo.read(dir.getParent().resolve(f)).trim());
        }
      }
    }
  }

  /** Enables every available controller in each ancestor's cgroup.subtree_control. */
  private static void enableControllers(Path root, Path leaf) {
    List<Path> chain = new ArrayList<>();
    for (Path p = leaf.getParent(); p != null && p.startsWith(root); p = p.getParent()) {
      chain.add(0, p);
    }
    for (Path p : chain) {
      if (!Files.isDirectory(p)) {
        try {
          Files.createDirectory(p);
        } catch (IOException e) {
          throw new SpecException("linux.cgroupsPath: making " + p + ": " + e.getMessage());
        }
      }
      try {
        String available = FileIo.read(p.resolve("cgroup.controllers")).trim();
        String enabled = FileIo.read(p.resolve("cgroup.subtree_control")).trim();
        StringBuilder add = new StringBuilder();
        for (String c : available.split(" ")) {
          if (!c.isEmpty() && !(" " + enabled + " ").contains(" " + c + " ")) {
            add.append(add.length() == 0 ? "" : " ").append('+').append(c);
          }
        }
        if (add.length() > 0) {
          FileIo.write(p.resolve("cgroup.subtree_control"), add.toString());
        }
      } catch (IOException e) {
        throw new SpecException("linux.cgroupsPath: delegating controllers in " + p + ": "
            + e.getMessage());
      }
    }
  }

  /** Every process in the cgroup and the cgroups under it (the container's). */
  public Set<Integer> pids() {
    Path dir = v2Dir();
    if (dir == null || !Files.isDirectory(dir)) {
      dir = dirs.values().iterator().next();
    }
    Set<Integer> out = new LinkedHashSet<>();
    collectPids(dir, out);
    return out;
  }

  private static void collectPids(Path dir, Set<Integer> out) {
    try {
      for (String line : FileIo.read(dir.resolve("cgroup.procs")).split("\n")) {
        if (!line.isBlank()) {
          out.add(Integer.parseInt(line.trim()));
        }
      }
      try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
        for (Path child : children) {
          collectPids(child, out);
        }
      }
    } catch (IOException e) {
      // Gone meanwhile.
    }
  }

  /** Moves process {@code pid} into the cgroup, in every hierarchy. */
  public void enter(int pid) {
    for (Path dir : dirs.values()) {
      try {
        FileIo.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
      } catch (IOException e) {
        throw new SpecException("linux.cgroupsPath: moving process " + pid + " into " + dir + ": "
            + e.getMessage());
      }
    }
  }

  /**
   * exec's {@code --cgroup [controller[,controller]:]path}: moves {@code pid}
   * into {@code path} below the container's cgroup, made if missing, in the
   * hierarchies of the named controllers (all of them without a prefix); in
   * the other hierarchies it joins the container's cgroup itself.
   */
  public void enterSub(String spec, int pid) {
    int colon = spec.indexOf(':');
    String path = colon >= 0 ? spec.substring(colon + 1) : spec;
    List<String> controllers = colon >= 0 ? List.of(spec.substring(0, colon).split(",")) : null;
    if (path.isEmpty() || path.startsWith("/") || path.contains("..")) {
      throw new SpecException("--cgroup " + spec + ": must name a cgroup below the container's");
    }
    if (controllers != null) {
      for (String c : controllers) {
        if (layout.of(c) == null) {
          throw new SpecException("--cgroup " + spec + ": the host has no " + c + " controller");
        }
      }
    }
    for (Map.Entry<Hierarchy, Path> e : dirs.entrySet()) {
      Hierarchy h = e.getKey();
      boolean named = controllers == null;
      for (int i = 0; !named && i < controllers.size(); i++) {
        named = layout.of(controllers.get(i)) == h;
      }
      Path dir = named ? e.getValue().resolve(path).normalize() : e.getValue();
      try {
        mkdirs(e.getValue(), dir, h.options().contains("cpuset"));
        FileIo.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
      } catch (IOException x) {
        throw new SpecException("--cgroup " + spec + ": " + dir + ": " + reason(x));
      }
    }
  }

  /** Writes a plan's files; an error names the field. */
  public void apply(ResourcePlan plan) {
    List<ResourcePlan.Write> writes = plan.writes();
    boolean[] done = new boolean[writes.size()];
    for (int i = 0; i < writes.size(); i++) {
      if (done[i]) {
        continue;
      }
      ResourcePlan.Write w = writes.get(i);
      Path dir = w.controller().isEmpty() ? v2Dir() : dir(w.controller());
      try {
        write(dir, w);
      } catch (IOException e) {
        // v1 refuses memory.limit_in_bytes above memory.memsw.limit_in_bytes,
        // and memsw below the memory limit: raising both needs memsw first,
        // lowering both the limit first. runc reads the current limit to
        // choose; trying the usual order first needs no read.
        int memsw = w.file().equals("memory.limit_in_bytes")
            ? indexOf(writes, "memory.memsw.limit_in_bytes", i + 1) : -1;
        if (memsw >= 0) {
          try {
            write(dir, writes.get(memsw));
            write(dir, w);
            done[memsw] = true;
            continue;
          } catch (IOException again) {
            e = again;
          }
        }
        throw new SpecException(w.field() + ": writing " + w.value() + " to " + dir.resolve(w.file())
            + ": " + reason(e));
      }
    }
    if (plan.v2Devices() != null) {
      attachDevices(plan.v2Devices());
    }
  }

  private static int indexOf(List<ResourcePlan.Write> writes, String file, int from) {
    for (int j = from; j < writes.size(); j++) {
      if (writes.get(j).file().equals(file)) {
        return j;
      }
    }
    return -1;
  }

  private static void write(Path dir, ResourcePlan.Write w) throws IOException {
    Path file = dir.resolve(w.file());
    // A kernel without CFQ/BFQ's plain weight file has the BFQ one (runc does the same).
    if (!Files.exists(file)) {
      String bfq = w.file().equals("blkio.weight") ? "blkio.bfq.weight"
          : w.file().equals("io.weight") ? "io.bfq.weight"
          : w.file().equals("blkio.weight_device") ? "blkio.bfq.weight_device" : null;
      if (bfq != null && Files.exists(dir.resolve(bfq))) {
        file = dir.resolve(bfq);
      } else if (w.optional()) {
        return;
      } else {
        throw new NoSuchFileException(file.toString(), null, "this kernel has no such interface");
      }
    }
    FileIo.write(file, w.value());
  }

  private static String reason(IOException e) {
    if (e instanceof NoSuchFileException n) {
      return "this kernel has no such interface";
    }
    String m = e.getMessage();
    int paren = m == null ? -1 : m.lastIndexOf(" (");
    return paren >= 0 ? m.substring(paren + 2, m.length() - 1) : String.valueOf(m);
  }

  /** cgroup v2 devices: the rules as an eBPF program attached to the cgroup. */
  private void attachDevices(List<Resources.DeviceRule> rules) {
    Path dir = v2Dir();
    byte[] program = DeviceFilter.compile(rules);
    int prog;
    try {
      prog = Native.bpfLoadDeviceFilter(program);
    } catch (SyscallException e) {
      throw new SpecException("linux.resources.devices: loading the eBPF device filter: "
          + e.getMessage());
    }
    try {
      int cg = Native.open(dir.toString(), 0x10000 /* O_DIRECTORY */);
      try {
        Native.bpfAttachDeviceFilter(cg, prog);
      } finally {
        Native.close(cg);
      }
    } catch (SyscallException e) {
      throw new SpecException("linux.resources.devices: attaching the eBPF device filter to " + dir
          + ": " + e.getMessage());
    } finally {
      Native.close(prog);
    }
  }

  /**
   * The cgroup's CFS period in microseconds (v1 cpu.cfs_period_us, v2 the
   * second field of cpu.max), or null when it cannot be read.
   */
  public Long cpuPeriod() {
    Hierarchy h = layout.of("cpu");
    Path dir = h == null ? null : dirs.get(h);
    if (dir == null) {
      return null;
    }
    try {
      if (!h.v2()) {
        return Long.parseLong(FileIo.read(dir.resolve("cpu.cfs_period_us")).strip());
      }
      String[] max = FileIo.read(dir.resolve("cpu.max")).strip().split(" ");
      return max.length == 2 ? Long.parseLong(max[1]) : null;
    } catch (IOException | NumberFormatException e) {
      // Gone, or not the file we know: no period to offer.
      return null;
    }
  }

  /** Freezes every process of the cgroup (v1 freezer, v2 cgroup.freeze) and waits until it is. */
  public void freeze() {
    setFrozen(true);
  }

  public void thaw() {
    setFrozen(false);
  }

  private void setFrozen(boolean frozen) {
    Path v1 = layout.v1("freezer") == null ? null : dirs.get(layout.v1("freezer"));
    try {
      if (v1 != null) {
        FileIo.write(v1.resolve("freezer.state"), frozen ? "FROZEN" : "THAWED");
      } else if (v2Dir() != null) {
        FileIo.write(v2Dir().resolve("cgroup.freeze"), frozen ? "1" : "0");
      } else {
        throw new SpecException("pause: the host has no freezer");
      }
      for (int i = 0; i < 1000 && frozen() != frozen; i++) {
        Thread.sleep(1);
      }
    } catch (IOException e) {
      throw new SpecException((frozen ? "pause" : "resume") + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * True when the cgroup in these directories (as create recorded them) is
   * frozen: the v1 freezer where there is one, else cgroup v2's. Reads the
   * files directly, without the host's layout (which costs every status
   * check a parse of mountinfo).
   */
  public static boolean frozen(List<String> directories) {
    try {
      for (String d : directories) {
        Path state = Path.of(d, "freezer.state");
        if (Files.exists(state)) {
          return FileIo.read(state).trim().equals("FROZEN");
        }
      }
      for (String d : directories) {
        Path events = Path.of(d, "cgroup.events");
        if (Files.exists(events)) {
          for (String line : FileIo.read(events).split("\n")) {
            if (line.equals("frozen 1")) {
              return true;
            }
          }
          return false;
        }
      }
    } catch (IOException e) {
      // Gone: not frozen.
    }
    return false;
  }

  /** True when the cgroup is frozen. */
  public boolean frozen() {
    return frozen(directories());
  }

  /**
   * Removes the directories, sub-cgroups the container made first. Processes
   * that were just killed leave the cgroup as they exit: retried briefly.
   */
  public void destroy() {
    List<String> failures = new ArrayList<>();
    for (Path dir : dirs.values()) {
      if (!rmdirTree(dir)) {
        failures.add(dir.toString());
      }
    }
    if (!failures.isEmpty()) {
      throw new SpecException("linux.cgroupsPath: could not remove " + failures
          + ": processes are still in it");
    }
  }

  private static boolean rmdirTree(Path dir) {
    if (!Files.isDirectory(dir)) {
      return true;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path child : children) {
        rmdirTree(child);
      }
    } catch (IOException e) {
      // Keep trying the directory itself.
    }
    for (int i = 0; i < RMDIR_TRIES; i++) {
      try {
        Files.deleteIfExists(dir);
        return true;
      } catch (IOException e) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
  }
}
