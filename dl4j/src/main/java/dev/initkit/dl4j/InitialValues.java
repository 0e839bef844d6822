package dev.initkit.dl4j;

import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.deeplearning4j.nn.weights.WeightInitXavier;

/** DL4J's initial values before imported weights overwrite them. */
public final class InitialValues {
  private InitialValues() {}

  /**
   * Distribution-based initial values (Keras Orthogonal becomes one) as Xavier, through wrappers:
   * DL4J's orthogonal initialisation never returns for some LSTM/SimpleRNN kernels, and the
   * imported weights overwrite the initial values anyway.
   */
  public static void avoidDistributionInit(Layer layer) {
    if (layer instanceof BaseLayer b && b.getWeightInitFn() instanceof WeightInitDistribution) {
      b.setWeightInitFn(new WeightInitXavier());
    }
    if (layer instanceof BaseRecurrentLayer r
        && r.getWeightInitFnRecurrent() instanceof WeightInitDistribution) {
      r.setWeightInitFnRecurrent(new WeightInitXavier());
    }
    if (layer instanceof BaseWrapperLayer w) {
      avoidDistributionInit(w.getUnderlying());
    }
    if (layer instanceof Bidirectional bi) {
      avoidDistributionInit(bi.getFwd());
      avoidDistributionInit(bi.getBwd());
    }
  }
}
