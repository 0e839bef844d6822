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
 */
public record TrainingRun(
    String scheme,
    double initialTrainLoss,
    double initialTestAccuracy,
    List<Epoch> epochs,
    Integer epochsToTarget,
    Double secondsToTarget,
    LsuvResult lsuv) {

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
   * @param testAccuracy fraction of test samples classified right
   * @param seconds training time so far (evaluation excluded)
   */
  public record Epoch(
      int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds) {}
}
