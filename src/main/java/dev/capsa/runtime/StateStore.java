package dev.capsa.runtime;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The state root ({@code --root}, default /run/capsa): one directory per
 * container, named by its id. Being a tmpfs on most hosts, /run forgets
 * containers at reboot, as their processes are gone too.
 */
public final class StateStore {
  /** The default --root, the same place runc's /run/runc has. */
  public static final String DEFAULT_ROOT = "/run/capsa";


  private static final java.util.Comparator<Container> BY_ID = new java.util.Comparator<>() {
    @Override
    public int compare(Container a, Container b) {
      return a.id().compareTo(b.id());
    }
  };

  private final Path root;

  public StateStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** Throws unless {@code id} is a valid container id. */
  public static void checkId(String id) {
    if (id == null || id.isEmpty()) {
      throw new ContainerException("container id cannot be empty");
    }
    if (!validId(id)) {
      throw new ContainerException("invalid container id \"" + id
          + "\": use letters, digits, '_', '+', '-' and '.' (not \".\" or \"..\")");
    }
  }

  /**
   * runc's rule: letters, digits, '_', '+', '-' and '.', at most 1024, and not
   * "." or "..". (A loop, not a regex: java.util.regex costs start-up.)
   */
  static boolean validId(String id) {
    if (id.length() > 1024 || id.equals(".") || id.equals("..")) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '+' || c == '-' || c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Makes the directory of a new container; an existing one is an error. */
  Container createDirectory(String id) {
    checkId(id);
    try {
      if (!Files.isDirectory(root)) {
        Files.createDirectories(root,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
      }
      Path dir = root.resolve(id);
      Files.createDirectory(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
      return new Container(this, id, dir);
    } catch (FileAlreadyExistsException e) {
      throw new ContainerException("container \"" + id + "\" already exists");
    } catch (IOException e) {
      throw new ContainerException("creating the state directory in " + root + ": " + e, e);
    }
  }

  /** An existing container; a missing one is an error. */
  public Container open(String id) {
    checkId(id);
    Path dir = root.resolve(id);
    if (!Files.isRegularFile(dir.resolve(Container.STATE))) {
      throw new ContainerException("container \"" + id + "\" does not exist");
    }
    return new Container(this, id, dir);
  }

  /** True when container {@code id} has a state. */
  public boolean exists(String id) {
    checkId(id);
    return Files.isRegularFile(root.resolve(id).resolve(Container.STATE));
  }

  /** Removes a container directory without a state (a create that died early), if any. */
  void removeRemains(String id) {
    checkId(id);
    Path dir = root.resolve(id);
    if (Files.isDirectory(dir) && !Files.exists(dir.resolve(Container.STATE))) {
      new Container(this, id, dir).destroy();
    }
  }

  /** Every container under the root, by id. */
  public List<Container> list() {
    List<Container> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path dir : dirs) {
        if (Files.isRegularFile(dir.resolve(Container.STATE))) {
          out.add(new Container(this, dir.getFileName().toString(), dir));
        }
      }
    } catch (IOException e) {
      throw new ContainerException("listing " + root + ": " + e, e);
    }
    out.sort(BY_ID);
    return out;
  }
}
