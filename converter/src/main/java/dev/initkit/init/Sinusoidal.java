package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sinusoidal initialization (Fernández-Hernández et al., "Sinusoidal Initialization, Time for a New
 * Start", arXiv 2505.12909), as the authors' reference {@code sinusoidal_} computes it on a PyTorch
 * weight {@code (n_out, n_in, k...)} viewed as {@code (n_out, n_flat)} with {@code n_flat = n_in *
 * prod(k)}:
 *
 * <pre>
 *   pos_j   = j * (2π / n_flat) + 2π / n_out           j in [0, n_flat)
 *   W[i, j] = sin(pos_j * (i + 1))                      i in [0, n_out)
 *   W      *= sqrt(2 / (var_unbiased(W) * (n_flat + n_out)))
 * </pre>
 *
 * Like the reference, the arithmetic is float32 (positions, products, sines and the final scaling
 * are rounded to float32 at the same steps; the variance is accumulated in double and rounded to
 * float32, as {@code torch.var(...).item()} returns it), so the values agree with PyTorch's to
 * about one float32 ulp. Keras kernels map to the PyTorch layout: {@code (k..., in, out)} element
 * {@code [k, ci, co]} is PyTorch {@code [co, ci, k]} (flat column {@code ci * prod(k) + k_flat}); a
 * depthwise kernel {@code (k..., in, dm)} is PyTorch's {@code (in * dm, 1, k...)}: row {@code ci *
 * dm + m}, column {@code k_flat}. Deterministic: no seed.
 */
final class Sinusoidal extends BaseInitializer {
  private static final double TWO_PI = 2 * Math.PI;

  /** The reference layout of a Keras shape. */
  private record Layout(long nOut, long nFlat, long kernel, long in, boolean depthwise) {
    /** PyTorch row of Keras element {@code e} (the output channel is the fastest-varying index). */
    long row(long e) {
      return e % nOut;
    }

    /** PyTorch flat column of Keras element {@code e}. */
    long col(long e) {
      if (depthwise) {
        return e / nOut;
      }
      long t = e / nOut;
      long ci = t % in;
      long kf = t / in;
      return ci * kernel + kf;
    }
  }

  private record Key(Shape shape, boolean depthwise) {}

  /** Per shape: {float32 amplitude, mean, population std} of the final values. */
  private static final Map<Key, double[]> STATS = new ConcurrentHashMap<>();

  private final boolean depthwise;

  Sinusoidal(InitializerSpec spec, boolean depthwise) {
    super(spec);
    this.depthwise = depthwise;
  }

  private static Layout layout(Shape shape, boolean depthwise) {
    if (shape.rank() < 2) {
      throw new IllegalArgumentException("Sinusoidal needs a shape of rank >= 2, not " + shape);
    }
    long kernel = 1;
    for (int i = 0; i < shape.rank() - 2; i++) {
      kernel = Math.multiplyExact(kernel, shape.dim(i));
    }
    long in = shape.dim(-2);
    long out = shape.dim(-1);
    if (depthwise) {
      return new Layout(Math.multiplyExact(in, out), kernel, kernel, in, true);
    }
    return new Layout(out, Math.multiplyExact(in, kernel), kernel, in, false);
  }

  /** The unscaled float32 value of reference element (i, j). */
  private static float raw(long i, long j, float freq, float phase) {
    float pos = (float) j * freq + phase;
    float arg = pos * (float) (i + 1);
    return (float) Math.sin(arg);
  }

  private static double[] stats(Shape shape, boolean depthwise) {
    return STATS.computeIfAbsent(
        new Key(shape, depthwise), k -> computeStats(k.shape(), k.depthwise()));
  }

  private static double[] computeStats(Shape shape, boolean depthwise) {
    Layout l = layout(shape, depthwise);
    long count = l.nOut() * l.nFlat();
    if (count < 2) {
      throw new IllegalArgumentException(
          "Sinusoidal needs at least 2 elements to normalise (the reference divides by an unbiased variance); shape "
              + shape);
    }
    float freq = (float) (TWO_PI / l.nFlat());
    float phase = (float) (TWO_PI / l.nOut());
    double sum = 0;
    for (long i = 0; i < l.nOut(); i++) {
      for (long j = 0; j < l.nFlat(); j++) {
        sum += raw(i, j, freq, phase);
      }
    }
    double mean = sum / count;
    double ss = 0;
    for (long i = 0; i < l.nOut(); i++) {
      for (long j = 0; j < l.nFlat(); j++) {
        double d = raw(i, j, freq, phase) - mean;
        ss += d * d;
      }
    }
    float var = (float) (ss / (count - 1));
    if (!(var > 1e-12f)) {
      throw new IllegalArgumentException(
          "Sinusoidal is degenerate for shape "
              + shape
              + ": its unnormalised values have (almost) no variance ("
              + var
              + ")");
    }
    float amp = (float) Math.sqrt(2.0 / ((double) var * (l.nFlat() + l.nOut())));
    // Statistics of the final float32 values (exact, a third pass).
    double s = 0;
    double s2 = 0;
    for (long i = 0; i < l.nOut(); i++) {
      for (long j = 0; j < l.nFlat(); j++) {
        double v = raw(i, j, freq, phase) * amp;
        s += v;
      }
    }
    double m = s / count;
    for (long i = 0; i < l.nOut(); i++) {
      for (long j = 0; j < l.nFlat(); j++) {
        double d = raw(i, j, freq, phase) * amp - m;
        s2 += d * d;
      }
    }
    return new double[] {amp, m, Math.sqrt(s2 / count)};
  }

  /** The mean of the values for a shape. */
  static double mean(Shape shape, boolean depthwise) {
    return stats(shape, depthwise)[1];
  }

  /** The population std of the values for a shape. */
  static double std(Shape shape, boolean depthwise) {
    return stats(shape, depthwise)[2];
  }

  @Override
  public void check(Shape shape) {
    stats(shape, depthwise);
  }

  @Override
  void fillChecked(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count) {
    Layout l = layout(shape, depthwise);
    float amp = (float) stats(shape, depthwise)[0];
    float freq = (float) (TWO_PI / l.nFlat());
    float phase = (float) (TWO_PI / l.nOut());
    fillFromFunction(e -> raw(l.row(e), l.col(e), freq, phase) * amp, dtype, dst, first, count);
  }
}
