package dev.initkit.analysis;

import java.util.List;

/**
 * What LSUV did, per layer with a kernel.
 *
 * @param batch the batch size the variances are measured on
 * @param layers in model order
 */
public record LsuvResult(int batch, List<Layer> layers) {

  /**
   * One layer.
   *
   * @param name the Keras layer name
   * @param scaled true when its kernel was scaled
   * @param skipReason why not, or null
   * @param iterations how many forward passes measured it
   * @param initialVariance output variance after the orthonormal pre-init
   * @param finalVariance output variance after the last scaling
   * @param scale the factor the orthonormal kernel was multiplied by
   * @param measured what the variances are of: {@link #OUTPUT} (the layer's output, after its
   *     activation) or, for a recurrent layer, {@link #INPUT_PROJECTION}
   */
  public record Layer(
      String name,
      boolean scaled,
      String skipReason,
      int iterations,
      double initialVariance,
      double finalVariance,
      double scale,
      String measured) {
    /** The layer's output, after its activation (Mishkin and Matas's LSUV). */
    public static final String OUTPUT = "output";

    /**
     * A recurrent layer's input projection {@code x . kernel} over every time step (the gates'
     * pre-activations from the input): its output {@code o * tanh(c)} is bounded below unit
     * variance (0.2 after 10 scalings of an LSTM's kernel by 2e4, every gate saturated).
     */
    public static final String INPUT_PROJECTION = "input projection";

    /** A null {@code measured} (a result written before it existed) is the output. */
    public Layer {
      measured = measured == null ? OUTPUT : measured;
    }

    /** A layer whose output variance is measured. */
    public Layer(
        String name,
        boolean scaled,
        String skipReason,
        int iterations,
        double initialVariance,
        double finalVariance,
        double scale) {
      this(name, scaled, skipReason, iterations, initialVariance, finalVariance, scale, OUTPUT);
    }
  }
}
