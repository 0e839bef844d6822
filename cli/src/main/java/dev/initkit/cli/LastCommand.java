package dev.initkit.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;

/**
 * Runs the last command given, as picocli's {@link RunLast} does. Picocli passes only exceptions to
 * the execution exception handler; errors (out of memory, a failed native library load) would
 * escape {@code execute} with a stack trace, so they are reported here.
 *
 * <p>A class, not a lambda: a lambda implementing a picocli interface makes the class-data-sharing
 * dump link picocli's classes, and linked Java 5 classes stay out of the archive (about 60 ms of
 * start-up for loading and verifying {@code picocli.CommandLine} again on every run).
 */
final class LastCommand implements IExecutionStrategy {
  private final ErrorReporter reporter;

  LastCommand(ErrorReporter reporter) {
    this.reporter = reporter;
  }

  /** {@inheritDoc} */
  @Override
  public int execute(ParseResult parseResult) {
    try {
      return new RunLast().execute(parseResult);
    } catch (Error e) {
      List<CommandLine> commands = parseResult.asCommandLineList();
      return reporter.report(e, commands.get(commands.size() - 1));
    }
  }
}
