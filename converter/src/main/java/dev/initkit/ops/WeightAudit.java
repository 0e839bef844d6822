package dev.initkit.ops;

import dev.initkit.init.AutoScheme;
import dev.initkit.init.Fans;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.SpecStatistics;
import dev.initkit.model.Layer;
import dev.initkit.model.Quantization;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.ops.InitReport.WeightEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-weight audit of {@link InitReport}: what is configured (canonical and as written),
 * Keras's fans, the mean and standard deviation the initializer implies against the stored values'
 * statistics, and the scheme the layer's activation calls for ({@link AutoScheme}). The warnings on
 * each weight come from {@link InitWarnings}. Stateless; thread-safe.
 */
final class WeightAudit {
  private WeightAudit() {}

  /**
   * Whether the layer has a kernel (or a depthwise kernel): the layers the ReLU count and depth
   * chain see.
   */
  static boolean hasKernel(Layer l) {
    for (Weight w : l.weights()) {
      if (w.role() == WeightRole.KERNEL || w.role() == WeightRole.DEPTHWISE_KERNEL) {
        return true;
      }
    }
    return false;
  }

  /**
   * The layer's own activation (through wrappers), or the following one when it is linear or none.
   */
  static String effectiveActivation(Layer layer, String following) {
    String own = LayerConfigs.effective(layer, 0, WeightRole.KERNEL).activation();
    if ((own == null || LayerConfigs.normalise(own).equals("linear")) && following != null) {
      return following;
    }
    return own;
  }

  /**
   * The audit of one weight.
   *
   * @param following the activation a separate following layer applies, or null
   * @param activation the activation that acts on the layer's output (own or following), or null
   * @param stats the stored values' statistics, or null for non-floating weights
   * @param reluLayers the model's number of ReLU-like layers with a kernel
   */
  static WeightEntry entry(
      WeightSite s, String following, String activation, TensorStats stats, int reluLayers) {
    Layer layer = s.layer();
    Weight w = s.weight();
    WeightRole role = w.role();
    int index = layer.weights().indexOf(w);
    ConfiguredInitializer c = ConfiguredInitializer.of(layer, index, role);
    Quantization q = QuantizedWeights.of(s).orElse(null);
    if (q != null && q.part(w.shortName()) != Quantization.Part.SCALED_FLOAT) {
      // codes and scales: no initializer drew them, and int4 codes are packed, so fans and an
      // expected spread would describe another tensor; the stored statistics of float state stay
      return new WeightEntry(
          s,
          layer.className(),
          LayerConfigs.effective(layer, index, role).activation(),
          following,
          c,
          null,
          Double.NaN,
          Double.NaN,
          stats,
          Double.NaN,
          null,
          "quantized: kept as Keras's quantize computed it",
          List.of(),
          List.of("quantized: " + QuantizedWeights.describe(q, w)),
          q);
    }
    // the configured initializer's own fans: Keras 3.15's axes where it sets them, else the classic
    // rule
    Fans fans =
        c.spec() instanceof InitializerSpec.VarianceScaling
            ? c.spec().fans(w.shape())
            : Fans.of(w.shape());
    List<String> notes = new ArrayList<>();

    double eMean = Double.NaN;
    double eStd = Double.NaN;
    IllegalArgumentException unusable = null;
    InitializerSpec spec = c.spec();
    if (spec != null && !(spec instanceof InitializerSpec.Custom)) {
      try {
        double[] m = expected(spec, w.shape(), role, c.unitForgetBias());
        eMean = m[0];
        eStd = m[1];
      } catch (IllegalArgumentException ex) {
        unusable = ex;
      }
    }
    double ratio =
        stats != null && Double.isFinite(eStd) && eStd > 0 && Double.isFinite(stats.std())
            ? stats.std() / eStd
            : Double.NaN;

    AutoScheme.Choice rec = AutoScheme.choose(layer, role, following);

    if (spec != null) {
      notes.addAll(spec.notes());
      Fans classic = Fans.of(w.shape());
      spec.fanAxes()
          .ifPresent(
              a ->
                  notes.add(
                      "fans "
                          + fans.fanIn()
                          + "/"
                          + fans.fanOut()
                          + " on input axes "
                          + a.get(0)
                          + ", output axes "
                          + a.get(1)
                          + ": the rule of the Keras that wrote the file (3.15+, keras pull request 22789);"
                          + " Keras before 3.15 computes "
                          + classic.fanIn()
                          + "/"
                          + classic.fanOut()));
    }
    List<Warning> warns = InitWarnings.ofWeight(s, c, activation, stats, reluLayers, unusable);
    if (q != null) {
      notes.add("quantized: " + QuantizedWeights.describe(q, w));
    }
    return new WeightEntry(
        s,
        layer.className(),
        LayerConfigs.effective(layer, index, role).activation(),
        following,
        c,
        fans,
        eMean,
        eStd,
        stats,
        ratio,
        q == null ? rec.spec() : null,
        q == null ? rec.reason() : "quantized: kept as Keras's quantize calibrated it",
        warns,
        notes,
        q);
  }

  /** Mean and std a spec implies, with the LSTM forget-gate ones where they apply. */
  static double[] expected(
      InitializerSpec spec, Shape shape, WeightRole role, boolean unitForgetBias) {
    if (unitForgetBias && shape.rank() == 1 && shape.dim(0) % 4 == 0 && shape.dim(0) > 0) {
      long u = shape.dim(0) / 4;
      Shape s1 = Shape.of(u);
      Shape s2 = Shape.of(2 * u);
      double m1 = SpecStatistics.expectedMean(spec, s1, role);
      double v1 = sq(SpecStatistics.expectedStd(spec, s1, role));
      double m2 = SpecStatistics.expectedMean(spec, s2, role);
      double v2 = sq(SpecStatistics.expectedStd(spec, s2, role));
      double mean = (m1 + 1 + 2 * m2) / 4;
      double ms = ((v1 + m1 * m1) + 1 + 2 * (v2 + m2 * m2)) / 4;
      return new double[] {mean, Math.sqrt(Math.max(0, ms - mean * mean))};
    }
    return new double[] {
      SpecStatistics.expectedMean(spec, shape, role), SpecStatistics.expectedStd(spec, shape, role)
    };
  }

  private static double sq(double x) {
    return x * x;
  }
}
