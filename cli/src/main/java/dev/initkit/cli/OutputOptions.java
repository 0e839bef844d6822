package dev.initkit.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The output options every command shares: {@code --json}, {@code -q/--quiet}, {@code -v/--verbose}
 * and the hidden {@code --stacktrace}.
 *
 * <p>Mixed into the top command and each subcommand under the name {@value #NAME}, so an option may
 * be given before or after the verb ({@code initkit --json inspect m.h5} and {@code initkit inspect
 * m.h5 --json}). Whichever instance parses an option records it on the top command's instance (as
 * in picocli's {@code logging_mixin_advanced} example), and every instance reads from there. A
 * flag, once given, stays set: one {@code CommandLine} serves one run. Not thread-safe.
 */
public final class OutputOptions {
  /** The name under which commands mix this in ({@code @Mixin(name = OutputOptions.NAME)}). */
  public static final String NAME = "output";

  @Spec(Spec.Target.MIXEE)
  private CommandSpec mixee;

  private boolean json;
  private boolean quiet;
  private boolean verbose;
  private boolean stacktrace;

  @Option(
      names = "--json",
      order = 100,
      description =
          "Print one JSON document on stdout, on failure too (see the README for its schema).")
  void setJson(boolean value) {
    if (value) {
      top().json = true;
    }
  }

  @Option(
      names = {"-q", "--quiet"},
      order = 101,
      description = "Print nothing on stderr but errors.")
  void setQuiet(boolean value) {
    if (value) {
      top().quiet = true;
    }
  }

  @Option(
      names = {"-v", "--verbose"},
      order = 102,
      description = "Say more; on errors, also print the causes.")
  void setVerbose(boolean value) {
    if (value) {
      top().verbose = true;
    }
  }

  @Option(
      names = "--stacktrace",
      order = 103,
      hidden = true,
      description = "On errors, print the full stack trace (for bug reports).")
  void setStacktrace(boolean value) {
    if (value) {
      top().stacktrace = true;
    }
  }

  /** True when {@code --json} was given anywhere on the command line. */
  public boolean json() {
    return top().json;
  }

  /** True when {@code -q/--quiet} was given. */
  public boolean quiet() {
    return top().quiet;
  }

  /** True when {@code -v/--verbose} was given. */
  public boolean verbose() {
    return top().verbose;
  }

  /** True when the hidden {@code --stacktrace} was given. */
  public boolean stacktrace() {
    return top().stacktrace;
  }

  /** The top command's instance, where the values live; this one if the top has none. */
  private OutputOptions top() {
    if (mixee == null) {
      return this;
    }
    CommandSpec topMixin = mixee.root().mixins().get(NAME);
    if (topMixin != null && topMixin.userObject() instanceof OutputOptions o) {
      return o;
    }
    return this;
  }

  /** The options of the command that runs: the given spec's top command's instance. */
  static OutputOptions of(CommandSpec spec) {
    CommandSpec topMixin = spec.root().mixins().get(NAME);
    if (topMixin != null && topMixin.userObject() instanceof OutputOptions o) {
      return o;
    }
    return new OutputOptions();
  }
}
