package dev.initkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top command: help, version, usage errors, and what reaches the user from a crash. */
class MainTest {

  @Test
  void helpListsTheCommandsAndExitCodes() {
    Cli.Result r = Cli.run("--help").assertExit(0);
    assertTrue(r.out().contains("inspect"), r.out());
    assertTrue(r.out().contains("convert"), r.out());
    assertTrue(r.out().contains("Exit codes:"), r.out());
    for (int code = 0; code <= 7; code++) {
      assertTrue(r.out().contains("\n  " + code + "   "), () -> "code missing in\n" + r.out());
    }
    assertTrue(r.out().contains("malformed input"), r.out());
    assertEquals("", r.err());
    // no ANSI escapes, whatever the terminal
    assertTrue(r.out().indexOf('\u001b') < 0);
  }

  @Test
  void subcommandHelpListsExitCodesToo() {
    Cli.Result r = Cli.run("help", "convert").assertExit(0);
    assertTrue(r.out().contains("--force"), r.out());
    assertTrue(r.out().contains("Exit codes:"), r.out());
    Cli.Result r2 = Cli.run("inspect", "--help").assertExit(0);
    assertTrue(r2.out().contains("--config"), r2.out());
    assertTrue(r2.out().contains("--json"), r2.out());
  }

  @Test
  void aNamedVerbGetsOnlyItsOwnSubcommand() {
    assertEquals(
        List.of(
            "inspect",
            "convert",
            "report",
            "set-init",
            "reinit",
            "transplant",
            "analyze",
            "lsuv",
            "compare",
            "scan",
            "help"),
        verbs((String[]) null));
    assertEquals(List.of("inspect"), verbs("inspect", "m.h5"));
    assertEquals(List.of("reinit"), verbs("--json", "-q", "reinit", "m.h5", "-o", "x.h5"));
    assertEquals(List.of(), verbs("--version"));
    // anything picocli could read otherwise gets every verb, as before
    List<String> all = verbs((String[]) null);
    for (String[] args :
        List.of(
            new String[] {},
            new String[] {"--help"},
            new String[] {"help", "inspect"},
            new String[] {"frobnicate"},
            new String[] {"--", "inspect"},
            new String[] {"-qv", "inspect"},
            new String[] {"@args.txt"},
            new String[] {"--version", "--help"})) {
      assertEquals(all, verbs(args), () -> String.join(" ", args));
    }
  }

  private static List<String> verbs(String... args) {
    StringWriter sink = new StringWriter();
    CommandLine cl = Main.newCommandLine(new PrintWriter(sink), new PrintWriter(sink), args);
    return new ArrayList<>(cl.getSubcommands().keySet());
  }

  @Test
  void versionNamesInitkit() {
    Cli.Result r = Cli.run("--version").assertExit(0);
    assertTrue(r.out().startsWith("initkit "), r.out());
  }

  @Test
  void missingCommandIsAUsageError() {
    Cli.Result r = Cli.run().assertExit(2);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains("missing command"), line);
    assertEquals("", r.out());
  }

  @Test
  void unknownCommandIsAUsageError() {
    Cli.Result r = Cli.run("frobnicate", "x.h5").assertExit(2);
    r.assertOneErrorLine();
  }

  @Test
  void unknownOptionIsOneLineWithASuggestion() {
    Cli.Result r = Cli.run("inspect", "--jsn", "x.h5").assertExit(2);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains("--jsn"), line);
    assertTrue(line.contains("--json"), line); // did you mean
    assertTrue(line.contains("initkit inspect --help"), line);
    assertEquals("", r.out());
  }

  @Test
  void unknownOptionWithJsonGivesTheErrorDocument() {
    Cli.Result r = Cli.run("inspect", "--bogus", "x.h5", "--json").assertExit(2);
    r.assertOneErrorLine();
    JsonNode error = r.assertJsonError(2, "usage");
    assertTrue(error.get("message").asText().contains("--bogus"), error::toString);
    assertTrue(error.get("file").isNull());
  }

  @Test
  void missingParameterIsAUsageError() {
    Cli.Result r = Cli.run("inspect").assertExit(2);
    r.assertOneErrorLine();
  }

  @Test
  void quietAndVerboseDoNotGoTogether() {
    Cli.Result r = Cli.run("inspect", "-q", "-v", "x.h5").assertExit(2);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains("--quiet"), line);
  }

  @Test
  void missingFileIsAnIoErrorNamingTheFile(@TempDir Path dir) {
    Path missing = dir.resolve("nope.h5");
    Cli.Result r = Cli.run("inspect", missing).assertExit(5);
    String line = r.assertOneErrorLine();
    assertEquals("initkit: " + missing + ": no such file or directory", line);
  }

  @Test
  void jsonMayComeBeforeTheVerb(@TempDir Path dir) {
    Path missing = dir.resolve("nope.h5");
    Cli.Result r = Cli.run("--json", "inspect", missing).assertExit(5);
    JsonNode error = r.assertJsonError(5, "io");
    assertEquals(missing.toString(), error.get("file").asText());
  }

  @Test
  void stacktraceOptionPrintsTheTrace(@TempDir Path dir) {
    Cli.Result r = Cli.run("inspect", "--stacktrace", dir.resolve("nope.h5")).assertExit(5);
    assertTrue(r.err().contains("NoSuchFileException"), r.err());
    assertTrue(r.err().contains("\tat "), r.err());
  }

  /** A command that fails the way a bug does. */
  @Command(name = "boom")
  static final class Boom extends AbstractCommand {
    private final Throwable failure;

    Boom(Throwable failure) {
      this.failure = failure;
    }

    @Override
    protected int run() throws Exception {
      if (failure instanceof Error e) {
        throw e;
      }
      throw (Exception) failure;
    }
  }

  private static Cli.Result boom(Throwable failure, String... extra) {
    Object[] args = new Object[extra.length + 1];
    args[0] = "boom";
    System.arraycopy(extra, 0, args, 1, extra.length);
    return Cli.runWith(
        cl -> {
          CommandLine sub = new CommandLine(new Boom(failure));
          sub.setOut(cl.getOut());
          sub.setErr(cl.getErr());
          cl.addSubcommand("boom", sub);
        },
        args);
  }

  @Test
  void outOfMemoryIsAnInternalErrorOnOneLine() {
    Cli.Result r = boom(new OutOfMemoryError("Java heap space")).assertExit(1);
    String line = r.assertOneErrorLine();
    assertTrue(line.startsWith("initkit: internal error: out of memory"), line);
    assertTrue(line.contains("JAVA_OPTS"), line);
  }

  @Test
  void outOfMemoryWithJsonGivesTheErrorDocument() {
    Cli.Result r = boom(new OutOfMemoryError("Java heap space"), "--json").assertExit(1);
    JsonNode error = r.assertJsonError(1, "internal");
    assertTrue(error.get("message").asText().contains("out of memory"), error::toString);
    assertEquals("boom", r.json().get("command").asText());
  }

  @Test
  void runtimeExceptionIsAnInternalError() {
    Cli.Result r = boom(new IllegalStateException("broken\ninvariant")).assertExit(1);
    String line = r.assertOneErrorLine();
    assertTrue(
        line.contains("internal error: java.lang.IllegalStateException: broken invariant"), line);
  }

  @Test
  void verboseShowsTheStackTraceOfAnInternalError() {
    Cli.Result r = boom(new NullPointerException("oops"), "-v").assertExit(1);
    assertTrue(r.err().contains("\tat "), r.err());
  }

  @Test
  void linkageErrorIsAnInternalError() {
    Cli.Result r = boom(new UnsatisfiedLinkError("no jnihdf5 in java.library.path")).assertExit(1);
    r.assertOneErrorLine();
  }
}
