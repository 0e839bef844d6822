package dev.initkit.ops;

import dev.initkit.keras.Activations;
import dev.initkit.keras.ConvGeometry;
import dev.initkit.keras.LayerFamily;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.DepthEstimate;
import dev.initkit.ops.InitReport.DepthStep;
import dev.initkit.ops.InitReport.WeightEntry;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The depth model of {@link InitReport}: a data-free estimate of how the activations' second moment
 * evolves through a model, under the configured initializers and from the stored weights. Where the
 * model has a config the estimate follows its graph ({@link SignalEstimate}); without one
 * (weights-only files) the layers with a kernel, in model order, are treated as one chain ({@link
 * #chainEstimate}). The step where the pre-activation second moment leaves [{@value #VANISHING},
 * {@value #EXPLODING}] is flagged as vanishing or exploding. Stateless; thread-safe.
 */
public final class DepthModel {
  /** Below this the estimated activation variance is flagged as vanishing. */
  public static final double VANISHING = 1e-2;

  /** Above this the estimated activation variance is flagged as exploding. */
  public static final double EXPLODING = 1e2;

  /** The assumptions of the depth estimate, for display. */
  public static final String DEPTH_ASSUMPTIONS =
      "E[x^2] from standard-normal inputs along the model's graph: E[y^2] = fan_in * E[W^2] * E[x^2] per kernel,"
          + " activations applied to Gaussian pre-activations exactly (E[relu(x)^2] = E[x^2]/2), additions add,"
          + " concatenations average by channels, normalisation outputs E[gamma^2] + E[beta^2], pooling, attention"
          + " and recurrence followed (weights-only files: one chain of the kernels in model order)";

  private DepthModel() {}

  /**
   * The estimates under the configured initializers and from the stored values: the graph estimate
   * where the model's config allows one, else the chain estimate.
   *
   * @return the configured estimate, then the observed one
   */
  static List<DepthEstimate> of(Model model, List<WeightEntry> entries) {
    return of(model, entries, false);
  }

  /**
   * {@link #of(Model, List)}; {@code forwardOnly}: what the depth warnings read (status, first
   * layer out of range, final value) and nothing else ({@link SignalEstimate#of(
   * dev.initkit.format.config.CallGraph, Model, List, boolean, boolean)}).
   */
  static List<DepthEstimate> of(Model model, List<WeightEntry> entries, boolean forwardOnly) {
    // the config's graph is read once for both estimates
    var g = SignalEstimate.graph(model);
    DepthEstimate conf =
        g == null ? null : SignalEstimate.of(g, model, entries, false, forwardOnly);
    DepthEstimate obs = g == null ? null : SignalEstimate.of(g, model, entries, true, forwardOnly);
    if (conf == null || obs == null) {
      conf = chainEstimate(entries, false);
      obs = chainEstimate(entries, true);
    }
    return List.of(conf, obs);
  }

  /** The chain estimate (weights-only files; kept to compare the graph estimate against). */
  static DepthEstimate chainEstimate(List<WeightEntry> entries, boolean observed) {
    String basis = observed ? "observed" : "configured";
    Map<Layer, List<WeightEntry>> byLayer = new IdentityHashMap<>();
    Map<Layer, Boolean> seen = new IdentityHashMap<>();
    List<Layer> order = new ArrayList<>();
    for (WeightEntry e : entries) {
      Layer l = e.site().layer();
      if (seen.put(l, Boolean.TRUE) == null) {
        order.add(l);
      }
      byLayer.computeIfAbsent(l, k -> new ArrayList<>()).add(e);
    }
    List<DepthStep> steps = new ArrayList<>();
    double v = 1.0;
    String first = null;
    for (Layer l : order) {
      List<WeightEntry> ws = byLayer.get(l);
      String path = ws.get(0).site().layerPath();
      String cls = l.className();
      WeightEntry gamma = find(ws, WeightRole.GAMMA);
      WeightEntry kernel = find(ws, WeightRole.KERNEL);
      WeightEntry dw = find(ws, WeightRole.DEPTHWISE_KERNEL);
      WeightEntry pw = find(ws, WeightRole.POINTWISE_KERNEL);
      WeightEntry emb = find(ws, WeightRole.EMBEDDINGS);
      DepthStep step;
      if (LayerFamily.NORMALIZATION.contains(cls)
          || (gamma != null && kernel == null && dw == null)) {
        double g = gamma == null ? 1.0 : meanSquare(gamma, observed);
        v = g;
        step =
            new DepthStep(
                path,
                cls,
                null,
                Double.NaN,
                g,
                1,
                v,
                "normalises: resets to E[gamma^2]",
                Double.NaN,
                Double.NaN);
      } else if (ws.stream().anyMatch(e -> e.quantization() != null && e.fans() == null)) {
        // int codes stand for a kernel only with their scales: not estimated (as attention)
        step =
            new DepthStep(
                path,
                cls,
                null,
                Double.NaN,
                Double.NaN,
                1,
                v,
                "quantized ("
                    + ws.get(0).quantization().mode()
                    + "): passed through (not estimated)",
                Double.NaN,
                Double.NaN);
      } else if (emb != null) {
        double m = meanSquare(emb, observed);
        v = m;
        step =
            new DepthStep(
                path,
                cls,
                null,
                Double.NaN,
                m,
                1,
                v,
                "embedding: starts at E[E^2]",
                Double.NaN,
                Double.NaN);
      } else if (LayerFamily.ATTENTION.contains(cls)) {
        step =
            new DepthStep(
                path,
                cls,
                null,
                Double.NaN,
                Double.NaN,
                1,
                v,
                "attention: passed through (not estimated)",
                Double.NaN,
                Double.NaN);
      } else if (kernel != null || dw != null) {
        String act = WeightAudit.effectiveActivation(l, ws.get(0).followingActivation());
        double g2 = gain2(act);
        double fanIn;
        double ms;
        String note = null;
        if (dw != null) {
          Shape s = dw.weight().shape();
          double k = 1;
          for (int i = 0; i < s.rank() - 2; i++) {
            k *= s.dim(i);
          }
          fanIn = k;
          ms = meanSquare(dw, observed);
          note = "depthwise: fan_in = prod(kernel_size)";
          if (pw != null) {
            double pf = pw.fans().fanIn();
            ms = ms * pf * meanSquare(pw, observed);
            note = "separable: prod(kernel_size) * E[Wd^2] * fan_in(pointwise) * E[Wp^2]";
          }
        } else {
          fanIn = kernel.fans().fanIn();
          ms = meanSquare(kernel, observed);
          if (LayerFamily.TRANSPOSED_CONV.contains(cls) && kernel.weight().shape().rank() >= 3) {
            fanIn =
                ConvGeometry.transposedFanIn(
                    LayerConfigs.effective(l, 0, WeightRole.KERNEL).config(),
                    kernel.weight().shape());
            note = "transposed: fan_in = in * prod(kernel_size) / prod(strides)";
          } else if (find(ws, WeightRole.RECURRENT_KERNEL) != null) {
            note = "recurrent: input kernel only";
          }
        }
        v = fanIn * ms * g2 * v;
        step = new DepthStep(path, cls, act, fanIn, ms, g2, v, note, Double.NaN, Double.NaN);
      } else {
        continue; // weights without a kernel role (PReLU alpha...): no step
      }
      steps.add(step);
      if (first == null && Double.isFinite(v) && (v < VANISHING || v > EXPLODING)) {
        first = path;
      }
    }
    String status;
    if (!Double.isFinite(v)) {
      status = "unknown";
    } else if (v < VANISHING) {
      status = "vanishing";
    } else if (v > EXPLODING) {
      status = "exploding";
    } else {
      status = "ok";
    }
    return new DepthEstimate(basis, steps, v, status, first, Map.of());
  }

  private static WeightEntry find(List<WeightEntry> ws, WeightRole role) {
    for (WeightEntry e : ws) {
      if (e.weight().role() == role) {
        return e;
      }
    }
    return null;
  }

  private static double meanSquare(WeightEntry e, boolean observed) {
    if (observed) {
      return e.observed() == null ? Double.NaN : e.observed().meanSquare();
    }
    return e.expectedStd() * e.expectedStd() + e.expectedMean() * e.expectedMean();
  }

  /** The activation's second-moment factor: 1/2 for the ReLU family (He's factor), else 1. */
  public static double gain2(String activation) {
    if (activation == null) {
      return 1;
    }
    return Activations.isRectifier(activation) ? 0.5 : 1;
  }
}
