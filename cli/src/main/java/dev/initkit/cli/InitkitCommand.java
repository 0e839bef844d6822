package dev.initkit.cli;

import picocli.CommandLine.Command;

/**
 * The top command, {@code initkit}: only dispatches to the verbs (added by {@link Main}, see {@link
 * Verbs}).
 */
@Command(
    name = "initkit",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Keras / TensorFlow model files from Java: inspect, convert, report on initializers,"
            + " rewrite them, draw fresh weights, transplant pretrained ones, and see and optimize signal"
            + " propagation (analyze, lsuv, compare).",
    synopsisSubcommandLabel = "COMMAND",
    footer = {"", "Run 'initkit help COMMAND' for a command's options."})
public final class InitkitCommand extends AbstractCommand {
  /** Without a verb there is nothing to do: a usage error. */
  @Override
  protected int run() {
    throw usage(
        "missing command: expected one of " + String.join(", ", spec.subcommands().keySet()));
  }
}
