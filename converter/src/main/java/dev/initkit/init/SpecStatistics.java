package dev.initkit.init;

import static dev.initkit.init.InitializerSpec.TRUNCATED_STD_FACTOR;

import dev.initkit.init.InitializerSpec.Custom;
import dev.initkit.init.InitializerSpec.Fixed;
import dev.initkit.init.InitializerSpec.Identity;
import dev.initkit.init.InitializerSpec.RandomNormal;
import dev.initkit.init.InitializerSpec.RandomUniform;
import dev.initkit.init.InitializerSpec.SmallSign;
import dev.initkit.init.InitializerSpec.TruncatedNormal;
import dev.initkit.init.InitializerSpec.VarianceScaling;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
import java.util.Objects;

/**
 * What an {@link InitializerSpec} implies for a tensor of a given shape: the distribution one
 * element is drawn from ({@link #sampling}), VarianceScaling's target variance from the fans, and
 * the expected mean and standard deviation of the elements. Stateless; all methods are static.
 */
public final class SpecStatistics {
  private SpecStatistics() {}

  /**
   * What one element of a tensor of this shape is drawn from (or computed as).
   *
   * @throws IllegalArgumentException for a {@link Custom} spec, or a shape the initializer refuses
   *     (Identity needs rank 2, Orthogonal and Sinusoidal rank >= 2)
   */
  public static Sampling sampling(InitializerSpec spec, Shape shape) {
    Objects.requireNonNull(shape, "shape");
    if (spec instanceof Fixed f) {
      return new Sampling(Sampling.Type.CONSTANT, f.value(), 0);
    } else if (spec instanceof RandomUniform u) {
      return new Sampling(Sampling.Type.UNIFORM, u.minval(), u.maxval());
    } else if (spec instanceof RandomNormal n) {
      return new Sampling(Sampling.Type.NORMAL, n.mean(), n.stddev());
    } else if (spec instanceof TruncatedNormal n) {
      return new Sampling(Sampling.Type.TRUNCATED_NORMAL, n.mean(), n.stddev());
    } else if (spec instanceof VarianceScaling v) {
      double s = scaledVariance(v, shape);
      switch (v.distribution()) {
        case UNIFORM:
          {
            double limit = Math.sqrt(3.0 * s);
            return new Sampling(Sampling.Type.UNIFORM, -limit, limit);
          }
        case UNTRUNCATED_NORMAL:
          return new Sampling(Sampling.Type.NORMAL, 0, Math.sqrt(s));
        default:
          return new Sampling(
              Sampling.Type.TRUNCATED_NORMAL, 0, Math.sqrt(s) / TRUNCATED_STD_FACTOR);
      }
    } else if (spec instanceof InitializerSpec.Orthogonal o) {
      if (shape.rank() < 2) {
        throw new IllegalArgumentException(
            "Orthogonal needs a shape of rank >= 2 (Keras raises too), not " + shape);
      }
      return new Sampling(Sampling.Type.ORTHOGONAL, o.gain(), 0);
    } else if (spec instanceof Identity i) {
      if (shape.rank() != 2) {
        throw new IllegalArgumentException(
            "Identity needs a rank-2 shape (Keras raises too), not " + shape);
      }
      return new Sampling(Sampling.Type.IDENTITY, i.gain(), 0);
    } else if (spec instanceof SmallSign m) {
      return new Sampling(Sampling.Type.RANDOM_SIGN, m.magnitude(), 0);
    } else if (spec instanceof InitializerSpec.Sinusoidal) {
      if (shape.rank() < 2) {
        throw new IllegalArgumentException("Sinusoidal needs a shape of rank >= 2, not " + shape);
      }
      return new Sampling(Sampling.Type.SINUSOIDAL, 0, 0);
    }
    throw new IllegalArgumentException("cannot draw " + spec.describe());
  }

  /**
   * VarianceScaling's {@code scale / max(1, n)} with {@code n} = fan_in, fan_out or (fan_in +
   * fan_out)/2 of {@code shape}: the target variance.
   */
  public static double scaledVariance(VarianceScaling spec, Shape shape) {
    Fans f = spec.fans(shape);
    double n;
    switch (spec.mode()) {
      case FAN_IN:
        n = f.fanIn();
        break;
      case FAN_OUT:
        n = f.fanOut();
        break;
      default:
        n = f.fanAvg();
    }
    return spec.scale() / Math.max(1.0, n);
  }

  /**
   * The expected mean of the elements of a tensor of this shape: exact for deterministic kinds
   * (Identity: {@code gain * min(r, c) / (r * c)}; Sinusoidal computed), the distribution's mean
   * otherwise (0 for VarianceScaling, Orthogonal and SmallSign). NaN for a {@link Custom} spec.
   */
  public static double expectedMean(InitializerSpec spec, Shape shape) {
    return expectedMean(spec, shape, WeightRole.KERNEL);
  }

  /**
   * As {@link #expectedMean(InitializerSpec, Shape)} for a weight of {@code role}: only Sinusoidal
   * depends on it (a {@link WeightRole#DEPTHWISE_KERNEL} uses PyTorch's grouped layout, see {@link
   * Initializer#of(InitializerSpec, WeightRole)}).
   */
  public static double expectedMean(InitializerSpec spec, Shape shape, WeightRole role) {
    if (spec instanceof Custom) {
      return Double.NaN;
    }
    Sampling d = sampling(spec, shape);
    switch (d.type()) {
      case CONSTANT:
      case NORMAL:
      case TRUNCATED_NORMAL:
        return d.a();
      case UNIFORM:
        return (d.a() + d.b()) / 2;
      case IDENTITY:
        {
          long r = shape.dim(0);
          long c = shape.dim(1);
          return r * c == 0 ? 0 : d.a() * Math.min(r, c) / ((double) r * c);
        }
      case SINUSOIDAL:
        return Sinusoidal.mean(shape, role == WeightRole.DEPTHWISE_KERNEL);
      default:
        return 0;
    }
  }

  /**
   * The standard deviation the scheme implies for a tensor of this shape (around {@link
   * #expectedMean}), exactly: constants 0; U(a, b) {@code (b-a)/sqrt(12)}; RandomNormal stddev;
   * TruncatedNormal {@code stddev * 0.87962566103423978} (post-truncation); VarianceScaling {@code
   * sqrt(scale / max(1, n))} for every distribution (the truncated one is corrected); Orthogonal
   * {@code gain * sqrt(min(r, c) / (r * c))} with r = prod(shape[:-1]), c = shape[-1] (each
   * orthonormal row or column has unit norm, so E[w²] = gain²·min/(r·c), and E[w] = 0); Identity
   * and Sinusoidal the exact population std of their values; SmallSign its magnitude. NaN for a
   * {@link Custom} spec.
   *
   * @throws IllegalArgumentException for a shape the initializer refuses
   */
  public static double expectedStd(InitializerSpec spec, Shape shape) {
    return expectedStd(spec, shape, WeightRole.KERNEL);
  }

  /**
   * As {@link #expectedStd(InitializerSpec, Shape)} for a weight of {@code role}: only Sinusoidal
   * depends on it.
   *
   * @throws IllegalArgumentException for a shape the initializer refuses
   */
  public static double expectedStd(InitializerSpec spec, Shape shape, WeightRole role) {
    if (spec instanceof Custom) {
      return Double.NaN;
    }
    Sampling d = sampling(spec, shape);
    switch (d.type()) {
      case CONSTANT:
        return 0;
      case UNIFORM:
        return Math.abs(d.b() - d.a()) / Math.sqrt(12.0);
      case NORMAL:
        return Math.abs(d.b());
      case TRUNCATED_NORMAL:
        return Math.abs(d.b()) * TRUNCATED_STD_FACTOR;
      case RANDOM_SIGN:
        return d.a();
      case ORTHOGONAL:
        {
          long[] rc = Orthogonal.flatShape(shape);
          double r = rc[0];
          double c = rc[1];
          return r * c == 0 ? 0 : Math.abs(d.a()) * Math.sqrt(Math.min(r, c) / (r * c));
        }
      case IDENTITY:
        {
          double r = shape.dim(0);
          double c = shape.dim(1);
          double n = r * c;
          if (n == 0) {
            return 0;
          }
          double p = Math.min(r, c) / n; // fraction of elements equal to gain
          return Math.abs(d.a()) * Math.sqrt(p * (1 - p));
        }
      case SINUSOIDAL:
        return Sinusoidal.std(shape, role == WeightRole.DEPTHWISE_KERNEL);
      default:
        return Double.NaN;
    }
  }

  /**
   * The std the config meant when it was written, where that differs from {@link #expectedStd}:
   * {@code distribution: "normal"} (old Keras / tfjs: truncated without correction, so {@code
   * sqrt(scale') * 0.8796}) and Keras 1 {@code orthogonal} (scale 1.1). Otherwise equal to {@link
   * #expectedStd}.
   */
  public static double originalExpectedStd(InitializerSpec spec, Shape shape) {
    double s = expectedStd(spec, shape, WeightRole.KERNEL);
    if (spec.legacyNormal()) {
      return s * TRUNCATED_STD_FACTOR;
    }
    if (spec.keras1() && spec instanceof InitializerSpec.Orthogonal) {
      return s * 1.1;
    }
    return s;
  }
}
