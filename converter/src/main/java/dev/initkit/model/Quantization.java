package dev.initkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How Keras 3 quantized a layer ({@code model.quantize(mode)}), read from the dtype policy its
 * config carries ({@code QuantizedDTypePolicy} {@code {"mode": "int8", "source_name": "float32"}},
 * Keras 3.15's {@code Int4DTypePolicy} {@code "int4/128"}), and what each stored variable is.
 *
 * <p>Quantized values are Keras's own, never recomputed: initkit copies them byte for byte and
 * refuses to redraw them (an int8 code only means something with the scale it was quantized with).
 *
 * @param mode Keras's quantization mode without its parameters: {@code int8}, {@code int4}, {@code
 *     float8}, {@code gptq}, {@code awq}
 * @param policy the dtype policy class, e.g. {@code QuantizedDTypePolicy}
 */
public record Quantization(String mode, String policy) {

  /** Keras 3 dtype policy classes that mark a quantized layer. */
  public static final Set<String> POLICIES =
      Set.of(
          "QuantizedDTypePolicy",
          "QuantizedFloat8DTypePolicy",
          "Int4DTypePolicy",
          "GPTQDTypePolicy",
          "AWQDTypePolicy");

  /**
   * Each mode's variables in the order Keras saves them ({@code variable_serialization_spec} of
   * Dense and EinsumDense, Keras 3.12 and 3.15.1): the positional order of a {@code .keras} archive
   * and a {@code .weights.h5}. Keras 3.12's int4 and 3.15's per-channel int4 stop after the scale.
   */
  private static final Map<String, List<String>> DENSE =
      Map.of(
          "int8", List.of("kernel", "bias", "kernel_scale"),
          "int4", List.of("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
          "float8",
              List.of(
                  "kernel",
                  "bias",
                  "inputs_scale",
                  "inputs_amax_history",
                  "kernel_scale",
                  "kernel_amax_history",
                  "outputs_grad_scale",
                  "outputs_grad_amax_history"),
          "gptq", List.of("bias", "quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"),
          "awq",
              List.of(
                  "bias",
                  "quantized_kernel",
                  "kernel_scale",
                  "kernel_zero",
                  "awq_scales",
                  "g_idx"));

  /** The same for Embedding (int8 and int4 only: Keras quantizes no other mode of it). */
  private static final Map<String, List<String>> EMBEDDING =
      Map.of(
          "int8", List.of("embeddings", "embeddings_scale"),
          "int4", List.of("embeddings", "embeddings_scale", "embeddings_zero", "g_idx"));

  /** The variables that hold integer codes, and the scale each is multiplied by. */
  private static final Map<String, String> CODES =
      Map.of(
          "kernel",
          "kernel_scale",
          "embeddings",
          "embeddings_scale",
          "quantized_kernel",
          "kernel_scale");

  /** What a stored variable of a quantized layer is. */
  public enum Part {
    /** Integer codes (int8; int4 packed two per int8 byte) standing for a float kernel. */
    CODES,
    /** A float kernel Keras quantizes on the fly with calibrated scales (float8). */
    SCALED_FLOAT,
    /** Quantization state: scales, zero points, group indices, amax histories. */
    STATE,
    /** A float weight quantization leaves alone (the bias). */
    FLOAT
  }

  /** The quantization a layer config's dtype policy names, or empty for a float layer. */
  public static Optional<Quantization> of(JsonNode layerConfig) {
    if (layerConfig == null) {
      return Optional.empty();
    }
    JsonNode dtype = layerConfig.get("dtype");
    if (dtype == null || !dtype.isObject()) {
      return Optional.empty();
    }
    String cls = dtype.path("class_name").asText("");
    JsonNode mode = dtype.path("config").path("mode");
    if (!POLICIES.contains(cls) || !mode.isTextual() || mode.asText().isEmpty()) {
      return Optional.empty();
    }
    String m = mode.asText();
    int slash = m.indexOf('/');
    return Optional.of(new Quantization(slash >= 0 ? m.substring(0, slash) : m, cls));
  }

  /** The quantization of a layer, or empty. */
  public static Optional<Quantization> of(Layer layer) {
    return of(layer.heldConfig()); // read in place: initkit never changes it
  }

  /** True for the modes that store integer codes instead of the float kernel (all but float8). */
  public boolean storesCodes() {
    return !mode.equals("float8");
  }

  /**
   * The layer's variables in Keras's save order, or null for a class or mode initkit does not know.
   * A weight list shorter than this holds its first entries (optional trailing state).
   */
  public List<String> saveOrder(String className, boolean bias) {
    List<String> spec =
        switch (className) {
          case "Dense", "EinsumDense" -> DENSE.get(mode);
          case "Embedding" -> EMBEDDING.get(mode);
          default -> null;
        };
    if (spec == null) {
      return null;
    }
    List<String> out = new ArrayList<>(spec);
    if (!bias) {
      out.remove("bias");
    }
    return List.copyOf(out);
  }

  /**
   * The order of a legacy HDF5 file ({@code model.save("m.h5")}): Keras lists trainable variables
   * first, and quantized codes and their state are not trainable, so the bias leads.
   */
  public List<String> legacyOrder(List<String> saveOrder) {
    if (!storesCodes() || !saveOrder.contains("bias")) {
      return saveOrder;
    }
    List<String> out = new ArrayList<>();
    out.add("bias");
    saveOrder.stream().filter(n -> !n.equals("bias")).forEach(out::add);
    return List.copyOf(out);
  }

  /** What the variable with this short name is to the layer. */
  public Part part(String variable) {
    if (variable.equals("bias")) {
      return Part.FLOAT;
    }
    if (CODES.containsKey(variable)) {
      return storesCodes() ? Part.CODES : Part.SCALED_FLOAT;
    }
    return Part.STATE;
  }

  /**
   * One line on a stored variable, e.g. {@code int4 codes packed two per int8 byte, scale
   * kernel_scale}.
   */
  public String describe(String variable, DType stored) {
    switch (part(variable)) {
      case CODES:
        return mode
            + " codes"
            + (mode.equals("int4") ? " packed two per int8 byte" : "")
            + " (stored "
            + stored
            + "), scale "
            + CODES.get(variable);
      case SCALED_FLOAT:
        return mode + "-quantized on the fly (stored " + stored + "), scale " + CODES.get(variable);
      case STATE:
        return mode + " quantization state (stored " + stored + ")";
      default:
        return "not quantized";
    }
  }

  /** The mode and policy, e.g. {@code int8 (QuantizedDTypePolicy)}. */
  public String label() {
    return mode + " (" + policy + ")";
  }

  /**
   * {@code weights} arranged by their short names in {@code order}; unchanged unless every weight's
   * name is in the order exactly once (an unknown layout is left as the file has it).
   */
  public static List<Weight> arrange(List<Weight> weights, List<String> order) {
    if (order == null) {
      return weights;
    }
    Weight[] slots = new Weight[order.size()];
    for (Weight w : weights) {
      int i = order.indexOf(w.shortName());
      if (i < 0 || slots[i] != null) {
        return weights;
      }
      slots[i] = w;
    }
    List<Weight> out = new ArrayList<>();
    for (Weight w : slots) {
      if (w != null) {
        out.add(w);
      }
    }
    return out;
  }
}
