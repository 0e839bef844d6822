package dev.initkit.cli;

import dev.initkit.internal.OutputSafety;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of every verb: the shared output options, the writers, and the checks common to all
 * commands. A verb validates its options, calls one facade method and renders the result; errors
 * are thrown, never printed here ({@link ErrorReporter} prints them). Not thread-safe: picocli
 * creates one instance per command line.
 */
public abstract class AbstractCommand implements Callable<Integer> {
  /** This command's spec, injected by picocli. */
  @Spec protected CommandSpec spec;

  /** The shared {@code --json}, {@code -q}, {@code -v} options. */
  @Mixin(name = OutputOptions.NAME)
  protected OutputOptions output;

  private TerminalWriter text;
  private TerminalWriter messages;

  /** Checks the shared options, then runs the command. */
  @Override
  public final Integer call() throws Exception {
    if (output.quiet() && output.verbose()) {
      throw new ParameterException(spec.commandLine(), "--quiet and --verbose cannot be combined");
    }
    return run();
  }

  /**
   * Does the work.
   *
   * @return the exit code, normally {@link ExitCodes#OK}
   * @throws Exception anything; {@link ExceptionMapper} turns it into an exit code and a message
   */
  protected abstract int run() throws Exception;

  /**
   * Standard output: the result. Text goes through a {@link TerminalWriter}, so nothing from the
   * model file reaches the terminal raw; with {@code --json}, the plain writer, since Jackson
   * escapes the document's strings and consumers need the true names.
   */
  protected final PrintWriter out() {
    if (output.json()) {
      return spec.commandLine().getOut();
    }
    if (text == null) {
      text = new TerminalWriter(spec.commandLine().getOut(), false);
    }
    return text;
  }

  /** Standard error: messages for the user, through a {@link TerminalWriter} as {@link #out()}. */
  protected final PrintWriter err() {
    if (messages == null) {
      messages = new TerminalWriter(spec.commandLine().getErr(), true);
    }
    return messages;
  }

  /** Prints an informational line on stderr, unless {@code --quiet} or {@code --json}. */
  protected final void info(String line) {
    if (!output.quiet() && !output.json()) {
      err().println(line);
      err().flush();
    }
  }

  /**
   * Prints warnings on stderr, one line each, {@code initkit: warning: ...}, unless {@code
   * --quiet}; also with {@code --json}, whose document carries them as well.
   */
  protected final void warn(java.util.List<String> warnings) {
    if (output.quiet()) {
      return;
    }
    for (String w : warnings) {
      err().println("initkit: warning: " + w);
    }
    err().flush();
  }

  /**
   * The output-safety rule for every file this command writes ({@code -o}, {@code --html}): never
   * one of the inputs, never a directory holding one, never inside one, even with {@code --force}
   * (a usage error, exit code {@link ExitCodes#USAGE}). Null inputs (options not given) are
   * skipped.
   */
  protected final void checkOutput(Path output, Path... inputs) {
    try {
      OutputSafety.check(java.util.Arrays.asList(inputs), output);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** Builds a usage error for this command (exit code {@link ExitCodes#USAGE}). */
  protected final ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
