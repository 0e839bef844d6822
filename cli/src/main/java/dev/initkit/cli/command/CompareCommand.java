package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.analysis.Analysis;
import dev.initkit.analysis.HtmlReport;
import dev.initkit.analysis.TrainingRun;
import dev.initkit.analysis.WorkerRequest;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.ops.Reinitializer;
import dev.initkit.render.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit compare FILE --schemes ... --data DATASET}: trains one copy per scheme, side by
 * side.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Train one copy of a classifier per scheme for the same budget (TensorFlow, or DL4J with --engine dl4j;"
          + " Adam or SGD, cross-entropy, the same shuffles for every copy) and report loss and accuracy per epoch and the time to reach --target accuracy.",
      "DATASET: .npz with x_train/y_train and optionally x_test/y_test (else x/y, 20%% held out), or CSV whose last"
          + " column is the class. testdata/data/digits.npz is a small real one (8x8 handwritten digits)."
    })
public final class CompareCommand extends AbstractCommand {

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "The model: a Sequential classifier with a softmax head.")
  Path input;

  @Option(
      names = "--schemes",
      order = 1,
      split = ",",
      paramLabel = "A,B",
      defaultValue = "zeros,small,glorot_uniform,he_normal,lsuv",
      description =
          "Schemes (default: ${DEFAULT-VALUE}): file, lsuv, configured, auto, or a kernel initializer spec.")
  List<String> schemes = new ArrayList<>();

  @Option(
      names = "--data",
      order = 2,
      required = true,
      paramLabel = "DATASET",
      description = "Labelled data (see above).")
  Path data;

  @Option(
      names = "--epochs",
      order = 3,
      paramLabel = "N",
      defaultValue = "5",
      description = "Epochs per copy (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--seed",
      order = 4,
      paramLabel = "N",
      description = "Seed of the draws and the shuffles (default: 0).")
  Long seed;

  @Option(
      names = "--batch-size",
      order = 5,
      paramLabel = "N",
      defaultValue = "32",
      description = "Minibatch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--lr",
      order = 6,
      paramLabel = "RATE",
      defaultValue = "0.001",
      description = "The optimizer's learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(
      names = "--optimizer",
      order = 6,
      paramLabel = "NAME",
      defaultValue = "adam",
      description =
          "adam (Keras's betas and epsilon) or sgd (plain, no momentum; TensorFlow engine only)"
              + " (default: ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(
      names = "--mode",
      order = 6,
      paramLabel = "MODE",
      defaultValue = "training",
      description =
          "training (as Keras's fit: BatchNormalization on the batch's statistics, moving statistics"
              + " updated, Dropout active) or inference (Dropout off, BatchNormalization on its"
              + " moving statistics, left as the file has them); TensorFlow engine only"
              + " (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--target",
      order = 7,
      paramLabel = "ACC",
      defaultValue = "0.9",
      description =
          "Test accuracy whose first crossing is the time to threshold (default: ${DEFAULT-VALUE}).")
  double target;

  @Option(
      names = "--html",
      order = 8,
      paramLabel = "OUT.html",
      description = "Also write a self-contained HTML report.")
  Path html;

  @Option(
      names = "--timeout",
      order = 9,
      paramLabel = "SECONDS",
      defaultValue = "1800",
      description = "Time limit of the engine's JVM (default: ${DEFAULT-VALUE}).")
  long timeout;

  @Mixin CommonOptions.Engine engine;

  @Mixin CommonOptions.Force force;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    WorkerRequest.Engine useEngine = AnalysisSupport.engine(engine, spec.commandLine());
    if (epochs < 1 || batchSize < 1 || !(lr > 0)) {
      throw usage("need --epochs >= 1, --batch-size >= 1 and --lr > 0");
    }
    WorkerRequest.TrainingOptions training;
    try {
      training = new WorkerRequest.TrainingOptions(epochs, batchSize, lr, target, optimizer, mode);
    } catch (IllegalArgumentException e) {
      throw usage(
          (e.getMessage().contains("mode") ? "--mode: " : "--optimizer: ") + e.getMessage());
    }
    if (useEngine == WorkerRequest.Engine.DL4J && !training.optimizer().equals("adam")) {
      throw usage("--engine dl4j trains with Adam only");
    }
    if (useEngine == WorkerRequest.Engine.DL4J
        && !training.mode().equals(WorkerRequest.TrainingOptions.TRAINING)) {
      throw usage("--engine dl4j trains in its own training mode only");
    }
    if (html != null) {
      checkOutput(html, input, data);
      OpsSupport.refuseExisting(html, force.on());
    }
    boolean talk = !output.quiet() && !output.json();
    long useSeed = seed == null ? Reinitializer.DEFAULT_SEED : seed;
    info(
        "training "
            + schemes.size()
            + " copies of "
            + input
            + " for "
            + epochs
            + " epochs each ("
            + AnalysisSupport.engineLabel(useEngine)
            + ")");
    Analysis.Settings s =
        new Analysis.Settings(
            ReadOptions.defaults(),
            data,
            256,
            useSeed,
            AnalysisSupport.launch(timeout),
            AnalysisSupport.progress(err(), talk),
            useEngine);
    Analysis.Comparison c = Analysis.compare(input, schemes, training, Analysis.lsuvDefaults(), s);
    if (html != null) {
      HtmlReport.write(html, input.getFileName().toString(), c.initial(), c.runs(), force.on());
      info("wrote " + html);
    }
    if (output.json()) {
      ObjectNode doc = JsonOutput.success("compare");
      doc.put("file", input.toString());
      doc.put("data", data.toString());
      doc.put("epochs", epochs);
      doc.put("seed", useSeed);
      doc.put("batchSize", batchSize);
      doc.put("engine", useEngine.id());
      doc.put("optimizer", training.optimizer());
      doc.put("mode", training.mode());
      doc.put("learningRate", lr);
      doc.put("targetAccuracy", target);
      doc.put("html", html == null ? null : html.toString());
      ArrayNode runs = doc.putArray("runs");
      for (TrainingRun r : c.runs()) {
        ObjectNode o = runs.addObject();
        o.put("scheme", r.scheme());
        OpsSupport.put(o, "initialTrainLoss", r.initialTrainLoss());
        OpsSupport.put(o, "initialTestAccuracy", r.initialTestAccuracy());
        OpsSupport.put(o, "finalTrainLoss", r.finalTrainLoss());
        if (r.epochsToTarget() == null) {
          o.putNull("epochsToTarget");
          o.putNull("secondsToTarget");
        } else {
          o.put("epochsToTarget", r.epochsToTarget());
          o.put("secondsToTarget", r.secondsToTarget());
        }
        if (!r.outputs().isEmpty()) {
          // the losses are sums: each output's share, by its name
          r.outputs().forEach(o.putArray("outputs")::add);
          perOutput(o.putObject("initialOutputLosses"), r.outputs(), r.initialOutputLosses());
        }
        ArrayNode es = o.putArray("epochs");
        for (TrainingRun.Epoch e : r.epochs()) {
          ObjectNode eo = es.addObject();
          eo.put("epoch", e.epoch());
          OpsSupport.put(eo, "trainLoss", e.trainLoss());
          OpsSupport.put(eo, "testLoss", e.testLoss());
          OpsSupport.put(eo, "testAccuracy", e.testAccuracy());
          eo.put("seconds", e.seconds());
          if (!r.outputs().isEmpty()) {
            perOutput(eo.putObject("outputTrainLosses"), r.outputs(), e.outputTrainLosses());
          }
        }
      }
      doc.set("schemes", AnalysisSupport.schemesJson(c.initial()));
      JsonOutput.write(out(), doc);
    } else {
      out()
          .println(
              "Training "
                  + epochs
                  + " epochs, "
                  + (training.optimizer().equals("sgd") ? "SGD" : "Adam")
                  + " ("
                  + training.mode()
                  + " mode)"
                  + " lr "
                  + lr
                  + ", batch "
                  + batchSize
                  + ", seed "
                  + useSeed);
      TextTable t =
          new TextTable(
              "Scheme",
              "loss 0",
              "final loss",
              "test loss",
              "test acc",
              "epochs to " + target,
              "seconds to " + target);
      for (TrainingRun r : c.runs()) {
        TrainingRun.Epoch last = r.epochs().get(r.epochs().size() - 1);
        t.row(
            r.scheme(),
            OpsSupport.num(r.initialTrainLoss()),
            OpsSupport.num(r.finalTrainLoss()),
            OpsSupport.num(last.testLoss()),
            OpsSupport.num(last.testAccuracy()),
            r.epochsToTarget() == null ? "not reached" : r.epochsToTarget().toString(),
            r.secondsToTarget() == null ? "-" : OpsSupport.num(r.secondsToTarget()));
      }
      t.print(out(), "  ");
      out().println("Training loss per epoch");
      List<String> head = new ArrayList<>(List.of("Scheme", "0"));
      for (int e = 1; e <= epochs; e++) {
        head.add(Integer.toString(e));
      }
      TextTable curve = new TextTable(head.toArray(String[]::new));
      for (TrainingRun r : c.runs()) {
        List<String> row =
            new ArrayList<>(List.of(r.scheme(), OpsSupport.num(r.initialTrainLoss())));
        r.epochs().forEach(e -> row.add(OpsSupport.num(e.trainLoss())));
        curve.row(row.toArray(String[]::new));
      }
      curve.print(out(), "  ");
      List<String> outputs =
          c.runs().stream()
              .map(TrainingRun::outputs)
              .filter(o -> !o.isEmpty())
              .findFirst()
              .orElse(List.of());
      if (!outputs.isEmpty()) {
        out()
            .println(
                "Training loss per output (the loss above is their sum: "
                    + String.join(" + ", outputs)
                    + "; test accuracy is "
                    + outputs.get(0)
                    + "'s)");
        List<String> ph = new ArrayList<>(List.of("Scheme", "output", "0"));
        for (int e = 1; e <= epochs; e++) {
          ph.add(Integer.toString(e));
        }
        TextTable per = new TextTable(ph.toArray(String[]::new));
        for (TrainingRun r : c.runs()) {
          for (int j = 0; j < r.outputs().size(); j++) {
            int at = j;
            List<String> row =
                new ArrayList<>(
                    List.of(
                        r.scheme(),
                        r.outputs().get(j),
                        OpsSupport.num(r.initialOutputLosses().get(j))));
            r.epochs().forEach(e -> row.add(OpsSupport.num(e.outputTrainLosses().get(at))));
            per.row(row.toArray(String[]::new));
          }
        }
        per.print(out(), "  ");
      }
      out().flush();
    }
    return ExitCodes.OK;
  }

  private static void perOutput(ObjectNode into, List<String> names, List<Double> values) {
    for (int j = 0; j < names.size() && j < values.size(); j++) {
      OpsSupport.put(into, names.get(j), values.get(j));
    }
  }
}
