package dev.initkit.analysis;

import dev.initkit.Hint;
import dev.initkit.analysis.LayerStats.WeightStats;
import dev.initkit.analysis.WorkerRequest.ModelEntry;
import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.config.Keras2LayerConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The child JVM's entry point: {@code Dl4jWorker REQUEST.json RESULT.json}. Imports each model with
 * DL4J's Keras import, runs the task and writes a {@link WorkerResult}; a request for the
 * TensorFlow engine goes to {@link TfEngine} instead. Progress lines go to stderr, prefixed {@value
 * #PROGRESS}. Runs only in a JVM of its own (DL4J may crash it: {@link ForkedWorker}).
 */
public final class Dl4jWorker {
  /** Prefix of the progress lines the parent forwards. */
  static final String PROGRESS = "@progress ";

  private Dl4jWorker() {}

  /** Runs one request; exits 0 when a result was written. */
  public static void main(String[] args) throws Exception {
    WorkerRequest req = WorkerJson.MAPPER.readValue(new File(args[0]), WorkerRequest.class);
    WorkerResult result;
    boolean tf = WorkerRequest.Engine.TENSORFLOW.id().equals(req.engine());
    try {
      result = tf ? TfEngine.run(req, Dl4jWorker::progress) : run(req);
    } catch (dev.initkit.ModelFormatException e) {
      // the TensorFlow engine's refusals: a layer the lowering lacks, a graph TensorFlow refuses
      String where = e.location().isEmpty() ? "" : e.location() + ": ";
      result =
          new WorkerResult(
              null, null, null, where + e.detail(), WorkerResult.UNSUPPORTED, List.of());
    } catch (UserError e) {
      result =
          new WorkerResult(null, null, null, e.getMessage(), WorkerResult.DATA, List.of(), e.hints);
    } catch (ImportFailure e) {
      result =
          new WorkerResult(
              null, null, null, e.getMessage(), WorkerResult.UNSUPPORTED, e.unsupported);
    } catch (Throwable t) {
      result =
          new WorkerResult(
              null,
              null,
              null,
              (tf ? "TensorFlow failed: " : "DL4J failed: ") + describe(t),
              WorkerResult.FAILED,
              List.of());
    }
    Path out = Path.of(args[1]);
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    WorkerJson.MAPPER.writeValue(tmp.toFile(), result);
    Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    System.exit(0); // ND4J's threads would keep the JVM alive
  }

  /** A problem with the user's input, said as is. */
  static final class UserError extends Exception {
    private static final long serialVersionUID = 1L;

    /** The parts of the API the message names. */
    final List<Hint> hints;

    UserError(String message, Hint... hints) {
      super(message);
      this.hints = List.of(hints);
    }
  }

  /** DL4J cannot import the model; lists the layers it has no mapping for. */
  static final class ImportFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final List<String> unsupported;

    ImportFailure(String message, List<String> unsupported) {
      super(message);
      this.unsupported = unsupported;
    }
  }

  static WorkerResult run(WorkerRequest req) throws Exception {
    Nd4j.getRandom().setSeed(req.seed());
    Data data = req.data() == null ? null : Data.load(Path.of(req.data()));
    switch (req.task()) {
      case "analyze":
        {
          List<SchemeAnalysis> out = new ArrayList<>();
          for (ModelEntry m : req.models()) {
            progress("analyzing " + m.label());
            Imported net = importModel(m.h5(), req);
            data = labelled(data, net);
            INDArray x = batch(net, data, req.batch(), req.seed());
            if (m.lsuv()) {
              Lsuv.run(net.net(), x, req.lsuv(), Dl4jWorker::progress);
            }
            out.add(
                analyze(
                    m.label(), net, x, data == null ? null : data.labels(x.size(0)), req.seed()));
          }
          return new WorkerResult(out, null, null, null, null, List.of());
        }
      case "lsuv":
        {
          Imported net = importModel(req.models().get(0).h5(), req);
          INDArray x = batch(net, data, req.batch(), req.seed());
          return new WorkerResult(
              null,
              Lsuv.run(net.net(), x, req.lsuv(), Dl4jWorker::progress),
              null,
              null,
              null,
              List.of());
        }
      case "train":
        {
          if (data != null && !req.models().isEmpty()) {
            data = labelled(data, importModel(req.models().get(0).h5(), req));
          }
          if (data == null || data.yTrain == null) {
            throw new UserError(
                Hint.COMPARE.apiName()
                    + " needs labelled data: an .npz with x_train/y_train (and x_test/y_test) or x/y,"
                    + " or a CSV whose last column is the class",
                Hint.COMPARE);
          }
          List<TrainingRun> runs = new ArrayList<>();
          List<SchemeAnalysis> analyses = new ArrayList<>();
          for (ModelEntry m : req.models()) {
            Imported net = importModel(m.h5(), req);
            data = labelled(data, net);
            INDArray x = batch(net, data, req.batch(), req.seed());
            LsuvResult l = null;
            if (m.lsuv()) {
              progress(m.label() + ": LSUV on " + x.size(0) + " training samples");
              l = Lsuv.run(net.net(), x, req.lsuv(), Dl4jWorker::progress);
            }
            analyses.add(analyze(m.label(), net, x, data.labels(x.size(0)), req.seed()));
            runs.add(
                Trainer.train(
                    m.label(),
                    net.net(),
                    data,
                    req.training(),
                    req.seed(),
                    l,
                    Dl4jWorker::progress));
          }
          return new WorkerResult(analyses, null, runs, null, null, List.of());
        }
      default:
        throw new IllegalArgumentException("unknown task " + req.task());
    }
  }

  /**
   * The data in the model's terms: a folder of images read at the model's input size; a CSV with
   * one column more than a flat input gets its last column as the class.
   */
  private static Data labelled(Data data, Imported net) throws UserError {
    if (data == null) {
      return null;
    }
    if (data.imageDir != null) {
      return Images.load(data.imageDir, net.inputType());
    }
    return net.sampleShape().length != 1 ? data : data.withLabelColumnFor(net.sampleShape()[0]);
  }

  static void progress(String line) {
    System.err.println(PROGRESS + line);
    System.err.flush();
  }

  /** An imported network and the shape of one input sample (DL4J's, batch dimension excluded). */
  record Imported(
      Dl4jNet net,
      InputType inputType,
      Map<String, String> kerasClasses,
      Map<String, String> kerasActivations) {

    /** One sample's shape as DL4J reads it (batch dimension excluded). */
    long[] sampleShape() {
      return inputType.getShape(false);
    }

    /** Keras's activation of a layer it knows (null when the layer has none), else DL4J's. */
    String activationOf(Layer l) {
      String name = Dl4jNet.name(l);
      if (kerasClasses.containsKey(name)) {
        return kerasActivations.get(name);
      }
      return activation(l);
    }
  }

  /**
   * Imports a Sequential (MultiLayerNetwork) or single-input Functional (ComputationGraph) model;
   * names the layers DL4J lacks on failure.
   */
  static Imported importModel(String h5, WorkerRequest req) throws ImportFailure {
    Map<String, String> layerClasses = req.layerClasses();
    try {
      if ("Sequential".equals(req.modelClass())) {
        KerasSequentialModel km =
            new KerasSequentialModel()
                .modelBuilder()
                .modelHdf5Filename(h5)
                .enforceTrainingConfig(false)
                .buildSequential();
        InputType in = km.getOutputTypes().get(km.getInputLayerNames().get(0));
        return new Imported(
            Dl4jNet.of(km.getMultiLayerNetwork()), in, layerClasses, req.layerActivations());
      }
      KerasModel km =
          new KerasModel()
              .modelBuilder()
              .modelHdf5Filename(h5)
              .enforceTrainingConfig(false)
              .buildModel();
      if (km.getInputLayerNames().size() != 1) {
        throw new UserError(
            "only models with one input are run (this one has "
                + km.getInputLayerNames().size()
                + ")");
      }
      if (km.getComputationGraph().getNumOutputArrays() != 1) {
        // the model's, not a caller's: said as an unsupported model, not as DL4J's illegal argument
        throw new UserError(
            "only models with one output are run (this one has "
                + km.getComputationGraph().getNumOutputArrays()
                + ")");
      }
      InputType in = km.getOutputTypes().get(km.getInputLayerNames().get(0));
      return new Imported(
          Dl4jNet.of(km.getComputationGraph()), in, layerClasses, req.layerActivations());
    } catch (UserError e) {
      throw new ImportFailure(e.getMessage(), List.of());
    } catch (Throwable t) {
      List<String> unsupported = unsupportedLayers(layerClasses);
      String msg =
          unsupported.isEmpty()
              ? "DL4J cannot import the model: " + describe(t)
              : "DL4J cannot run these layers: "
                  + String.join(", ", unsupported)
                  + " (DL4J: "
                  + firstLine(t)
                  + ")";
      throw new ImportFailure(msg, unsupported);
    }
  }

  /** The layers whose Keras class DL4J's import has no mapping for, as {@code name (Class)}. */
  static List<String> unsupportedLayers(Map<String, String> layerClasses) {
    // nested models are not in the set: DL4J imports no model inside a model (DEPENDENCIES.md)
    Set<String> known = new LinkedHashSet<>(List.of("InputLayer"));
    try {
      Keras2LayerConfiguration c = new Keras2LayerConfiguration();
      for (Method m : c.getClass().getMethods()) {
        if (m.getName().startsWith("getLAYER_CLASS_NAME_") && m.getParameterCount() == 0) {
          Object v = m.invoke(c);
          if (v != null) {
            known.add(v.toString());
          }
        }
      }
    } catch (ReflectiveOperationException e) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    layerClasses.forEach(
        (name, cls) -> {
          if (!known.contains(cls)) {
            out.add(name + " (" + cls + ")");
          }
        });
    // a Sequential nested in a model imports as an unsupported layer too (DEPENDENCIES.md)
    return out;
  }

  /** The batch: the data's first rows, or standard-normal values of the input's shape. */
  static INDArray batch(Imported net, Data data, int batch, long seed) throws UserError {
    if (data != null) {
      INDArray x = data.xTrain;
      long n = Math.min(batch, x.size(0));
      INDArray b = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n)).dup();
      long[] want = net.sampleShape();
      long have = b.length() / n;
      long need = Arrays.stream(want).reduce(1L, (p, q) -> p * Math.max(q, 1));
      if (have != need) {
        throw new UserError(
            "the data's samples have "
                + have
                + " values, the model's input "
                + need
                + " (shape "
                + Arrays.toString(want)
                + ")");
      }
      return b.reshape(concat(n, want));
    }
    long[] shape = concat(batch, net.sampleShape());
    for (int i = 1; i < shape.length; i++) {
      if (shape[i] <= 0) {
        throw new UserError(
            "the model's input has an unknown size ("
                + Arrays.toString(net.sampleShape())
                + "): give "
                + Hint.DATA.apiName(),
            Hint.DATA);
      }
    }
    int count = Math.toIntExact(Arrays.stream(shape).reduce(1L, Math::multiplyExact));
    float[] v = new float[count];
    SplittableRandom r = new SplittableRandom(seed ^ 0x5eed);
    for (int i = 0; i < count; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Nd4j.create(v, shape, 'c');
  }

  private static long[] concat(long first, long[] rest) {
    long[] s = new long[rest.length + 1];
    s[0] = first;
    System.arraycopy(rest, 0, s, 1, rest.length);
    return s;
  }

  /**
   * The head's activation decides the standard loss: softmax - cross-entropy, sigmoid - binary,
   * else MSE.
   */
  static LossFunction lossFor(Dl4jNet net) {
    String act = activation(net.head());
    if ("softmax".equals(act)) {
      return LossFunction.MCXENT;
    }
    if ("sigmoid".equals(act)) {
      return LossFunction.XENT;
    }
    return LossFunction.MSE;
  }

  /** Labels for the batch: the data's classes one-hot, else seeded random targets for the loss. */
  static INDArray targets(LossFunction loss, long[] outShape, long[] classes, long seed) {
    long n = outShape[0];
    long k = outShape[outShape.length - 1];
    SplittableRandom r = new SplittableRandom(seed ^ 0x7a26e7);
    if (loss == LossFunction.MCXENT) {
      INDArray y = Nd4j.zeros(DataType.FLOAT, n, k);
      for (int i = 0; i < n; i++) {
        long c = classes != null && i < classes.length ? classes[i] : r.nextLong(k);
        y.putScalar(i, Math.min(c, k - 1), 1f);
      }
      return y;
    }
    int count = Math.toIntExact(Arrays.stream(outShape).reduce(1L, Math::multiplyExact));
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = loss == LossFunction.XENT ? (r.nextBoolean() ? 1f : 0f) : (float) r.nextGaussian();
    }
    return Nd4j.create(v, outShape, 'c');
  }

  /** One forward and backward pass; the network itself is left unchanged. */
  static SchemeAnalysis analyze(
      String label, Imported imported, INDArray x, long[] classes, long seed) {
    LossFunction loss = lossFor(imported.net());
    Map<String, INDArray> acts = imported.net().forward(x);
    int rank = acts.get(Dl4jNet.name(imported.net().head())).rank();
    Dl4jNet net = imported.net().withLoss(loss, null, rank);
    List<Layer> layerList = net.layers();
    INDArray y =
        targets(
            loss,
            acts.get(Dl4jNet.name(layerList.get(layerList.size() - 1))).shape(),
            classes,
            seed);
    Map<String, INDArray> grads = Map.of();
    String gradientError = null;
    double lossValue = Double.NaN;
    try {
      grads = net.gradients(x, y);
      lossValue = net.score();
    } catch (RuntimeException e) {
      gradientError = "DL4J's backward pass failed: " + firstLine(e);
    }
    List<LayerStats> layers = new ArrayList<>();
    for (Layer l : layerList) {
      String name = Dl4jNet.name(l);
      String act = imported.activationOf(l);
      INDArray a = acts.get(name);
      float[] out = floats(a);
      double[] ms = Statistics.meanStd(out);
      List<WeightStats> ws = new ArrayList<>();
      double kernelGrad = Double.NaN;
      for (Map.Entry<String, INDArray> p : l.paramTable().entrySet()) {
        INDArray g = grads.get(name + "_" + p.getKey());
        // DL4J's backward pass sums over the batch (its updater divides later): the mean loss's
        // gradient
        double gn = g == null ? Double.NaN : g.norm2Number().doubleValue() / x.size(0);
        float[] w = floats(p.getValue());
        ws.add(
            new WeightStats(
                kerasWeightName(p.getKey()),
                p.getValue().shape(),
                Statistics.meanStd(w)[1],
                gn,
                Statistics.histogram(w, 40)));
        if (Double.isNaN(kernelGrad)) {
          kernelGrad = gn;
        }
      }
      String cls =
          imported
              .kerasClasses()
              .getOrDefault(name, l.conf().getLayer().getClass().getSimpleName());
      layers.add(
          new LayerStats(
              name,
              cls,
              act,
              ms[0],
              ms[1],
              Statistics.deadFraction(act, out, a.shape(), 1),
              Statistics.saturatedFraction(act, out),
              kernelGrad,
              null,
              ws));
    }
    double inStd = Statistics.meanStd(floats(x))[1];
    return new SchemeAnalysis(
        label,
        inStd,
        loss.name().toLowerCase(Locale.ROOT),
        lossValue,
        Marks.apply(inStd, layers),
        gradientError);
  }

  static String activation(Layer l) {
    if (l.conf().getLayer() instanceof BaseLayer b && b.getActivationFn() != null) {
      return b.getActivationFn().toString().toLowerCase(Locale.ROOT);
    }
    return null;
  }

  static String kerasWeightName(String dl4j) {
    switch (dl4j) {
      case "W":
        return "kernel";
      case "b":
        return "bias";
      case "RW":
        return "recurrent_kernel";
      case "gamma":
      case "beta":
        return dl4j;
      case "mean":
        return "moving_mean";
      case "var":
        return "moving_variance";
      default:
        return dl4j;
    }
  }

  static float[] floats(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
  }

  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder();
    Throwable c = t;
    for (int depth = 0; c != null && depth < 4; depth++) {
      sb.append(depth > 0 ? " <- " : "")
          .append(c.getClass().getSimpleName())
          .append(": ")
          .append(c.getMessage());
      c = c.getCause() == c ? null : c.getCause();
    }
    return sb.toString().replaceAll("\\s+", " ");
  }

  static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int dot = m.indexOf(". ");
    return (dot > 0 ? m.substring(0, dot) : m).replaceAll("\\s+", " ");
  }
}
