package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * Statistics for the initializer tests (and the ops tests, which test draws too): exact CDFs, the
 * Kolmogorov–Smirnov test, moments.
 */
public final class StatTools {
  private StatTools() {}

  /** Significance level of every distribution test. */
  static final double ALPHA = 0.001;

  /** Bounds on means and variances are this many standard errors wide (two-sided α ≈ 7e-6). */
  static final double Z = 4.5;

  /**
   * The standard normal CDF by Marsaglia's series (J. Stat. Softw. 11(4), 2004): Φ(x) = 1/2 + φ(x)
   * (x + x³/3 + x⁵/(3·5) + ...), absolute error about 1e-15 for |x| < 8.
   */
  public static double phi(double x) {
    if (x < -8) {
      return 0;
    }
    if (x > 8) {
      return 1;
    }
    double s = x;
    double t = 0;
    double b = x;
    double q = x * x;
    double i = 1;
    while (s != t) {
      t = s;
      i += 2;
      b *= q / i;
      s = t + b;
    }
    return 0.5 + s * Math.exp(-0.5 * q - 0.91893853320467274178);
  }

  /** The standard normal density. */
  static double density(double x) {
    return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  }

  public static DoubleUnaryOperator uniformCdf(double lo, double hi) {
    return x -> x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo);
  }

  public static DoubleUnaryOperator normalCdf(double mean, double sd) {
    return x -> phi((x - mean) / sd);
  }

  /** CDF of N(mean, sd²) truncated to [mean - 2 sd, mean + 2 sd]. */
  public static DoubleUnaryOperator truncatedNormalCdf(double mean, double sd) {
    double lo = phi(-2);
    double z = phi(2) - lo;
    return x -> {
      double u = (x - mean) / sd;
      return u <= -2 ? 0 : u >= 2 ? 1 : (phi(u) - lo) / z;
    };
  }

  /** The KS statistic D = sup |F_n - F| of a sample against a continuous CDF. */
  public static double ksStatistic(double[] sample, DoubleUnaryOperator cdf) {
    double[] x = sample.clone();
    Arrays.sort(x);
    int n = x.length;
    double d = 0;
    for (int i = 0; i < n; i++) {
      double f = cdf.applyAsDouble(x[i]);
      d = Math.max(d, Math.max((i + 1) / (double) n - f, f - i / (double) n));
    }
    return d;
  }

  /**
   * The asymptotic p-value P(K > λ) = 2 Σ (-1)^(k-1) exp(-2 k² λ²) of the Kolmogorov distribution,
   * with Stephens's small-sample correction λ = D (√n + 0.12 + 0.11/√n).
   */
  public static double ksPValue(double d, int n) {
    double sn = Math.sqrt(n);
    double lambda = d * (sn + 0.12 + 0.11 / sn);
    if (lambda < 0.2) {
      return 1;
    }
    double sum = 0;
    for (int k = 1; k <= 100; k++) {
      double term = Math.exp(-2.0 * k * k * lambda * lambda);
      sum += (k % 2 == 1 ? term : -term);
      if (term < 1e-18) {
        break;
      }
    }
    return Math.max(0, Math.min(1, 2 * sum));
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  /** Population variance. */
  static double variance(double[] x) {
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return s / x.length;
  }

  /** E[z⁴] / E[z²]² of the standard normal truncated to [-2, 2]. */
  static double truncatedKurtosis() {
    double z = phi(2) - phi(-2);
    double m2 = 1 - 2 * 2 * density(2) / z;
    double m4 = 3 * m2 - 2 * 8 * density(2) / z;
    return m4 / (m2 * m2);
  }

  /** Fills a whole tensor single-threaded and decodes it. */
  static double[] draw(Initializer init, Shape shape, DType dtype, long streamSeed) {
    ByteBuffer buf =
        ByteBuffer.allocateDirect(Math.toIntExact(shape.elementCount() * dtype.size()));
    buf.order(ByteOrder.BIG_ENDIAN); // the initializer must write little-endian regardless
    init.fill(shape, dtype, streamSeed, buf);
    buf.flip();
    return DTypeCodec.decodeAll(buf, dtype);
  }

  static byte[] bytes(Initializer init, Shape shape, DType dtype, long streamSeed) {
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(shape.elementCount() * dtype.size()));
    init.fill(shape, dtype, streamSeed, buf);
    return buf.array();
  }
}
