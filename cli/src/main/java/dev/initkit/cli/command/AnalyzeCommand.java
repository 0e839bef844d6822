package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.analysis.Analysis;
import dev.initkit.analysis.HtmlReport;
import dev.initkit.analysis.SchemeAnalysis;
import dev.initkit.analysis.WorkerRequest;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.ops.Reinitializer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit analyze FILE}: per layer signal statistics of a batch, under one or more schemes.
 */
@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Forward a batch through the model (TensorFlow in inference mode, or DL4J with --engine dl4j; in a"
          + " separate time-limited JVM) and report per layer the output mean and std, dead ReLU units, saturated tanh/sigmoid outputs and the kernel gradient norm of a"
          + " standard loss (cross-entropy for a softmax head, binary cross-entropy for sigmoid, else MSE against"
          + " random targets); marks where signals vanish or explode.",
      "With several --scheme values, a reinitialized copy per scheme is analyzed side by side."
    })
public final class AnalyzeCommand extends AbstractCommand {

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description =
          "The model (.keras, .h5, ...): Sequential or Functional; several inputs and outputs on the"
              + " TensorFlow engine.")
  Path input;

  @Option(
      names = "--data",
      order = 1,
      paramLabel = "PATH",
      description =
          "Inputs: .npy, .npz (x / x_train, optional y), CSV, or a folder of images (sub-folders = classes). Default: standard-normal inputs shaped from the model's input.")
  Path data;

  @Option(
      names = "--scheme",
      order = 2,
      split = ",",
      paramLabel = "A,B",
      description =
          "Schemes to compare: file (the stored weights, default), lsuv, configured, auto, or an initializer"
              + " spec for the kernels (he_normal, glorot_uniform, small, zeros, ...).")
  List<String> schemes = new ArrayList<>();

  @Option(
      names = "--html",
      order = 3,
      paramLabel = "OUT.html",
      description = "Also write a self-contained HTML report.")
  Path html;

  @Option(
      names = "--batch",
      order = 4,
      paramLabel = "N",
      defaultValue = "256",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--seed",
      order = 5,
      paramLabel = "N",
      description = "Seed of the draws and the generated batch (default: 0).")
  Long seed;

  @Option(
      names = "--timeout",
      order = 6,
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
    if (batch < 1) {
      throw usage("--batch must be at least 1, got " + batch);
    }
    if (html != null) {
      checkOutput(html, input, data, config.path());
      OpsSupport.refuseExisting(html, force.on());
    }
    List<String> use = schemes.isEmpty() ? List.of(Analysis.FILE) : schemes;
    ReadOptions read = config.readOptions();
    boolean talk = !output.quiet() && !output.json();
    info(
        "analyzing "
            + input
            + " under "
            + String.join(", ", use)
            + " ("
            + AnalysisSupport.engineLabel(useEngine)
            + ")");
    Analysis.Settings s =
        new Analysis.Settings(
            read,
            data,
            batch,
            seed == null ? Reinitializer.DEFAULT_SEED : seed,
            AnalysisSupport.launch(timeout),
            AnalysisSupport.progress(err(), talk),
            useEngine);
    List<SchemeAnalysis> result = Analysis.analyze(input, use, Analysis.lsuvDefaults(), s);
    if (html != null) {
      HtmlReport.write(html, input.getFileName().toString(), result, null, force.on());
      info("wrote " + html);
    }
    if (output.json()) {
      ObjectNode doc = JsonOutput.success("analyze");
      doc.put("file", input.toString());
      doc.put("data", data == null ? null : data.toString());
      doc.put("batch", batch);
      doc.put("engine", useEngine.id());
      doc.put("seed", s.seed());
      doc.put("html", html == null ? null : html.toString());
      doc.set("schemes", AnalysisSupport.schemesJson(result));
      JsonOutput.write(out(), doc);
    } else {
      for (SchemeAnalysis a : result) {
        AnalysisSupport.printAnalysis(out(), a);
        out().println();
      }
      out().flush();
    }
    return ExitCodes.OK;
  }
}
