package dev.initkit.analysis;

import dev.initkit.Hint;
import dev.initkit.analysis.LayerStats.WeightStats;
import dev.initkit.analysis.WorkerRequest.ModelEntry;
import dev.initkit.savedmodel.ModelGraph;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The tasks of {@link Dl4jWorker} on TensorFlow Java ({@link TfNet}): the same batch, targets,
 * statistics, marks, LSUV rule and training loop, so both engines fill the same records.
 *
 * <p>Statistics, gradients, LSUV's variances and the training curves' evaluations are taken in
 * inference mode (Keras's {@code model(x, training=False)}). Training steps run in training mode by
 * default, as Keras's {@code fit}: BatchNormalization on the batch's statistics, its moving
 * statistics updated with its momentum, Dropout active ({@link
 * WorkerRequest.TrainingOptions#mode}).
 */
final class TfEngine {
  private TfEngine() {}

  static WorkerResult run(WorkerRequest req, Consumer<String> progress) throws Exception {
    Data data = req.data() == null ? null : Data.load(Path.of(req.data()));
    switch (req.task()) {
      case "analyze":
        {
          List<SchemeAnalysis> out = new ArrayList<>();
          for (ModelEntry m : req.models()) {
            progress.accept("analyzing " + m.label() + " (TensorFlow)");
            try (TfNet net = open(m, req)) {
              Data d = labelled(data, net);
              List<Batch> x = batches(net, d, req.batch(), req.seed(), progress);
              if (m.lsuv()) {
                lsuv(net, x, req, progress);
              }
              out.add(analyze(m.label(), net, x, d == null ? null : d.labels(x.get(0).n()), req));
            }
          }
          return new WorkerResult(out, null, null, null, null, List.of());
        }
      case "lsuv":
        {
          try (TfNet net = open(req.models().get(0), req)) {
            List<Batch> x = batches(net, labelled(data, net), req.batch(), req.seed(), progress);
            return new WorkerResult(null, lsuv(net, x, req, progress), null, null, null, List.of());
          }
        }
      case "train":
        {
          List<TrainingRun> runs = new ArrayList<>();
          List<SchemeAnalysis> analyses = new ArrayList<>();
          for (ModelEntry m : req.models()) {
            try (TfNet net = open(m, req)) {
              Data d = labelled(data, net);
              if (d == null || d.yTrain == null) {
                throw new Dl4jWorker.UserError(
                    Hint.COMPARE.apiName()
                        + " needs labelled data: an .npz with x_train/y_train (and x_test/y_test)"
                        + " or x/y, or a CSV whose last column is the class");
              }
              List<Batch> x = batches(net, d, req.batch(), req.seed(), progress);
              LsuvResult l = null;
              if (m.lsuv()) {
                progress.accept(m.label() + ": LSUV on " + x.get(0).n() + " training samples");
                l = lsuv(net, x, req, progress);
              }
              analyses.add(analyze(m.label(), net, x, d.labels(x.get(0).n()), req));
              runs.add(TfTrainer.train(m.label(), net, d, req.training(), req.seed(), l, progress));
            }
          }
          return new WorkerResult(analyses, null, runs, null, null, List.of());
        }
      default:
        throw new IllegalArgumentException("unknown task " + req.task());
    }
  }

  private static TfNet open(ModelEntry m, WorkerRequest req) throws Exception {
    return TfNet.open(Path.of(m.h5()), req.layerActivations());
  }

  static String leaf(String path) {
    return path == null ? null : path.substring(path.lastIndexOf('/') + 1);
  }

  /** A batch: its values (row-major) and shape. */
  record Batch(float[] values, long[] shape) {
    int n() {
      return (int) shape[0];
    }
  }

  /** Data whose samples have one column more than the input's elements: the last is the class. */
  private static Data labelled(Data data, TfNet net) throws Dl4jWorker.UserError {
    if (data == null) {
      return null;
    }
    long[] s = net.input.shape();
    if (data.imageDir != null) {
      // Images reads at the model's input size, channels last as TensorFlow runs them
      org.deeplearning4j.nn.conf.inputs.InputType type =
          s.length == 4
              ? org.deeplearning4j.nn.conf.inputs.InputType.convolutional(
                  s[1], s[2], s[3], org.deeplearning4j.nn.conf.CNN2DFormat.NHWC)
              : org.deeplearning4j.nn.conf.inputs.InputType.feedForward(
                  Arrays.stream(s).skip(1).reduce(1L, (a, b) -> a * Math.max(b, 1)));
      return Images.load(data.imageDir, type);
    }
    long count = 1;
    for (int i = 1; i < s.length; i++) {
      count *= Math.max(s[i], 1);
    }
    return data.withLabelColumnFor(count);
  }

  /**
   * The first {@code batch} training samples for every input (see {@link #inputs}), or seeded
   * standard-normal values without data.
   */
  static List<Batch> batches(TfNet net, Data data, int batch, long seed, Consumer<String> progress)
      throws Dl4jWorker.UserError {
    if (data != null) {
      long n = Math.min(batch, data.xTrain.size(0));
      return inputs(net, data.xTrain, n, seed, progress);
    }
    List<Batch> out = new ArrayList<>();
    for (int i = 0; i < net.inputs.size(); i++) {
      // the first input's values are the seed's, as on DL4J
      out.add(random(net, net.inputs.get(i), batch, seed + i, progress));
    }
    return out;
  }

  /**
   * The first {@code n} rows of the data for each of the model's inputs: an input whose element
   * count the data's samples have reads them, shaped to it (a flat (N, 64) dataset feeds an (8, 8,
   * 1) input); any other input of a model with several gets seeded standard-normal values (token
   * ids for an integer input), one fixed sample per row. Both are said through {@code progress}.
   */
  static List<Batch> inputs(
      TfNet net,
      org.nd4j.linalg.api.ndarray.INDArray x,
      long n,
      long seed,
      Consumer<String> progress)
      throws Dl4jWorker.UserError {
    List<Batch> out = new ArrayList<>();
    Dl4jWorker.UserError misfit = null;
    boolean any = false;
    for (int i = 0; i < net.inputs.size(); i++) {
      ModelGraph.Input in = net.inputs.get(i);
      try {
        out.add(rows(in, x, 0, n, progress));
        any = true;
      } catch (Dl4jWorker.UserError e) {
        if (net.inputs.size() == 1) {
          throw e;
        }
        misfit = e;
        out.add(random(net, in, (int) n, seed + i, null));
        if (progress != null) {
          progress.accept(
              "generated input: "
                  + in.key()
                  + " gets seeded standard-normal values ("
                  + e.getMessage().replace("the model's input", "it takes")
                  + ")");
        }
      }
    }
    if (!any) {
      throw new Dl4jWorker.UserError(
          "no input of the model takes the data: " + misfit.getMessage());
    }
    return out;
  }

  private static Batch random(
      TfNet net, ModelGraph.Input input, int batch, long seed, Consumer<String> progress)
      throws Dl4jWorker.UserError {
    long[] want = input.shape();
    want[0] = batch;
    for (int i = 1; i < want.length; i++) {
      if (want[i] <= 0) {
        throw new Dl4jWorker.UserError(
            "the model's input "
                + input.key()
                + " has an unknown size ("
                + Arrays.toString(Arrays.copyOfRange(want, 1, want.length))
                + "): give "
                + Hint.DATA.apiName());
      }
    }
    int count = Math.toIntExact(Arrays.stream(want).reduce(1L, Math::multiplyExact));
    float[] v = new float[count];
    SplittableRandom r = new SplittableRandom(seed ^ 0x5eed);
    long ids = ModelGraph.isInteger(input) ? net.tokenRange() : 0;
    for (int i = 0; i < count; i++) {
      // token ids for an integer input: uniform over the smallest vocabulary that reads them
      v[i] = ids > 0 ? r.nextLong(ids) : (float) r.nextGaussian();
    }
    if (ids > 0 && progress != null) {
      progress.accept("random token ids in [0, " + ids + ") for the input " + input.key());
    }
    return new Batch(v, want);
  }

  /** Rows [from, from + n) of the data, shaped to one input of the model. */
  static Batch rows(
      ModelGraph.Input input,
      org.nd4j.linalg.api.ndarray.INDArray x,
      long from,
      long n,
      Consumer<String> progress)
      throws Dl4jWorker.UserError {
    long[] have = x.shape();
    long[] want = input.shape();
    long haveCount = 1;
    for (int i = 1; i < have.length; i++) {
      haveCount *= have[i];
    }
    long wantCount = 1;
    boolean unknown = false;
    for (int i = 1; i < want.length; i++) {
      unknown |= want[i] < 0;
      wantCount *= Math.max(want[i], 1);
    }
    long[] shape;
    if (unknown && have.length == want.length) {
      shape = have.clone();
    } else if (haveCount == wantCount && !unknown) {
      shape = want.clone();
      if (progress != null
          && !Arrays.equals(Arrays.copyOfRange(have, 1, have.length), tail(want))) {
        progress.accept(
            "data reshaped: samples of shape "
                + Arrays.toString(Arrays.copyOfRange(have, 1, have.length))
                + " feed the input "
                + input.key()
                + " of shape "
                + Arrays.toString(tail(want)));
      }
    } else {
      throw new Dl4jWorker.UserError(
          "the data's samples have "
              + haveCount
              + " values, the model's input "
              + (unknown ? "an unknown number" : wantCount)
              + " (shape "
              + Arrays.toString(tail(want))
              + ")");
    }
    shape[0] = n;
    org.nd4j.linalg.api.ndarray.INDArray part =
        x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + n));
    return new Batch(Dl4jWorker.floats(part), shape);
  }

  private static long[] tail(long[] s) {
    return Arrays.copyOfRange(s, 1, s.length);
  }

  /** The targets of the batch for the net's loss (shared with DL4J: {@link Dl4jWorker#targets}). */
  static float[] targets(String loss, long[] outShape, long[] classes, long seed) {
    LossFunction lf =
        switch (loss) {
          case TfNet.MCXENT -> LossFunction.MCXENT;
          case TfNet.XENT -> LossFunction.XENT;
          default -> LossFunction.MSE;
        };
    return Dl4jWorker.floats(Dl4jWorker.targets(lf, outShape, classes, seed));
  }

  static long[] outputShape(ModelGraph.Value out, int n) {
    long[] s = out.shape();
    s[0] = n;
    return s;
  }

  /** One forward and backward pass in inference mode; the weights are left unchanged. */
  static SchemeAnalysis analyze(
      String label, TfNet net, List<Batch> x, long[] classes, WorkerRequest req) {
    List<float[]> ys = new ArrayList<>();
    List<long[]> yShapes = new ArrayList<>();
    for (int i = 0; i < net.outputs.size(); i++) {
      long[] yShape = outputShape(net.outputs.get(i), x.get(0).n());
      // the first output's targets are the seed's, as on DL4J; each further output its own
      ys.add(targets(net.losses.get(i), yShape, classes, req.seed() + i));
      yShapes.add(yShape);
    }
    TfNet.Pass p = net.pass(x, ys, yShapes);
    Map<String, Double> gradOf = new LinkedHashMap<>();
    for (int i = 0; i < p.g().length; i++) {
      ModelGraph.Variable v = net.trainable.get(i);
      gradOf.put(v.layer() + "/" + v.name(), norm(p.g()[i]));
    }
    Map<String, List<ModelGraph.Variable>> byLayer = new LinkedHashMap<>();
    for (ModelGraph.Variable v : net.graph.variables()) {
      byLayer.computeIfAbsent(v.layer(), k -> new ArrayList<>()).add(v);
    }
    List<LayerStats> layers = new ArrayList<>();
    for (Map.Entry<String, float[]> e : p.outputs().entrySet()) {
      String path = e.getKey();
      String name = leaf(path);
      String act = req.layerActivations().get(name);
      float[] out = e.getValue();
      long[] shape = p.shapes().get(path);
      double[] ms = Statistics.meanStd(out);
      List<WeightStats> ws = new ArrayList<>();
      double kernelGrad = Double.NaN;
      for (ModelGraph.Variable v : byLayer.getOrDefault(path, List.of())) {
        Double g = gradOf.get(v.layer() + "/" + v.name());
        double gn = g == null ? Double.NaN : g;
        float[] w = net.graph.values(v);
        ws.add(
            new WeightStats(
                v.name(),
                v.weight().shape().dims(),
                Statistics.meanStd(w)[1],
                gn,
                Statistics.histogram(w, 40)));
        if (Double.isNaN(kernelGrad)) {
          kernelGrad = gn;
        }
      }
      String cls = req.layerClasses().getOrDefault(name, "?");
      layers.add(
          new LayerStats(
              path,
              cls,
              act,
              ms[0],
              ms[1],
              Statistics.deadFraction(act, out, shape, shape.length - 1),
              Statistics.saturatedFraction(act, out),
              kernelGrad,
              null,
              ws));
    }
    double inStd = Statistics.meanStd(x.get(0).values())[1];
    return new SchemeAnalysis(
        label, inStd, net.loss, p.loss(), Marks.apply(inStd, layers), net.gradientError);
  }

  static double norm(float[] g) {
    double s = 0;
    for (float f : g) {
      s += (double) f * f;
    }
    return Math.sqrt(s);
  }

  /**
   * LSUV on the graph, the rule of {@link Lsuv}: from the first layer with a kernel to the last,
   * scale the kernel by 1/sqrt(Var(output)) until |Var - 1| &lt; tol or maxIter scalings; layers
   * with fewer than minOutputs outputs per sample or a softmax/sigmoid output are skipped.
   */
  static LsuvResult lsuv(TfNet net, List<Batch> x, WorkerRequest req, Consumer<String> progress) {
    WorkerRequest.LsuvOptions o = req.lsuv();
    List<LsuvResult.Layer> out = new ArrayList<>();
    for (String path : net.graph.layerOutputs().keySet()) {
      ModelGraph.Variable kernel = null;
      for (ModelGraph.Variable v : net.graph.variables()) {
        if (v.layer().equals(path) && v.name().equals("kernel")) {
          kernel = v;
          break;
        }
      }
      if (kernel == null) {
        continue;
      }
      String act = req.layerActivations().get(leaf(path));
      // a recurrent layer's output is bounded below unit variance: its input projection is measured
      ModelGraph.Value measured = net.graph.inputProjections().get(path);
      String what = measured == null ? LsuvResult.Layer.OUTPUT : LsuvResult.Layer.INPUT_PROJECTION;
      if (measured == null) {
        measured = net.graph.layerOutputs().get(path);
      }
      float[] first = net.values(measured, x);
      double v = variance(first);
      long perSample = net.layerOutput(path, x).length / x.get(0).n();
      LsuvResult.Layer skipped =
          Lsuv.skipped(path, what.equals(LsuvResult.Layer.OUTPUT) ? act : null, perSample, v, o);
      if (skipped != null) {
        out.add(skipped);
        continue;
      }
      float[] w = net.graph.values(kernel);
      double v0 = v;
      double scale = 1;
      int iterations = 1;
      while (Math.abs(v - 1) >= o.tol()
          && iterations <= o.maxIter()
          && v > 0
          && Double.isFinite(v)) {
        double s = 1 / Math.sqrt(v);
        scale *= s;
        float[] scaled = new float[w.length];
        for (int i = 0; i < w.length; i++) {
          scaled[i] = (float) (w[i] * scale);
        }
        net.graph.assign(kernel, scaled);
        v = variance(net.values(measured, x));
        iterations++;
      }
      progress.accept(
          String.format(
              Locale.ROOT,
              "lsuv %s: %s variance %.4g -> %.4g in %d scalings",
              path,
              what,
              v0,
              v,
              iterations - 1));
      out.add(new LsuvResult.Layer(path, true, null, iterations - 1, v0, v, scale, what));
    }
    return new LsuvResult(x.get(0).n(), out);
  }

  private static double variance(float[] output) {
    double[] ms = Statistics.meanStd(output);
    return ms[1] * ms[1];
  }
}
