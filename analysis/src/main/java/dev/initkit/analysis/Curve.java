package dev.initkit.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * One training run's curve, recorded epoch by epoch the same way whichever engine trains: the
 * points, the first epoch that reaches the target accuracy, and a progress line per epoch.
 */
final class Curve {
  private final String label;
  private final WorkerRequest.TrainingOptions options;
  private final Consumer<String> progress;
  private final List<TrainingRun.Epoch> epochs = new ArrayList<>();
  private Integer toTarget;
  private Double secondsToTarget;

  Curve(String label, WorkerRequest.TrainingOptions options, Consumer<String> progress) {
    this.label = label;
    this.options = options;
    this.progress = progress;
  }

  /**
   * Records epoch {@code e}, measured after its updates.
   *
   * @param seconds training time so far, evaluation excluded
   */
  void epoch(int e, double trainLoss, double testLoss, double accuracy, double seconds) {
    epoch(e, trainLoss, testLoss, accuracy, seconds, List.of());
  }

  /** Records epoch {@code e} of a model with several outputs: each output's training loss too. */
  void epoch(
      int e,
      double trainLoss,
      double testLoss,
      double accuracy,
      double seconds,
      List<Double> outputLosses) {
    epochs.add(new TrainingRun.Epoch(e, trainLoss, testLoss, accuracy, seconds, outputLosses));
    if (toTarget == null && accuracy >= options.targetAccuracy()) {
      toTarget = e;
      secondsToTarget = seconds;
    }
    progress.accept(
        String.format(
            Locale.ROOT,
            "%s: epoch %d/%d: train loss %.4f, test loss %.4f, test accuracy %.3f",
            label,
            e,
            options.epochs(),
            trainLoss,
            testLoss,
            accuracy));
  }

  /** The finished run. */
  TrainingRun run(double initialLoss, double initialAccuracy, LsuvResult lsuv) {
    return run(initialLoss, initialAccuracy, lsuv, List.of(), List.of());
  }

  /** The finished run of a model with several outputs, its losses named. */
  TrainingRun run(
      double initialLoss,
      double initialAccuracy,
      LsuvResult lsuv,
      List<String> outputs,
      List<Double> initialOutputLosses) {
    return new TrainingRun(
        label,
        initialLoss,
        initialAccuracy,
        epochs,
        toTarget,
        secondsToTarget,
        lsuv,
        outputs,
        initialOutputLosses);
  }
}
