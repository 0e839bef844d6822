package dev.initkit.ops;

import dev.initkit.Hint;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.Quantization;
import dev.initkit.model.Weight;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The weights of a quantized layer that initkit must not redraw or reconfigure: its codes, a float8
 * kernel and their scales only mean something together, as Keras's {@code quantize} computed them
 * from one float kernel. The bias is an ordinary float weight.
 */
public final class QuantizedWeights {
  private QuantizedWeights() {}

  /**
   * The layer's quantization when {@code site}'s weight is one of its quantized values or their
   * state.
   */
  public static Optional<Quantization> of(WeightSite site) {
    return Quantization.of(site.layer())
        .filter(q -> q.part(site.weight().shortName()) != Quantization.Part.FLOAT);
  }

  /**
   * One line on a quantized weight, e.g. {@code int8 codes (stored int8), scale kernel_scale; mode
   * int8 (QuantizedDTypePolicy)}.
   */
  public static String describe(Quantization q, Weight w) {
    return q.describe(w.shortName(), w.dtype()) + "; mode " + q.label();
  }

  /**
   * Refuses {@code action} on a selected quantized weight, naming the layer and the weight.
   *
   * @param hint how to leave the weight out
   * @param hints the parts of the API {@code hint} names
   * @throws UnsupportedModelException when the weight is quantized
   */
  public static void refuse(Path file, WeightSite site, String action, String hint, Hint... hints)
      throws UnsupportedModelException {
    Optional<Quantization> q = of(site);
    if (q.isPresent()) {
      throw new UnsupportedModelException(
          file,
          site.layerPath() + "/" + site.weight().shortName(),
          "quantized weight ("
              + describe(q.get(), site.weight())
              + "): "
              + action
              + " would break the values Keras's"
              + " quantize computed together from one float kernel; "
              + hint,
          hints);
    }
  }
}
