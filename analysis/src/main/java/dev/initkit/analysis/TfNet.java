package dev.initkit.analysis;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.savedmodel.ModelGraph;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * One model on TensorFlow Java: its {@link ModelGraph} (the exporter's lowering), the standard loss
 * on its output against fed targets, the gradients of that loss with respect to every trainable
 * weight, and (once asked) an optimizer's update ops. The loss is Keras's: the batch mean of
 * categorical cross-entropy (softmax head, computed from the logits as Keras's TensorFlow backend
 * does), binary cross-entropy (sigmoid head, from the logits) or the mean squared error.
 */
final class TfNet implements AutoCloseable {
  /** The loss labels, as {@link SchemeAnalysis#loss()} names them for both engines. */
  static final String MCXENT = "mcxent";

  static final String XENT = "xent";
  static final String MSE = "mse";

  private final LoadedModel loaded;
  final ModelGraph graph;

  /** Every input and output, in the model's order; {@code input}/{@code output} are the first. */
  final List<ModelGraph.Input> inputs;

  final List<ModelGraph.Value> outputs;
  final ModelGraph.Input input;
  final ModelGraph.Value output;

  /** Each output's loss ({@link #MCXENT}, {@link #XENT}, {@link #MSE}). */
  final List<String> losses = new ArrayList<>();

  private final List<Placeholder<TFloat32>> targets = new ArrayList<>();

  /** Each output's loss op, in the order of {@link #outputs}; {@code lossOp} is their sum. */
  private final List<Operand<TFloat32>> outputLosses = new ArrayList<>();

  final String loss;
  private final Operand<TFloat32> lossOp;
  final List<ModelGraph.Variable> trainable = new ArrayList<>();

  /** The gradients, or null when TensorFlow cannot differentiate the model. */
  private final List<Output<?>> grads;

  /** Why there are no gradients (an op without a registered gradient), or null. */
  final String gradientError;

  private List<Op> updates;
  private Placeholder<TFloat32> rate;
  private Placeholder<TFloat32> beta1Power;
  private Placeholder<TFloat32> beta2Power;
  private int step;

  private TfNet(LoadedModel loaded, ModelGraph graph, Map<String, String> activations)
      throws Dl4jWorker.UserError {
    this.loaded = loaded;
    this.graph = graph;
    this.inputs = graph.inputs();
    this.outputs = graph.outputs();
    this.input = inputs.get(0);
    this.output = outputs.get(0);
    Ops tf = graph.tf().withSubScope("initkit_loss");
    // a loss per output, summed (as Keras sums a multi-output model's losses)
    Operand<TFloat32> total = null;
    for (ModelGraph.Value out : outputs) {
      String head = headActivation(graph, out.key(), activations, outputs.size() == 1);
      String kind = "softmax".equals(head) ? MCXENT : "sigmoid".equals(head) ? XENT : MSE;
      Placeholder<TFloat32> t = tf.placeholder(TFloat32.class);
      Operand<TFloat32> l = lossOf(tf, out.op(), t, kind);
      total = total == null ? l : tf.math.add(total, l);
      outputLosses.add(l);
      losses.add(kind);
      targets.add(t);
    }
    this.loss = String.join("+", new java.util.LinkedHashSet<>(losses));
    this.lossOp = total;
    for (ModelGraph.Variable v : graph.variables()) {
      if (v.trainable()) {
        trainable.add(v);
      }
    }
    List<Output<?>> g = List.of();
    String why = null;
    if (!trainable.isEmpty()) {
      try {
        g = graph.gradients(lossOp, trainable);
      } catch (RuntimeException e) {
        // an op TensorFlow's C++ gradient registry lacks and ModelGraph does not register (it
        // registers Conv3D's and Conv3DBackpropInputV2's): forward only, said in one line
        g = null;
        why = "TensorFlow has no gradient for this model: " + firstLine(e.getMessage());
      }
    }
    this.grads = g;
    this.gradientError = why;
  }

  /** TensorFlow's message up to its pointer to the docs or the op signature. */
  private static String firstLine(String s) {
    String m = String.valueOf(s).lines().findFirst().orElse("");
    for (String cut : List.of(". Please see", " while building NodeDef")) {
      int i = m.indexOf(cut);
      m = i > 0 ? m.substring(0, i) : m;
    }
    return m;
  }

  /** The Keras activation (by layer name) of the layer that makes the output, or null. */
  private static String headActivation(
      ModelGraph graph, String outputKey, Map<String, String> activations, boolean single) {
    if (activations.containsKey(outputKey) || !single) {
      return activations.get(outputKey);
    }
    String last = null;
    for (String path : graph.layerOutputs().keySet()) {
      last = path;
    }
    return last == null ? null : activations.get(TfEngine.leaf(last));
  }

  /**
   * Opens the model file and builds its graph; {@code activations} (Keras's, by layer name) choose
   * the loss. The caller closes.
   */
  static TfNet open(Path file, Map<String, String> activations)
      throws IOException, Dl4jWorker.UserError {
    LoadedModel lm = ModelIO.open(file);
    try {
      ModelGraph g = ModelGraph.of(lm);
      try {
        return new TfNet(lm, g, activations);
      } catch (Dl4jWorker.UserError | RuntimeException e) {
        g.close();
        throw e;
      }
    } catch (IOException | Dl4jWorker.UserError | RuntimeException e) {
      lm.close();
      throw e;
    }
  }

  private static Operand<TFloat32> lossOf(
      Ops tf, Operand<TFloat32> out, Operand<TFloat32> y, String loss) {
    Operand<TFloat32> logits = producer(out, loss.equals(MCXENT) ? "Softmax" : "Sigmoid");
    switch (loss) {
      case MCXENT:
        {
          Operand<TFloat32> logP =
              logits != null
                  ? tf.nn.logSoftmax(logits)
                  : tf.math.log(clip(tf, out)); // a softmax not found as an op: Keras's clip
          Operand<TFloat32> perSample =
              tf.math.neg(tf.reduceSum(tf.math.mul(y, logP), tf.constant(-1)));
          return mean(tf, perSample);
        }
      case XENT:
        {
          Operand<TFloat32> perElement;
          if (logits != null) {
            // max(z, 0) - z y + log(1 + exp(-|z|)): TensorFlow's stable sigmoid cross-entropy
            perElement =
                tf.math.add(
                    tf.math.sub(tf.math.maximum(logits, tf.constant(0f)), tf.math.mul(logits, y)),
                    tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(logits)))));
          } else {
            Operand<TFloat32> p = clip(tf, out);
            perElement =
                tf.math.neg(
                    tf.math.add(
                        tf.math.mul(y, tf.math.log(p)),
                        tf.math.mul(
                            tf.math.sub(tf.constant(1f), y),
                            tf.math.log(tf.math.sub(tf.constant(1f), p)))));
          }
          return mean(tf, perElement);
        }
      default:
        return mean(tf, tf.math.square(tf.math.sub(out, y)));
    }
  }

  private static Operand<TFloat32> clip(Ops tf, Operand<TFloat32> p) {
    return tf.clipByValue(p, tf.constant(1e-7f), tf.constant(1f - 1e-7f));
  }

  /** The mean over every element (Keras's sum-over-batch-size reduction). */
  private static Operand<TFloat32> mean(Ops tf, Operand<TFloat32> x) {
    return tf.math.mean(tf.reshape(x, tf.constant(new long[] {-1})), tf.constant(0));
  }

  /** The input of the {@code type} op that makes {@code out} (through identities), or null. */
  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> producer(Operand<TFloat32> out, String type) {
    Output<?> o = out.asOutput();
    for (int i = 0; i < 8; i++) {
      GraphOperation op = (GraphOperation) o.op();
      if (op.type().equals(type)) {
        return (Operand<TFloat32>) op.input(0);
      }
      if (!op.type().equals("Identity")) {
        return null;
      }
      o = op.input(0);
    }
    return null;
  }

  /** What one pass measured: every layer's output, the loss and each trainable gradient. */
  record Pass(Map<String, float[]> outputs, Map<String, long[]> shapes, double loss, float[][] g) {}

  /** Forward and backward over a batch, inference mode; the weights are left as they are. */
  Pass pass(List<TfEngine.Batch> xs, List<float[]> ys, List<long[]> yShapes) {
    Session.Runner r = graph.session().runner();
    List<String> keys = new ArrayList<>(graph.layerOutputs().keySet());
    List<Tensor> fed = new ArrayList<>();
    try {
      feed(r, xs, ys, yShapes, fed);
      // each tensor fetched once: an identity layer (Dropout) outputs its input's tensor
      List<Output<?>> fetched = new ArrayList<>();
      int[] slot = new int[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        Output<?> o = graph.layerOutputs().get(keys.get(i)).op().asOutput();
        int at = fetched.indexOf(o);
        if (at < 0) {
          at = fetched.size();
          fetched.add(o);
          r.fetch(o);
        }
        slot[i] = at;
      }
      r.fetch(lossOp);
      List<Output<?>> gs = grads == null ? List.of() : grads;
      gs.forEach(r::fetch);
      int base = fetched.size();
      try (Result res = r.run()) {
        Map<String, float[]> outs = new java.util.LinkedHashMap<>();
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
          TFloat32 t = (TFloat32) res.get(slot[i]);
          outs.put(keys.get(i), ModelGraph.floats(t));
          shapes.put(keys.get(i), t.shape().asArray());
        }
        double lossValue = ((TFloat32) res.get(base)).getFloat();
        float[][] g = new float[gs.size()][];
        for (int i = 0; i < g.length; i++) {
          g[i] = ModelGraph.floats((TFloat32) res.get(base + 1 + i));
        }
        return new Pass(outs, shapes, lossValue, g);
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private void feedInputs(Session.Runner r, List<TfEngine.Batch> xs, List<Tensor> fed) {
    for (int i = 0; i < inputs.size(); i++) {
      Tensor t = ModelGraph.feed(inputs.get(i), xs.get(i).values(), xs.get(i).shape());
      fed.add(t);
      r.feed(inputs.get(i).placeholder(), t);
    }
  }

  /** Output {@code index}'s values on a batch (one per input). */
  float[] predict(List<TfEngine.Batch> xs, int index) {
    Session.Runner r = graph.session().runner();
    List<Tensor> fed = new ArrayList<>();
    try {
      feedInputs(r, xs, fed);
      try (Result res = r.fetch(outputs.get(index).op()).run()) {
        return ModelGraph.floats((TFloat32) res.get(0));
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** One layer's output on a batch (one per input), in inference mode. */
  float[] layerOutput(String layer, List<TfEngine.Batch> xs) {
    return layerOutput(layer, xs, false);
  }

  /** One layer's output on a batch (one per input), in training or inference mode. */
  float[] layerOutput(String layer, List<TfEngine.Batch> xs, boolean training) {
    return values(graph.layerOutputs().get(layer), xs, training);
  }

  /** A value of the graph (a layer's output, an input projection) on a batch, inference mode. */
  float[] values(ModelGraph.Value v, List<TfEngine.Batch> xs) {
    return values(v, xs, false);
  }

  private float[] values(ModelGraph.Value v, List<TfEngine.Batch> xs, boolean training) {
    Session.Runner r = graph.session().runner();
    List<Tensor> fed = new ArrayList<>();
    try {
      feedInputs(r, xs, fed);
      if (training) {
        TBool on = TBool.scalarOf(true);
        fed.add(on);
        r.feed(graph.training(), on);
      }
      try (Result res = r.fetch(v.op()).run()) {
        return ModelGraph.floats((TFloat32) res.get(0));
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** Each output's mean loss on a batch, in the order of {@link #outputs}. */
  double[] losses(List<TfEngine.Batch> xs, List<float[]> ys, List<long[]> yShapes) {
    Session.Runner r = graph.session().runner();
    List<Tensor> fed = new ArrayList<>();
    try {
      feed(r, xs, ys, yShapes, fed);
      outputLosses.forEach(r::fetch);
      try (Result res = r.run()) {
        double[] out = new double[outputLosses.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = ((TFloat32) res.get(i)).getFloat();
        }
        return out;
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private void feed(
      Session.Runner r,
      List<TfEngine.Batch> xs,
      List<float[]> ys,
      List<long[]> yShapes,
      List<Tensor> fed) {
    feedInputs(r, xs, fed);
    for (int i = 0; i < targets.size(); i++) {
      TFloat32 ty = ModelGraph.tensor(ys.get(i), yShapes.get(i));
      fed.add(ty);
      r.feed(targets.get(i), ty);
    }
  }

  /**
   * One optimizer step on a minibatch (one batch per input, targets per output) on the summed loss,
   * in training mode ({@link ModelGraph#training()}) or inference mode: Adam (Keras's beta_1 0.9,
   * beta_2 0.999, epsilon 1e-7) or plain SGD, on the trainable float32 weights.
   */
  void step(
      String optimizer,
      double learningRate,
      boolean training,
      List<TfEngine.Batch> xs,
      List<float[]> ys,
      List<long[]> yShapes)
      throws Dl4jWorker.UserError {
    if (grads == null) {
      throw new Dl4jWorker.UserError("cannot train: " + gradientError);
    }
    if (updates == null) {
      buildUpdates(optimizer);
    }
    step++;
    List<Tensor> fed = new ArrayList<>();
    try {
      TFloat32 lr = TFloat32.scalarOf((float) learningRate);
      fed.add(lr);
      Session.Runner r = graph.session().runner().feed(rate, lr);
      feed(r, xs, ys, yShapes, fed);
      if (optimizer.equals("adam")) {
        TFloat32 b1 = TFloat32.scalarOf((float) Math.pow(0.9, step));
        fed.add(b1);
        TFloat32 b2 = TFloat32.scalarOf((float) Math.pow(0.999, step));
        fed.add(b2);
        r.feed(beta1Power, b1).feed(beta2Power, b2);
      }
      if (training) {
        // Keras's fit: batch statistics, Dropout, and the moving statistics moved in the same step
        TBool on = TBool.scalarOf(true);
        fed.add(on);
        r.feed(graph.training(), on);
        graph.updates().forEach(r::addTarget);
      }
      updates.forEach(r::addTarget);
      r.run().close();
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private void buildUpdates(String optimizer) {
    Ops tf = graph.tf().withSubScope("initkit_train");
    rate = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    beta1Power = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    beta2Power = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    // every gradient before any update: an update must not change a weight another gradient reads
    List<Op> gradOps = new ArrayList<>();
    for (Output<?> g : grads) {
      gradOps.add(tf.identity(float32(g)));
    }
    Ops after = tf.withControlDependencies(gradOps);
    List<Op> ops = new ArrayList<>();
    List<Op> inits = new ArrayList<>();
    for (int i = 0; i < trainable.size(); i++) {
      ModelGraph.Variable v = trainable.get(i);
      if (v.weight().dtype() != dev.initkit.model.DType.FLOAT32) {
        continue; // the optimizer ops update in the variable's dtype: float32 weights only
      }
      Operand<TFloat32> g = float32(grads.get(i));
      if (optimizer.equals("sgd")) {
        ops.add(after.train.resourceApplyGradientDescent(v.handle(), rate, g));
      } else {
        Shape s = Shape.of(v.weight().shape().dims());
        // named: handles without a shared name may all share one resource
        VarHandleOp m =
            tf.varHandleOp(TFloat32.class, s, VarHandleOp.sharedName("initkit_adam_m_" + i));
        VarHandleOp u =
            tf.varHandleOp(TFloat32.class, s, VarHandleOp.sharedName("initkit_adam_v_" + i));
        Operand<TFloat32> zeros = tf.zeros(tf.constant(s.asArray()), TFloat32.class);
        inits.add(tf.assignVariableOp(m, zeros));
        inits.add(tf.assignVariableOp(u, zeros));
        ops.add(
            after.train.resourceApplyAdam(
                v.handle(),
                m,
                u,
                beta1Power,
                beta2Power,
                rate,
                tf.constant(0.9f),
                tf.constant(0.999f),
                tf.constant(1e-7f),
                g));
      }
    }
    if (!inits.isEmpty()) {
      Session.Runner r = graph.session().runner();
      inits.forEach(r::addTarget);
      r.run().close();
    }
    updates = ops;
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> float32(Output<?> o) {
    return (Operand<TFloat32>) o;
  }

  /** The smallest {@code input_dim} of the model's Embedding layers (valid ids), or 2. */
  long tokenRange() {
    long v = Long.MAX_VALUE;
    for (dev.initkit.model.Layer l : loaded.model().allLayers()) {
      long d = l.config().path("input_dim").asLong(0);
      if (l.className().contains("Embedding") && d > 0) {
        v = Math.min(v, d);
      }
    }
    return v == Long.MAX_VALUE ? 2 : v;
  }

  @Override
  public void close() {
    graph.close();
    try {
      loaded.close();
    } catch (Exception e) {
      // the file's handle: nothing to do about it
    }
  }

  @Override
  public String toString() {
    return "TfNet" + Arrays.toString(input.shape());
  }
}
