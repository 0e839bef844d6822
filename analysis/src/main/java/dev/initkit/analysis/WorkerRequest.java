package dev.initkit.analysis;

import java.util.List;
import java.util.Map;

/**
 * What the child JVM ({@link Dl4jWorker}) is asked to do; written as JSON by {@link ForkedWorker}.
 *
 * @param task {@code analyze}, {@code lsuv} or {@code train}
 * @param models the tf.keras-form .h5 files, one per scheme, in order
 * @param data the user's data file (.npy, .npz, .csv), or null for standard-normal inputs
 * @param batch how many samples the analysis and LSUV batch has
 * @param seed seed of the generated inputs, random targets and training shuffles
 * @param lsuv LSUV options (task {@code lsuv}, and {@code train} entries that ask for it)
 * @param training training options (task {@code train}), or null
 * @param layerClasses Keras class per layer name, to name the layers DL4J cannot run
 * @param layerActivations Keras activation per layer name (absent: the layer has none), which the
 *     statistics use: DL4J gives weightless layers such as Dropout an activation of their own
 * @param modelClass the Keras model class ({@code Sequential}, {@code Functional}, ...)
 */
public record WorkerRequest(
    String task,
    List<ModelEntry> models,
    String data,
    int batch,
    long seed,
    LsuvOptions lsuv,
    TrainingOptions training,
    Map<String, String> layerClasses,
    Map<String, String> layerActivations,
    String modelClass) {

  /** One model: a label (the scheme) and its .h5; {@code lsuv} applies LSUV before the task. */
  public record ModelEntry(String label, String h5, boolean lsuv) {}

  /**
   * LSUV's stopping rule (Mishkin and Matas 2016).
   *
   * @param tol stop when |Var - 1| is below this
   * @param maxIter at most this many scalings per layer
   * @param minOutputs layers with fewer outputs are left alone (as in the reference implementation)
   */
  public record LsuvOptions(double tol, int maxIter, int minOutputs) {}

  /**
   * How {@code compare} trains each copy.
   *
   * @param epochs passes over the training data
   * @param batchSize minibatch size
   * @param learningRate Adam's learning rate
   * @param targetAccuracy test accuracy whose first crossing is the time to threshold
   */
  public record TrainingOptions(
      int epochs, int batchSize, double learningRate, double targetAccuracy) {}
}
