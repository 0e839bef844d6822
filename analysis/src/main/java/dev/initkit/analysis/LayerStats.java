package dev.initkit.analysis;

import java.util.List;

/**
 * What one layer does to a batch.
 *
 * @param name the Keras layer name
 * @param className the Keras class, or DL4J's when unknown
 * @param activation the layer's activation as DL4J runs it (lower case), or null
 * @param outputMean mean of the layer's output (after its activation) over the batch
 * @param outputStd standard deviation of that output
 * @param deadFraction for ReLU-family layers: the fraction of units that output 0 for every sample
 *     (per channel for convolutions); NaN otherwise
 * @param saturatedFraction for tanh (|y| &gt; 0.99) and sigmoid (y &lt; 0.01 or y &gt; 0.99): the
 *     fraction of saturated outputs; NaN otherwise
 * @param gradNorm L2 norm of the gradient of the batch's mean loss with respect to the layer's
 *     kernel (its first weight), NaN for layers without weights
 * @param mark {@code vanishing}, {@code exploding} or null (see {@link Marks})
 * @param weights the layer's weights with their statistics
 */
public record LayerStats(
    String name,
    String className,
    String activation,
    double outputMean,
    double outputStd,
    double deadFraction,
    double saturatedFraction,
    double gradNorm,
    String mark,
    List<WeightStats> weights) {

  /** A copy with another mark. */
  public LayerStats withMark(String m) {
    return new LayerStats(
        name,
        className,
        activation,
        outputMean,
        outputStd,
        deadFraction,
        saturatedFraction,
        gradNorm,
        m,
        weights);
  }

  /**
   * One weight.
   *
   * @param name {@code kernel}, {@code bias}, ... (Keras's names for DL4J's W, b, RW)
   * @param shape DL4J's shape
   * @param std standard deviation of the values
   * @param gradNorm L2 norm of the loss gradient with respect to it
   * @param histogram the values' histogram
   */
  public record WeightStats(
      String name, long[] shape, double std, double gradNorm, Histogram histogram) {}

  /** Equal-width bins over [min, max]. */
  public record Histogram(double min, double max, long[] counts) {}
}
