package dev.initkit.scan;

import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The health rules, read off {@link InitReport} (the same audit {@code initkit report} prints): its
 * per-weight warnings, the ratio of each weight's observed to implied standard deviation, and the
 * data-free depth estimate. Weights are sampled ({@link InitReport#forWarnings(LoadedModel,
 * long)}), so a large file costs its samples, not its size; the depth estimate is computed forward
 * only (its warnings are the report's, without the report's gradients and output-softmax estimate).
 */
final class HealthRules {
  /** A weight whose std is more than this many times (or less than its inverse) the implied. */
  static final double SPREAD_FACTOR = 10;

  private static final Map<String, Rule> BY_CODE =
      Map.of(
          "zero-kernel", Rules.ZERO_KERNEL,
          "constant-kernel", Rules.CONSTANT_KERNEL,
          "non-finite", Rules.NON_FINITE,
          "depth-vanishing", Rules.DEPTH_VANISHING,
          "depth-exploding", Rules.DEPTH_EXPLODING);

  private HealthRules() {}

  static void check(LoadedModel loaded, long sampleBytes, Location base, List<Finding> out)
      throws IOException {
    InitReport r = InitReport.forWarnings(loaded, sampleBytes);
    for (InitReport.Warning w : r.warnings()) {
      Rule rule = BY_CODE.get(w.code());
      if (rule != null) {
        out.add(rule.at(base.atLayer(w.layerPath() == null ? "" : w.layerPath()), w.message()));
      }
    }
    for (InitReport.WeightEntry e : r.weights()) {
      double ratio = e.stdRatio();
      boolean flagged =
          e.warnings().stream().anyMatch(w -> BY_CODE.containsKey(w.code()))
              || e.observed() == null
              || e.observed().std() == 0;
      if (flagged || !Double.isFinite(ratio)) {
        continue;
      }
      if (ratio > SPREAD_FACTOR || ratio < 1 / SPREAD_FACTOR) {
        out.add(
            Rules.WEIGHT_SPREAD.at(
                base.atLayer(e.site().layerPath()),
                String.format(
                    java.util.Locale.ROOT,
                    "%s: observed std %.3g is %.3gx the %.3g its configured initializer (%s) implies",
                    e.weight().shortName(),
                    e.observed().std(),
                    ratio,
                    e.expectedStd(),
                    String.valueOf(e.configured().spec()))));
      }
    }
  }
}
