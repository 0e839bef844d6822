package dev.initkit.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a signal vanishes or explodes through depth. A layer is {@code vanishing} when its output
 * std is below {@value #VANISH} times the batch's input std, or its kernel gradient norm below
 * {@value #VANISH} times the last layer's (gradients shrinking on their way back to the input), or
 * every gradient is 0; {@code exploding} when its output std is above {@value #EXPLODE} times the
 * input's, or its gradient norm above {@value #EXPLODE} times the last layer's (gradients growing
 * towards the input). Plain ratios, so they read the same whatever the data's scale.
 */
public final class Marks {
  /** Below this ratio a signal counts as vanished. */
  public static final double VANISH = 1e-2;

  /** Above this ratio a signal counts as exploded. */
  public static final double EXPLODE = 1e2;

  private Marks() {}

  /** The layers with their marks set. */
  public static List<LayerStats> apply(double inputStd, List<LayerStats> layers) {
    double maxGrad = 0;
    double lastGrad = Double.NaN;
    for (LayerStats l : layers) {
      if (Double.isFinite(l.gradNorm())) {
        maxGrad = Math.max(maxGrad, l.gradNorm());
        lastGrad = l.gradNorm();
      }
    }
    List<LayerStats> out = new ArrayList<>();
    for (LayerStats l : layers) {
      String mark = null;
      double ratio = inputStd > 0 ? l.outputStd() / inputStd : Double.NaN;
      boolean gradVanish =
          Double.isFinite(l.gradNorm()) && lastGrad > 0 && l.gradNorm() < VANISH * lastGrad;
      boolean gradExplode =
          Double.isFinite(l.gradNorm()) && lastGrad > 0 && l.gradNorm() > EXPLODE * lastGrad;
      if (ratio < VANISH || gradVanish || (Double.isFinite(l.gradNorm()) && maxGrad == 0)) {
        mark = "vanishing";
      } else if (ratio > EXPLODE || gradExplode || !Double.isFinite(l.outputStd())) {
        mark = "exploding";
      }
      out.add(l.withMark(mark));
    }
    return out;
  }
}
