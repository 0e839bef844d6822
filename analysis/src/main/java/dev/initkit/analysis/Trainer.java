package dev.initkit.analysis;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Trains one copy with Adam on the model's standard loss (cross-entropy for a softmax head), the
 * same shuffles for every scheme (seeded by epoch), and records the curves.
 */
final class Trainer {
  private Trainer() {}

  static TrainingRun train(
      String label,
      Dl4jNet imported,
      Data data,
      WorkerRequest.TrainingOptions o,
      long seed,
      LsuvResult lsuv,
      Consumer<String> progress)
      throws Dl4jWorker.UserError {
    LossFunction loss = Dl4jWorker.lossFor(imported);
    if (loss != LossFunction.MCXENT) {
      throw new Dl4jWorker.UserError(
          "compare trains classifiers: the model's last layer must have a softmax activation");
    }
    Dl4jNet net = imported.withLoss(loss, new Adam(o.learningRate()), 2);
    long k = net.output(data.xTrain.getRow(0, true)).size(1);
    INDArray yTrain = oneHot(data.yTrain, k);
    INDArray xTest = data.xTest != null ? data.xTest : data.xTrain;
    long[] yTestClasses = data.xTest != null ? data.yTest : data.yTrain;
    INDArray yTest = oneHot(yTestClasses, k);
    DataSet train = new DataSet(data.xTrain, yTrain);
    DataSet test = new DataSet(xTest, yTest);
    double initialLoss = net.score(train);
    double initialAcc = accuracy(net, xTest, yTestClasses);
    Curve curve = new Curve(label, o, progress);
    double seconds = 0;
    int n = (int) data.xTrain.size(0);
    for (int e = 1; e <= o.epochs(); e++) {
      int[] order = permutation(n, new SplittableRandom(seed * 31 + e));
      long t0 = System.nanoTime();
      for (int start = 0; start < n; start += o.batchSize()) {
        int[] idx = java.util.Arrays.copyOfRange(order, start, Math.min(n, start + o.batchSize()));
        net.fit(new DataSet(data.xTrain.getRows(idx), yTrain.getRows(idx)));
      }
      seconds += (System.nanoTime() - t0) / 1e9;
      double trainLoss = net.score(train);
      double testLoss = net.score(test);
      double acc = accuracy(net, xTest, yTestClasses);
      curve.epoch(e, trainLoss, testLoss, acc, seconds);
    }
    return curve.run(initialLoss, initialAcc, lsuv);
  }

  static int[] permutation(int n, SplittableRandom r) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static INDArray oneHot(long[] classes, long k) {
    INDArray y =
        org.nd4j.linalg.factory.Nd4j.zeros(
            org.nd4j.linalg.api.buffer.DataType.FLOAT, classes.length, k);
    for (int i = 0; i < classes.length; i++) {
      y.putScalar(i, Math.max(0, Math.min(classes[i], k - 1)), 1f);
    }
    return y;
  }

  private static double accuracy(Dl4jNet net, INDArray x, long[] classes) {
    INDArray pred = net.output(x).argMax(1);
    long right = 0;
    for (int i = 0; i < classes.length; i++) {
      right += pred.getLong(i) == classes[i] ? 1 : 0;
    }
    return (double) right / classes.length;
  }
}
