package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.keras.LayerFamily;
import dev.initkit.keras.Wrappers;
import java.util.Set;

/**
 * Shape layers DL4J 1.0.0-M2.1 maps but not in every use, found by Dl4jForRuntimeIT on the bundled
 * shape-layer models (testdata shape_layers_1d/2d, written by Keras 3 and tf-keras):
 *
 * <ul>
 *   <li>a Reshape of a sequence: {@code KerasReshape} makes preprocessors for images and flat
 *       inputs only ("Layer reshape could not be mapped to Layer, Vertex, or InputPreProcessor");
 *   <li>a Permute of image axes: DL4J applies Keras's channels-last permutation to its own
 *       channels-first arrays (shape_layers_2d: 4 channels out where Keras has 3);
 *   <li>global pooling with {@code keepdims}: DL4J's pooling drops the pooled axes;
 *   <li>a channels_first layer (corpus files of Keras 2.3 and tf.keras 1.x: input shape mismatch);
 *   <li>a Cropping3D: DL4J's has no data format and crops the last three axes, channels-first.
 * </ul>
 */
final class Dl4jShapeRules {
  /** Layers whose output is a sequence (batch, steps, features) in DL4J's typing. */
  private static final Set<String> SEQUENCES =
      Set.of(
          "RepeatVector",
          "Conv1D",
          "Embedding",
          "UpSampling1D",
          "ZeroPadding1D",
          "Cropping1D",
          "MaxPooling1D",
          "AveragePooling1D",
          "SpatialDropout1D",
          "LocallyConnected1D");

  /** Layers that keep their input's type (element-wise, dropout, normalization). */
  private static final Set<String> KEEP =
      Set.of(
          "Activation",
          "ReLU",
          "LeakyReLU",
          "ELU",
          "ThresholdedReLU",
          "Softmax",
          "PReLU",
          "Dropout",
          "GaussianNoise",
          "GaussianDropout",
          "AlphaDropout",
          "BatchNormalization",
          "Masking",
          "Add",
          "Subtract",
          "Multiply",
          "Average",
          "Maximum",
          "Minimum");

  private Dl4jShapeRules() {}

  /** Why DL4J cannot import {@code layer} in this model, or null. */
  static String refusal(JsonNode layer, JsonNode layers, boolean sequential) {
    String cls = layer.path("class_name").asText();
    JsonNode c = layer.path("config");
    if (c.path("data_format").asText("").equals("channels_first")) {
      return "data_format channels_first, on which DL4J's import builds the next layers for other shapes (corpus"
          + " k2-conv2d-dropout-sequential.hdf5 and tfk1-conv2dtranspose.h5: input shape mismatch)";
    }
    if (cls.equals("Cropping3D")) {
      // channels_first is refused above; DL4J's Cropping3D has no data format field
      return "data_format "
          + c.path("data_format").asText("channels_last")
          + ", which DL4J's Cropping3D does not read: it crops the last three axes, channels among"
          + " them (corpus tfk1-conv3d.h5: the next Conv3D got [2, 5, 4, 4, 2] for Keras's"
          + " [2, 4, 4, 4, 4], \"number of input array channels does not match\")";
    }
    if (cls.startsWith("Global") && c.path("keepdims").asBoolean(false)) {
      return "keepdims=True, which DL4J's global pooling does not read: it drops the pooled axes";
    }
    if (cls.equals("Permute") && c.path("dims").size() >= 3) {
      return "a permutation of image axes "
          + c.path("dims")
          + ", which DL4J applies to its own channels-first arrays"
          + " (testdata shape_layers_2d: 4 channels out where Keras has 3)";
    }
    if (cls.equals("Reshape") && sequence(layer, layers, sequential)) {
      return "the reshape of a sequence: DL4J's KerasReshape reshapes images and flat inputs only (\"could not be"
          + " mapped to Layer, Vertex, or InputPreProcessor\")";
    }
    return null;
  }

  /** True when {@code layer}'s input is a sequence in DL4J's typing. */
  static boolean sequence(JsonNode layer, JsonNode layers, boolean sequential) {
    JsonNode at = Dl4jDepthwiseInput.inbound(layer, layers, sequential);
    for (int hops = 0; at != null && hops < 1000; hops++) {
      String cls = at.path("class_name").asText();
      JsonNode c = at.path("config");
      if (SEQUENCES.contains(cls) || (cls.equals("Permute") && c.path("dims").size() == 2)) {
        return true;
      }
      if (LayerFamily.RECURRENT.contains(cls) || cls.equals(Wrappers.BIDIRECTIONAL)) {
        return c.path("return_sequences").asBoolean(false)
            || c.path("layer").path("config").path("return_sequences").asBoolean(false);
      }
      if (!KEEP.contains(cls)) {
        return false;
      }
      at = Dl4jDepthwiseInput.inbound(at, layers, sequential);
    }
    return false;
  }
}
