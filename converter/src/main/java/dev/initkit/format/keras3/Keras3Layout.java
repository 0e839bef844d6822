package dev.initkit.format.keras3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.keras.LayerClasses;
import dev.initkit.keras.LayerFamily;
import dev.initkit.keras.Recurrence;
import dev.initkit.keras.Wrappers;
import dev.initkit.model.Quantization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where Keras 3 keeps a layer's variables inside {@code model.weights.h5}, and in which order they
 * correspond to the layer's positional weights ({@code layer.weights}, the legacy HDF5 order).
 *
 * <p>Keras 3 names objects by class, never by layer name: {@code layers/<snake_case(Class)>[_N]}
 * with a counter per class within each container, then attribute names for sub-layers ({@code
 * cell}, {@code forward_layer}, {@code query_dense}, ...), then {@code vars/<i>} (saving_lib.py).
 */
public final class Keras3Layout {
  private static final Pattern NON_WORD = Pattern.compile("\\W+");
  private static final Pattern UPPER_WORD = Pattern.compile("(.)([A-Z][a-z]+)");
  private static final Pattern LOWER_UPPER = Pattern.compile("([a-z])([A-Z])");

  /** Keras 3's GroupedQueryAttention, exported as GroupQueryAttention too. */
  private static final List<String> GROUPED_ATTENTION =
      List.of("GroupedQueryAttention", "GroupQueryAttention");

  /** Exported names whose Python class is spelled otherwise (keras/src/layers/__init__ aliases). */
  private static final Map<String, String> PYTHON_CLASS =
      Map.of("GroupQueryAttention", "GroupedQueryAttention");

  private Keras3Layout() {}

  /** Keras's {@code naming.to_snake_case}. */
  public static String snakeCase(String className) {
    String n = NON_WORD.matcher(className).replaceAll("");
    n = UPPER_WORD.matcher(n).replaceAll("$1_$2");
    return LOWER_UPPER.matcher(n).replaceAll("$1_$2").toLowerCase(Locale.ROOT);
  }

  /**
   * Names Keras gives the objects of one container, in order: the snake-case class name, suffixed
   * {@code _1}, {@code _2}... for repeats.
   */
  public static List<String> containerNames(List<String> classNames) {
    Map<String, Integer> used = new HashMap<>();
    List<String> out = new ArrayList<>();
    for (String c : classNames) {
      // Keras names the object by its Python class, which a few exported names alias
      String base = snakeCase(PYTHON_CLASS.getOrDefault(c, c));
      Integer n = used.get(base);
      if (n == null) {
        used.put(base, 0);
        out.add(base);
      } else {
        used.put(base, n + 1);
        out.add(base + "_" + (n + 1));
      }
    }
    return out;
  }

  /**
   * One group of variables of a layer: path relative to the layer, how many, and its Keras name.
   */
  public record Part(String relPath, int count, String objectName) {}

  /**
   * The groups, in positional-weight order, that hold a layer's {@code weightCount} weights, plus
   * the empty {@code vars} groups Keras writes for sub-objects without variables (count 0).
   *
   * @param layerName the layer's name (for the {@code name} attributes Keras 3.12 writes)
   */
  public static List<Part> parts(
      String className, JsonNode config, String layerName, int weightCount) {
    List<Part> out = new ArrayList<>();
    addParts("", className, config, layerName, weightCount, out);
    return out;
  }

  private static void addParts(
      String prefix, String cls, JsonNode config, String name, int n, List<Part> out) {
    JsonNode cell = config.path("cell");
    if (cls.equals("RNN") && cell.path("class_name").asText("").equals("StackedRNNCells")) {
      // each cell keeps its variables under cell/cells/<snake_case(class)>[_N]
      out.add(new Part(prefix + "vars", 0, name));
      out.add(new Part(prefix + "cell/vars", 0, "stacked_rnn_cells"));
      List<String> classes = new ArrayList<>();
      for (JsonNode one : cell.path("config").path("cells")) {
        classes.add(one.path("class_name").asText(""));
      }
      List<String> groups = containerNames(classes);
      int left = n;
      int i = 0;
      for (JsonNode one : cell.path("config").path("cells")) {
        List<String> names = knownNames(classes.get(i), one.path("config"));
        int count = i == classes.size() - 1 || names == null ? left : Math.min(left, names.size());
        out.add(
            new Part(
                prefix + "cell/cells/" + groups.get(i) + "/vars",
                count,
                one.path("config").path("name").asText(groups.get(i))));
        left -= count;
        i++;
      }
      return;
    }
    if (LayerFamily.RECURRENT.members().contains(cls)) {
      out.add(new Part(prefix + "vars", 0, name));
      out.add(new Part(prefix + "cell/vars", n, snakeCase(cls) + "_cell"));
      return;
    }
    if (cls.equals(Wrappers.BIDIRECTIONAL)) {
      JsonNode inner = config.path(Wrappers.LAYER);
      String ic = inner.path("class_name").asText("LSTM");
      String in = inner.path("config").path("name").asText(snakeCase(ic));
      JsonNode icfg = inner.path("config");
      out.add(new Part(prefix + "vars", 0, name));
      addParts(prefix + "forward_layer/", ic, icfg, "forward_" + in, n / 2, out);
      addParts(prefix + "backward_layer/", ic, icfg, "backward_" + in, n - n / 2, out);
      return;
    }
    if (cls.equals(Wrappers.TIME_DISTRIBUTED)) {
      JsonNode inner = config.path(Wrappers.LAYER);
      String ic = inner.path("class_name").asText("");
      out.add(new Part(prefix + "vars", 0, name));
      addParts(
          prefix + "layer/",
          ic,
          inner.path("config"),
          inner.path("config").path("name").asText(ic),
          n,
          out);
      return;
    }
    if (cls.equals("MultiHeadAttention") || GROUPED_ATTENTION.contains(cls)) {
      // each projection holds the same variables (kernel, bias); GroupedQueryAttention keeps them
      // in
      // private attributes (_query_dense, ...)
      String p = cls.equals("MultiHeadAttention") ? prefix : prefix + "_";
      int per = n / 4;
      out.add(new Part(prefix + "vars", 0, name));
      out.add(new Part(p + "query_dense/vars", per, "query"));
      out.add(new Part(p + "key_dense/vars", per, "key"));
      out.add(new Part(p + "value_dense/vars", per, "value"));
      out.add(new Part(p + "output_dense/vars", n - 3 * per, "attention_output"));
      out.add(new Part(prefix + "_dropout_layer/vars", 0, "dropout"));
      out.add(new Part(prefix + "_softmax/vars", 0, "softmax"));
      return;
    }
    out.add(new Part(prefix + "vars", n, name));
  }

  /**
   * The order in which a reader visits the sub-groups of a layer group so that variables come out
   * in positional order: explicit for classes whose attribute names do not sort that way, else
   * sorted.
   */
  static List<String> childOrder(String className, List<String> children) {
    List<String> preferred;
    if (className.equals("SpectralNormalization")) {
      // the wrapper's own variables (the kernel it normalises, vector_u) come first in
      // layer.weights
      preferred = List.of("vars", "layer");
    } else {
      // by attribute name, so that a weights-only file (no config, no class) reads in the same
      // order:
      // Bidirectional's forward layer first, attention projections as built
      preferred =
          List.of(
              "forward_layer",
              "backward_layer",
              "query_dense",
              "key_dense",
              "value_dense",
              "output_dense",
              "_query_dense",
              "_key_dense",
              "_value_dense",
              "_output_dense");
    }
    List<String> out = new ArrayList<>();
    for (String p : preferred) {
      if (children.contains(p)) {
        out.add(p);
      }
    }
    for (String c : children.stream().sorted().toList()) {
      if (!out.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * Short variable names of a layer's positional weights, for naming them in legacy HDF5 files and
   * reports; {@code var_<i>} where the class is not known.
   */
  public static List<String> variableNames(String cls, JsonNode config, int n) {
    List<String> names = knownNames(cls, config);
    if (names != null && names.size() == n) {
      return names;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(names != null && i < names.size() ? names.get(i) : "var_" + i);
    }
    return out;
  }

  private static List<String> knownNames(String cls, JsonNode config) {
    boolean bias = config.path("use_bias").asBoolean(true);
    List<String> quantized = Quantization.of(config).map(q -> q.saveOrder(cls, bias)).orElse(null);
    if (quantized != null) {
      return quantized;
    }
    if (Recurrence.of(cls) != null && !LayerClasses.isAlias(cls)) {
      // recurrent layers and cells of Keras 3: the gates side by side in each weight
      return bias
          ? List.of("kernel", "recurrent_kernel", "bias")
          : List.of("kernel", "recurrent_kernel");
    }
    switch (cls) {
      case "Dense":
      case "EinsumDense":
      case "Conv1D":
      case "Conv2D":
      case "Conv3D":
      case "Conv1DTranspose":
      case "Conv2DTranspose":
      case "Conv3DTranspose":
        return bias ? List.of("kernel", "bias") : List.of("kernel");
      case "DepthwiseConv1D":
      case "DepthwiseConv2D":
        return bias ? List.of("depthwise_kernel", "bias") : List.of("depthwise_kernel");
      case "SeparableConv1D":
      case "SeparableConv2D":
        return bias
            ? List.of("depthwise_kernel", "pointwise_kernel", "bias")
            : List.of("depthwise_kernel", "pointwise_kernel");
      case "Embedding":
        return List.of("embeddings");
      case "PReLU":
        return List.of("alpha");
      case "BatchNormalization":
        {
          List<String> l = new ArrayList<>();
          if (config.path("scale").asBoolean(true)) l.add("gamma");
          if (config.path("center").asBoolean(true)) l.add("beta");
          l.add("moving_mean");
          l.add("moving_variance");
          return l;
        }
      case "LayerNormalization":
      case "GroupNormalization":
        {
          List<String> l = new ArrayList<>();
          if (config.path("scale").asBoolean(true)) l.add("gamma");
          if (config.path("center").asBoolean(true)) l.add("beta");
          return l;
        }
      case "Bidirectional":
        {
          JsonNode inner = config.path("layer");
          List<String> one = knownNames(inner.path("class_name").asText(""), inner.path("config"));
          if (one == null) return null;
          List<String> l = new ArrayList<>();
          for (String s : one) l.add("forward/" + s);
          for (String s : one) l.add("backward/" + s);
          return l;
        }
      case "TimeDistributed":
        {
          JsonNode inner = config.path("layer");
          return knownNames(inner.path("class_name").asText(""), inner.path("config"));
        }
      case "RNN":
        {
          // a generic RNN names its cell's variables; StackedRNNCells one cell after another
          JsonNode cell = config.path("cell");
          String cc = cell.path("class_name").asText("");
          if (!cc.equals("StackedRNNCells")) {
            return knownNames(cc, cell.path("config"));
          }
          List<String> l = new ArrayList<>();
          int i = 0;
          for (JsonNode one : cell.path("config").path("cells")) {
            List<String> names = knownNames(one.path("class_name").asText(""), one.path("config"));
            if (names == null) return null;
            for (String s : names) l.add("cell_" + i + "/" + s);
            i++;
          }
          return l;
        }
      case "RMSNormalization":
        return List.of("scale");
      case "Attention":
        {
          List<String> l = new ArrayList<>();
          if (config.path("use_scale").asBoolean(false)) l.add("scale");
          if (config.path("score_mode").asText("dot").equals("concat"))
            l.add("concat_score_weight");
          return l;
        }
      case "AdditiveAttention":
        return config.path("use_scale").asBoolean(true) ? List.of("scale") : List.of();
      case "ReversibleEmbedding":
        return config.path("tie_weights").asBoolean(true)
            ? List.of("embeddings")
            : List.of("embeddings", "reverse_embeddings");
      case "SpectralNormalization":
        {
          // the wrapper saves the wrapped layer's kernel again beside its own vector_u
          JsonNode inner = config.path("layer");
          List<String> one = knownNames(inner.path("class_name").asText(""), inner.path("config"));
          if (one == null) return null;
          List<String> l = new ArrayList<>(List.of("kernel", "vector_u"));
          for (String s : one) l.add("layer/" + s);
          return l;
        }
      case "GroupedQueryAttention":
      case "GroupQueryAttention":
      case "MultiHeadAttention":
        {
          List<String> l = new ArrayList<>();
          for (String p : List.of("query", "key", "value", "attention_output")) {
            l.add(p + "/kernel");
            if (bias) l.add(p + "/bias");
          }
          return l;
        }
      default:
        return null;
    }
  }
}
