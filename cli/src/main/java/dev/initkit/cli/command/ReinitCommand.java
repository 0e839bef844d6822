package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.FanRule;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Reinitializer.Plan;
import dev.initkit.ops.Reinitializer.Scheme;
import dev.initkit.ops.Selector;
import dev.initkit.render.ReinitPlanJson;
import dev.initkit.render.ReinitPlanText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit reinit FILE -o OUT}: draws fresh weights (what the config names, an
 * activation-aware choice, or one spec) for the selected weights and writes the model.
 */
@Command(
    name = "reinit",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Draw fresh weights (as configured, by activation, or one spec) and write the model.",
      "--scheme configured (default) draws what Keras would"
          + " draw for a new model built from the file's own config (normalization moving statistics"
          + " reset to zeros/ones); auto picks by activation; a SPEC draws that initializer for the"
          + " selected kernels (every selected weight when a selector names role:).",
      "Optimizer weights are dropped (their state belongs to the old weights). The same --seed gives"
          + " the same bytes on every run; the default seed is 0."
    })
public final class ReinitCommand extends AbstractCommand {

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "The model to read (.keras, .h5, ...).")
  Path input;

  @Mixin CommonOptions.Output outputFile;

  @Option(
      names = "--scheme",
      order = 2,
      paramLabel = "configured|auto|SPEC",
      defaultValue = "configured",
      description =
          "What to draw (default: ${DEFAULT-VALUE}). SPEC e.g. he_normal, orthogonal(gain=1.0),"
              + " variance_scaling(scale=2,mode=fan_out,distribution=uniform), sinusoidal.")
  String scheme;

  @Option(
      names = "--only",
      order = 3,
      paramLabel = "SELECTOR",
      description =
          "Redraw only what a selector matches (repeat: any of them). Terms, comma = and:"
              + " GLOB or name:GLOB, class:GLOB, activation:NAME, role:ROLE, depth:N|A-B, head, !head,"
              + " trainable:true|false, all. Default: all.")
  List<String> only = new ArrayList<>();

  @Option(
      names = "--seed",
      order = 4,
      paramLabel = "N",
      description = "Seed of the draws (default: " + Reinitializer.DEFAULT_SEED + ").")
  Long seed;

  @Mixin CommonOptions.Force force;

  @Mixin CommonOptions.DryRun dryRun;

  @Option(
      names = "--as-keras",
      order = 93,
      paramLabel = "VERSION",
      description =
          "With --scheme configured: draw as that Keras would (its fan rules): 3.15 and later give"
              + " EinsumDense and attention kernels fans on their equation's axes, earlier Keras and tf-keras 2.x"
              + " the classic fans. Default: the rules of the Keras that wrote FILE.")
  String asKeras;

  @Mixin CommonOptions.ArchitectureConfig config;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    Scheme s = Scheme.parse(scheme);
    if (asKeras != null) {
      if (!(s instanceof Reinitializer.Configured)) {
        throw usage("--as-keras applies to --scheme configured only, not " + scheme);
      }
      try {
        s = Scheme.configured(FanRule.ofKeras(asKeras));
      } catch (IllegalArgumentException e) {
        throw usage("--as-keras: " + e.getMessage());
      }
    }
    List<Selector> selectors = new ArrayList<>();
    for (String o : only) {
      selectors.add(Selector.parse(o));
    }
    Selector selector = selectors.isEmpty() ? Selector.all() : Selector.anyOf(selectors);
    long useSeed = seed == null ? Reinitializer.DEFAULT_SEED : seed;
    Format format =
        dryRun.on()
            ? null
            : OpsSupport.checkModelOutput(
                spec.commandLine(),
                outputFile.path(),
                force.on(),
                "the plan",
                input,
                input,
                config.path());
    ReadOptions read = config.readOptions();
    Plan plan;
    WriteResult result = null;
    int optimizerWeights;
    try (LoadedModel loaded = ModelIO.open(input, read)) {
      optimizerWeights = loaded.model().optimizerWeights().size();
      plan = Reinitializer.plan(loaded.model(), s, selector, useSeed);
      if (!dryRun.on()) {
        info(
            "seed "
                + useSeed
                + ", scheme "
                + plan.scheme()
                + ": drawing "
                + plan.drawnCount()
                + " of "
                + plan.entries().size()
                + " weights");
        LoadedModel fresh =
            Reinitializer.apply(
                loaded,
                plan,
                OpsSupport.progress(err(), !output.quiet() && !output.json(), "drawing"));
        result =
            ModelIO.write(fresh, outputFile.path(), new WriteOptions(format, force.on(), false));
      }
    }
    List<String> notes = new ArrayList<>();
    if (plan.drawnCount() == 0) {
      notes.add(
          "no weight was drawn: "
              + (plan.entries().isEmpty()
                  ? "the model has no layer weights"
                  : "the selection matches nothing drawable (weights without a config have no known roles: give --config)"));
    }
    if (!dryRun.on() && optimizerWeights > 0) {
      notes.add(OpsSupport.optimizerWeightsDropped(optimizerWeights));
    }
    notes = OpsSupport.withWriteNotes(notes, result, this::warn);
    if (output.json()) {
      JsonOutput.write(out(), toJson(plan, result, notes, selectors));
    } else if (dryRun.on()) {
      ReinitPlanText.write(out(), plan, optimizerWeights);
      OpsSupport.printNotes(out()::println, notes);
      out().flush();
    } else {
      info(
          OpsSupport.wrote(result)
              + ": "
              + plan.drawnCount()
              + " weights drawn with seed "
              + plan.seed());
      OpsSupport.printNotes(this::info, notes);
    }
    return ExitCodes.OK;
  }

  private ObjectNode toJson(
      Plan plan, WriteResult result, List<String> notes, List<Selector> selectors) {
    ObjectNode doc = JsonOutput.success("reinit");
    doc.put("input", input.toString());
    OpsSupport.putOutput(doc, result, dryRun.on());
    ReinitPlanJson.fill(doc, plan, selectors.stream().map(Selector::toString).toList());
    OpsSupport.putNotes(doc, notes, result);
    return doc;
  }
}
