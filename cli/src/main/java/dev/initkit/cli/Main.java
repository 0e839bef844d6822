package dev.initkit.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;

/** The {@code initkit} command line. */
public final class Main {
  private Main() {}

  /** Runs initkit and exits with its exit code ({@link ExitCodes}). */
  public static void main(String[] args) {
    // stderr carries initkit's own messages only: javacpp's loader warnings go to SLF4J, which
    // the CLI binds to a no-op logger (the library sets this too, but only once HDF5 loads)
    if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
      System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
    }
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    PrintWriter err =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int code;
    try {
      code = newCommandLine(out, err).execute(args);
    } catch (Throwable t) {
      // only before picocli's handlers are in place (out of memory while starting up)
      ExceptionMapper.Failure f = ExceptionMapper.describe(t);
      err.println(ErrorReporter.PREFIX + f.message());
      code = f.code();
    }
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * A fully configured command line writing to the given streams: exit codes and their help
   * listing, the error handlers, no ANSI colours. Use one per run: the shared options remember
   * what they were given.
   *
   * @param out where results go (text, or the {@code --json} document); not closed
   * @param err where messages and errors go; not closed
   */
  public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new InitkitCommand());
    ErrorReporter reporter = new ErrorReporter();
    cl.setOut(out);
    cl.setErr(err);
    cl.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    cl.setExitCodeExceptionMapper(new ExceptionMapper());
    cl.setExecutionExceptionHandler(reporter);
    cl.setParameterExceptionHandler(reporter);
    cl.setExecutionStrategy(parseResult -> execute(parseResult, reporter));
    addExitCodeList(cl);
    return cl;
  }

  /**
   * Runs the last command given, as picocli's {@link RunLast} does. Picocli passes only
   * exceptions to the execution exception handler; errors (out of memory, a failed native library
   * load) would escape {@code execute} with a stack trace, so they are reported here.
   */
  private static int execute(ParseResult parseResult, ErrorReporter reporter) {
    try {
      return new RunLast().execute(parseResult);
    } catch (Error e) {
      List<CommandLine> commands = parseResult.asCommandLineList();
      return reporter.report(e, commands.get(commands.size() - 1));
    }
  }

  private static void addExitCodeList(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.helpList());
    for (CommandLine sub : cl.getSubcommands().values()) {
      addExitCodeList(sub);
    }
  }
}
