package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.analysis.ForkedWorker;
import dev.initkit.analysis.LayerStats;
import dev.initkit.analysis.SchemeAnalysis;
import dev.initkit.analysis.WorkerRequest;
import dev.initkit.cli.JsonOutput;
import dev.initkit.render.TextTable;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/** What analyze, lsuv and compare share: progress, JSON of per layer statistics, the table. */
final class AnalysisSupport {
  private AnalysisSupport() {}

  /**
   * Progress lines on stderr unless quiet or JSON (long runs: the user sees the engine working).
   */
  static Consumer<String> progress(PrintWriter err, boolean enabled) {
    if (!enabled) {
      return line -> {};
    }
    return line -> {
      synchronized (err) {
        err.println("  " + line);
        err.flush();
      }
    };
  }

  /** The engine {@code --engine} names; an unknown name is a usage error. */
  static WorkerRequest.Engine engine(
      dev.initkit.cli.CommonOptions.Engine option, picocli.CommandLine cmd) {
    try {
      return WorkerRequest.Engine.of(option.name());
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(cmd, "--engine: " + e.getMessage());
    }
  }

  /** How the progress line names the engine. */
  static String engineLabel(WorkerRequest.Engine e) {
    return (e == WorkerRequest.Engine.DL4J ? "DL4J" : "TensorFlow") + " in a separate JVM";
  }

  static ForkedWorker.Launch launch(long timeoutSeconds) {
    return ForkedWorker.Launch.defaults(Duration.ofSeconds(timeoutSeconds));
  }

  /**
   * The {@code schemes} array: per scheme its layers, whose statistics keys are the ones the issue
   * names ({@code output_std}, {@code grad_norm}, ...).
   */
  static ArrayNode schemesJson(List<SchemeAnalysis> analyses) {
    ArrayNode a = JsonOutput.nodes().arrayNode();
    for (SchemeAnalysis s : analyses) {
      ObjectNode o = a.addObject();
      o.put("scheme", s.scheme());
      OpsSupport.put(o, "inputStd", s.inputStd());
      o.put("loss", s.loss());
      OpsSupport.put(o, "lossValue", s.lossValue());
      o.put("gradientError", s.gradientError());
      ArrayNode layers = o.putArray("layers");
      for (LayerStats l : s.layers()) {
        ObjectNode x = layers.addObject();
        x.put("name", l.name());
        x.put("class_name", l.className());
        x.put("activation", l.activation());
        OpsSupport.put(x, "output_mean", l.outputMean());
        OpsSupport.put(x, "output_std", l.outputStd());
        OpsSupport.put(x, "dead_fraction", l.deadFraction());
        OpsSupport.put(x, "saturated_fraction", l.saturatedFraction());
        OpsSupport.put(x, "grad_norm", l.gradNorm());
        x.put("mark", l.mark());
        ArrayNode ws = x.putArray("weights");
        for (LayerStats.WeightStats w : l.weights()) {
          ObjectNode wo = ws.addObject();
          wo.put("name", w.name());
          ArrayNode shape = wo.putArray("shape");
          for (long d : w.shape()) {
            shape.add(d);
          }
          OpsSupport.put(wo, "std", w.std());
          OpsSupport.put(wo, "grad_norm", w.gradNorm());
        }
      }
    }
    return a;
  }

  static void printAnalysis(PrintWriter out, SchemeAnalysis s) {
    out.println(
        "Scheme "
            + s.scheme()
            + ": input std "
            + OpsSupport.num(s.inputStd())
            + ", loss "
            + s.loss()
            + " "
            + OpsSupport.num(s.lossValue())
            + (s.gradientError() == null ? "" : "; no gradients (" + s.gradientError() + ")"));
    TextTable t =
        new TextTable(
            "Layer",
            "Class",
            "Activation",
            "mean",
            "std",
            "dead",
            "saturated",
            "grad norm",
            "Mark");
    for (LayerStats l : s.layers()) {
      t.row(
          l.name(),
          l.className(),
          l.activation(),
          OpsSupport.num(l.outputMean()),
          OpsSupport.num(l.outputStd()),
          OpsSupport.percent(l.deadFraction()),
          OpsSupport.percent(l.saturatedFraction()),
          OpsSupport.num(l.gradNorm()),
          l.mark() == null ? "-" : l.mark());
    }
    t.print(out, "  ");
    List<LayerStats> ls = s.layers();
    if (ls.size() >= 3) {
      // the head (softmax, sigmoid, linear) is not comparable: the last layer before it is
      LayerStats last = ls.get(ls.size() - 2);
      out.println(
          "  output std "
              + last.name()
              + " / "
              + ls.get(0).name()
              + ": "
              + OpsSupport.num(last.outputStd() / ls.get(0).outputStd()));
    }
  }
}
