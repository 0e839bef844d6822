package dev.initkit.format.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A built-in activation that both generations know by the same name but compute differently, so
 * that a model converted across generations loads and runs, yet computes something else.
 *
 * <p>Measured with {@code testdata/survey_generations.py}, both frameworks in one process, on a
 * grid of 24,001 points over [-12, 12] plus -3, -2.5, 0, 2.5, 3 (tf-keras 2.20.1 against Keras
 * 3.12.0, and tf-keras 2.21.0 against Keras 3.15.1, the same numbers): of the 18 names both resolve
 * (elu, exponential, gelu, hard_sigmoid, leaky_relu, linear, log_softmax, mish, relu, relu6, selu,
 * sigmoid, silu, softmax, softplus, softsign, swish, tanh), only {@code hard_sigmoid} differs, by
 * 1/12 = 0.0833 at x = ±2.5. The others agree bit for bit; {@code gelu} is exact erf-based in both
 * by default ({@code approximate=False}).
 *
 * @param name the activation's name as configs write it
 * @param keras3 what Keras 3 computes
 * @param keras2 what Keras 2 (Keras 2.x, tf.keras, tf-keras) computes
 * @param maxChange the largest difference between the two over all inputs
 */
public record RedefinedActivation(String name, String keras3, String keras2, double maxChange) {

  private static final Map<String, RedefinedActivation> TABLE =
      Map.of(
          // Keras 3: relu6(x + 3) / 6 (keras/src/backend/tensorflow/nn.py); tf-keras: clip(0.2x +
          // 0.5)
          // (tf_keras/src/backend.py). Apart by x/30 on [-2.5, 2.5], most at ±2.5: 0.5 - 2.5/6 =
          // 1/12.
          "hard_sigmoid",
          new RedefinedActivation(
              "hard_sigmoid", "clip(x/6 + 0.5, 0, 1)", "clip(0.2x + 0.5, 0, 1)", 1.0 / 12.0));

  /** The redefinition of an activation name, if the generations disagree on it. */
  static Optional<RedefinedActivation> of(String name) {
    return Optional.ofNullable(TABLE.get(name.toLowerCase(Locale.ROOT)));
  }
}
