package dev.capsa.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Signal names and numbers as kill(1) and runc take them (x86-64). */
class SignalsTest {
  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "TERM, 15", "SIGTERM, 15", "sigterm, 15", "term, 15", "SigTerm, 15", "15, 15",
    "KILL, 9", "9, 9", "HUP, 1", "1, 1", "INT, 2", "QUIT, 3", "USR1, 10", "SIGUSR2, 12",
    "CHLD, 17", "SIGCLD, 17", "CONT, 18", "STOP, 19", "WINCH, 28", "SIGSYS, 31",
    "IOT, 6", "ABRT, 6", "POLL, 29", "IO, 29", "STKFLT, 16", "PWR, 30",
    "RTMIN, 34", "SIGRTMIN, 34", "RTMIN+2, 36", "rtmin+2, 36", "SIGRTMIN+30, 64",
    "RTMAX, 64", "SIGRTMAX-1, 63", "RTMAX-30, 34", "32, 32", "64, 64",
  })
  void parses(String text, int number) {
    assertEquals(number, Signals.parse(text));
  }

  @Test
  void surroundingSpaceIsIgnored() {
    assertEquals(15, Signals.parse(" TERM "));
    assertEquals(9, Signals.parse("9\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "0", "65", "100", "99999999999", "-1", "-9", "1.5", "0x9",
      "FOO", "SIGFOO", "SIG", "SIGSIGTERM", "TERM2", "RTMIN+31", "RTMIN-1", "RTMAX+1",
      "RTMAX-31", "RTMIN+x", "SIGRTMIN+"})
  void refusesWhatIsNotASignal(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Signals.parse(text));
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"RTMIN3", "SIGRTMIN2", "RTMAX0"})
  void realtimeOffsetNeedsASign(String text) {
    assertThrows(IllegalArgumentException.class, () -> Signals.parse(text));
  }

  @Test
  void namesOfStandardSignals() {
    assertEquals("SIGTERM", Signals.name(15));
    assertEquals("SIGKILL", Signals.name(Signals.SIGKILL));
    assertEquals("SIGHUP", Signals.name(1));
    assertEquals("SIGSYS", Signals.name(31));
  }

  @Test
  void namesOfRealtimeSignals() {
    assertEquals("SIGRTMIN+0", Signals.name(34));
    assertEquals("SIGRTMIN+2", Signals.name(36));
    assertEquals("SIGRTMIN+30", Signals.name(64));
  }

  @Test
  void numbersWithoutANameAreSaidSo() {
    assertEquals("signal 0", Signals.name(0));
    assertEquals("signal 32", Signals.name(32));
    assertEquals("signal 65", Signals.name(65));
    assertEquals("signal -1", Signals.name(-1));
  }

  @Test
  void everyNameParsesBackToItsNumber() {
    for (int n = 1; n <= 64; n++) {
      String name = Signals.name(n);
      if (!name.startsWith("signal ")) {
        assertEquals(n, Signals.parse(name), name);
      }
    }
  }

  @Test
  void constantsAreTheLinuxNumbers() {
    assertEquals(9, Signals.SIGKILL);
    assertEquals(15, Signals.SIGTERM);
    assertEquals("TERM", Signals.NAMES.get(15));
  }
}
