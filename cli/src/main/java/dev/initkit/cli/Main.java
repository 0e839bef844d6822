package dev.initkit.cli;

import dev.initkit.internal.hdf5.Hdf5;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ResourceBundle;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code initkit} command line. */
public final class Main {
  private Main() {}

  /** Runs initkit and exits with its exit code ({@link ExitCodes}). */
  public static void main(String[] args) {
    // stderr carries initkit's own messages only: javacpp's loader warnings go to SLF4J, which
    // the CLI binds to a no-op logger (the library sets this too, but only once HDF5 loads)
    setDefault("org.bytedeco.javacpp.logger", "slf4j");
    // Start-up: a lookup that fails, or one for all copies of a resource, opens every jar on the
    // class path. Picocli looks for groovy.lang.Closure unless told not to; SLF4J looks for its
    // providers with a ServiceLoader unless named one (then it says so on stderr, below WARN).
    setDefault("picocli.disable.closures", "true");
    // picocli looks up converters for java.sql and java.time types reflectively; no option uses
    // them
    setDefault("picocli.converters.excludes", "java.sql.*,java.time.*");
    setDefault("slf4j.provider", "org.slf4j.nop.NOPServiceProvider");
    setDefault("slf4j.internal.verbosity", "WARN");
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    PrintWriter err =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    if (Verbs.opensModelFile(args)) {
      // the native library loads on another core while picocli reads its annotations
      Hdf5.preloadInBackground();
    }
    int code;
    try {
      code = newCommandLine(out, err, args).execute(args);
    } catch (Throwable t) {
      // only before picocli's handlers are in place (out of memory while starting up)
      ExceptionMapper.Failure f = ExceptionMapper.describe(t);
      err.println(ErrorReporter.PREFIX + f.message());
      code = f.code();
    }
    out.flush();
    if ((out.checkError() || System.out.checkError()) && code != ExitCodes.IO) {
      // PrintWriter and PrintStream swallow write errors: a result that never reached stdout is no
      // success
      err.println(
          ErrorReporter.PREFIX
              + "standard output: write failed (full device, closed pipe or file size limit)");
      code = ExitCodes.IO;
    }
    err.flush();
    try {
      Hdf5.awaitPreload();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.exit(code);
  }

  /** Sets a system property unless the user set it (JAVA_OPTS=-D...). */
  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /**
   * A fully configured command line writing to the given streams: exit codes and their help
   * listing, the error handlers, no ANSI colours. Use one per run: the shared options remember what
   * they were given.
   *
   * @param out where results go (text, or the {@code --json} document); not closed
   * @param err where messages and errors go; not closed
   */
  public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
    return newCommandLine(out, err, null);
  }

  /**
   * {@link #newCommandLine(PrintWriter, PrintWriter)} with only the subcommands that {@code args}
   * need: start-up pays for the reflection over one verb's annotations, not all ten. What any
   * command line prints is the same as with every subcommand ({@link Verbs}).
   *
   * @param args the arguments this command line will execute; null for every subcommand
   */
  public static CommandLine newCommandLine(PrintWriter out, PrintWriter err, String[] args) {
    CommandLine cl = new CommandLine(new InitkitCommand());
    // before the settings below: picocli passes them on to the subcommands present
    for (Object sub : Verbs.needed(args).values()) {
      cl.addSubcommand(sub);
    }
    ErrorReporter reporter = new ErrorReporter();
    cl.setResourceBundle(ResourceBundle.getBundle(CommonOptions.BUNDLE));
    cl.setOut(out);
    cl.setErr(err);
    cl.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    cl.setExitCodeExceptionMapper(new ExceptionMapper());
    cl.setExecutionExceptionHandler(reporter);
    cl.setParameterExceptionHandler(reporter);
    cl.setExecutionStrategy(new LastCommand(reporter));
    addExitCodeList(cl);
    return cl;
  }

  private static void addExitCodeList(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.helpList());
    for (CommandLine sub : cl.getSubcommands().values()) {
      addExitCodeList(sub);
    }
  }
}
