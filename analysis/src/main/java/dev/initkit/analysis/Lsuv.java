package dev.initkit.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
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

  static LsuvResult run(MultiLayerNetwork net, INDArray x, WorkerRequest.LsuvOptions o, Consumer<String> progress) {
    List<LsuvResult.Layer> out = new ArrayList<>();
    int n = net.getnLayers();
    for (int i = 0; i < n; i++) {
      Layer l = net.getLayer(i);
      if (!l.paramTable().containsKey("W")) {
        continue;
      }
      String name = l.conf().getLayer().getLayerName();
      String act = Dl4jWorker.activation(l);
      double v = variance(net, i, x);
      long perSample = outputsPerSample(net, i, x);
      if (perSample < o.minOutputs()) {
        out.add(new LsuvResult.Layer(name, false, "fewer than " + o.minOutputs() + " outputs (" + perSample + ")", 0, v, v, 1));
        continue;
      }
      if ("softmax".equals(act) || "sigmoid".equals(act)) {
        out.add(new LsuvResult.Layer(name, false, act + " output: variance 1 is out of reach", 0, v, v, 1));
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
        v = variance(net, i, x);
        measured++;
      }
      progress.accept(String.format(java.util.Locale.ROOT, "lsuv %s: variance %.4g -> %.4g in %d scalings", name, v0, v, measured - 1));
      out.add(new LsuvResult.Layer(name, true, null, measured - 1, v0, v, scale));
    }
    return new LsuvResult((int) x.size(0), out);
  }

  private static double variance(MultiLayerNetwork net, int layer, INDArray x) {
    List<INDArray> acts = net.feedForwardToLayer(layer, x, false);
    double[] ms = Dl4jWorker.meanStd(Dl4jWorker.floats(acts.get(layer + 1)));
    return ms[1] * ms[1];
  }

  private static long outputsPerSample(MultiLayerNetwork net, int layer, INDArray x) {
    INDArray a = net.feedForwardToLayer(layer, x, false).get(layer + 1);
    return a.length() / a.size(0);
  }
}
