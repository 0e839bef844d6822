package dev.initkit.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer-sequential unit variance (Mishkin and Matas 2016, KERAS-NOTES.md section 1.6), second step:
 * from the first layer to the last, forward the batch and scale the kernel by 1/sqrt(Var(output))
 * until |Var - 1| &lt; tol or maxIter scalings. The output is the layer's (after its activation),
 * as in the reference Keras implementation; biases are left alone. Layers with fewer than {@code
 * minOutputs} outputs per sample, or with a softmax/sigmoid output (bounded: variance 1 is out of
 * reach), are skipped. The orthonormal pre-init is the caller's (the file it imports).
 */
final class Lsuv {
  private Lsuv() {}

  static LsuvResult run(
      Dl4jNet net, INDArray x, WorkerRequest.LsuvOptions o, Consumer<String> progress) {
    List<LsuvResult.Layer> out = new ArrayList<>();
    for (Layer l : net.layers()) {
      if (!l.paramTable().containsKey("W")) {
        continue;
      }
      String name = Dl4jNet.name(l);
      String act = Dl4jWorker.activation(l);
      INDArray first = net.outputOf(l, x);
      double v = variance(first);
      long perSample = first.length() / first.size(0);
      LsuvResult.Layer skipped = skipped(name, act, perSample, v, o);
      if (skipped != null) {
        out.add(skipped);
        continue;
      }
      INDArray w = l.getParam("W");
      double v0 = v;
      double scale = 1;
      int measured = 1;
      while (Math.abs(v - 1) >= o.tol() && measured <= o.maxIter() && v > 0 && Double.isFinite(v)) {
        double s = 1 / Math.sqrt(v);
        w.muli(s);
        scale *= s;
        v = variance(net.outputOf(l, x));
        measured++;
      }
      progress.accept(
          String.format(
              java.util.Locale.ROOT,
              "lsuv %s: variance %.4g -> %.4g in %d scalings",
              name,
              v0,
              v,
              measured - 1));
      out.add(new LsuvResult.Layer(name, true, null, measured - 1, v0, v, scale));
    }
    return new LsuvResult((int) x.size(0), out);
  }

  private static double variance(INDArray output) {
    double[] ms = Statistics.meanStd(Dl4jWorker.floats(output));
    return ms[1] * ms[1];
  }

  /**
   * The layer LSUV leaves alone, with why (as the reference implementation: too few outputs to
   * measure a variance, or a squashing head whose variance cannot reach 1), or null to scale it.
   * Both engines apply it.
   */
  static LsuvResult.Layer skipped(
      String name,
      String activation,
      long perSample,
      double variance,
      WorkerRequest.LsuvOptions o) {
    if (perSample < o.minOutputs()) {
      return new LsuvResult.Layer(
          name,
          false,
          "fewer than " + o.minOutputs() + " outputs (" + perSample + ")",
          0,
          variance,
          variance,
          1);
    }
    if ("softmax".equals(activation) || "sigmoid".equals(activation)) {
      return new LsuvResult.Layer(
          name,
          false,
          activation + " output: variance 1 is out of reach",
          0,
          variance,
          variance,
          1);
    }
    return null;
  }
}
