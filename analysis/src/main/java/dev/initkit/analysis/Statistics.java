package dev.initkit.analysis;

import dev.initkit.analysis.LayerStats.Histogram;

/** The statistics of a layer's output and weights, whichever engine computed the values. */
final class Statistics {
  private Statistics() {}

  /** Mean and (population) standard deviation, in double. */
  static double[] meanStd(float[] v) {
    double s = 0;
    for (float f : v) {
      s += f;
    }
    double mean = v.length == 0 ? Double.NaN : s / v.length;
    double q = 0;
    for (float f : v) {
      q += (f - mean) * (f - mean);
    }
    return new double[] {mean, v.length == 0 ? Double.NaN : Math.sqrt(q / v.length)};
  }

  /**
   * ReLU family: the fraction of units that are 0 for every sample; a unit is an index of {@code
   * unitAxis} (1 for DL4J's channels-first layouts, the last axis for TensorFlow's channels-last).
   */
  static double deadFraction(String act, float[] out, long[] shape, int unitAxis) {
    if (act == null
        || !(act.equals("relu") || act.equals("relu6") || act.startsWith("thresholdedrelu"))) {
      return Double.NaN;
    }
    if (shape.length < 2 || out.length == 0) {
      return Double.NaN;
    }
    int units = (int) shape[unitAxis];
    int inner = 1;
    for (int i = unitAxis + 1; i < shape.length; i++) {
      inner *= (int) shape[i];
    }
    int outer = out.length / (units * inner);
    boolean[] alive = new boolean[units];
    for (int o = 0; o < outer; o++) {
      for (int u = 0; u < units; u++) {
        int base = (o * units + u) * inner;
        for (int k = 0; k < inner && !alive[u]; k++) {
          if (out[base + k] > 0) {
            alive[u] = true;
          }
        }
      }
    }
    int dead = 0;
    for (boolean a : alive) {
      dead += a ? 0 : 1;
    }
    return (double) dead / units;
  }

  /** tanh: |y| &gt; 0.99; sigmoid: y &lt; 0.01 or y &gt; 0.99; NaN for other activations. */
  static double saturatedFraction(String act, float[] out) {
    if (act == null || out.length == 0) {
      return Double.NaN;
    }
    boolean tanh = act.equals("tanh") || act.equals("hardtanh");
    boolean sigmoid =
        act.equals("sigmoid") || act.equals("hardsigmoid") || act.equals("hard_sigmoid");
    if (!tanh && !sigmoid) {
      return Double.NaN;
    }
    long sat = 0;
    for (float f : out) {
      if (tanh ? Math.abs(f) > 0.99f : (f < 0.01f || f > 0.99f)) {
        sat++;
      }
    }
    return (double) sat / out.length;
  }

  static Histogram histogram(float[] v, int bins) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (float f : v) {
      if (Float.isFinite(f)) {
        min = Math.min(min, f);
        max = Math.max(max, f);
      }
    }
    long[] counts = new long[bins];
    if (min > max) {
      return new Histogram(0, 0, counts);
    }
    double w = (max - min) / bins;
    for (float f : v) {
      if (Float.isFinite(f)) {
        int b = w == 0 ? bins / 2 : (int) Math.min(bins - 1, (f - min) / w);
        counts[b]++;
      }
    }
    return new Histogram(min, max, counts);
  }
}
