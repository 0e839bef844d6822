package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.ConfigLayers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds an {@code Attention} layer with the {@code dot} score whose key (the value, when no key is
 * passed) is not of rank 3, in a model config of any generation, nested models included.
 *
 * <p>tf.keras and tf-keras score with {@code tf.matmul(query, key, transpose_b=True)}, which on
 * (batch, features) inputs scores every sample of the batch against every other. Keras 3.12 scores
 * with {@code ops.transpose(key, axes=[0, 2, 1])}, which only takes rank 3: the model loads, then
 * the first call fails ("Dimension must be 2 but is 3 ... transpose"). Keras 3.15.1 uses {@code
 * swapaxes(key, -2, -1)} and computes what tf.keras did. The {@code concat} score and {@code
 * AdditiveAttention} broadcast with {@code expand_dims} and run in both (measured with
 * testdata/interop/attention_ranks.py).
 *
 * <p>Ranks come from what the config records: Keras 3's tensor shapes in each call, a {@code
 * build_config} input shape (tf-keras 2.13+), else the model inputs' shapes carried through the
 * layers whose output rank follows from their config. An unknown rank is not refused.
 */
final class DotAttentionRank {
  /** Layers whose output has the rank of their first input. */
  private static final Set<String> SAME_RANK =
      Set.of(
          "Dense",
          "Dropout",
          "SpatialDropout1D",
          "SpatialDropout2D",
          "SpatialDropout3D",
          "Activation",
          "ReLU",
          "LeakyReLU",
          "ELU",
          "PReLU",
          "Softmax",
          "ThresholdedReLU",
          "BatchNormalization",
          "LayerNormalization",
          "UnitNormalization",
          "GroupNormalization",
          "Rescaling",
          "GaussianNoise",
          "GaussianDropout",
          "AlphaDropout",
          "Masking",
          "ActivityRegularization",
          "Concatenate",
          "Attention",
          "AdditiveAttention",
          "MultiHeadAttention",
          "Conv1D",
          "Conv2D",
          "Conv3D",
          "MaxPooling1D",
          "MaxPooling2D",
          "AveragePooling1D",
          "AveragePooling2D",
          "Permute");

  /** Element-wise merges: the broadcast rank of their inputs. */
  private static final Set<String> MERGES =
      Set.of("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum");

  private static final Set<String> GLOBAL_POOLING =
      Set.of(
          "GlobalAveragePooling1D",
          "GlobalAveragePooling2D",
          "GlobalAveragePooling3D",
          "GlobalMaxPooling1D",
          "GlobalMaxPooling2D",
          "GlobalMaxPooling3D");

  private final CallGraph graph;
  private final Map<CallGraph.Ref, Integer> memo = new HashMap<>();

  private DotAttentionRank(CallGraph graph) {
    this.graph = graph;
  }

  /**
   * Refuses the model when one of its Attention layers scores with {@code dot} on a key of known
   * rank other than 3.
   *
   * @param model a model config ({@code {"class_name", "config"}}) of any generation
   * @throws UnsupportedModelException naming the layer, {@code score_mode}, its value and the rank
   */
  static void reject(JsonNode model) throws UnsupportedModelException {
    if (!model.path("config").isObject() && !model.path("config").isArray()) {
      return;
    }
    CallGraph g;
    try {
      g = CallGraph.of(model);
    } catch (IllegalArgumentException e) {
      return; // not a model config this check can read: the translation reports it
    }
    new DotAttentionRank(g).check(Where.top(model.path("config").path("name").asText("")));
  }

  private void check(Where where) throws UnsupportedModelException {
    for (ConfigLayers.Entry e : graph.entries().values()) {
      Where at = where.child(e.name());
      if (e.config().has("layers")) {
        reject(e.raw(), at);
        continue;
      }
      if (!e.className().equals("Attention")) {
        continue;
      }
      String mode = e.config().path("score_mode").asText("dot");
      if (!mode.equals("dot")) {
        continue;
      }
      for (CallGraph.Call c : graph.calls(e.name())) {
        int key = c.inputs().size() >= 3 ? 2 : 1;
        int rank = inputRank(c, key);
        if (rank > 0 && rank != 3) {
          throw at.unsupported(
              "Attention",
              "score_mode",
              "'dot' on a key of rank "
                  + rank
                  + ", not (batch, steps, features): Keras 3.12 loads the model but fails when it runs (its dot score transposes the key as rank 3), while tf.keras and Keras 3.15 score every sample against the whole batch");
        }
      }
    }
  }

  private static void reject(JsonNode nested, Where at) throws UnsupportedModelException {
    CallGraph g;
    try {
      g = CallGraph.of(nested);
    } catch (IllegalArgumentException e) {
      return;
    }
    new DotAttentionRank(g).check(at);
  }

  /** The rank of input {@code i} of a call, or -1. */
  private int inputRank(CallGraph.Call c, int i) {
    long[] recorded = c.shape(i);
    if (recorded.length > 0) {
      return recorded.length;
    }
    JsonNode built = c.entry().raw().path("build_config").path("input_shape");
    if (built.isArray() && built.size() > 0) {
      if (built.get(0).isArray()) {
        return i < built.size() ? built.get(i).size() : -1;
      }
      if (i == 0) {
        return built.size();
      }
    }
    return i < c.inputs().size() ? rank(c.inputs().get(i)) : -1;
  }

  /** The rank of a tensor the graph names, or -1 when the config does not tell. */
  private int rank(CallGraph.Ref ref) {
    Integer known = memo.get(ref);
    if (known != null) {
      return known;
    }
    memo.put(ref, -1); // a cycle (malformed config) ends as unknown
    int r = computeRank(ref);
    memo.put(ref, r);
    return r;
  }

  private int computeRank(CallGraph.Ref ref) {
    ConfigLayers.Entry e = graph.entries().get(ref.layer());
    CallGraph.Call c = graph.call(ref);
    if (e == null) {
      return -1;
    }
    if (c == null || e.className().equals("InputLayer")) {
      return declaredRank(e.config());
    }
    String cls = e.className();
    JsonNode cfg = e.config();
    int in = inputRank(c, 0);
    if (in <= 0 && c.inputs().size() == 1 && c.inputs().get(0).layer().isEmpty()) {
      in = declaredRank(cfg); // a Sequential's first layer carries the input shape
    }
    if (SAME_RANK.contains(cls)) {
      return in;
    }
    if (MERGES.contains(cls)) {
      int max = -1;
      for (int i = 0; i < c.inputs().size(); i++) {
        int r = inputRank(c, i);
        if (r <= 0) {
          return -1;
        }
        max = Math.max(max, r);
      }
      return max;
    }
    if (GLOBAL_POOLING.contains(cls)) {
      return cfg.path("keepdims").asBoolean(false) ? in : 2;
    }
    if (KerasCatalog.RECURRENT_LAYERS.contains(cls) && in > 0) {
      // output 0 is the sequence or the last step; the states are (batch, units)
      return ref.tensor() == 0 && cfg.path("return_sequences").asBoolean(false) ? in : in - 1;
    }
    return switch (cls) {
      case "Flatten" -> 2;
      case "RepeatVector" -> 3;
      case "Reshape" ->
          cfg.path("target_shape").isArray() ? cfg.get("target_shape").size() + 1 : -1;
      case "Embedding" -> in > 0 ? in + 1 : -1;
      default -> -1;
    };
  }

  /** The rank an input layer (or a Sequential's first layer) declares, or -1. */
  private static int declaredRank(JsonNode cfg) {
    for (String k : List.of("batch_shape", "batch_input_shape")) {
      if (cfg.path(k).isArray()) {
        return cfg.get(k).size();
      }
    }
    return -1;
  }
}
