package dev.initkit.cli;

import dev.initkit.cli.ExceptionMapper.Failure;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Prints failures: one line {@code initkit: <message>} on stderr, never a stack trace unless {@code
 * --stacktrace} (or {@code -v} for an internal error) asks for one; with {@code --json}, also the
 * failure document on stdout. The exit code comes from {@link ExceptionMapper}. Stateless and
 * thread-safe.
 */
public final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {
  /** The prefix of every error line. */
  public static final String PREFIX = "initkit: ";

  /** {@inheritDoc} */
  @Override
  public int handleExecutionException(
      Exception exception, CommandLine commandLine, ParseResult parseResult) {
    return report(exception, commandLine);
  }

  /**
   * Reports any throwable that escaped a command, errors included.
   *
   * @return the exit code
   */
  public int report(Throwable exception, CommandLine commandLine) {
    OutputOptions options = OutputOptions.of(commandLine.getCommandSpec());
    Failure f = ExceptionMapper.describe(exception);
    boolean trace = options.stacktrace() || (options.verbose() && f.code() == ExitCodes.INTERNAL);
    print(commandLine, f, options.json(), options.verbose(), trace);
    return f.code();
  }

  /** {@inheritDoc} */
  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    OutputOptions options = OutputOptions.of(cmd.getCommandSpec());
    // parsing stopped early: --json may come after the bad argument
    boolean json = options.json() || given(args, "--json");
    boolean trace = options.stacktrace() || given(args, "--stacktrace");
    StringBuilder message = new StringBuilder(ExceptionMapper.oneLine(ex.getMessage()));
    if (ex instanceof UnmatchedArgumentException u) {
      List<String> suggestions = u.getSuggestions();
      if (!suggestions.isEmpty()) {
        message.append("; did you mean ").append(String.join(" or ", suggestions)).append('?');
      }
    }
    message.append(" (see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help')");
    Failure f = new Failure(ExitCodes.USAGE, message.toString(), null, null, ex);
    print(cmd, f, json, false, trace);
    return f.code();
  }

  private static void print(
      CommandLine cmd, Failure f, boolean json, boolean verbose, boolean trace) {
    PrintWriter err = cmd.getErr();
    err.println(PREFIX + f.message());
    if (verbose && !trace && f.cause() != null) {
      for (Throwable c = f.cause().getCause(); c != null && c != c.getCause(); c = c.getCause()) {
        err.println(
            "  caused by: "
                + c.getClass().getName()
                + ": "
                + ExceptionMapper.oneLine(c.getMessage()));
      }
    }
    if (trace && f.cause() != null) {
      f.cause().printStackTrace(err);
    }
    err.flush();
    if (json) {
      String command = cmd.getParent() == null ? null : cmd.getCommandName();
      JsonOutput.write(cmd.getOut(), JsonOutput.failure(command, f));
    }
  }

  /** True if {@code option} appears among the arguments before a {@code --} end-of-options mark. */
  private static boolean given(String[] args, String option) {
    for (String a : args) {
      if (a.equals("--")) {
        return false;
      }
      if (a.equals(option)) {
        return true;
      }
    }
    return false;
  }
}
