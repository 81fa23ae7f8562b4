package dev.capsa.linux;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Small whole-file reads and writes through java.io streams. Not
 * {@link java.nio.file.Files#readString}: that goes through FileChannel, ~30
 * classes that every capsa command would load at start-up (they are in the
 * AOT cache, which loads all its classes when the JVM starts). It also reads
 * files of /proc in chunks that fit their reported size of 0.
 */
public final class FileIo {
  private FileIo() {}

  /** The file's text (UTF-8). */
  public static String read(Path path) throws IOException {
    try (InputStream in = new FileInputStream(path.toString())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      throw missing(path, e);
    }
  }

  /** Writes {@code text} (UTF-8), creating or truncating the file. */
  public static void write(Path path, String text) throws IOException {
    try (OutputStream out = new FileOutputStream(path.toString())) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (FileNotFoundException e) {
      throw missing(path, e);
    }
  }

  /**
   * java.io says FileNotFoundException for every failed open; tell a missing
   * file (ENOENT) apart the way java.nio does, as callers care.
   */
  private static IOException missing(Path path, FileNotFoundException e) {
    String m = e.getMessage();
    if (m != null && m.endsWith("(No such file or directory)")) {
      return new NoSuchFileException(path.toString());
    }
    return e;
  }
}
