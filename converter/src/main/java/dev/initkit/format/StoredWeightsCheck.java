package dev.initkit.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.internal.ConfigViews;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * A full model's stored weights against what its config builds, as Keras checks when it loads
 * ({@code "Layer 'dense' expected 2 variables, but received 0"}): a layer that always has weights
 * must hold at least as many as its config asks for, and no stored weight of such a layer may have
 * a zero dimension. Otherwise the file is malformed, named by the layer, rather than read as a
 * model without weights that every later step would silently carry on.
 *
 * <p>Only the classes below are counted, whose variables Keras fixes from the config alone; more
 * stored weights than counted are accepted (quantized and LoRA layers add variables). Keras 1 files
 * keep RNN gates as separate weights and are only checked for having any.
 */
public final class StoredWeightsCheck {
  private StoredWeightsCheck() {}

  private static final ToIntFunction<JsonNode> KERNEL_AND_BIAS = StoredWeightsCheck::kernelAndBias;
  private static final ToIntFunction<JsonNode> RECURRENT = StoredWeightsCheck::recurrent;

  private static int kernelAndBias(JsonNode c) {
    return 1 + bias(c, "use_bias");
  }

  private static int recurrent(JsonNode c) {
    return 2 + bias(c, "use_bias");
  }

  /** The number of weights Keras 2 and 3 build for a layer of each class, from its config. */
  private static final Map<String, ToIntFunction<JsonNode>> COUNTS =
      Map.ofEntries(
          Map.entry("Dense", KERNEL_AND_BIAS),
          Map.entry("Conv1D", KERNEL_AND_BIAS),
          Map.entry("Conv2D", KERNEL_AND_BIAS),
          Map.entry("Conv3D", KERNEL_AND_BIAS),
          Map.entry("Convolution1D", KERNEL_AND_BIAS),
          Map.entry("Convolution2D", KERNEL_AND_BIAS),
          Map.entry("Convolution3D", KERNEL_AND_BIAS),
          Map.entry("Conv1DTranspose", KERNEL_AND_BIAS),
          Map.entry("Conv2DTranspose", KERNEL_AND_BIAS),
          Map.entry("Conv3DTranspose", KERNEL_AND_BIAS),
          Map.entry("DepthwiseConv1D", KERNEL_AND_BIAS),
          Map.entry("DepthwiseConv2D", KERNEL_AND_BIAS),
          Map.entry("SeparableConv1D", c -> 2 + bias(c, "use_bias")),
          Map.entry("SeparableConv2D", c -> 2 + bias(c, "use_bias")),
          Map.entry("Embedding", c -> 1),
          Map.entry("SimpleRNN", RECURRENT),
          Map.entry("LSTM", RECURRENT),
          Map.entry("GRU", RECURRENT),
          Map.entry("BatchNormalization", c -> bias(c, "scale") + bias(c, "center") + 2),
          Map.entry("LayerNormalization", c -> bias(c, "scale") + bias(c, "center")),
          Map.entry("PReLU", c -> 1));

  /**
   * Refuses {@code model} (read from {@code file}) when a counted layer holds fewer weights than
   * its config builds, or a weight with a zero dimension. Weights-only files and SavedModels (whose
   * variables come from the checkpoint) are not checked.
   *
   * @throws MalformedModelException naming the file and the layer
   */
  public static void check(Path file, Model model) throws MalformedModelException {
    if (ConfigViews.of(model).isEmpty() || model.sourceFormat().equals("savedmodel")) {
      return;
    }
    boolean keras1 = model.kerasVersion().map(v -> v.startsWith("1.")).orElse(false);
    for (Layer l : model.allLayers()) {
      ToIntFunction<JsonNode> count = COUNTS.get(l.className());
      if (count == null) {
        continue;
      }
      List<Weight> stored = l.weights();
      int want = keras1 ? 1 : count.applyAsInt(ConfigViews.of(l));
      if (stored.size() < want) {
        throw new MalformedModelException(
            file,
            l.name(),
            "its config builds "
                + want
                + " weight"
                + (want == 1 ? "" : "s")
                + " ("
                + l.className()
                + "), the file holds "
                + stored.size()
                + ": Keras refuses to load it");
      }
      for (Weight w : stored) {
        if ((w.role() == WeightRole.KERNEL || w.role() == WeightRole.EMBEDDINGS)
            && w.shape().rank() < 2) {
          throw new MalformedModelException(
              file,
              l.name(),
              "weight "
                  + w.shortName()
                  + " has shape "
                  + w.shape()
                  + ": a "
                  + l.className()
                  + " "
                  + w.role().name().toLowerCase(java.util.Locale.ROOT)
                  + " has at least 2 dimensions");
        }
        for (long d : w.shape().dims()) {
          if (d == 0) {
            throw new MalformedModelException(
                file,
                l.name(),
                "weight " + w.shortName() + " has shape " + w.shape() + ", with no elements");
          }
        }
      }
    }
  }

  /** 1 when a boolean option (use_bias, Keras 1's bias, scale, center) is on, its default. */
  private static int bias(JsonNode config, String key) {
    JsonNode v = config.get(key);
    if (v == null && key.equals("use_bias")) {
      v = config.get("bias"); // Keras 1
    }
    return v == null || !v.isBoolean() || v.booleanValue() ? 1 : 0;
  }
}
