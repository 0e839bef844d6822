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
 * @param engine {@code tensorflow} ({@link TfEngine}) or {@code dl4j}; null means dl4j
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
    String modelClass,
    String engine) {

  /** A request for the DL4J engine. */
  public WorkerRequest(
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
    this(
        task,
        models,
        data,
        batch,
        seed,
        lsuv,
        training,
        layerClasses,
        layerActivations,
        modelClass,
        Engine.DL4J.id());
  }

  /** The engine that runs the request. */
  public enum Engine {
    /** TensorFlow Java on the graph the SavedModel exporter lowers ({@link TfEngine}). */
    TENSORFLOW("tensorflow"),
    /** DL4J's Keras import ({@link Dl4jWorker}). */
    DL4J("dl4j");

    private final String id;

    Engine(String id) {
      this.id = id;
    }

    /** The name on the command line and in requests. */
    public String id() {
      return id;
    }

    /** The engine named {@code id} ({@code tensorflow}, {@code dl4j}, any case). */
    public static Engine of(String id) {
      for (Engine e : values()) {
        if (e.id.equalsIgnoreCase(id)) {
          return e;
        }
      }
      throw new IllegalArgumentException("unknown engine " + id + " (tensorflow or dl4j)");
    }
  }

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
   * @param learningRate the optimizer's learning rate
   * @param targetAccuracy test accuracy whose first crossing is the time to threshold
   * @param optimizer {@code adam} (Keras's defaults besides the rate) or {@code sgd} (plain, no
   *     momentum); the DL4J engine runs Adam only
   * @param mode {@code training} (Keras's {@code fit}: BatchNormalization on the batch's
   *     statistics, its moving statistics updated with its momentum, Dropout active) or {@code
   *     inference} (Dropout off, BatchNormalization on its moving statistics, which stay as the
   *     file has them); the TensorFlow engine's training steps only (evaluation is always in
   *     inference mode, as Keras's)
   */
  public record TrainingOptions(
      int epochs,
      int batchSize,
      double learningRate,
      double targetAccuracy,
      String optimizer,
      String mode) {
    /** Training mode, the default. */
    public static final String TRAINING = "training";

    /** Inference mode. */
    public static final String INFERENCE = "inference";

    public TrainingOptions {
      optimizer = optimizer == null ? "adam" : optimizer.toLowerCase(java.util.Locale.ROOT);
      if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
        throw new IllegalArgumentException("unknown optimizer " + optimizer + " (adam or sgd)");
      }
      mode = mode == null ? TRAINING : mode.toLowerCase(java.util.Locale.ROOT);
      if (!mode.equals(TRAINING) && !mode.equals(INFERENCE)) {
        throw new IllegalArgumentException("unknown mode " + mode + " (training or inference)");
      }
    }

    /** In training mode. */
    public TrainingOptions(
        int epochs, int batchSize, double learningRate, double targetAccuracy, String optimizer) {
      this(epochs, batchSize, learningRate, targetAccuracy, optimizer, TRAINING);
    }

    /** With Adam. */
    public TrainingOptions(int epochs, int batchSize, double learningRate, double targetAccuracy) {
      this(epochs, batchSize, learningRate, targetAccuracy, "adam");
    }
  }
}
