package dev.capsa.spec;

import java.util.BitSet;

/**
 * A list of CPUs or memory nodes as config.json writes them, {@code 0-3,7}
 * ({@code execCPUAffinity}, {@code memoryPolicy.nodes}, {@code cpu.cpus},
 * {@code cpu.mems}), read into a set.
 */
public final class CpuList {
  private CpuList() {}

  /**
   * The numbers {@code list} names, each from 0 to {@code max}; blank items
   * ({@code " 1 , 2 ,"}) are skipped, and a list that names nothing is an
   * error, as is anything else; errors name {@code field}.
   */
  public static BitSet parse(String list, String field, int max) {
    BitSet set = new BitSet();
    for (String part : list.split(",")) {
      String r = part.trim();
      if (r.isEmpty()) {
        continue;
      }
      int dash = r.indexOf('-');
      int from;
      int to;
      try {
        from = Integer.parseInt(dash < 0 ? r : r.substring(0, dash).trim());
        to = dash < 0 ? from : Integer.parseInt(r.substring(dash + 1).trim());
      } catch (NumberFormatException e) {
        throw new SpecException(field + ": \"" + list + "\" is not a list like 0-3,7");
      }
      if (from < 0 || from > to || to > max) {
        throw new SpecException(field + ": \"" + r + "\" is not a range of 0 to " + max);
      }
      set.set(from, to + 1);
    }
    if (set.isEmpty()) {
      throw new SpecException(field + ": \"" + list + "\" names no CPU or node");
    }
    return set;
  }
}
