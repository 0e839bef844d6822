package dev.initkit.analysis;

import java.util.List;
import java.util.Map;

/**
 * One scheme's forward/backward pass over the batch.
 *
 * @param scheme the scheme's label ({@code file} for the weights as stored)
 * @param inputStd standard deviation of the batch fed in
 * @param loss the loss the gradients are of ({@code mcxent}, {@code xent}, {@code mse})
 * @param lossValue its value on the batch
 * @param layers per layer, input to output
 * @param gradientError why DL4J computed no gradients (its backward pass fails on some imported
 *     convolution layouts), or null; the forward statistics stand
 * @param estimatedStd the data-free estimate of each layer's output std for a standard-normal input
 *     ({@code report}'s depth estimate on this scheme's weights), by layer path; empty when not
 *     made
 */
public record SchemeAnalysis(
    String scheme,
    double inputStd,
    String loss,
    double lossValue,
    List<LayerStats> layers,
    String gradientError,
    Map<String, Double> estimatedStd) {
  public SchemeAnalysis {
    estimatedStd = estimatedStd == null ? Map.of() : Map.copyOf(estimatedStd);
  }

  /** Without an estimate (what the worker measures). */
  public SchemeAnalysis(
      String scheme,
      double inputStd,
      String loss,
      double lossValue,
      List<LayerStats> layers,
      String gradientError) {
    this(scheme, inputStd, loss, lossValue, layers, gradientError, Map.of());
  }

  /** The same measurement with the data-free estimate beside it. */
  public SchemeAnalysis withEstimate(Map<String, Double> estimate) {
    return new SchemeAnalysis(scheme, inputStd, loss, lossValue, layers, gradientError, estimate);
  }
}
