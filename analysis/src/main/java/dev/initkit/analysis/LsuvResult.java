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
   */
  public record Layer(
      String name,
      boolean scaled,
      String skipReason,
      int iterations,
      double initialVariance,
      double finalVariance,
      double scale) {}
}
