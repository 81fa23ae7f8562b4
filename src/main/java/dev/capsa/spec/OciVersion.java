package dev.capsa.spec;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The spec versions capsa implements, and the check of a config's
 * {@code ociVersion} against them. The spec keeps compatibility within a major
 * version: a 1.1 config works on any runtime of 1.1 or later, so capsa (1.3.0)
 * accepts 1.0.0 up to any 1.3.x, pre-releases such as runc's "1.0.2-dev" included.
 */
public final class OciVersion {
  /** The version of the specification capsa implements. */
  public static final String SUPPORTED = "1.3.0";
  /** The oldest config version capsa accepts. */
  public static final String MINIMUM = "1.0.0";

  private static final Pattern SEMVER =
      Pattern.compile("(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?");

  private OciVersion() {}

  /** Throws unless {@code version} is SemVer 2.0.0 between 1.0.0 and 1.3.x. */
  public static void check(String version) {
    Matcher m = SEMVER.matcher(version);
    if (!m.matches()) {
      throw new SpecException("ociVersion: \"" + version + "\" is not a SemVer 2.0.0 version");
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    int patch = Integer.parseInt(m.group(3));
    // SemVer: a pre-release of 1.0.0 ("1.0.0-rc5") comes before 1.0.0.
    boolean beforeMinimum = major == 1 && minor == 0 && patch == 0 && version.matches("1\\.0\\.0-.*");
    if (major != 1 || minor > 3 || beforeMinimum) {
      throw new SpecException(
          "ociVersion: " + version + " is not supported: capsa implements "
              + MINIMUM + " to " + SUPPORTED + " (and later 1.3.x patch releases)");
    }
  }
}
