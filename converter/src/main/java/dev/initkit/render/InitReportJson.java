package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Model;
import dev.initkit.ops.ConfiguredInitializer;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.InitReport.DepthEstimate;
import dev.initkit.ops.InitReport.DepthStep;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.ops.InitReport.WeightEntry;
import dev.initkit.ops.TensorStats;
import java.util.Locale;

/**
 * An {@link InitReport} as a Jackson tree: the body of {@code initkit report --json} (docs/json/),
 * from {@code file} on. NaN and infinities are null. Builds nodes only and prints nothing;
 * thread-safe (stateless).
 */
public final class InitReportJson {
  private InitReportJson() {}

  /** The report as a new object: {@code {"file", "format", ..., "depth"}}. */
  public static ObjectNode toJson(InitReport r, String file) {
    ObjectNode doc = JsonValues.nodes().objectNode();
    fill(doc, r, file);
    return doc;
  }

  /**
   * Adds the report's fields to {@code doc}, after whatever it holds (e.g. an envelope).
   *
   * @param file how the report names the model's file
   */
  public static void fill(ObjectNode doc, InitReport r, String file) {
    Model m = r.model();
    doc.put("file", file);
    doc.put("format", Labels.format(m));
    doc.put("kerasVersion", m.kerasVersion().orElse(null));
    doc.put("configForm", Labels.configForm(m));
    ObjectNode totals = doc.putObject("totals");
    totals.put("weights", r.weights().size());
    totals.put("warnings", r.warnings().size());
    totals.put("reluLayers", r.reluLayers());
    ArrayNode weights = doc.putArray("weights");
    for (WeightEntry e : r.weights()) {
      weights.add(weight(e));
    }
    ArrayNode warnings = doc.putArray("warnings");
    for (Warning w : r.warnings()) {
      warnings.add(warning(w));
    }
    ArrayNode advice = doc.putArray("advice");
    for (Warning w : r.advice()) {
      advice.add(warning(w));
    }
    ObjectNode depth = doc.putObject("depth");
    depth.put("assumptions", InitReport.DEPTH_ASSUMPTIONS);
    depth.put("vanishingBelow", InitReport.VANISHING);
    depth.put("explodingAbove", InitReport.EXPLODING);
    depth.set("configured", depth(r.configuredDepth()));
    depth.set("observed", depth(r.observedDepth()));
  }

  /** One weight's entry. */
  public static ObjectNode weight(WeightEntry e) {
    ObjectNode o = JsonValues.nodes().objectNode();
    o.put("layer", e.site().layerPath());
    o.put("className", e.className().isEmpty() ? null : e.className());
    o.put("activation", e.activation());
    o.put("followingActivation", e.followingActivation());
    o.put("weight", e.weight().name());
    o.put("role", e.weight().role().label());
    o.set("shape", JsonValues.shape(e.weight().shape()));
    o.put("dtype", e.weight().dtype().kerasName());
    o.put("depth", e.site().depth());
    o.put("head", e.site().head());
    o.put("trainable", e.site().layer().trainable());
    ConfiguredInitializer c = e.configured();
    ObjectNode init = o.putObject("initializer");
    InitializerSpec s = c.spec();
    init.put("canonical", s == null ? null : s.canonicalName());
    init.put("describe", s == null ? null : s.describe());
    init.put(
        "commandLine", s == null || s instanceof InitializerSpec.Custom ? null : s.toSpecString());
    init.put("source", c.source().name().toLowerCase(Locale.ROOT));
    init.put("key", c.key());
    init.set("asWritten", c.asWritten());
    init.put("kerasLoadable", s == null ? null : s.kerasLoadable());
    init.put("unitForgetBias", c.unitForgetBias());
    ArrayNode notes = init.putArray("notes");
    e.notes().forEach(notes::add);
    if (e.fans() == null) {
      o.putNull("fanIn");
      o.putNull("fanOut");
    } else {
      o.put("fanIn", e.fans().fanIn());
      o.put("fanOut", e.fans().fanOut());
    }
    if (e.quantization() == null) {
      o.putNull("quantization");
    } else {
      ObjectNode qn = o.putObject("quantization");
      qn.put("mode", e.quantization().mode());
      qn.put("policy", e.quantization().policy());
      qn.put("part", e.quantization().part(e.weight().shortName()).name().toLowerCase(Locale.ROOT));
      qn.put("describe", e.quantization().describe(e.weight().shortName(), e.weight().dtype()));
    }
    JsonValues.put(o, "expectedMean", e.expectedMean());
    JsonValues.put(o, "expectedStd", e.expectedStd());
    TensorStats t = e.observed();
    if (t == null) {
      o.putNull("observed");
    } else {
      ObjectNode ob = o.putObject("observed");
      ob.put("count", t.count());
      JsonValues.put(ob, "mean", t.mean());
      JsonValues.put(ob, "std", t.std());
      JsonValues.put(ob, "min", t.min());
      JsonValues.put(ob, "max", t.max());
      JsonValues.put(ob, "zeroFraction", t.zeroFraction());
      ob.put("nonFinite", t.nonFinite());
    }
    JsonValues.put(o, "stdRatio", e.stdRatio());
    ObjectNode rec = o.putObject("recommended");
    rec.set("initializer", JsonValues.spec(e.recommended()));
    rec.put("reason", e.recommendedReason());
    rec.put("met", e.recommendationMet());
    ArrayNode ws = o.putArray("warnings");
    for (Warning w : e.warnings()) {
      ObjectNode wo = ws.addObject();
      wo.put("code", w.code());
      wo.put("message", w.message());
    }
    return o;
  }

  /** A warning or advice: {@code {"code", "layer", "weight", "message"}}. */
  public static ObjectNode warning(Warning w) {
    ObjectNode o = JsonValues.nodes().objectNode();
    o.put("code", w.code());
    o.put("layer", w.layerPath());
    o.put("weight", w.weight());
    o.put("message", w.message());
    return o;
  }

  /** One basis of the depth estimate: its steps, final variance and status. */
  public static ObjectNode depth(DepthEstimate d) {
    ObjectNode o = JsonValues.nodes().objectNode();
    ArrayNode steps = o.putArray("steps");
    for (DepthStep s : d.steps()) {
      ObjectNode so = steps.addObject();
      so.put("layer", s.layerPath());
      so.put("className", s.className().isEmpty() ? null : s.className());
      so.put("activation", s.activation());
      JsonValues.put(so, "fanIn", s.fanIn());
      JsonValues.put(so, "weightMeanSquare", s.weightMeanSquare());
      JsonValues.put(so, "gain2", s.gain2());
      JsonValues.put(so, "variance", s.variance());
      JsonValues.put(so, "mean", s.mean());
      JsonValues.put(so, "std", Double.isNaN(s.mean()) ? Double.NaN : s.std());
      JsonValues.put(so, "gradient", s.gradient());
      if (!d.inputs().isEmpty()) {
        ArrayNode in = so.putArray("inputs");
        d.inputsOf(s).forEach(in::add);
      } else {
        so.putNull("inputs");
      }
      so.put("note", s.note());
    }
    JsonValues.put(o, "finalVariance", d.finalVariance());
    o.put("status", d.status());
    o.put("firstOutOfRange", d.firstOutOfRange());
    return o;
  }
}
