package dev.capsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Command lines parsed the way runc's urfave/cli parses them. */
class ArgsTest {
  private static final List<Args.Option> OPTIONS = List.of(
      Args.Option.value("root", null, "state directory"),
      Args.Option.value("format", "f", "table or json"),
      Args.Option.value("pid-file", null, "where to write the pid"),
      Args.Option.value("preserve-fds", null, "extra fds"),
      Args.Option.flag("quiet", "q", "ids only"),
      Args.Option.flag("debug", null, "debug"));

  private static Args parse(String... argv) {
    return Args.parse(OPTIONS, List.of(argv));
  }

  @Test
  void valueAsTheNextArgument() {
    Args a = parse("--root", "/run/x", "list");
    assertEquals("/run/x", a.value("root"));
    assertEquals(List.of("list"), a.positional());
  }

  @Test
  void valueAfterAnEqualsSign() {
    assertEquals("/run/x", parse("--root=/run/x").value("root"));
    assertEquals("a=b", parse("--root=a=b").value("root"));
    assertEquals("", parse("--root=").value("root"));
  }

  @Test
  void oneDashWorksLikeTwo() {
    assertEquals("/run/x", parse("-root", "/run/x").value("root"));
    assertEquals("/run/y", parse("-root=/run/y").value("root"));
  }

  @Test
  void aliasesSetTheLongName() {
    assertEquals("json", parse("-f", "json").value("format"));
    assertEquals("json", parse("--f=json").value("format"));
    assertTrue(parse("-q").flag("quiet"));
    assertTrue(parse("--quiet").flag("quiet"));
  }

  @Test
  void valueMayLookLikeAFlag() {
    assertEquals("-q", parse("--format", "-q").value("format"));
  }

  @Test
  void lastValueWins() {
    assertEquals("b", parse("--root", "a", "--root", "b").value("root"));
  }

  @Test
  void booleans() {
    Args a = parse("--debug", "-q=false");
    assertTrue(a.flag("debug"));
    assertFalse(a.flag("quiet"));
    assertTrue(parse("--quiet=true").flag("quiet"));
    assertFalse(parse().flag("quiet"));
  }

  @Test
  void booleanDoesNotTakeTheNextArgument() {
    Args a = parse("-q", "true");
    assertTrue(a.flag("quiet"));
    assertEquals(List.of("true"), a.positional());
  }

  @Test
  void invalidBooleanIsRefused() {
    UsageException e = assertThrows(UsageException.class, () -> parse("--quiet=yes"));
    assertEquals("invalid boolean value \"yes\" for -quiet", e.getMessage());
  }

  @Test
  void absentValues() {
    Args a = parse();
    assertNull(a.value("root"));
    assertEquals("table", a.value("format", "table"));
    assertEquals(3, a.integer("preserve-fds", 3));
    assertEquals(List.of(), a.positional());
  }

  @Test
  void integers() {
    assertEquals(2, parse("--preserve-fds", "2").integer("preserve-fds", 0));
    UsageException e = assertThrows(UsageException.class,
        () -> parse("--preserve-fds", "two").integer("preserve-fds", 0));
    assertTrue(e.getMessage().startsWith("--preserve-fds: "), e.getMessage());
  }

  @Test
  void doubleDashEndsTheOptions() {
    Args a = parse("-q", "--", "--root", "x");
    assertTrue(a.flag("quiet"));
    assertNull(a.value("root"));
    assertEquals(List.of("--root", "x"), a.positional());
    assertEquals(List.of(), parse("--").positional());
  }

  @Test
  void optionsStopAtTheFirstPositional() {
    Args a = parse("--root", "r", "ctr", "-q", "--debug");
    assertEquals(List.of("ctr", "-q", "--debug"), a.positional());
    assertFalse(a.flag("quiet"));
  }

  @Test
  void aLoneDashIsPositional() {
    assertEquals(List.of("-", "x"), parse("-", "x").positional());
  }

  @Test
  void unknownFlagIsRefused() {
    UsageException e = assertThrows(UsageException.class, () -> parse("--nope"));
    assertEquals("flag provided but not defined: -nope", e.getMessage());
    e = assertThrows(UsageException.class, () -> parse("-x=1"));
    assertEquals("flag provided but not defined: -x", e.getMessage());
  }

  @Test
  void missingValueIsRefused() {
    UsageException e = assertThrows(UsageException.class, () -> parse("--root"));
    assertEquals("flag needs an argument: -root", e.getMessage());
    e = assertThrows(UsageException.class, () -> parse("-q", "-f"));
    assertEquals("flag needs an argument: -f", e.getMessage());
  }

  @Test
  void idIsTheOnePositional() {
    assertEquals("ctr", parse("ctr").id("start"));
    UsageException none = assertThrows(UsageException.class, () -> parse().id("start"));
    assertEquals("\"start\" requires a container id", none.getMessage());
    UsageException two = assertThrows(UsageException.class, () -> parse("a", "b").id("start"));
    assertTrue(two.getMessage().startsWith("\"start\" takes one container id"), two.getMessage());
  }

  @Test
  void usageOfOptions() {
    assertEquals("--root value", OPTIONS.get(0).usage());
    assertEquals("--format, -f value", OPTIONS.get(1).usage());
    assertEquals("--quiet, -q", OPTIONS.get(4).usage());
    assertEquals("--debug", OPTIONS.get(5).usage());
  }

  // ---------------------------------------------------------------- repeatable options

  /** exec's repeatable options. */
  private static final List<Args.Option> EXEC = List.of(
      Args.Option.value("env", "e", "set an environment variable (repeatable)"),
      Args.Option.value("cap", "c", "add a capability (repeatable)"),
      Args.Option.value("additional-gids", "g", "an additional group (repeatable)"),
      Args.Option.flag("tty", "t", "allocate a pseudo-terminal"));

  private static Args exec(String... argv) {
    return Args.parse(EXEC, List.of(argv));
  }

  @Test
  void repeatedOptionKeepsEveryValueInOrder() {
    Args a = exec("--env", "A=1", "-e", "B=2", "--env=C=3", "-e=D=4", "ctr", "sh");
    assertEquals(List.of("A=1", "B=2", "C=3", "D=4"), a.values("env"));
    assertEquals(List.of("ctr", "sh"), a.positional());
  }

  @Test
  void valueOfARepeatedOptionIsTheLast() {
    Args a = exec("-c", "CAP_KILL", "--cap", "CAP_CHOWN");
    assertEquals("CAP_CHOWN", a.value("cap"));
    assertEquals(List.of("CAP_KILL", "CAP_CHOWN"), a.values("cap"));
  }

  @Test
  void optionGivenOnceIsAListOfOne() {
    assertEquals(List.of("5"), exec("-g", "5").values("additional-gids"));
  }

  @Test
  void absentOptionIsAnEmptyList() {
    Args a = exec("-e", "A=1");
    assertEquals(List.of(), a.values("cap"));
    assertEquals(List.of(), a.values("additional-gids"));
    assertEquals(List.of(), a.values("no-such-option"));
  }

  @Test
  void repeatedValuesAreKeptApartPerOption() {
    Args a = exec("-e", "A=1", "-c", "CAP_KILL", "-g", "5", "-e", "B=2", "-g", "6", "ctr");
    assertEquals(List.of("A=1", "B=2"), a.values("env"));
    assertEquals(List.of("CAP_KILL"), a.values("cap"));
    assertEquals(List.of("5", "6"), a.values("additional-gids"));
  }

  @Test
  void repeatedValuesMayBeEqualOrEmpty() {
    assertEquals(List.of("A=1", "A=1", ""), exec("-e", "A=1", "-e", "A=1", "--env=").values("env"));
  }

  @Test
  void repeatedValueMayLookLikeAFlag() {
    assertEquals(List.of("-t", "--env"), exec("-e", "-t", "-e", "--env").values("env"));
  }

  @Test
  void valuesAfterTheDoubleDashAreNotOptions() {
    Args a = exec("-e", "A=1", "--", "-e", "B=2");
    assertEquals(List.of("A=1"), a.values("env"));
    assertEquals(List.of("-e", "B=2"), a.positional());
  }

  @Test
  void aSwitchHasNoValues() {
    Args a = exec("-t", "--tty=true");
    assertTrue(a.flag("tty"));
    assertEquals(List.of(), a.values("tty"));
  }

  @Test
  void usageOfARepeatableOption() {
    assertEquals("--env, -e value", EXEC.get(0).usage());
  }
}
