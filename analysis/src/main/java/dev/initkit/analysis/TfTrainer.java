package dev.initkit.analysis;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Trainer}'s loop on TensorFlow ({@link TfNet}): the model's standard loss (cross-entropy
 * for a softmax head), Adam or SGD, the same shuffles for every scheme (seeded by epoch), the
 * curves recorded after each epoch.
 */
final class TfTrainer {
  /** Samples per evaluation run (memory, not results). */
  private static final int EVAL_CHUNK = 512;

  private TfTrainer() {}

  static TrainingRun train(
      String label,
      TfNet net,
      Data data,
      WorkerRequest.TrainingOptions o,
      long seed,
      LsuvResult lsuv,
      Consumer<String> progress)
      throws Dl4jWorker.UserError {
    if (!TfNet.MCXENT.equals(net.loss)) {
      throw new Dl4jWorker.UserError(
          "compare trains classifiers: the model's last layer must have a softmax activation");
    }
    int n = (int) data.xTrain.size(0);
    TfEngine.Batch train = TfEngine.rows(net, data.xTrain, 0, n, progress);
    INDArray xTestRaw = data.xTest != null ? data.xTest : data.xTrain;
    long[] yTestClasses = data.xTest != null ? data.yTest : data.yTrain;
    TfEngine.Batch test = TfEngine.rows(net, xTestRaw, 0, xTestRaw.size(0), null);
    int k = (int) net.output.shape()[net.output.shape().length - 1];
    float[] yTrain = oneHot(data.yTrain, k);
    float[] yTest = oneHot(yTestClasses, k);
    double initialLoss = loss(net, train, yTrain, k);
    double initialAcc = accuracy(net, test, yTestClasses, k);
    Curve curve = new Curve(label, o, progress);
    double seconds = 0;
    int per = train.values().length / n;
    for (int e = 1; e <= o.epochs(); e++) {
      int[] order = Trainer.permutation(n, new SplittableRandom(seed * 31 + e));
      long t0 = System.nanoTime();
      for (int start = 0; start < n; start += o.batchSize()) {
        int m = Math.min(n, start + o.batchSize()) - start;
        float[] xb = new float[m * per];
        float[] yb = new float[m * k];
        for (int i = 0; i < m; i++) {
          int row = order[start + i];
          System.arraycopy(train.values(), row * per, xb, i * per, per);
          System.arraycopy(yTrain, row * k, yb, i * k, k);
        }
        long[] xs = train.shape().clone();
        xs[0] = m;
        net.step(o.optimizer(), o.learningRate(), xb, xs, yb, new long[] {m, k});
      }
      seconds += (System.nanoTime() - t0) / 1e9;
      double trainLoss = loss(net, train, yTrain, k);
      double testLoss = loss(net, test, yTest, k);
      double acc = accuracy(net, test, yTestClasses, k);
      curve.epoch(e, trainLoss, testLoss, acc, seconds);
    }
    return curve.run(initialLoss, initialAcc, lsuv);
  }

  /** The mean loss over all samples, run in chunks. */
  private static double loss(TfNet net, TfEngine.Batch x, float[] y, int k) {
    int n = x.n();
    int per = x.values().length / n;
    double sum = 0;
    for (int start = 0; start < n; start += EVAL_CHUNK) {
      int m = Math.min(n, start + EVAL_CHUNK) - start;
      long[] xs = x.shape().clone();
      xs[0] = m;
      float[] xb = java.util.Arrays.copyOfRange(x.values(), start * per, (start + m) * per);
      float[] yb = java.util.Arrays.copyOfRange(y, start * k, (start + m) * k);
      sum += net.loss(xb, xs, yb, new long[] {m, k}) * m;
    }
    return sum / n;
  }

  private static double accuracy(TfNet net, TfEngine.Batch x, long[] classes, int k) {
    int n = x.n();
    int per = x.values().length / n;
    long right = 0;
    for (int start = 0; start < n; start += EVAL_CHUNK) {
      int m = Math.min(n, start + EVAL_CHUNK) - start;
      long[] xs = x.shape().clone();
      xs[0] = m;
      float[] p =
          net.predict(java.util.Arrays.copyOfRange(x.values(), start * per, (start + m) * per), xs);
      for (int i = 0; i < m; i++) {
        int best = 0;
        for (int j = 1; j < k; j++) {
          if (p[i * k + j] > p[i * k + best]) {
            best = j;
          }
        }
        right += best == classes[start + i] ? 1 : 0;
      }
    }
    return (double) right / n;
  }

  private static float[] oneHot(long[] classes, int k) {
    float[] y = new float[classes.length * k];
    for (int i = 0; i < classes.length; i++) {
      y[i * k + (int) Math.max(0, Math.min(classes[i], k - 1))] = 1f;
    }
    return y;
  }
}
