package dev.initkit.analysis;

import java.util.List;

/**
 * One scheme's training curve.
 *
 * @param scheme the scheme's label
 * @param initialTrainLoss training loss before the first update
 * @param initialTestAccuracy test accuracy before the first update
 * @param epochs one point per epoch
 * @param epochsToTarget the first epoch whose test accuracy reached the target, or null
 * @param secondsToTarget the training time until then, or null
 * @param lsuv what LSUV did first, or null
 * @param outputs the names of the model's outputs (each trained on its categorical cross-entropy),
 *     in the order of {@link #initialOutputLosses()} and {@link Epoch#outputTrainLosses()}; the
 *     training loss is their sum (Keras's {@code fit} with equal loss weights); empty for one
 *     output
 * @param initialOutputLosses each output's training loss before the first update (empty for one
 *     output)
 */
public record TrainingRun(
    String scheme,
    double initialTrainLoss,
    double initialTestAccuracy,
    List<Epoch> epochs,
    Integer epochsToTarget,
    Double secondsToTarget,
    LsuvResult lsuv,
    List<String> outputs,
    List<Double> initialOutputLosses) {

  /** A run of a model with one output (no per-output losses). */
  public TrainingRun(
      String scheme,
      double initialTrainLoss,
      double initialTestAccuracy,
      List<Epoch> epochs,
      Integer epochsToTarget,
      Double secondsToTarget,
      LsuvResult lsuv) {
    this(
        scheme,
        initialTrainLoss,
        initialTestAccuracy,
        epochs,
        epochsToTarget,
        secondsToTarget,
        lsuv,
        List.of(),
        List.of());
  }

  /** Null lists (a result written before they existed) read as empty. */
  public TrainingRun {
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    initialOutputLosses =
        initialOutputLosses == null ? List.of() : List.copyOf(initialOutputLosses);
  }

  /** The training loss at the end: the last epoch's, or the initial one without epochs. */
  public double finalTrainLoss() {
    return epochs.isEmpty() ? initialTrainLoss : epochs.get(epochs.size() - 1).trainLoss();
  }

  /**
   * After one epoch.
   *
   * @param epoch from 1
   * @param trainLoss mean loss over the whole training set after the epoch
   * @param testLoss the same on the test set
   * @param testAccuracy fraction of test samples classified right (by the first output of a model
   *     with several)
   * @param seconds training time so far (evaluation excluded)
   * @param outputTrainLosses each output's training loss, in the order of {@link
   *     TrainingRun#outputs()} (empty for one output)
   */
  public record Epoch(
      int epoch,
      double trainLoss,
      double testLoss,
      double testAccuracy,
      double seconds,
      List<Double> outputTrainLosses) {

    /** An epoch of a model with one output. */
    public Epoch(
        int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds) {
      this(epoch, trainLoss, testLoss, testAccuracy, seconds, List.of());
    }

    /** A null list reads as empty. */
    public Epoch {
      outputTrainLosses = outputTrainLosses == null ? List.of() : List.copyOf(outputTrainLosses);
    }
  }
}
