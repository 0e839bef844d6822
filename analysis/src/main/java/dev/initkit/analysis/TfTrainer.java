package dev.initkit.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Trainer}'s loop on TensorFlow ({@link TfNet}): the model's standard loss (cross-entropy
 * for a softmax head; a model with several outputs trains on the sum of one per output, each on the
 * data's classes, as Keras's {@code fit} sums them with equal loss weights), Adam or SGD, the same
 * shuffles for every scheme (seeded by epoch), the curves recorded after each epoch. Each input
 * reads the data or, when its size differs, fixed generated values ({@link TfEngine#inputs}).
 */
final class TfTrainer {
  /** Samples per evaluation run (memory, not results). */
  private static final int EVAL_CHUNK = 512;

  /** Offset of the test split's generated inputs' seed from the training split's. */
  private static final long TEST_SEED = 1_000_003;

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
    for (int i = 0; i < net.outputs.size(); i++) {
      if (!TfNet.MCXENT.equals(net.losses.get(i))) {
        throw new Dl4jWorker.UserError(
            net.outputs.size() == 1
                ? "compare trains classifiers: the model's last layer must have a softmax activation"
                : "compare trains classifiers: every output must have a softmax activation ("
                    + net.outputs.get(i).key()
                    + " has none)");
      }
    }
    int n = (int) data.xTrain.size(0);
    List<TfEngine.Batch> train = TfEngine.inputs(net, data.xTrain, n, seed, progress);
    INDArray xTestRaw = data.xTest != null ? data.xTest : data.xTrain;
    long[] yTestClasses = data.xTest != null ? data.yTest : data.yTrain;
    List<TfEngine.Batch> test =
        TfEngine.inputs(net, xTestRaw, xTestRaw.size(0), seed + TEST_SEED, null);
    int outs = net.outputs.size();
    int[] k = new int[outs];
    List<float[]> yTrain = new ArrayList<>();
    List<float[]> yTest = new ArrayList<>();
    for (int j = 0; j < outs; j++) {
      long[] s = net.outputs.get(j).shape();
      k[j] = (int) s[s.length - 1];
      yTrain.add(oneHot(data.yTrain, k[j]));
      yTest.add(oneHot(yTestClasses, k[j]));
    }
    List<String> names = new ArrayList<>();
    if (outs > 1) {
      for (int j = 0; j < outs; j++) {
        names.add(net.outputs.get(j).key());
      }
      progress.accept(
          label
              + ": the training loss is the sum of each output's categorical cross-entropy: "
              + String.join(" + ", names));
    }
    double[] initial = losses(net, train, yTrain, k);
    double initialAcc = accuracy(net, test, yTestClasses, k[0]);
    Curve curve = new Curve(label, o, progress);
    double seconds = 0;
    for (int e = 1; e <= o.epochs(); e++) {
      int[] order = Trainer.permutation(n, new SplittableRandom(seed * 31 + e));
      long t0 = System.nanoTime();
      for (int start = 0; start < n; start += o.batchSize()) {
        int[] rows = Arrays.copyOfRange(order, start, Math.min(n, start + o.batchSize()));
        List<TfEngine.Batch> xb = new ArrayList<>();
        for (TfEngine.Batch b : train) {
          xb.add(pick(b.values(), b.shape(), rows));
        }
        List<float[]> yb = new ArrayList<>();
        List<long[]> ys = new ArrayList<>();
        for (int j = 0; j < outs; j++) {
          yb.add(pick(yTrain.get(j), new long[] {n, k[j]}, rows).values());
          ys.add(new long[] {rows.length, k[j]});
        }
        net.step(
            o.optimizer(),
            o.learningRate(),
            WorkerRequest.TrainingOptions.TRAINING.equals(o.mode()),
            xb,
            yb,
            ys);
      }
      seconds += (System.nanoTime() - t0) / 1e9;
      double[] trainLoss = losses(net, train, yTrain, k);
      double[] testLoss = losses(net, test, yTest, k);
      double acc = accuracy(net, test, yTestClasses, k[0]);
      curve.epoch(e, sum(trainLoss), sum(testLoss), acc, seconds, perOutput(trainLoss));
    }
    return curve.run(sum(initial), initialAcc, lsuv, names, perOutput(initial));
  }

  private static double sum(double[] v) {
    return Arrays.stream(v).sum();
  }

  /** Each output's loss for the record: none for one output (the total says it). */
  private static List<Double> perOutput(double[] v) {
    return v.length == 1 ? List.of() : Arrays.stream(v).boxed().toList();
  }

  /** Rows {@code rows} of a row-major batch of {@code shape[0]} samples. */
  private static TfEngine.Batch pick(float[] values, long[] shape, int[] rows) {
    int per = (int) (values.length / shape[0]);
    float[] out = new float[rows.length * per];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(values, rows[i] * per, out, i * per, per);
    }
    long[] s = shape.clone();
    s[0] = rows.length;
    return new TfEngine.Batch(out, s);
  }

  /** Samples [start, start + m) of a row-major batch. */
  private static TfEngine.Batch slice(TfEngine.Batch b, int start, int m) {
    int per = b.values().length / b.n();
    long[] s = b.shape().clone();
    s[0] = m;
    return new TfEngine.Batch(Arrays.copyOfRange(b.values(), start * per, (start + m) * per), s);
  }

  private static List<TfEngine.Batch> slice(List<TfEngine.Batch> xs, int start, int m) {
    return xs.stream().map(b -> slice(b, start, m)).toList();
  }

  /** Each output's mean loss over all samples, run in chunks. */
  private static double[] losses(TfNet net, List<TfEngine.Batch> x, List<float[]> y, int[] k) {
    int n = x.get(0).n();
    double[] sum = new double[k.length];
    for (int start = 0; start < n; start += EVAL_CHUNK) {
      int m = Math.min(n, start + EVAL_CHUNK) - start;
      List<float[]> yb = new ArrayList<>();
      List<long[]> ys = new ArrayList<>();
      for (int j = 0; j < k.length; j++) {
        yb.add(Arrays.copyOfRange(y.get(j), start * k[j], (start + m) * k[j]));
        ys.add(new long[] {m, k[j]});
      }
      double[] l = net.losses(slice(x, start, m), yb, ys);
      for (int j = 0; j < k.length; j++) {
        sum[j] += l[j] * m;
      }
    }
    for (int j = 0; j < k.length; j++) {
      sum[j] /= n;
    }
    return sum;
  }

  /** The first output's accuracy. */
  private static double accuracy(TfNet net, List<TfEngine.Batch> x, long[] classes, int k) {
    int n = x.get(0).n();
    long right = 0;
    for (int start = 0; start < n; start += EVAL_CHUNK) {
      int m = Math.min(n, start + EVAL_CHUNK) - start;
      float[] p = net.predict(slice(x, start, m), 0);
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
