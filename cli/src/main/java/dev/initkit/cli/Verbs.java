package dev.initkit.cli;

import dev.initkit.cli.command.AnalyzeCommand;
import dev.initkit.cli.command.CompareCommand;
import dev.initkit.cli.command.ConvertCommand;
import dev.initkit.cli.command.InspectCommand;
import dev.initkit.cli.command.LsuvCommand;
import dev.initkit.cli.command.ReinitCommand;
import dev.initkit.cli.command.ReportCommand;
import dev.initkit.cli.command.ScanCommand;
import dev.initkit.cli.command.SetInitCommand;
import dev.initkit.cli.command.TransplantCommand;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.HelpCommand;

/**
 * The subcommands of {@code initkit}, and which of them a command line needs.
 *
 * <p>Picocli builds a command's model by reflection over its annotations, verb by verb (the nine
 * verbs a run does not use cost tens of milliseconds); a run that names its verb gets that verb
 * only. Every other command line (help, no verb, an unknown verb, anything picocli might read
 * differently, such as {@code --}, an {@code @file} or clustered options) gets all of them, so what
 * picocli prints there (the command list, "did you mean") is unchanged.
 */
final class Verbs {
  /** The verbs, in the order {@code initkit --help} lists them. */
  private static final List<String> NAMES =
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
          "help");

  /** The top command's options that take no value: they may come before the verb. */
  private static final Set<String> TOP_FLAGS =
      Set.of("--json", "-q", "--quiet", "-v", "--verbose", "--stacktrace");

  private Verbs() {}

  /**
   * A new instance of a verb's command. A switch, not constructor references: a lambda that touches
   * picocli's Java 5 classes keeps them out of the class-data-sharing archive.
   */
  private static Object create(String name) {
    switch (name) {
      case "inspect":
        return new InspectCommand();
      case "convert":
        return new ConvertCommand();
      case "report":
        return new ReportCommand();
      case "set-init":
        return new SetInitCommand();
      case "reinit":
        return new ReinitCommand();
      case "transplant":
        return new TransplantCommand();
      case "analyze":
        return new AnalyzeCommand();
      case "lsuv":
        return new LsuvCommand();
      case "compare":
        return new CompareCommand();
      case "scan":
        return new ScanCommand();
      case "help":
        return new HelpCommand();
      default:
        throw new IllegalArgumentException("no such verb: " + name);
    }
  }

  /**
   * The subcommand objects the command line {@code args} needs: the named verb alone, none for a
   * bare {@code --version}, all of them otherwise (also for null args).
   */
  static Map<String, Object> needed(String[] args) {
    Map<String, Object> out = new LinkedHashMap<>();
    String verb = args == null ? null : verb(args);
    if (verb != null && !verb.equals("help")) {
      out.put(verb, create(verb));
    } else if (args == null || !versionOnly(args)) {
      for (String name : NAMES) {
        out.put(name, create(name));
      }
    }
    return out;
  }

  /**
   * True when {@code args} run a verb on a model file (an argument naming a regular file; a
   * SavedModel is a directory): that run will load HDF5, so it may start loading it early. A guess
   * that only decides when the library loads, never whether a command works.
   */
  static boolean opensModelFile(String[] args) {
    String verb = verb(args);
    if (verb == null || verb.equals("help")) {
      return false;
    }
    boolean file = false;
    for (String a : args) {
      if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version")) {
        return false;
      }
      file |= !a.startsWith("-") && !NAMES.contains(a) && new java.io.File(a).isFile();
    }
    return file;
  }

  /** The verb, when only known flags precede it; null for anything else. */
  private static String verb(String[] args) {
    for (String a : args) {
      if (NAMES.contains(a)) {
        return a;
      }
      if (!TOP_FLAGS.contains(a)) {
        return null;
      }
    }
    return null;
  }

  /** True for {@code --version} or {@code -V} among known flags only: the version alone prints. */
  private static boolean versionOnly(String[] args) {
    boolean version = false;
    for (String a : args) {
      if (a.equals("--version") || a.equals("-V")) {
        version = true;
      } else if (!TOP_FLAGS.contains(a)) {
        return false;
      }
    }
    return version;
  }
}
