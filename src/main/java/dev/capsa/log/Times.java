package dev.capsa.log;

import java.time.Instant;

/**
 * RFC 3339 timestamps in UTC with nanoseconds, as Go's time.RFC3339Nano prints
 * them (trailing zeros of the fraction dropped). Hand-written because
 * {@link Instant#toString()} pulls in java.time.format, a few milliseconds of
 * class loading on every runtime call.
 */
public final class Times {
  private Times() {}

  /** Now, e.g. {@code 2026-11-28T22:05:00.123456789Z}. */
  public static String now() {
    Instant t = Instant.now();
    return format(t.getEpochSecond(), t.getNano());
  }

  /** Formats seconds since the epoch and nanoseconds. */
  public static String format(long epochSecond, int nanos) {
    long days = Math.floorDiv(epochSecond, 86400);
    long secs = Math.floorMod(epochSecond, 86400);
    // Howard Hinnant's civil_from_days.
    long z = days + 719468;
    long era = Math.floorDiv(z, 146097);
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long day = doy - (153 * mp + 2) / 5 + 1;
    long month = mp < 10 ? mp + 3 : mp - 9;
    long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    StringBuilder b = new StringBuilder(30);
    pad(b, year, 4).append('-');
    pad(b, month, 2).append('-');
    pad(b, day, 2).append('T');
    pad(b, secs / 3600, 2).append(':');
    pad(b, secs / 60 % 60, 2).append(':');
    pad(b, secs % 60, 2);
    if (nanos != 0) {
      int n = nanos;
      int digits = 9;
      while (n % 10 == 0) {
        n /= 10;
        digits--;
      }
      b.append('.');
      pad(b, n, digits);
    }
    return b.append('Z').toString();
  }

  private static StringBuilder pad(StringBuilder b, long v, int width) {
    String s = Long.toString(v);
    for (int i = s.length(); i < width; i++) {
      b.append('0');
    }
    return b.append(s);
  }
}
