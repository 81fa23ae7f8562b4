package dev.capsa.runtime;

import dev.capsa.linux.FileIo;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The fields of /proc/PID/stat that tell whether a container process still
 * runs: its state letter and its start time (clock ticks after boot), which
 * tells our process apart from a later one that reused the pid; and its parent.
 *
 * @param state the state letter of proc(5), e.g. 'S', 'R', 'Z'
 * @param ppid field 4, the parent's pid (in the reader's pid namespace)
 * @param startTime field 22, starttime
 */
public record ProcStat(char state, int ppid, long startTime) {

  /** Reads /proc/PID/stat, or returns null when there is no such process. */
  public static ProcStat read(int pid) {
    String stat;
    try {
      stat = FileIo.read(Path.of("/proc/" + pid + "/stat"));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // ESRCH while reading: the process went away between open and read.
      return null;
    }
    return parse(stat);
  }

  /** Parses a stat line; the command name may hold spaces and parentheses. */
  static ProcStat parse(String stat) {
    int close = stat.lastIndexOf(')');
    String[] f = stat.substring(close + 2).split(" ");
    // f[0] is field 3 (state), so field 4 (ppid) is f[1] and 22 (starttime) f[19].
    return new ProcStat(f[0].charAt(0), Integer.parseInt(f[1]), Long.parseLong(f[19]));
  }

  /** True for a process that has exited but not been reaped, or is being torn down. */
  public boolean exited() {
    return state == 'Z' || state == 'X';
  }
}
