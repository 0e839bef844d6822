package dev.initkit.ops;

import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * Mean and second moment of {@code f(X)} for {@code X ~ N(mean, variance)}: what an element-wise
 * activation does to a signal whose pre-activations are Gaussian (the central-limit picture behind
 * Glorot's and He's derivations, which this generalises beyond the linear regime and ReLU).
 * Computed by Simpson's rule on ±10 standard deviations, exact to about 1e-9 for the activations
 * Keras has.
 */
final class GaussianMoments {
  private static final int STEPS = 2000; // even, for Simpson
  private static final double SPAN = 10;

  /**
   * Simpson's weights times the density at each node, and the nodes: computed once, the same
   * doubles {@link #of} computed at every call.
   */
  private static final double[] WEIGHTS = new double[STEPS + 1];

  private static final double[] NODES = new double[STEPS + 1];

  static {
    double h = 2 * SPAN / STEPS;
    for (int i = 0; i <= STEPS; i++) {
      double z = -SPAN + i * h;
      NODES[i] = z;
      WEIGHTS[i] = (i == 0 || i == STEPS ? 1 : (i % 2 == 1 ? 4 : 2)) * pdf(z);
    }
  }

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
      double w = WEIGHTS[i];
      double y = f.applyAsDouble(mean + sd * NODES[i]);
      m1 += w * y;
      m2 += w * y * y;
    }
    return new double[] {m1 * h / 3, m2 * h / 3};
  }

  /**
   * {E[p_i^2], E[|J g|^2] / C} of a softmax over {@code classes} logits drawn independently from
   * N(0, variance), J = diag(p) - p p^T its Jacobian and g a unit-variance gradient: Monte Carlo
   * with a fixed seed (deterministic), since the sum in the denominator has no closed form.
   */
  static double[] softmax(long classes, double variance) {
    if (classes <= 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    int c = (int) Math.min(classes, 100_000);
    int draws = Math.max(200, 400_000 / c);
    java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
    double sd = Math.sqrt(Math.max(0, variance));
    double[] z = new double[c];
    double p2 = 0;
    double jg = 0;
    for (int d = 0; d < draws; d++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        z[i] = sd * gaussian(rng);
        max = Math.max(max, z[i]);
      }
      double sum = 0;
      for (int i = 0; i < c; i++) {
        z[i] = Math.exp(z[i] - max);
        sum += z[i];
      }
      double s2 = 0;
      double s3 = 0;
      for (int i = 0; i < c; i++) {
        double p = z[i] / sum;
        s2 += p * p;
        s3 += p * p * p;
      }
      p2 += s2;
      jg += s2 - 2 * s3 + s2 * s2; // E_g |diag(p) g - p (p.g)|^2
    }
    return new double[] {p2 / draws / c, jg / draws / c};
  }

  private static double gaussian(java.util.SplittableRandom rng) {
    double u = rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  /** E[f'(X)^2] for X ~ N(mean, variance), the derivative by central differences. */
  static double derivativeSquare(DoubleUnaryOperator f, double mean, double secondMoment) {
    double h = 1e-5;
    return of(v -> (f.applyAsDouble(v + h) - f.applyAsDouble(v - h)) / (2 * h), mean, secondMoment)[
        1];
  }

  /**
   * {mean, second moment} of the largest of {@code k} independent draws of {@code N(mean,
   * variance)} (max pooling over {@code k} positions), from the density {@code k Φ(z)^(k-1) φ(z)}.
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
      double w =
          (i == 0 || i == STEPS ? 1 : (i % 2 == 1 ? 4 : 2))
              * k
              * Math.pow(cdf(z), (double) (k - 1))
              * pdf(z);
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
    double r =
        t
            * Math.exp(
                -z * z
                    - 1.26551223
                    + t
                        * (1.00002368
                            + t
                                * (0.37409196
                                    + t
                                        * (0.09678418
                                            + t
                                                * (-0.18628806
                                                    + t
                                                        * (0.27886807
                                                            + t
                                                                * (-1.13520398
                                                                    + t
                                                                        * (1.48851587
                                                                            + t
                                                                                * (-0.82215223
                                                                                    + t
                                                                                        * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }

  /**
   * The element-wise function of a Keras activation name, or null when it is not element-wise or
   * not known ({@code softmax} is handled by the caller: it depends on the axis).
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
