package dev.initkit.savedmodel;

import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * A Keras model's forward pass as a live TensorFlow graph and session in this JVM, built by the
 * same lowering as the serving SavedModel ({@link KerasGraphExporter}): inference mode by default
 * (Dropout is an identity, BatchNormalization uses its moving statistics), Keras's training mode
 * when {@link #training()} is fed true; every layer computing in float32. The variables start with
 * the file's weights. Callers add their own ops (a loss, gradients, optimizer updates) through
 * {@link #tf()}; TensorFlow lets a graph grow after its session exists. Not thread-safe.
 */
public final class ModelGraph implements AutoCloseable {
  /** Weights that are statistics or bookkeeping, never trained. */
  private static final Set<String> NOT_TRAINED = Set.of("mean", "variance", "count");

  /**
   * A model input: its key (the Keras input layer's name), placeholder and static shape ({@code -1}
   * for the batch).
   */
  public record Input(String key, Operand<?> placeholder, DataType dtype, long[] shape) {
    public Input {
      shape = shape.clone();
    }

    /** The static shape, a copy. */
    @Override
    public long[] shape() {
      return shape.clone();
    }
  }

  /** A float32 tensor of the graph with its static shape ({@code -1} where unknown). */
  public record Value(String key, Operand<TFloat32> op, long[] shape) {
    public Value {
      shape = shape.clone();
    }

    /** The static shape, a copy. */
    @Override
    public long[] shape() {
      return shape.clone();
    }
  }

  /**
   * One weight as a resource variable.
   *
   * @param layer the layer path (nested models joined by {@code /})
   * @param name the weight's short name ({@code kernel}, {@code bias}, ...)
   * @param weight the file's weight
   * @param handle the resource variable (what optimizer ops update)
   * @param value its value as float32, as the forward pass reads it (what gradients are taken with
   *     respect to)
   * @param trainable false for moving statistics and other non-trainable state
   */
  public record Variable(
      String layer,
      String name,
      Weight weight,
      Operand<?> handle,
      Operand<TFloat32> value,
      boolean trainable) {}

  private final Graph graph;
  private final Session session;
  private final Ops tf;
  private final List<Input> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final Map<String, Value> layerOutputs = new LinkedHashMap<>();
  private final List<Variable> variables = new ArrayList<>();
  private final Map<Variable, Class<? extends TType>> types = new LinkedHashMap<>();
  private final Map<Variable, Placeholder<TFloat32>> assignFeeds = new LinkedHashMap<>();
  private Operand<org.tensorflow.types.TBool> training;
  private List<org.tensorflow.op.Op> updates = List.of();
  private final Map<String, Value> projections = new LinkedHashMap<>();
  private final Map<Variable, org.tensorflow.op.Op> assignOps = new LinkedHashMap<>();

  private ModelGraph(Graph graph) {
    this.graph = graph;
    this.tf = Ops.create(graph);
    this.session = new Session(graph);
  }

  /**
   * Builds the graph of {@code loaded} and assigns its weights.
   *
   * @throws dev.initkit.UnsupportedModelException a layer the lowering does not support (named)
   * @throws dev.initkit.MalformedModelException TensorFlow refuses the graph
   * @throws IOException the weights cannot be read
   */
  public static ModelGraph of(LoadedModel loaded) throws IOException {
    Graph g = new Graph();
    ModelGraph m = null;
    try {
      KerasGraphExporter.Lowered l =
          KerasGraphExporter.lower(loaded, g, "TensorFlow cannot run this model", true);
      m = new ModelGraph(g);
      m.training = l.training();
      m.updates = l.updates();
      for (Map.Entry<String, Operand<TFloat32>> p : l.projections().entrySet()) {
        m.projections.put(p.getKey(), new Value(p.getKey(), p.getValue(), new long[] {-1, -1}));
      }
      for (ServingBundleWriter.Port p : l.inputs()) {
        m.inputs.add(new Input(p.key(), p.op(), p.dtype(), p.shape()));
      }
      for (ServingBundleWriter.Port p : l.outputs()) {
        m.outputs.add(new Value(p.key(), float32(p.op()), p.shape()));
      }
      for (Map.Entry<String, GraphValue> e : l.layerOutputs().entrySet()) {
        m.layerOutputs.put(
            e.getKey(), new Value(e.getKey(), e.getValue().op(), e.getValue().shape()));
      }
      for (ExportContext.Variable v : l.variables()) {
        boolean trainable =
            v.weight().role() != WeightRole.MOVING_MEAN
                && v.weight().role() != WeightRole.MOVING_VARIANCE
                && !NOT_TRAINED.contains(v.weight().shortName())
                && v.weight().dtype().isFloating();
        Variable mv =
            new Variable(
                v.layer(), v.weight().shortName(), v.weight(), v.handle(), v.read(), trainable);
        m.variables.add(mv);
        m.types.put(mv, v.type());
      }
      ServingBundleWriter.initialize(m.session, m.tf, l.variables(), loaded.tensors());
      return m;
    } catch (IOException | RuntimeException e) {
      if (m != null) {
        m.close();
      } else {
        g.close();
      }
      throw e;
    }
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> float32(Operand<?> o) {
    return (Operand<TFloat32>) o;
  }

  /**
   * The scalar boolean placeholder (default false) that, fed true, runs the graph as Keras's {@code
   * fit} does: BatchNormalization normalizes with the batch's statistics and Dropout drops (keeping
   * each value with probability 1 - rate, scaled by 1 / (1 - rate)).
   */
  public Operand<org.tensorflow.types.TBool> training() {
    return training;
  }

  /**
   * The ops that move every BatchNormalization's moving mean and variance toward the batch's (with
   * the layer's momentum, as Keras's training step does); run them with {@link #training()} fed
   * true, beside the optimizer's step.
   */
  public List<org.tensorflow.op.Op> updates() {
    return updates;
  }

  /**
   * Each recurrent layer's (SimpleRNN, LSTM, GRU) input projection by layer path: its input at
   * every time step times its kernel, rows batch x steps, a column per gate unit. Its output is
   * bounded ({@code o * tanh(c)} for an LSTM); this is the variance LSUV can equalize.
   */
  public Map<String, Value> inputProjections() {
    return java.util.Collections.unmodifiableMap(projections);
  }

  /** The ops builder of this graph, for the caller's own ops. */
  public Ops tf() {
    return tf;
  }

  /** The graph. */
  public Graph graph() {
    return graph;
  }

  /** The session holding the variables' values. */
  public Session session() {
    return session;
  }

  /** The model's inputs, in the model's order. */
  public List<Input> inputs() {
    return List.copyOf(inputs);
  }

  /** The model's outputs, in the model's order. */
  public List<Value> outputs() {
    return List.copyOf(outputs);
  }

  /**
   * Each layer's output (its first call's, for a shared layer) by layer path, in the order the
   * layers are called; nested models appear through their layers.
   */
  public Map<String, Value> layerOutputs() {
    return java.util.Collections.unmodifiableMap(layerOutputs);
  }

  /** Every weight, in the order the layers create them. */
  public List<Variable> variables() {
    return List.copyOf(variables);
  }

  /**
   * The gradients of {@code loss} (a scalar) with respect to the variables' float32 values, in
   * order.
   */
  public List<Output<?>> gradients(Operand<TFloat32> loss, List<Variable> of) {
    Gradients.register();
    List<Output<?>> ys = new ArrayList<>();
    for (Variable v : of) {
      ys.add(v.value().asOutput());
    }
    Output<?>[] g = graph.addGradients(loss.asOutput(), ys.toArray(new Output<?>[0]));
    return java.util.Arrays.asList(g);
  }

  /** A variable's current value as float32, in row-major order. */
  public float[] values(Variable v) {
    try (TFloat32 t = (TFloat32) session.runner().fetch(v.value()).run().get(0)) {
      return floats(t);
    }
  }

  /** Sets a variable to {@code values} (row-major, its shape), cast to its dtype. */
  public void assign(Variable v, float[] values) {
    Placeholder<TFloat32> p = assignFeeds.get(v);
    if (p == null) {
      Ops a = tf.withSubScope("initkit_assign");
      p = a.placeholder(TFloat32.class);
      Class<? extends TType> type = types.get(v);
      Operand<? extends TType> cast = type == TFloat32.class ? p : a.dtypes.cast(p, type);
      assignOps.put(v, a.assignVariableOp(v.handle(), cast));
      assignFeeds.put(v, p);
    }
    try (TFloat32 t = tensor(values, v.weight().shape().dims())) {
      session.runner().feed(p, t).addTarget(assignOps.get(v)).run().close();
    }
  }

  /** A float32 tensor of the given shape. */
  public static TFloat32 tensor(float[] values, long[] shape) {
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
  }

  /** A tensor for {@code input} from float values, in its dtype (rounded for integer inputs). */
  public static Tensor feed(Input input, float[] values, long[] shape) {
    switch (input.dtype()) {
      case DT_INT32:
        {
          int[] v = new int[values.length];
          for (int i = 0; i < v.length; i++) {
            v[i] = Math.round(values[i]);
          }
          return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false));
        }
      case DT_DOUBLE:
        {
          double[] v = new double[values.length];
          for (int i = 0; i < v.length; i++) {
            v[i] = values[i];
          }
          return TFloat64.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false));
        }
      case DT_HALF:
        {
          TFloat16 t = TFloat16.tensorOf(Shape.of(shape));
          t.copyFrom(DataBuffers.of(values, true, false));
          return t;
        }
      case DT_BFLOAT16:
        {
          TBfloat16 t = TBfloat16.tensorOf(Shape.of(shape));
          t.copyFrom(DataBuffers.of(values, true, false));
          return t;
        }
      default:
        return tensor(values, shape);
    }
  }

  /** True when the input takes integers (token ids, indices). */
  public static boolean isInteger(Input input) {
    return input.dtype() == DataType.DT_INT32;
  }

  /** A float32 tensor's values in row-major order. */
  public static float[] floats(TFloat32 t) {
    float[] out = new float[Math.toIntExact(t.size())];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
