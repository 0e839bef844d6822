package dev.initkit.init;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.internal.ConfigViews;
import dev.initkit.keras.Activations;
import dev.initkit.keras.LayerFamily;
import dev.initkit.keras.Recurrence;
import dev.initkit.keras.Wrappers;
import dev.initkit.keras.Wrappers.Wrapped;
import dev.initkit.model.Layer;
import dev.initkit.model.WeightRole;
import java.util.Objects;

/**
 * Chooses initializers for a layer's weights: {@link #choose} picks an activation-aware scheme
 * (what {@code reinit --scheme auto} draws), {@link #configured} reads what the layer's config
 * names (falling back to Keras's defaults for that layer). Wrappers ({@code Bidirectional}, {@code
 * TimeDistributed}) are looked through to the wrapped layer. Stateless and thread-safe.
 */
public final class AutoScheme {
  private AutoScheme() {}

  /**
   * An initializer chosen for one weight.
   *
   * @param spec what to draw, or null to leave the weight as it is ({@link #keep()})
   * @param reason one line saying why, for reports
   * @param unitForgetBias true for an LSTM bias whose layer has {@code unit_forget_bias}: Keras
   *     adds ones to the forget-gate quarter at build time, so the values are {@code [b]*u + [1]*u
   *     + [b]*2u}; {@link #initializer(WeightRole)} draws it that way
   */
  public record Choice(InitializerSpec spec, String reason, boolean unitForgetBias) {
    public Choice {
      Objects.requireNonNull(reason, "reason");
    }

    /** True when the weight is to be left unchanged. */
    public boolean keep() {
      return spec == null;
    }

    /**
     * The initializer that draws this choice for a weight of {@code role} (wrapping the LSTM bias
     * rule when {@link #unitForgetBias()} and the role is a bias).
     *
     * @throws IllegalStateException if {@link #keep()}
     * @throws IllegalArgumentException if the spec is a custom one initkit cannot draw
     */
    public Initializer initializer(WeightRole role) {
      if (spec == null) {
        throw new IllegalStateException("nothing to draw: " + reason);
      }
      Initializer init = Initializer.of(spec, role);
      return unitForgetBias && role == WeightRole.BIAS
          ? Initializer.lstmUnitForgetBias(init)
          : init;
    }
  }

  /** {@link #choose(Layer, WeightRole, String)} without a following activation. */
  public static Choice choose(Layer layer, WeightRole role) {
    return choose(layer, role, null);
  }

  /**
   * An activation-aware initializer for one weight: He normal for the ReLU family, ELU, GELU,
   * swish/SiLU and leaky ReLU; LeCun normal for SELU; Glorot uniform for tanh, sigmoid, softmax and
   * linear/none; orthogonal for recurrent kernels; Glorot uniform for recurrent input kernels
   * (their gates are sigmoid/tanh); zeros for biases (with the LSTM forget-gate ones when {@code
   * unit_forget_bias}); ones for gamma and moving variance, zeros for beta, moving mean and PReLU
   * alpha; RandomUniform(-0.05, 0.05) for embeddings (Keras's default).
   *
   * @param followingActivation the activation applied right after this layer by a separate layer
   *     (e.g. {@code relu} from {@code Activation('relu')} or a {@code ReLU} layer), used when the
   *     layer itself is linear; null when none or unknown
   */
  public static Choice choose(Layer layer, WeightRole role, String followingActivation) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(role, "role");
    Wrapped eff = unwrap(layer);
    switch (role) {
      case BIAS:
        {
          boolean ufb = unitForgetBias(layer);
          return new Choice(
              InitializerSpec.zeros(),
              ufb
                  ? "LSTM bias: zeros, plus Keras's unit_forget_bias ones on the forget gate ([0]*u + [1]*u + [0]*2u)"
                  : "bias: zeros (Keras default; the kernel sets the variance)",
              ufb);
        }
      case GAMMA:
        return new Choice(
            InitializerSpec.ones(), "normalisation scale gamma: ones (identity at start)", false);
      case BETA:
        return new Choice(InitializerSpec.zeros(), "normalisation offset beta: zeros", false);
      case MOVING_MEAN:
        return new Choice(InitializerSpec.zeros(), "moving mean: zeros (no statistics yet)", false);
      case MOVING_VARIANCE:
        return new Choice(
            InitializerSpec.ones(), "moving variance: ones (no statistics yet)", false);
      case ALPHA:
        return new Choice(
            InitializerSpec.zeros(), "PReLU alpha: zeros (Keras default; starts as ReLU)", false);
      case EMBEDDINGS:
        return new Choice(
            InitializerSpec.randomUniform(-0.05, 0.05, null),
            "embeddings: RandomUniform(-0.05, 0.05) (Keras default)",
            false);
      case RECURRENT_KERNEL:
        return new Choice(
            InitializerSpec.orthogonal(1.0, null),
            "recurrent kernel: orthogonal over the whole (units, gates*units) matrix (Keras default)",
            false);
      case OTHER:
        return new Choice(
            null, "not a layer weight with an initializer role: left unchanged", false);
      default:
        break;
    }
    // KERNEL, DEPTHWISE_KERNEL, POINTWISE_KERNEL
    String what = role == WeightRole.KERNEL ? "kernel" : role.label().replace('_', ' ');
    LayerFamily family = LayerFamily.of(eff.className());
    if (family == LayerFamily.RECURRENT || family == LayerFamily.RECURRENT_CELL) {
      return new Choice(
          InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
          eff.className()
              + " input kernel: Glorot uniform (Keras default; the gates are sigmoid/tanh)",
          false);
    }
    String own = activationOf(eff.config());
    String act = own;
    String source = "activation";
    if ((own == null || normalise(own).equals("linear")) && followingActivation != null) {
      act = followingActivation;
      source = "following activation";
    }
    if (act == null) {
      return new Choice(
          InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
          "no activation: Glorot uniform (Keras default, variance 2/(fan_in+fan_out))",
          false);
    }
    String a = normalise(act);
    if (a.equals("selu")) {
      return new Choice(
          InitializerSpec.preset(Preset.LECUN_NORMAL, null),
          source
              + " selu: LeCun normal, which SELU's self-normalisation assumes (variance 1/fan_in)",
          false);
    }
    if (Activations.isRectifier(a)) {
      return new Choice(
          InitializerSpec.preset(Preset.HE_NORMAL, null),
          source
              + " "
              + act
              + ": He normal keeps the forward variance of a ReLU-like unit (variance 2/fan_in)",
          false);
    }
    if (Activations.isOffsetRectifier(a)) {
      return new Choice(
          InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
          source
              + " "
              + act
              + ": Glorot uniform (Keras default): a rectifier with a positive value at 0 does not"
              + " halve the second moment, as He's variance 2/fan_in assumes",
          false);
    }
    if (Activations.isSymmetricOrLinear(a)) {
      return new Choice(
          InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
          source
              + " "
              + act
              + ": Glorot uniform (variance 2/(fan_in+fan_out), for symmetric saturating or linear units)",
          false);
    }
    return new Choice(
        InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
        source + " '" + act + "' not recognised: Glorot uniform (Keras default) for this " + what,
        false);
  }

  /**
   * The initializer a layer's config names for a weight role (key {@link
   * WeightRole#initializerKey()}; Keras 1 configs' {@code init}, {@code inner_init}, {@code
   * gamma_init}, {@code beta_init}), or Keras's default for that layer when the config names none:
   * Dense/Conv/RNN kernels {@code glorot_uniform}, biases zeros, recurrent kernels orthogonal,
   * embeddings {@code uniform} (±0.05), gamma and moving variance ones, beta and moving mean zeros,
   * PReLU alpha zeros. {@link Choice#unitForgetBias()} is set for LSTM biases with {@code
   * unit_forget_bias} (Keras's default).
   *
   * @throws IllegalArgumentException if the config names a built-in initializer with an invalid
   *     config (use {@link InitializerSpec#parse(JsonNode, java.nio.file.Path, String)} to report
   *     it against a file)
   */
  public static Choice configured(Layer layer, WeightRole role) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(role, "role");
    Wrapped eff = unwrap(layer);
    boolean ufb = role == WeightRole.BIAS && unitForgetBias(layer);
    String key = role.initializerKey();
    if (key == null) {
      return new Choice(null, "no initializer key for this weight: left unchanged", false);
    }
    JsonNode v = eff.config().get(key);
    if (v != null && !v.isNull()) {
      return new Choice(InitializerSpec.parse(v), "config " + key, ufb);
    }
    String k1 = keras1Key(role);
    JsonNode v1 = k1 == null ? null : eff.config().get(k1);
    if (v1 != null && !v1.isNull()) {
      return new Choice(InitializerSpec.parseKeras1(v1), "Keras 1 config " + k1, ufb);
    }
    String cls = eff.className().isEmpty() ? "this layer" : eff.className();
    String dflt = "not in the config: Keras's default for " + cls + " " + role.label();
    switch (role) {
      case KERNEL:
      case DEPTHWISE_KERNEL:
      case POINTWISE_KERNEL:
        return new Choice(InitializerSpec.preset(Preset.GLOROT_UNIFORM, null), dflt, false);
      case RECURRENT_KERNEL:
        return new Choice(InitializerSpec.orthogonal(1.0, null), dflt, false);
      case EMBEDDINGS:
        return new Choice(InitializerSpec.randomUniform(-0.05, 0.05, null), dflt, false);
      case GAMMA:
      case MOVING_VARIANCE:
        return new Choice(InitializerSpec.ones(), dflt, false);
      case BIAS:
      case BETA:
      case MOVING_MEAN:
      case ALPHA:
      default:
        return new Choice(InitializerSpec.zeros(), dflt, ufb);
    }
  }

  /**
   * True when the layer (looking through wrappers) is an LSTM-type layer whose bias gets Keras's
   * forget-gate ones: {@code unit_forget_bias} true or absent (Keras's default), or Keras 1's
   * {@code forget_bias_init: "one"}.
   */
  public static boolean unitForgetBias(Layer layer) {
    Wrapped eff = unwrap(layer);
    return Recurrence.unitForgetBias(eff.className(), eff.config());
  }

  private static String keras1Key(WeightRole role) {
    switch (role) {
      case KERNEL:
      case EMBEDDINGS:
      case ALPHA:
        return "init";
      case RECURRENT_KERNEL:
        return "inner_init";
      case GAMMA:
        return "gamma_init";
      case BETA:
        return "beta_init";
      default:
        return null;
    }
  }

  /** The wrapped layer's class and config, looking through wrappers. */
  private static Wrapped unwrap(Layer layer) {
    return Wrappers.unwrap(layer.className(), ConfigViews.of(layer));
  }

  /** The activation a layer config names, or null (see {@link Layer#activationOf}). */
  static String activationOf(JsonNode config) {
    return Layer.activationOf(config);
  }

  /**
   * Lower case without separators: {@code LeakyReLU} and {@code leaky_relu} give {@code leakyrelu}.
   */
  private static String normalise(String activation) {
    return Activations.normalise(activation);
  }
}
