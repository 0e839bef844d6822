package dev.initkit.ops;

import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * Mean and second moment of {@code f(X)} for {@code X ~ N(mean, variance)}: what an element-wise
 * activation does to a signal whose pre-activations are Gaussian (the central-limit picture behind
 * Glorot's and He's derivations, which this generalises beyond the linear regime and ReLU). Computed
 * by Simpson's rule on ±10 standard deviations, exact to about 1e-9 for the activations Keras has.
 */
final class GaussianMoments {
  private static final int STEPS = 2000; // even, for Simpson
  private static final double SPAN = 10;

  private GaussianMoments() {}

  /** {mean, second moment} of {@code f(X)}. */
  static double[] of(DoubleUnaryOperator f, double mean, double secondMoment) {
    double sd = Math.sqrt(Math.max(0, secondMoment - mean * mean));
    if (sd == 0) {
      double y = f.applyAsDouble(mean);
      return new double[] {y, y * y};
    }
    double h = 2 * SPAN / STEPS;
    double m1 = 0;
    double m2 = 0;
    for (int i = 0; i <= STEPS; i++) {
      double z = -SPAN + i * h;
      double w = (i == 0 || i == STEPS ? 1 : (i % 2 == 1 ? 4 : 2)) * pdf(z);
      double y = f.applyAsDouble(mean + sd * z);
      m1 += w * y;
      m2 += w * y * y;
    }
    return new double[] {m1 * h / 3, m2 * h / 3};
  }

  /**
   * {mean, second moment} of the largest of {@code k} independent draws of {@code N(mean, variance)}
   * (max pooling over {@code k} positions), from the density {@code k Φ(z)^(k-1) φ(z)}.
   */
  static double[] maxOf(long k, double mean, double secondMoment) {
    double sd = Math.sqrt(Math.max(0, secondMoment - mean * mean));
    if (k <= 1 || sd == 0) {
      return new double[] {mean, secondMoment};
    }
    double h = 2 * SPAN / STEPS;
    double m1 = 0;
    double m2 = 0;
    for (int i = 0; i <= STEPS; i++) {
      double z = -SPAN + i * h;
      double w = (i == 0 || i == STEPS ? 1 : (i % 2 == 1 ? 4 : 2)) * k * Math.pow(cdf(z), k - 1) * pdf(z);
      double y = mean + sd * z;
      m1 += w * y;
      m2 += w * y * y;
    }
    return new double[] {m1 * h / 3, m2 * h / 3};
  }

  static double pdf(double z) {
    return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  }

  /** Φ(z), through erfc (W. J. Cody's rational approximations are overkill here: 1e-7 suffices). */
  static double cdf(double z) {
    return 0.5 * erfc(-z / Math.sqrt(2));
  }

  /** erfc with relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit). */
  static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }

  /**
   * The element-wise function of a Keras activation name, or null when it is not element-wise or not
   * known ({@code softmax} is handled by the caller: it depends on the axis).
   */
  static DoubleUnaryOperator activation(String name) {
    if (name == null) {
      return x -> x;
    }
    switch (name.toLowerCase(Locale.ROOT).replace("_", "")) {
      case "linear":
      case "identity":
        return x -> x;
      case "relu":
        return x -> Math.max(0, x);
      case "relu6":
        return x -> Math.min(6, Math.max(0, x));
      case "leakyrelu":
        return x -> x >= 0 ? x : 0.2 * x; // keras.activations.leaky_relu's negative_slope
      case "elu":
        return x -> x >= 0 ? x : Math.expm1(x);
      case "selu":
        return x -> 1.0507009873554805 * (x >= 0 ? x : 1.6732632423543772 * Math.expm1(x));
      case "gelu":
        return x -> x * cdf(x);
      case "swish":
      case "silu":
        return x -> x / (1 + Math.exp(-x));
      case "mish":
        return x -> x * Math.tanh(softplus(x));
      case "sigmoid":
        return x -> 1 / (1 + Math.exp(-x));
      case "hardsigmoid":
        return x -> Math.min(1, Math.max(0, x / 6 + 0.5)); // Keras 3: relu6(x + 3) / 6
      case "hardsilu":
      case "hardswish":
        return x -> x * Math.min(1, Math.max(0, x / 6 + 0.5));
      case "tanh":
        return Math::tanh;
      case "hardtanh":
        return x -> Math.max(-1, Math.min(1, x));
      case "softplus":
        return GaussianMoments::softplus;
      case "softsign":
        return x -> x / (1 + Math.abs(x));
      case "exponential":
        return x -> Math.exp(Math.min(x, 700));
      case "logsigmoid":
        return x -> -softplus(-x);
      default:
        return null;
    }
  }

  static double softplus(double x) {
    return x > 30 ? x : Math.log1p(Math.exp(x));
  }
}
