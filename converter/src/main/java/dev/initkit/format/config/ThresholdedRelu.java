package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelFormatException;
import java.util.Map;

/**
 * tf-keras's {@code ThresholdedReLU(theta)}, which Keras 3 removed, as the Keras 2 {@code
 * ReLU(threshold=theta)} that Keras 3 has: tf-keras computes {@code x * (x > theta)}, Keras 3's
 * ReLU {@code where(x > threshold, x, 0)} (relu for threshold 0), the same function, x = theta
 * included (0 in both). They differ only on non-finite inputs: tf-keras gives NaN for -inf ({@code
 * -inf * 0}), Keras 3 gives 0. Measured equal on a grid including x = theta, for theta 0, 0.1, 0.5,
 * 1 and 2 ({@code testdata/survey_generations.py}, tf-keras 2.20.1/Keras 3.12.0 and tf-keras
 * 2.21.0/Keras 3.15.1). The ReLU's other keys take the values under which it is that function: no
 * max_value, negative_slope 0.
 */
final class ThresholdedRelu {
  private ThresholdedRelu() {}

  /** The layer as a Keras 2 ReLU config, for the Keras 3 translation to continue from. */
  static ObjectNode asRelu(ObjectNode in, Where where) throws ModelFormatException {
    ObjectNode config = LayerDicts.config(in, where, "ThresholdedReLU");
    JsonNode theta =
        config.has("theta") ? config.get("theta") : in.numberNode(1.0); // tf-keras's default
    if (!theta.isNumber() || !Double.isFinite(theta.asDouble()) || theta.asDouble() < 0) {
      throw where.unsupported(
          "ThresholdedReLU",
          "theta",
          "theta = " + theta + " is not a number >= 0, which Keras 3's ReLU threshold needs");
    }
    ObjectNode relu = config.objectNode();
    for (Map.Entry<String, JsonNode> e : config.properties()) {
      if (e.getKey().equals("theta")) {
        relu.putNull("max_value");
        relu.put("negative_slope", 0.0);
        relu.set("threshold", theta.deepCopy());
      } else {
        relu.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    if (!relu.has("threshold")) {
      relu.putNull("max_value");
      relu.put("negative_slope", 0.0);
      relu.set("threshold", theta.deepCopy());
    }
    ObjectNode out = in.deepCopy();
    out.put("class_name", "ReLU");
    out.remove("registered_name"); // it named the old class, which would mark it as user code
    out.set("config", relu);
    return out;
  }
}
