package dev.capsa.spec;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The ociVersion range capsa accepts: 1.0.0 up to any 1.3.x. */
class OciVersionTest {
  @ParameterizedTest
  @ValueSource(strings = {"1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.3.7",
      "1.3.0+build.5", "1.2.0-rc.1"})
  void acceptsVersionsOfTheSupportedRange(String version) {
    assertDoesNotThrow(() -> OciVersion.check(version));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.5.0-dev", "0.9.9", "1.4.0", "1.10.0", "2.0.0", "1.0", "x", "",
      "v1.0.0", "01.0.0", "1.0.0.0", " 1.0.0"})
  void refusesOtherVersionsNamingTheField(String version) {
    SpecException e = assertThrows(SpecException.class, () -> OciVersion.check(version));
    assertTrue(e.getMessage().startsWith("ociVersion: "), e.getMessage());
  }

  @Test
  void messageSaysWhatIsSupported() {
    SpecException e = assertThrows(SpecException.class, () -> OciVersion.check("1.4.0"));
    assertTrue(e.getMessage().contains("1.4.0"), e.getMessage());
    assertTrue(e.getMessage().contains(OciVersion.SUPPORTED), e.getMessage());
  }

  @Test
  void messageForANonSemVerSaysSo() {
    SpecException e = assertThrows(SpecException.class, () -> OciVersion.check("1.0"));
    assertTrue(e.getMessage().contains("SemVer"), e.getMessage());
  }

  @Test
  void supportedRangeIsOneZeroToOneThree() {
    assertEquals("1.0.0", OciVersion.MINIMUM);
    assertEquals("1.3.0", OciVersion.SUPPORTED);
  }
}
