package dev.initkit.cli;

import dev.initkit.ModelIO.ReadOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options several commands share, as picocli mixins ({@code @Mixin CommonOptions.Force
 * force;}): {@code -o/--output}, {@code -f/--force}, {@code --dry-run} and {@code --config}. Each
 * has one name, parameter label, order and parser here.
 *
 * <p>Where a command says more about an option (what OUT may be, which report {@code --force}
 * replaces), the text comes from the resource bundle {@value #BUNDLE}, keyed by the command's
 * qualified name and the option's description key ({@code initkit.report.force}); the text here is
 * the default. The bundle is set on the whole command line ({@link Main#newCommandLine}).
 *
 * <p>Options sort by {@code order} in the help ({@code sortOptions = false}): {@code -o} comes
 * first ({@value #OUTPUT_ORDER}; options a command lists before it have a lower order); the others
 * share {@value #TAIL_ORDER}, after a command's own options and before the output options ({@link
 * OutputOptions}, 100 on), in the order the command declares their mixins.
 */
public final class CommonOptions {
  /** The resource bundle with the commands' own descriptions of these options. */
  public static final String BUNDLE = "dev.initkit.cli.CommonOptions";

  /** Help order of {@code -o/--output}. */
  public static final int OUTPUT_ORDER = 1;

  /** Help order of {@code -f/--force}, {@code --dry-run} and {@code --config}. */
  public static final int TAIL_ORDER = 90;

  private CommonOptions() {}

  /** {@code -o/--output OUT}, required unless {@code --dry-run} (which the command checks). */
  public static final class Output {
    @Option(
        names = {"-o", "--output"},
        order = OUTPUT_ORDER,
        paramLabel = "OUT",
        descriptionKey = "output",
        description = "Where to write (required unless --dry-run).")
    private Path path;

    /** OUT, or null when not given. */
    public Path path() {
      return path;
    }
  }

  /** {@code -o/--output OUT}, required. */
  public static final class RequiredOutput {
    @Option(
        names = {"-o", "--output"},
        order = OUTPUT_ORDER,
        required = true,
        paramLabel = "OUT",
        descriptionKey = "output",
        description = "Where to write.")
    private Path path;

    /** OUT. */
    public Path path() {
      return path;
    }
  }

  /** {@code -f/--force}: replace an existing output. */
  public static final class Force {
    @Option(
        names = {"-f", "--force"},
        order = TAIL_ORDER,
        descriptionKey = "force",
        description = "Replace OUT if it exists.")
    private boolean on;

    /** True when {@code --force} was given. */
    public boolean on() {
      return on;
    }
  }

  /** {@code --engine tensorflow|dl4j}: what runs analyze, lsuv and compare. */
  public static final class Engine {
    @Option(
        names = "--engine",
        order = TAIL_ORDER,
        paramLabel = "ENGINE",
        defaultValue = "tensorflow",
        descriptionKey = "engine",
        description =
            "tensorflow (default: TensorFlow Java on the graph initkit builds from the Keras config;"
                + " CNNs, RNNs, attention) or dl4j (DL4J's Keras import; MLPs, Adam only).")
    private String name;

    /** The engine's name as given ({@code tensorflow} by default). */
    public String name() {
      return name;
    }
  }

  /** {@code --dry-run}: print what would be done, write nothing. */
  public static final class DryRun {
    @Option(
        names = "--dry-run",
        order = TAIL_ORDER,
        descriptionKey = "dry-run",
        description = "Print the plan; write nothing.")
    private boolean on;

    /** True when {@code --dry-run} was given. */
    public boolean on() {
      return on;
    }
  }

  /** {@code --config ARCH.json}: the architecture JSON of a weights-only input. */
  public static final class ArchitectureConfig {
    @Option(
        names = "--config",
        order = TAIL_ORDER,
        paramLabel = "ARCH.json",
        descriptionKey = "config",
        description = "Architecture JSON (model.to_json()) for a weights-only FILE.")
    private Path path;

    /** ARCH.json, or null when not given. */
    public Path path() {
      return path;
    }

    /** The read options: the defaults, with ARCH.json when given. */
    public ReadOptions readOptions() {
      return path == null ? ReadOptions.defaults() : ReadOptions.defaults().withConfig(path);
    }
  }
}
