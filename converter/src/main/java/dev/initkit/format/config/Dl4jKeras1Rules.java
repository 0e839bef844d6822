package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;

/**
 * What DL4J 1.0.0-M2.1 reads from a Keras 1 config, which initkit hands it as written, otherwise
 * than Keras 1 did.
 *
 * <p>A Keras 1 {@code Reshape} has no {@code dim_ordering} of its own; DL4J's {@code KerasReshape}
 * then orders a three-dimensional target by Keras 1 defaults, and the layers after it are built for
 * an image of the first target dimension as channels. Where the model's image layers are {@code
 * dim_ordering: tf} (channels last) that is the wrong axis. Measured on corpus
 * k1-batchnorm-conv2d-dense-reshape-th.h5 (Reshape to (7, 7, 10), then BatchNormalization and a 3x3
 * Convolution2D of 5 filters, {@code tf}): DL4J builds 7 channels of 7 x 10, 49838 parameters for
 * Keras's 49985, outputs [2, 5, 8, 5] where Keras gives (2, 5, 5, 5), copies the 10-channel kernel
 * into a 7-channel one, and has crashed the JVM on it (malloc(): corrupted top size).
 */
final class Dl4jKeras1Rules {
  private Dl4jKeras1Rules() {}

  /**
   * Refuses a Keras 1 model DL4J would import with the wrong image axes.
   *
   * @param keras1Model a Keras 1 model config
   * @throws UnsupportedModelException naming the Reshape, its target and the evidence
   */
  static void reject(JsonNode keras1Model) throws UnsupportedModelException {
    JsonNode config = keras1Model.path("config");
    JsonNode layers = config.isArray() ? config : config.path("layers");
    boolean channelsLast = false;
    for (JsonNode layer : layers) {
      channelsLast |= "tf".equals(layer.path("config").path("dim_ordering").asText());
    }
    if (!channelsLast) {
      return;
    }
    Where top = Where.top(LayerDicts.name(keras1Model));
    for (JsonNode layer : layers) {
      JsonNode target = layer.path("config").path("target_shape");
      if ("Reshape".equals(layer.path("class_name").asText())
          && target.isArray()
          && target.size() == 3) {
        throw top.child(LayerDicts.name(layer))
            .unsupported(
                "Reshape",
                "target_shape",
                target
                    + " in a Keras 1 model of dim_ordering tf: DL4J's import takes "
                    + target.get(0)
                    + " as the channels (corpus k1-batchnorm-conv2d-dense-reshape-th.h5: 7"
                    + " channels of 7 x 10, 49838 parameters for Keras's 49985, output [2, 5, 8,"
                    + " 5] for Keras's (2, 5, 5, 5); the import has crashed the JVM, heap"
                    + " corrupted)");
      }
    }
  }
}
