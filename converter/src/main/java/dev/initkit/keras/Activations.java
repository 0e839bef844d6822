package dev.initkit.keras;

import java.util.Locale;
import java.util.Set;

/**
 * What a Keras activation name means for initialisation: which units He's initializer was derived
 * for, and which Glorot's. Names are compared {@link #normalise normalised}, so Keras's spellings
 * ({@code leaky_relu}, {@code LeakyReLU}, {@code hard_swish}) meet. Thread-safe (stateless).
 *
 * <p>He et al. (2015) set a kernel's variance to {@code 2/fan_in} because a rectifier on a
 * zero-mean symmetric pre-activation keeps half its second moment: {@code E[relu(x)^2] = E[x^2]/2}.
 * The {@link #isRectifier rectifiers} here are the units for which that factor holds (exactly for
 * ReLU and its positively homogeneous variants, to within a few percent at unit variance for ELU,
 * GELU, Swish and Mish, which pass through 0 and approach ReLU). Softplus, squareplus and
 * sparseplus are smooth rectifiers too, but with a positive value at 0 ({@code softplus(0) = ln
 * 2}): their second moment does not scale with the input's, and at unit variance {@code
 * E[softplus(x)^2]} is 0.93 of {@code E[x^2]}, not 1/2; they are {@link #isOffsetRectifier offset
 * rectifiers}, for which He's argument does not hold.
 */
public final class Activations {
  /** Units whose second-moment factor on a Gaussian pre-activation is 1/2 (He's factor). */
  private static final Set<String> RECTIFIERS =
      Set.of(
          "relu",
          "relu6",
          "elu",
          "gelu",
          "swish",
          "silu",
          "leakyrelu",
          "prelu",
          "mish",
          "celu",
          "hardswish",
          "hardsilu",
          "thresholdedrelu");

  /** Smooth rectifiers with a positive value at 0: not halving the second moment. */
  private static final Set<String> OFFSET_RECTIFIERS =
      Set.of("softplus", "squareplus", "sparseplus");

  /** Symmetric saturating or linear units: the ones Glorot's {@code 2/(fan_in+fan_out)} assumes. */
  private static final Set<String> SYMMETRIC_OR_LINEAR =
      Set.of(
          "tanh",
          "sigmoid",
          "hardsigmoid",
          "softmax",
          "logsoftmax",
          "linear",
          "softsign",
          "exponential",
          "hardtanh",
          "tanhshrink",
          "logsigmoid",
          "sparsemax",
          "softshrink",
          "hardshrink");

  private Activations() {}

  /**
   * An activation name as this class compares it: lower case, without {@code _}, {@code -} and
   * spaces ({@code leaky_relu} and {@code LeakyReLU} are both {@code leakyrelu}).
   */
  public static String normalise(String activation) {
    return activation.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(" ", "");
  }

  /**
   * True for the ReLU family: units that keep half the second moment of a zero-mean Gaussian
   * pre-activation ({@code E[f(x)^2] = E[x^2]/2}), for which He's {@code 2/fan_in} keeps the
   * forward variance.
   */
  public static boolean isRectifier(String activation) {
    return activation != null && RECTIFIERS.contains(normalise(activation));
  }

  /** True for softplus, squareplus and sparseplus: rectifiers with a positive value at 0. */
  public static boolean isOffsetRectifier(String activation) {
    return activation != null && OFFSET_RECTIFIERS.contains(normalise(activation));
  }

  /**
   * True for symmetric saturating units (tanh, sigmoid...) and linear ones, which Glorot's variance
   * {@code 2/(fan_in+fan_out)} assumes.
   */
  public static boolean isSymmetricOrLinear(String activation) {
    return activation != null && SYMMETRIC_OR_LINEAR.contains(normalise(activation));
  }
}
