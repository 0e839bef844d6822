package dev.initkit.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.init.AutoScheme;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Layer;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The initializer a layer's config names for one of its weights, with where it was found: the
 * {@code *_initializer} key of the layer (looking through {@code Bidirectional} (each direction),
 * {@code TimeDistributed} and RNN {@code cell}s), a Keras 1 {@code init}/{@code inner_init}/{@code
 * gamma_init}/{@code beta_init} string, or else Keras's default for the layer (the semantics of
 * {@link AutoScheme#configured}).
 *
 * @param spec the canonical spec, or null when there is none ({@link Source#NONE}) or the config is
 *     invalid ({@link Source#INVALID}, see {@code error})
 * @param asWritten the JSON as the config holds it, or null for a default
 * @param key where it was found, relative to the layer's config ({@code kernel_initializer}, {@code
 *     layer/config/kernel_initializer}, {@code init}), or null for a default
 * @param source how it was found
 * @param reason one line for reports
 * @param unitForgetBias true for an LSTM bias that gets Keras's forget-gate ones
 * @param error why the written config is invalid, or null
 */
public record ConfiguredInitializer(
    InitializerSpec spec,
    JsonNode asWritten,
    String key,
    Source source,
    String reason,
    boolean unitForgetBias,
    String error) {

  private static final Pattern KERAS1_GATE = Pattern.compile("_b_([a-z])$");

  /** How the initializer was found. */
  public enum Source {
    /** A {@code *_initializer} key of the layer config. */
    CONFIG,
    /** A Keras 1 {@code init}-style key. */
    KERAS1,
    /** Not in the config: Keras's default for the layer and role. */
    DEFAULT,
    /** The weight has no initializer role (e.g. a layer-specific variable). */
    NONE,
    /** The config names a built-in initializer with an invalid config. */
    INVALID
  }

  public ConfiguredInitializer {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(reason, "reason");
  }

  /** The configured initializer of the weight at {@code weightIndex} of {@code layer}'s weights. */
  public static ConfiguredInitializer of(Layer layer, int weightIndex, WeightRole role) {
    return of(layer, weightIndex, role, FanRule.AS_WRITTEN);
  }

  /**
   * The configured initializer of the weight at {@code weightIndex} of {@code layer}'s weights,
   * with the fans {@code rule} gives an EinsumDense kernel (as another Keras would draw it).
   */
  public static ConfiguredInitializer of(
      Layer layer, int weightIndex, WeightRole role, FanRule rule) {
    LayerConfigs.Effective eff = LayerConfigs.effective(layer, weightIndex, role);
    Weight w =
        weightIndex >= 0 && weightIndex < layer.weights().size()
            ? layer.weights().get(weightIndex)
            : null;
    boolean ufb = role == WeightRole.BIAS && LayerConfigs.unitForgetBias(eff);
    if (ufb && w != null) {
      // Keras 1 stores one bias per gate (<layer>_b_i, _b_f, _b_c, _b_o): only the forget gate's
      // gets
      // forget_bias_init, the others zeros
      String gate = keras1Gate(w);
      if (gate != null) {
        if (gate.equals("f")) {
          JsonNode fb = eff.config().get("forget_bias_init");
          InitializerSpec f =
              fb != null && fb.isTextual()
                  ? InitializerSpec.parseKeras1(fb)
                  : InitializerSpec.ones();
          return new ConfiguredInitializer(
              f,
              fb == null ? null : fb.deepCopy(),
              fb == null ? null : LayerConfigs.join(eff.path(), "forget_bias_init"),
              fb == null ? Source.DEFAULT : Source.KERAS1,
              "Keras 1 forget-gate bias: forget_bias_init",
              false,
              null);
        }
        ufb = false;
      } else if (!fusedBias(w)) {
        ufb = false; // not the fused (4 * units,) bias the forget-gate rule applies to
      }
    }
    String key = role.initializerKey();
    InitializerSpec fixed =
        key == null && w != null ? FixedInitializers.of(layer.className(), w.shortName()) : null;
    if (fixed != null) {
      return new ConfiguredInitializer(
          fixed,
          null,
          null,
          Source.DEFAULT,
          "no config key: Keras's fixed initializer for " + layer.className() + " " + w.shortName(),
          false,
          null);
    }
    if (key == null) {
      return new ConfiguredInitializer(
          null,
          null,
          null,
          Source.NONE,
          "no initializer key for a weight of role " + role.label() + ": left unchanged",
          false,
          null);
    }
    JsonNode cfg = eff.config();
    JsonNode v = cfg.isObject() ? cfg.get(key) : null;
    String where = LayerConfigs.join(eff.path(), key);
    if (v != null && !v.isNull()) {
      try {
        InitializerSpec spec = InitializerSpec.parse(v);
        String reason = "config " + where;
        boolean derived =
            spec instanceof InitializerSpec.VarianceScaling && spec.fanAxes().isEmpty();
        List<List<Integer>> axes =
            role == WeightRole.KERNEL && w != null && derived ? EinsumFanAxes.of(layer, w) : null;
        boolean einsum =
            switch (rule) {
              // written by Keras 3.15 or later (the axes keys): EinsumDense sets the axes at build
              case AS_WRITTEN -> spec.fanAxesKeyed();
              case EINSUM_AXES -> true;
              case CLASSIC -> false;
            };
        if (axes != null && einsum) {
          spec = ((InitializerSpec.VarianceScaling) spec).withFanAxes(axes.get(0), axes.get(1));
          reason +=
              "; fans on input axes "
                  + axes.get(0)
                  + ", output axes "
                  + axes.get(1)
                  + " (Keras 3.15+ EinsumDense rule"
                  + (rule == FanRule.AS_WRITTEN ? ")" : ", as asked)");
        } else if (axes != null && spec.fanAxesKeyed()) {
          reason += "; classic fans (as Keras before 3.15, as asked)";
        }
        return new ConfiguredInitializer(
            spec, v.deepCopy(), where, Source.CONFIG, reason, ufb, null);
      } catch (IllegalArgumentException e) {
        return new ConfiguredInitializer(
            null,
            v.deepCopy(),
            where,
            Source.INVALID,
            "invalid config " + where + ": " + e.getMessage(),
            ufb,
            e.getMessage());
      }
    }
    for (String k1 : keras1Keys(role)) {
      JsonNode v1 = cfg.isObject() ? cfg.get(k1) : null;
      if (v1 != null && !v1.isNull()) {
        String w1 = LayerConfigs.join(eff.path(), k1);
        try {
          return new ConfiguredInitializer(
              InitializerSpec.parseKeras1(v1),
              v1.deepCopy(),
              w1,
              Source.KERAS1,
              "Keras 1 config " + w1,
              ufb,
              null);
        } catch (IllegalArgumentException e) {
          return new ConfiguredInitializer(
              null,
              v1.deepCopy(),
              w1,
              Source.INVALID,
              "invalid Keras 1 config " + w1 + ": " + e.getMessage(),
              ufb,
              e.getMessage());
        }
      }
    }
    AutoScheme.Choice d;
    try {
      d =
          AutoScheme.configured(
              new Layer(layer.name(), eff.className(), null, List.of(), List.of()), role);
    } catch (IllegalArgumentException e) {
      return new ConfiguredInitializer(
          null, null, null, Source.INVALID, e.getMessage(), ufb, e.getMessage());
    }
    if (d.keep()) {
      return new ConfiguredInitializer(null, null, null, Source.NONE, d.reason(), false, null);
    }
    return new ConfiguredInitializer(d.spec(), null, null, Source.DEFAULT, d.reason(), ufb, null);
  }

  /**
   * The gate letter of a Keras 1 per-gate LSTM bias ({@code lstm_1_b_f} gives {@code f}), or null.
   */
  static String keras1Gate(Weight w) {
    Matcher m = KERAS1_GATE.matcher(w.shortName());
    return m.find() ? m.group(1) : null;
  }

  /**
   * True for a bias of shape {@code (4u,)}, the fused layout Keras's forget-gate rule applies to.
   */
  static boolean fusedBias(Weight w) {
    return w.shape().rank() == 1 && w.shape().dim(0) % 4 == 0 && w.shape().dim(0) > 0;
  }

  private static List<String> keras1Keys(WeightRole role) {
    switch (role) {
      case KERNEL:
      case EMBEDDINGS:
      case ALPHA:
      case DEPTHWISE_KERNEL:
      case POINTWISE_KERNEL:
        return List.of("init");
      case RECURRENT_KERNEL:
        return List.of("inner_init");
      case GAMMA:
        return List.of("gamma_init");
      case BETA:
        return List.of("beta_init");
      default:
        return List.of();
    }
  }
}
