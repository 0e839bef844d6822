package dev.initkit.ops;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which Keras's fan rule a configured VarianceScaling kernel initializer is drawn with. Keras
 * 3.15.0 gave EinsumDense kernels (every MultiHeadAttention and GroupQueryAttention projection)
 * fans on the axes of their equation (keras pull request 22789); every earlier Keras, tf-keras and
 * Keras 1/2 use the classic rule (receptive field times the last two axes).
 */
public enum FanRule {
  /**
   * The rule of the Keras that wrote the file: the einsum axes where its config carries 3.15's
   * keys.
   */
  AS_WRITTEN,
  /** The classic rule, as every Keras before 3.15.0 draws. */
  CLASSIC,
  /** Keras 3.15's: einsum axes for EinsumDense kernels whether or not the config names the keys. */
  EINSUM_AXES;

  private static final Pattern VERSION =
      Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.\\d+)?(?:[.\\-+a-z0-9]*)?");

  /**
   * The rule of a Keras version ({@code 3.15}, {@code 3.12.0}, {@code 2.21} for tf-keras, ...).
   *
   * @throws IllegalArgumentException naming the text when it is not a version
   */
  public static FanRule ofKeras(String version) {
    Matcher m = VERSION.matcher(version.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a Keras version: '" + version + "' (e.g. 3.15, 3.12.0, 2.21)");
    }
    int major = Integer.parseInt(m.group(1));
    int minor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    if (major < 1 || major > 3) {
      throw new IllegalArgumentException(
          "not a Keras version: '" + version + "' (Keras 1, 2, tf-keras 2.x or Keras 3)");
    }
    return major == 3 && minor >= 15 ? EINSUM_AXES : CLASSIC;
  }
}
