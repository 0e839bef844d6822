package dev.initkit.cli;

import dev.initkit.cli.command.AnalyzeCommand;
import dev.initkit.cli.command.CompareCommand;
import dev.initkit.cli.command.ConvertCommand;
import dev.initkit.cli.command.InspectCommand;
import dev.initkit.cli.command.LsuvCommand;
import dev.initkit.cli.command.ReinitCommand;
import dev.initkit.cli.command.ReportCommand;
import dev.initkit.cli.command.SetInitCommand;
import dev.initkit.cli.command.TransplantCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/** The top command, {@code initkit}: only dispatches to the verbs. */
@Command(
    name = "initkit",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Keras / TensorFlow model files from Java: inspect, convert, report on initializers,"
        + " rewrite them, draw fresh weights, transplant pretrained ones, and see and optimize signal"
        + " propagation (analyze, lsuv, compare).",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      InspectCommand.class,
      ConvertCommand.class,
      ReportCommand.class,
      SetInitCommand.class,
      ReinitCommand.class,
      TransplantCommand.class,
      AnalyzeCommand.class,
      LsuvCommand.class,
      CompareCommand.class,
      HelpCommand.class
    },
    footer = {"", "Run 'initkit help COMMAND' for a command's options."})
public final class InitkitCommand extends AbstractCommand {
  /** Without a verb there is nothing to do: a usage error. */
  @Override
  protected int run() {
    throw usage("missing command: expected one of " + String.join(", ", spec.subcommands().keySet()));
  }
}
