package dev.initkit.ops;

import dev.initkit.init.InitializerSpec;
import dev.initkit.init.InitializerSpec.Preset;
import java.util.Map;

/**
 * Initializers Keras hard-codes in a layer's {@code build} for variables its config has no key for
 * (the catalogue's facts, {@code testdata/catalogue/}, record each from Keras itself): Attention's
 * {@code scale} and {@code concat_score_weight} (ones), AdditiveAttention's {@code scale} (Glorot
 * uniform), RMSNormalization's {@code scale} (ones) and SpectralNormalization's {@code vector_u}
 * (truncated normal, stddev 0.02).
 */
final class FixedInitializers {
  private static final Map<String, InitializerSpec> BY_CLASS_AND_VARIABLE =
      Map.of(
          "Attention/scale", InitializerSpec.ones(),
          "Attention/concat_score_weight", InitializerSpec.ones(),
          "AdditiveAttention/scale", InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
          "RMSNormalization/scale", InitializerSpec.ones(),
          "SpectralNormalization/vector_u", InitializerSpec.truncatedNormal(0.0, 0.02, null));

  private FixedInitializers() {}

  /** Keras's built-in initializer of this variable of this class, or null. */
  static InitializerSpec of(String className, String variable) {
    return BY_CLASS_AND_VARIABLE.get(className + "/" + variable);
  }
}
