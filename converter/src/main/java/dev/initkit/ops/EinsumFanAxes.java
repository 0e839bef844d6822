package dev.initkit.ops;

import dev.initkit.internal.ConfigViews;
import dev.initkit.keras.LayerClasses;
import dev.initkit.model.Layer;
import dev.initkit.model.Weight;
import java.util.ArrayList;
import java.util.List;

/**
 * The fan axes Keras 3.15 gives the kernel initializer of an {@code EinsumDense} layer, and so of
 * every projection of a {@code MultiHeadAttention} (keras pull request 22789, first released in
 * 3.15.0): a kernel axis whose letter is in the equation's output is an output axis, one in its
 * input an input axis ({@code _analyze_einsum_string}). Keras applies them only when the configured
 * initializer is a VarianceScaling one that names no axes itself.
 */
final class EinsumFanAxes {
  private EinsumFanAxes() {}

  /**
   * {@code [input axes, output axes]} of {@code w}, a kernel of {@code layer}; null when Keras 3.15
   * computes its fans the classic way (another layer class, an equation it cannot split).
   */
  static List<List<Integer>> of(Layer layer, Weight w) {
    int rank = w.shape().rank();
    switch (LayerClasses.canonical(layer.className())) {
      case "EinsumDense":
        return fromEquation(ConfigViews.of(layer).path("equation").asText(""), rank);
      case "MultiHeadAttention":
      case "GroupedQueryAttention":
        // GroupedQueryAttention's projections ("bqm,muh->bquh", "bquh,uhm->bqm") split as MHA's
        return multiHeadAttention(w.name(), rank);
      default:
        return null;
    }
  }

  /**
   * {@code "abc,cde->abde"}: kernel letters in the output are output axes, in the input input axes.
   */
  static List<List<Integer>> fromEquation(String equation, int rank) {
    String e = equation.replace(" ", "");
    int comma = e.indexOf(',');
    int arrow = e.indexOf("->");
    if (comma < 0 || arrow < comma) {
      return null;
    }
    String input = e.substring(0, comma);
    String kernel = e.substring(comma + 1, arrow);
    String output = e.substring(arrow + 2);
    if (kernel.contains(".") || kernel.length() != rank) {
      return null; // an ellipsis in the kernel: Keras's own analysis, not restated here
    }
    List<Integer> in = new ArrayList<>();
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < kernel.length(); i++) {
      char c = kernel.charAt(i);
      if (output.indexOf(c) >= 0) {
        out.add(i);
      } else if (input.indexOf(c) >= 0) {
        in.add(i);
      } else {
        return null; // Keras refuses such an equation
      }
    }
    return List.of(in, out);
  }

  /**
   * MultiHeadAttention builds its projections with {@code _build_proj_equation}: query, key, value
   * (and gate) contract one input axis into (heads, dim), {@code "abc,cde->abde"}: input axis 0,
   * output axes 1..; the output projection contracts (heads, dim), {@code "abcd,cde->abe"}: input
   * axes 0 and 1, output axes 2...
   */
  private static List<List<Integer>> multiHeadAttention(String weightName, int rank) {
    String[] parts = weightName.replace(":0", "").split("/");
    if (parts.length < 2 || rank < 2) {
      return null;
    }
    String sub = parts[parts.length - 2];
    int bound =
        switch (sub) {
          case "query", "key", "value", "gate" -> 1;
          case "attention_output", "output" -> 2;
          default -> -1;
        };
    if (bound < 0 || bound >= rank) {
      return null;
    }
    List<Integer> in = new ArrayList<>();
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      (i < bound ? in : out).add(i);
    }
    return List.of(in, out);
  }
}
