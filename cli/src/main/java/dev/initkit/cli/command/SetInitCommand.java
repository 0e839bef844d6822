package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExceptionMapper;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.ConfigRewriter;
import dev.initkit.ops.ConfigRewriter.Change;
import dev.initkit.ops.ConfigRewriter.Rule;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Reinitializer.Plan;
import dev.initkit.render.ConfigChangesJson;
import dev.initkit.render.ConfigChangesText;
import dev.initkit.render.ReinitPlanJson;
import dev.initkit.render.ReinitPlanText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit set-init FILE -o OUT --rule SELECTOR=SPEC ...}: rewrites initializer configs by
 * rules; the weights stay as they are unless {@code --reinit}.
 */
@Command(
    name = "set-init",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Rewrite initializer configs by rules; weights stay as they are unless --reinit.",
      "The layers a rule selects get the initializer in the config's own Keras form;"
          + " every other byte of the config stays as written. A rule applies to the kernels it selects"
          + " unless its selector names role:...",
      "--reinit draws the selected weights from the new initializers (and drops optimizer weights)."
    })
public final class SetInitCommand extends AbstractCommand {

  @Parameters(index = "0", paramLabel = "FILE", description = "The model to read (.keras, .h5).")
  Path input;

  @Mixin CommonOptions.Output outputFile;

  @Option(
      names = "--rule",
      order = 2,
      required = true,
      paramLabel = "SELECTOR=SPEC",
      description =
          "A rule (repeatable; later rules win). SELECTOR terms, comma = and: GLOB or name:GLOB,"
              + " class:GLOB, activation:NAME, role:ROLE, depth:N|A-B, head, !head, trainable:true|false, all."
              + " SPEC e.g. he_normal, glorot_uniform(seed=7), orthogonal(gain=1.0), constant(0.1), zeros.")
  List<String> rules = new ArrayList<>();

  @Option(
      names = "--reinit",
      order = 3,
      description = "Also draw fresh values for the selected weights from their new initializers.")
  boolean reinit;

  @Option(
      names = "--seed",
      order = 4,
      paramLabel = "N",
      description = "Seed of the --reinit draws (default: " + Reinitializer.DEFAULT_SEED + ").")
  Long seed;

  @Mixin CommonOptions.Force force;

  @Mixin CommonOptions.DryRun dryRun;

  @Mixin CommonOptions.ArchitectureConfig config;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    if (seed != null && !reinit) {
      throw usage("--seed applies to --reinit draws only");
    }
    List<Rule> parsed = new ArrayList<>();
    for (String r : rules) {
      parsed.add(Rule.parse(r));
    }
    long useSeed = seed == null ? Reinitializer.DEFAULT_SEED : seed;
    Format format =
        dryRun.on()
            ? null
            : OpsSupport.checkModelOutput(
                spec.commandLine(),
                outputFile.path(),
                force.on(),
                "the changes",
                input,
                input,
                config.path());
    ReadOptions read = config.readOptions();
    ConfigRewriter.Result rewrite;
    Plan plan = null;
    WriteResult result = null;
    int optimizerWeights;
    try (LoadedModel loaded = ModelIO.open(input, read)) {
      optimizerWeights = loaded.model().optimizerWeights().size();
      rewrite = ConfigRewriter.rewrite(loaded.model(), parsed);
      LoadedModel target = loaded.withModel(rewrite.model());
      if (reinit) {
        plan =
            Reinitializer.plan(
                rewrite.model(),
                Reinitializer.Scheme.configured(),
                rewrite.selection(),
                useSeed,
                rewrite.draws());
        if (!dryRun.on()) {
          info(
              "seed "
                  + useSeed
                  + ": drawing "
                  + plan.drawnCount()
                  + " weights from their new initializers");
          target =
              Reinitializer.apply(
                  target,
                  plan,
                  OpsSupport.progress(err(), !output.quiet() && !output.json(), "drawing"));
        }
      }
      if (!dryRun.on()) {
        result =
            ModelIO.write(target, outputFile.path(), new WriteOptions(format, force.on(), false));
      }
    }
    List<String> notes = new ArrayList<>(ExceptionMapper.respell(rewrite.notes()));
    if (reinit && !dryRun.on() && optimizerWeights > 0) {
      notes.add(OpsSupport.optimizerWeightsDropped(optimizerWeights));
    }
    notes = OpsSupport.withWriteNotes(notes, result, this::warn);
    long changed = rewrite.changes().stream().filter(Change::changed).count();
    if (output.json()) {
      JsonOutput.write(out(), toJson(parsed, rewrite, plan, result, notes));
    } else if (dryRun.on()) {
      ConfigChangesText.write(out(), rewrite);
      if (plan != null) {
        out().println();
        ReinitPlanText.write(out(), plan, optimizerWeights);
      }
      OpsSupport.printNotes(out()::println, notes);
      out().flush();
    } else {
      info(
          OpsSupport.wrote(result)
              + ": "
              + changed
              + " initializer"
              + (changed == 1 ? "" : "s")
              + " changed"
              + (plan == null
                  ? ", weights unchanged"
                  : ", " + plan.drawnCount() + " weights drawn with seed " + plan.seed()));
      if (!output.quiet()) {
        PrintWriter e = err();
        for (Change c : rewrite.changes()) {
          e.println("  " + c.layerPath() + " " + c.key() + ": " + ConfigChangesText.describe(c));
        }
        e.flush();
      }
      OpsSupport.printNotes(this::info, notes);
    }
    return ExitCodes.OK;
  }

  private ObjectNode toJson(
      List<Rule> parsed,
      ConfigRewriter.Result r,
      Plan plan,
      WriteResult result,
      List<String> notes) {
    ObjectNode doc = JsonOutput.success("set-init");
    doc.put("input", input.toString());
    OpsSupport.putOutput(doc, result, dryRun.on());
    doc.set("rules", ConfigChangesJson.rules(parsed));
    doc.set("changes", ConfigChangesJson.changes(r));
    if (plan == null) {
      doc.putNull("reinit");
    } else {
      ObjectNode ri = doc.putObject("reinit");
      ri.put("seed", plan.seed());
      ri.put("drawn", plan.drawnCount());
      ri.set(
          "weights",
          ReinitPlanJson.entries(
              plan.entries().stream().filter(Reinitializer.Entry::drawn).toList()));
    }
    OpsSupport.putNotes(doc, notes, result);
    return doc;
  }
}
