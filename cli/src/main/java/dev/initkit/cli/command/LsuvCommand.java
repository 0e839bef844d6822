package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.analysis.Analysis;
import dev.initkit.analysis.LsuvResult;
import dev.initkit.analysis.WorkerRequest;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.format.Format;
import dev.initkit.ops.Reinitializer;
import dev.initkit.render.TextTable;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code initkit lsuv FILE -o OUT}: layer-sequential unit-variance initialization. */
@Command(
    name = "lsuv",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Layer-sequential unit-variance init (Mishkin and Matas 2016): orthonormal kernels (seeded), then from the"
          + " first layer to the last, scale each kernel until its layer's output variance on the batch is 1 within"
          + " --tol (at most --max-iter scalings). Biases are kept. Layers with fewer than 32 outputs or a"
          + " softmax/sigmoid output are left orthonormal, as in the reference implementation.",
      "Runs TensorFlow (or DL4J with --engine dl4j) in a separate, time-limited JVM; the output is written"
          + " atomically and loads in Keras."
    })
public final class LsuvCommand extends AbstractCommand {

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description =
          "The model (.keras, .h5, ...): Sequential or Functional; several inputs and outputs on the"
              + " TensorFlow engine.")
  Path input;

  @Mixin CommonOptions.RequiredOutput outputFile;

  @Option(
      names = "--data",
      order = 2,
      paramLabel = "PATH",
      description =
          "The batch: .npy, .npz or CSV (first --batch rows). Default: standard-normal inputs.")
  Path data;

  @Option(
      names = "--tol",
      order = 3,
      paramLabel = "T",
      defaultValue = "0.1",
      description = "Stop when |Var - 1| < T (default: ${DEFAULT-VALUE}).")
  double tol;

  @Option(
      names = "--max-iter",
      order = 4,
      paramLabel = "N",
      defaultValue = "10",
      description = "Scalings per layer at most (default: ${DEFAULT-VALUE}).")
  int maxIter;

  @Option(
      names = "--seed",
      order = 5,
      paramLabel = "N",
      description = "Seed of the orthonormal draws and the batch (default: 0).")
  Long seed;

  @Option(
      names = "--batch",
      order = 6,
      paramLabel = "N",
      defaultValue = "512",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--timeout",
      order = 7,
      paramLabel = "SECONDS",
      defaultValue = "600",
      description = "Time limit of the engine's JVM (default: ${DEFAULT-VALUE}).")
  long timeout;

  @Mixin CommonOptions.Engine engine;

  @Mixin CommonOptions.Force force;

  @Mixin CommonOptions.ArchitectureConfig config;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    WorkerRequest.Engine useEngine = AnalysisSupport.engine(engine, spec.commandLine());
    if (!(tol > 0) || maxIter < 1 || batch < 2) {
      throw usage("need --tol > 0, --max-iter >= 1 and --batch >= 2");
    }
    Format format = OpsSupport.outputFormat(spec.commandLine(), outputFile.path());
    if (format == Format.H5_WEIGHTS || format == Format.KERAS3_WEIGHTS) {
      throw usage("lsuv writes a full model: end OUT with .h5 or .keras");
    }
    checkOutput(outputFile.path(), input, data, config.path());
    OpsSupport.refuseExisting(outputFile.path(), force.on());
    ReadOptions read = config.readOptions();
    boolean talk = !output.quiet() && !output.json();
    long useSeed = seed == null ? Reinitializer.DEFAULT_SEED : seed;
    info(
        "lsuv on "
            + input
            + ": orthonormal pre-init (seed "
            + useSeed
            + "), then unit variance per layer ("
            + AnalysisSupport.engineLabel(useEngine)
            + ")");
    Analysis.Settings s =
        new Analysis.Settings(
            read,
            data,
            batch,
            useSeed,
            AnalysisSupport.launch(timeout),
            AnalysisSupport.progress(err(), talk),
            useEngine);
    Analysis.LsuvOutcome r =
        Analysis.lsuv(
            input,
            outputFile.path(),
            new WriteOptions(format, force.on(), false),
            new WorkerRequest.LsuvOptions(tol, maxIter, 32),
            s);
    if (output.json()) {
      ObjectNode doc = JsonOutput.success("lsuv");
      doc.put("input", input.toString());
      doc.put("output", r.written().output().toString());
      doc.put("format", OpsSupport.formatName(r.written().format()));
      doc.put("engine", useEngine.id());
      doc.put("seed", useSeed);
      doc.put("tol", tol);
      doc.put("maxIter", maxIter);
      doc.put("batch", r.result().batch());
      ArrayNode layers = doc.putArray("layers");
      for (LsuvResult.Layer l : r.result().layers()) {
        ObjectNode o = layers.addObject();
        o.put("name", l.name());
        o.put("scaled", l.scaled());
        o.put("skipReason", l.skipReason());
        o.put("iterations", l.iterations());
        OpsSupport.put(o, "initialVariance", l.initialVariance());
        OpsSupport.put(o, "finalVariance", l.finalVariance());
        OpsSupport.put(o, "scale", l.scale());
        o.put("measured", l.measured());
      }
      ArrayNode notes = doc.putArray("notes");
      r.written().notes().forEach(notes::add);
      ArrayNode warnings = doc.putArray("warnings");
      r.written().warnings().forEach(warnings::add);
      JsonOutput.write(out(), doc);
    } else {
      TextTable t =
          new TextTable(
              "Layer", "Scaled", "Iterations", "Var before", "Var after", "Scale", "Note");
      for (LsuvResult.Layer l : r.result().layers()) {
        t.row(
            l.name(),
            l.scaled() ? "yes" : "no",
            Integer.toString(l.iterations()),
            OpsSupport.num(l.initialVariance()),
            OpsSupport.num(l.finalVariance()),
            OpsSupport.num(l.scale()),
            l.skipReason() != null
                ? l.skipReason()
                : l.measured().equals(LsuvResult.Layer.OUTPUT) ? "-" : l.measured() + " x.kernel");
      }
      out()
          .println(
              "LSUV (tol "
                  + tol
                  + ", max "
                  + maxIter
                  + " iterations, batch "
                  + r.result().batch()
                  + ")");
      t.print(out(), "  ");
      out().flush();
      info(OpsSupport.wrote(r.written()));
      OpsSupport.printNotes(this::info, r.written().notes());
    }
    warn(r.written().warnings());
    return ExitCodes.OK;
  }
}
