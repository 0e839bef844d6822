package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * Where DL4J's import finds a DepthwiseConv2D's input channels. DL4J 1.0.0-M2.1 does not take them
 * from the input shape: while it builds the layer ({@code KerasDepthwiseConvolution2D}, through
 * {@code KerasLayer.getNInFromConfig}) it walks back from the layer's first inbound layer to the
 * nearest one with an output size ({@code FeedForwardLayer.getNOut() > 0}), and throws
 * IndexOutOfBoundsException when it reaches the model's input first. So a DepthwiseConv2D imports
 * where a convolution (whose output size is the channel count) comes before it, with only layers
 * that keep the channels in between, and is refused elsewhere. In a Sequential model DL4J knows no
 * inbound layer while it builds the layers, so the dl4j form names them ({@link #nameInbound}).
 */
final class Dl4jDepthwiseInput {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Layers whose DL4J counterpart's output size is the channel count. */
  private static final Set<String> CHANNELS =
      Set.of("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose");

  /**
   * Layers DL4J's walk passes (no output size: a layer without one, a vertex, a dropout) and that
   * keep the channel count, so that the size found further back is still this layer's input
   * channels.
   */
  private static final Set<String> PASSED =
      Set.of(
          "BatchNormalization",
          "MaxPooling2D",
          "AveragePooling2D",
          "ZeroPadding2D",
          "Cropping2D",
          "UpSampling2D",
          "Dropout",
          "SpatialDropout2D",
          "GaussianNoise",
          "GaussianDropout",
          "AlphaDropout",
          "Activation",
          "ReLU",
          "LeakyReLU",
          "ELU",
          "ThresholdedReLU",
          "Softmax",
          "Add",
          "Subtract",
          "Multiply",
          "Average",
          "Maximum",
          "Minimum");

  private Dl4jDepthwiseInput() {}

  /**
   * Why DL4J cannot take the channels of {@code layer} (a DepthwiseConv2D), or null where it can.
   */
  static String refusal(JsonNode layer, JsonNode layers, boolean sequential) {
    JsonNode at = inbound(layer, layers, sequential);
    while (at != null) {
      String cls = at.path("class_name").asText();
      if (CHANNELS.contains(cls)) {
        return null;
      }
      if (!PASSED.contains(cls)) {
        String what =
            LayerDicts.isInputLayer(at)
                ? "reaches the model's input " + LayerDicts.name(at) + " first"
                : "would take it from "
                    + LayerDicts.name(at)
                    + " ("
                    + cls
                    + "), which need not keep the channel count";
        return "DL4J's import takes its input channels from the output size of the nearest convolution before it"
            + " (KerasLayer.getNInFromConfig), and "
            + what
            + " (IndexOutOfBoundsException or wrong channels)";
      }
      at = inbound(at, layers, sequential);
    }
    return "DL4J's import takes its input channels from the output size of the nearest convolution before it"
        + " (KerasLayer.getNInFromConfig), and finds none";
  }

  /**
   * In a Sequential model, gives each layer after the first an {@code inbound_nodes} entry naming
   * the layer before it, as a Functional model has: DL4J reads it while building the layers, and
   * sets the Sequential order itself afterwards.
   */
  static void nameInbound(JsonNode layers) {
    JsonNode prev = null;
    for (JsonNode l : layers) {
      if (prev != null && l instanceof ObjectNode o && !o.has("inbound_nodes")) {
        ArrayNode ref = F.arrayNode().add(LayerDicts.name(prev)).add(0).add(0).add(F.objectNode());
        o.set("inbound_nodes", F.arrayNode().add(F.arrayNode().add(ref)));
      }
      prev = l;
    }
  }

  /**
   * The layer feeding {@code layer}'s first input: from its inbound node, or the one before it in a
   * Sequential list.
   */
  static JsonNode inbound(JsonNode layer, JsonNode layers, boolean sequential) {
    JsonNode prev = null;
    String from = layer.path("inbound_nodes").path(0).path(0).path(0).asText(null);
    for (JsonNode l : layers) {
      if (sequential && l == layer) {
        return prev;
      }
      if (!sequential && from != null && LayerDicts.name(l).equals(from)) {
        return l;
      }
      prev = l;
    }
    return null;
  }
}
