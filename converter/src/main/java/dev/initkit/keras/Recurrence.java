package dev.initkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Set;

/**
 * The kinds of recurrent step, by their gate blocks on the last axis of the kernel, recurrent
 * kernel and bias: an LSTM has 4 (input, forget, candidate, output), a GRU 3, a simple RNN 1.
 * Layers and cells of a kind share it ({@code LSTM}, {@code LSTMCell}, {@code ConvLSTM2D}, {@code
 * CuDNNLSTM}).
 */
public enum Recurrence {
  LSTM(
      4,
      "LSTM",
      "LSTMCell",
      "ConvLSTM1D",
      "ConvLSTM2D",
      "ConvLSTM3D",
      "ConvLSTM1DCell",
      "ConvLSTM2DCell",
      "ConvLSTM3DCell"),
  GRU(3, "GRU", "GRUCell"),
  SIMPLE(1, "SimpleRNN", "SimpleRNNCell");

  private final int gates;
  private final Set<String> classes;

  Recurrence(int gates, String... classes) {
    this.gates = gates;
    this.classes = Set.of(classes);
  }

  /**
   * The kind of a recurrent layer or cell class (aliases resolved), or null for any other class (a
   * generic {@code RNN}, whose kind is its cell's, and {@code StackedRNNCells} included).
   */
  public static Recurrence of(String className) {
    if (className == null) {
      return null;
    }
    String c = LayerClasses.canonical(className);
    for (Recurrence r : values()) {
      if (r.classes.contains(c)) {
        return r;
      }
    }
    return null;
  }

  /** Gate blocks on the last axis of the weights. */
  public int gates() {
    return gates;
  }

  /** The current class names of this kind, layers and cells (without aliases). */
  public Set<String> classes() {
    return classes;
  }

  /**
   * True when a layer of this class and config is an LSTM whose bias Keras starts with ones on the
   * forget gate: {@code unit_forget_bias} true or absent (its default), or Keras 1's {@code
   * forget_bias_init: "one"}.
   */
  public static boolean unitForgetBias(String className, JsonNode config) {
    if (of(className) != LSTM) {
      return false;
    }
    JsonNode u = config.get("unit_forget_bias");
    if (u != null && u.isBoolean()) {
      return u.asBoolean();
    }
    JsonNode k1 = config.get("forget_bias_init");
    if (k1 != null && k1.isTextual()) {
      String s =
          k1.asText().toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(" ", "");
      return s.equals("one") || s.equals("ones");
    }
    return true;
  }
}
