package dev.initkit.init;

import java.util.Objects;

/**
 * What one element of a tensor is drawn from, once an {@link InitializerSpec} is resolved for a
 * shape (VarianceScaling's limit or stddev computed from the fans).
 *
 * @param type the distribution family
 * @param a CONSTANT: the value; UNIFORM: low (inclusive); NORMAL / TRUNCATED_NORMAL: the mean;
 *     RANDOM_SIGN: the magnitude; ORTHOGONAL / IDENTITY: the gain; else 0
 * @param b UNIFORM: high (exclusive); NORMAL: the stddev; TRUNCATED_NORMAL: the stddev before
 *     truncation (values beyond 2 of them are re-drawn); else 0
 */
public record Sampling(Type type, double a, double b) {

  /** Distribution families. */
  public enum Type {
    CONSTANT,
    UNIFORM,
    NORMAL,
    TRUNCATED_NORMAL,
    RANDOM_SIGN,
    ORTHOGONAL,
    IDENTITY,
    SINUSOIDAL
  }

  /** Validates the type (non-null). */
  public Sampling {
    Objects.requireNonNull(type, "type");
  }

  /**
   * Short text, e.g. {@code U[-0.0765, 0.0765)}, {@code N(0.0, 0.05)}, {@code TN(0.0, 0.0612;
   * ±2σ)}.
   */
  public String describe() {
    switch (type) {
      case CONSTANT:
        return "constant " + SpecString.num(a);
      case UNIFORM:
        return "U[" + g(a) + ", " + g(b) + ")";
      case NORMAL:
        return "N(" + g(a) + ", " + g(b) + ")";
      case TRUNCATED_NORMAL:
        return "TN(" + g(a) + ", " + g(b) + "; ±2σ)";
      case RANDOM_SIGN:
        return "±" + g(a);
      case ORTHOGONAL:
        return "orthogonal × " + g(a);
      case IDENTITY:
        return "identity × " + g(a);
      default:
        return "sinusoidal";
    }
  }

  private static String g(double v) {
    return v == 0 ? "0" : String.format(java.util.Locale.ROOT, "%.4g", v);
  }
}
