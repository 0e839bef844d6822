package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.initkit.internal.Json;
import dev.initkit.keras.LayerFamily;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One layer config key that exists, or is written, in only one Keras generation, and what to do
 * with it in each direction.
 *
 * <p>The defaults are the values tf-keras 2.20.1 and Keras 3.12.0 write for a default-constructed
 * layer; they were read off real {@code get_config()} output. A key is only dropped silently when
 * its value is one that changes nothing; any other value raises, because the model would load with
 * different behaviour (or, for a Keras 2 key going down, is kept, because tf-keras expresses it).
 *
 * <p>Going down, a Keras 2 key is never added: the portable Keras 2 form leaves out every key of
 * kind {@link Kind#KERAS2_ONLY} that holds the default of tf-keras's constructor, and every key of
 * kind {@link Kind#KERAS2_ONLY_INERT}, because Keras 3's legacy {@code .h5} loader rejects them and
 * tf-keras fills them in, so that one {@code .h5} loads in both (checked by loading in tf-keras
 * 2.20.1 and Keras 3.12.0).
 */
record KeyRule(String key, Kind kind, JsonNode value) {

  /** How a key differs between the generations. */
  enum Kind {
    /**
     * Keras 2 writes it and Keras 3 rejects it. Up: drop when equal to {@code value}, otherwise
     * unsupported. Down: drop when equal to {@code value} (tf-keras's constructor fills in that
     * default, and Keras 3's legacy loader would reject the key), otherwise keep (the config then
     * loads in tf-keras only).
     */
    KERAS2_ONLY,
    /**
     * Keras 2 writes it; Keras 3 does not need it because it has no effect on the loaded model (an
     * unused weight initializer, a random-generator choice). Up and down: drop whatever its value
     * (tf-keras's constructor fills in its default; Keras 3 may reject the key).
     */
    KERAS2_ONLY_INERT,
    /**
     * Keras 3 writes it and tf-keras rejects it. Up: add {@code value} when absent. Down: drop when
     * equal to {@code value}, otherwise unsupported.
     */
    KERAS3_ONLY,
    /**
     * Keras 3 writes it; tf-keras accepts it but does not write it. Up: add {@code value} when
     * absent. Down: drop when equal to {@code value}, otherwise keep.
     */
    KERAS3_WRITTEN,
    /**
     * Some Keras 3 releases write it, the current one neither writes nor accepts it. Up: drop when
     * equal to {@code value} (so the config loads in current Keras 3). Down: drop when equal to
     * {@code value}, otherwise unsupported.
     */
    KERAS3_OLD_RELEASES,
    /**
     * Newer Keras 3 releases write it (Keras 3.15: MultiHeadAttention {@code use_gate}, {@code
     * sliding_window}); Keras 3.12 and tf-keras reject it. Handled as {@link #KERAS3_OLD_RELEASES}:
     * dropped where it holds the default, so that one config loads in every Keras; going down any
     * other value is unsupported.
     */
    KERAS3_NEWER_RELEASES,
    /**
     * Both accept it; Keras 3 omits it when it is null. Up: drop when null. Down: add null when
     * absent.
     */
    NULL_OMITTED_BY_KERAS3
  }

  private static JsonNode json(String text) {
    try {
      return Json.parseLenient(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final Map<String, List<KeyRule>> RULES = buildRules();

  /** The rules for one layer class; empty when the class needs none. */
  static List<KeyRule> forClass(String className) {
    return RULES.getOrDefault(className, List.of());
  }

  private static Map<String, List<KeyRule>> buildRules() {
    Map<String, List<KeyRule>> rules = new java.util.HashMap<>();
    // Keras 3's Dense leaves a null activity_regularizer out (its other layers write it).
    add(rules, "Dense", "activity_regularizer", Kind.NULL_OMITTED_BY_KERAS3, "null");
    for (String c :
        List.of(
            "Conv1DTranspose",
            "Conv2DTranspose",
            "Conv3DTranspose",
            "Convolution1DTranspose",
            "Convolution2DTranspose",
            "Convolution3DTranspose")) {
      add(rules, c, "groups", Kind.KERAS2_ONLY, "1");
      // Keras 3.12 accepts output_padding but leaves it out of get_config().
      add(rules, c, "output_padding", Kind.NULL_OMITTED_BY_KERAS3, "null");
    }
    for (String c : List.of("Conv3DTranspose", "Convolution3DTranspose")) {
      add(rules, c, "dilation_rate", Kind.KERAS3_WRITTEN, "[1, 1, 1]");
    }
    for (String c : List.of("DepthwiseConv1D", "DepthwiseConv2D")) {
      add(rules, c, "groups", Kind.KERAS2_ONLY, "1");
    }
    for (String c :
        List.of(
            "SeparableConv1D",
            "SeparableConv2D",
            "SeparableConvolution1D",
            "SeparableConvolution2D")) {
      add(rules, c, "groups", Kind.KERAS2_ONLY, "1");
      // tf-keras inherits these from its Conv base class but never uses them: a separable
      // convolution has only depthwise and pointwise kernels.
      add(
          rules,
          c,
          "kernel_initializer",
          Kind.KERAS2_ONLY_INERT,
          "{\"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null}}");
      add(rules, c, "kernel_regularizer", Kind.KERAS2_ONLY_INERT, "null");
      add(rules, c, "kernel_constraint", Kind.KERAS2_ONLY_INERT, "null");
    }
    add(rules, "LayerNormalization", "rms_scaling", Kind.KERAS3_ONLY, "false");
    // tf-keras 2.21 writes it (Keras 3 has no such option); false is the plain masked softmax
    add(rules, "MultiHeadAttention", "softmax_robust_masking", Kind.KERAS2_ONLY, "false");
    // Keras 3.15 writes them (a gated projection, local attention); their defaults change nothing
    add(rules, "MultiHeadAttention", "use_gate", Kind.KERAS3_NEWER_RELEASES, "false");
    add(rules, "MultiHeadAttention", "sliding_window", Kind.KERAS3_NEWER_RELEASES, "null");
    // Keras 3 reads the sequence length from the input, and ignores input_length.
    add(rules, "Embedding", "input_length", Kind.KERAS2_ONLY_INERT, "null");
    for (String c : LayerFamily.RECURRENT.members()) {
      add(rules, c, "time_major", Kind.KERAS2_ONLY, "false");
    }
    for (String c :
        List.of(
            "LSTM",
            "GRU",
            "LSTMCell",
            "GRUCell",
            "SimpleRNNCell",
            "ConvLSTM1D",
            "ConvLSTM2D",
            "ConvLSTM3D",
            "MultiHeadAttention")) {
      // The seed of Keras 3's dropout generator; tf-keras layers have no such argument.
      add(rules, c, "seed", Kind.KERAS3_ONLY, "null");
    }
    for (String c : List.of("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")) {
      // tf-keras writes its base-class fields; Keras 3's constructor takes neither. The noise
      // shape of a spatial dropout is fixed by the class, and the layer has no weights to train.
      add(rules, c, "trainable", Kind.KERAS2_ONLY_INERT, "true");
      add(rules, c, "noise_shape", Kind.KERAS2_ONLY_INERT, "null");
    }
    for (String c : List.of("SpatialDropout2D", "SpatialDropout3D")) {
      add(rules, c, "data_format", Kind.KERAS3_WRITTEN, "\"channels_last\"");
    }
    add(rules, "AlphaDropout", "noise_shape", Kind.KERAS3_WRITTEN, "null");
    add(rules, "ZeroPadding1D", "data_format", Kind.KERAS3_ONLY, "\"channels_last\"");
    add(rules, "CategoryEncoding", "sparse", Kind.KERAS2_ONLY, "false");
    // tf-keras's base-class field; Keras 3's constructor rejects it, and the layer has no weights
    add(rules, "Discretization", "trainable", Kind.KERAS2_ONLY_INERT, "true");
    for (String c :
        List.of(
            "RandomFlip",
            "RandomRotation",
            "RandomZoom",
            "RandomTranslation",
            "RandomContrast",
            "RandomCrop",
            "RandomBrightness")) {
      // Which TF random generator tf-keras uses; it changes the random stream, not the model.
      add(rules, c, "rng_type", Kind.KERAS2_ONLY_INERT, "\"stateful\"");
    }
    for (String c :
        List.of(
            "RandomFlip",
            "RandomRotation",
            "RandomZoom",
            "RandomTranslation",
            "CenterCrop",
            "Resizing")) {
      add(rules, c, "data_format", Kind.KERAS3_ONLY, "\"channels_last\"");
    }
    add(rules, "RandomContrast", "value_range", Kind.KERAS3_ONLY, "[0, 255]");
    add(rules, "RandomRotation", "value_range", Kind.KERAS3_OLD_RELEASES, "[0, 255]");
    add(rules, "Resizing", "pad_to_aspect_ratio", Kind.KERAS3_ONLY, "false");
    add(rules, "Resizing", "fill_mode", Kind.KERAS3_ONLY, "\"constant\"");
    add(rules, "Resizing", "fill_value", Kind.KERAS3_ONLY, "0.0");
    add(rules, "Resizing", "antialias", Kind.KERAS3_ONLY, "false");
    rules.replaceAll((k, v) -> List.copyOf(v));
    return Map.copyOf(rules);
  }

  private static void add(
      Map<String, List<KeyRule>> rules, String cls, String key, Kind kind, String value) {
    JsonNode v = "null".equals(value) ? NullNode.getInstance() : json(value);
    rules.computeIfAbsent(cls, c -> new ArrayList<>()).add(new KeyRule(key, kind, v));
  }
}
