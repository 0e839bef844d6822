package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.Hint;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.TransplantException;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ErrorReporter;
import dev.initkit.cli.ExceptionMapper;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.render.TransplantPlanJson;
import dev.initkit.render.TransplantPlanText;
import dev.initkit.transplant.Action;
import dev.initkit.transplant.Adaptations;
import dev.initkit.transplant.LayerMapping;
import dev.initkit.transplant.MatchStrategy;
import dev.initkit.transplant.TransplantOptions;
import dev.initkit.transplant.TransplantPlan;
import dev.initkit.transplant.Transplanter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code initkit transplant --from SRC --to DST -o OUT}: copies pretrained weights from SRC into
 * the architecture of DST, with a plan and a report of every weight.
 */
@Command(
    name = "transplant",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Copy pretrained weights from SRC into the architecture of DST and write the result to OUT.",
      "Layers match by name (default), order, structure or a mapping file; a weight whose shape"
          + " differs is adapted only when asked (--adapt); everything that gets no value from SRC is"
          + " drawn from DST's configured initializers (or --scheme) under the seed contract.",
      "Prints, per target weight, loaded / adapted (how) / initialized (why) / skipped, and every"
          + " SRC weight left unused. Exit code 6 when nothing matches, or with --strict when any"
          + " target weight stays unmatched."
    })
public final class TransplantCommand extends AbstractCommand {

  @Option(
      names = "--from",
      required = true,
      order = 0,
      paramLabel = "SRC",
      description =
          "The model whose weights are transplanted (.keras, .h5, weights-only .h5, .weights.h5).")
  Path from;

  @Option(
      names = "--to",
      required = true,
      order = 0,
      paramLabel = "DST",
      description = "The model that receives them: its architecture and config are written.")
  Path to;

  @Mixin CommonOptions.Output outputFile;

  @Option(
      names = "--match",
      order = 4,
      paramLabel = "name|order|structure",
      defaultValue = "name",
      description = "How target layers find source layers (default: ${DEFAULT-VALUE}).")
  String match;

  @Option(
      names = "--map",
      order = 5,
      paramLabel = "FILE|NAME",
      description =
          "Explicit mapping (replaces --match): 'SOURCE -> TARGET' layer paths with * globs, and"
              + " 'SOURCES => TARGET | STEP...' tensor rules; or a shipped mapping: torch-cnn, bert,"
              + " torch-lstm, torch-gru, torch-transformer (docs/transplant-mappings.md).")
  Path map;

  @Option(
      names = "--adapt",
      order = 6,
      paramLabel = "KIND",
      description =
          "Opt into a shape adaptation (repeat or comma-separate): input-channels, head=fresh,"
              + " head=keep, vocab, units, gates, all.")
  List<String> adapt = new ArrayList<>();

  @Option(
      names = "--scheme",
      order = 7,
      paramLabel = "configured|auto|SPEC",
      defaultValue = "configured",
      description =
          "What weights without a transplanted value are drawn from (default: ${DEFAULT-VALUE}).")
  String scheme;

  @Option(
      names = "--seed",
      order = 8,
      paramLabel = "N",
      description = "Seed of the draws (default: 0).")
  Long seed;

  @Option(
      names = "--freeze",
      order = 9,
      paramLabel = "SELECTOR",
      description =
          "Write trainable: false for the transplanted layers a selector matches (repeat: any; 'all').")
  List<String> freeze = new ArrayList<>();

  @Option(
      names = "--strict",
      order = 10,
      description =
          "Fail (exit code 6, nothing written) if any target weight gets no value from SRC.")
  boolean strict;

  @Mixin CommonOptions.DryRun dryRun;

  @Mixin CommonOptions.Force force;

  @Option(
      names = "--from-config",
      order = 93,
      paramLabel = "ARCH.json",
      description = "Architecture JSON for a weights-only SRC.")
  Path fromConfig;

  @Option(
      names = "--to-config",
      order = 94,
      paramLabel = "ARCH.json",
      description = "Architecture JSON for a weights-only DST.")
  Path toConfig;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    TransplantOptions options = options();
    Format format =
        dryRun.on()
            ? null
            : OpsSupport.checkModelOutput(
                spec.commandLine(),
                outputFile.path(),
                force.on(),
                "the plan",
                to,
                from,
                to,
                map,
                fromConfig,
                toConfig);
    ReadOptions fromRead =
        fromConfig == null ? ReadOptions.defaults() : ReadOptions.defaults().withConfig(fromConfig);
    ReadOptions toRead =
        toConfig == null ? ReadOptions.defaults() : ReadOptions.defaults().withConfig(toConfig);
    TransplantPlan plan;
    WriteResult result = null;
    try (LoadedModel src = ModelIO.open(from, fromRead);
        LoadedModel dst = ModelIO.open(to, toRead)) {
      try {
        plan = Transplanter.plan(src.model(), dst.model(), options);
        if (strict) {
          Transplanter.requireAllMatched(plan);
        }
      } catch (TransplantException e) {
        return failed(e);
      }
      if (!dryRun.on()) {
        info(
            "transplanting "
                + plan.transplanted()
                + " of "
                + plan.entries().size()
                + " weights; drawing "
                + plan.count(Action.INITIALIZED)
                + " with seed "
                + plan.seed());
        LoadedModel out =
            Transplanter.apply(
                src,
                dst,
                plan,
                OpsSupport.progress(err(), !output.quiet() && !output.json(), "drawing"));
        result = ModelIO.write(out, outputFile.path(), new WriteOptions(format, force.on(), false));
      }
    }
    List<String> notes =
        OpsSupport.withWriteNotes(ExceptionMapper.respell(plan.notes()), result, this::warn);
    if (output.json()) {
      ObjectNode doc = JsonOutput.success("transplant");
      fill(doc, plan, result, notes);
      JsonOutput.write(out(), doc);
      return ExitCodes.OK;
    }
    if (!output.quiet()) {
      TransplantPlanText.write(out(), plan, dryRun.on(), ExceptionMapper::flag);
      OpsSupport.printNotes(out()::println, notes);
      out().flush();
    }
    if (result != null) {
      info(OpsSupport.wrote(result) + ": " + TransplantPlanText.summary(plan));
    }
    return ExitCodes.OK;
  }

  /**
   * The mapping {@code --map} names: a file, or else a shipped mapping of that name (a file of that
   * name in the working directory wins).
   */
  static LayerMapping mapping(Path map) throws java.io.IOException {
    boolean missing = !java.nio.file.Files.exists(map);
    if (missing && LayerMapping.SHIPPED.contains(map.toString())) {
      return LayerMapping.shipped(map.toString());
    }
    if (missing && map.getNameCount() == 1 && !map.toString().contains(".")) {
      // a bare name: most likely a mistyped shipped mapping
      throw new java.nio.file.NoSuchFileException(
          map.toString(),
          null,
          "no such file, nor a shipped mapping (" + String.join(", ", LayerMapping.SHIPPED) + ")");
    }
    return LayerMapping.read(map);
  }

  private TransplantOptions options() throws java.io.IOException {
    TransplantOptions o = TransplantOptions.defaults();
    if (map != null) {
      if (spec.commandLine().getParseResult().hasMatchedOption("--match")) {
        throw usage("--map and --match cannot be combined: a mapping file is its own strategy");
      }
      o = o.withMapping(mapping(map));
    } else {
      try {
        o = o.withStrategy(MatchStrategy.parse(match));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            ExceptionMapper.respell(e.getMessage(), List.of(Hint.LAYER_MAPPING)), e);
      }
    }
    o =
        o.withAdaptations(Adaptations.parse(adapt))
            .withScheme(Reinitializer.Scheme.parse(scheme))
            .withSeed(seed == null ? Reinitializer.DEFAULT_SEED : seed);
    if (!freeze.isEmpty()) {
      List<Selector> sel = new ArrayList<>();
      for (String f : freeze) {
        sel.add(Selector.parse(f));
      }
      o = o.withFreeze(Selector.anyOf(sel));
    }
    return o;
  }

  /** Nothing matched, or --strict found unmatched weights: exit code 6, with the plan shown. */
  private int failed(TransplantException e) {
    ExceptionMapper.Failure f =
        new ExceptionMapper.Failure(
            ExitCodes.CHECK_FAILED,
            ExceptionMapper.respell(e.getMessage(), e.hints()),
            null,
            null,
            e);
    err().println(ErrorReporter.PREFIX + f.message());
    err().flush();
    if (output.json()) {
      ObjectNode doc = JsonOutput.failure("transplant", f);
      if (e.plan() != null) {
        fill(doc, e.plan(), null, ExceptionMapper.respell(e.plan().notes()));
      }
      JsonOutput.write(out(), doc);
    } else if (e.plan() != null && !output.quiet()) {
      TransplantPlanText.write(out(), e.plan(), true, ExceptionMapper::flag);
      out().flush();
    }
    return ExitCodes.CHECK_FAILED;
  }

  private void fill(ObjectNode doc, TransplantPlan plan, WriteResult result, List<String> notes) {
    doc.put("source", from.toString());
    doc.put("target", to.toString());
    OpsSupport.putOutput(doc, result, dryRun.on());
    doc.put("strict", strict);
    TransplantPlanJson.fill(
        doc,
        plan,
        map == null ? null : map.toString(),
        notes,
        result == null ? List.of() : result.warnings(),
        ExceptionMapper::flag);
  }
}
