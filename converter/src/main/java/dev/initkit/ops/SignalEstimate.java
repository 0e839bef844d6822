package dev.initkit.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.ConfigLayers;
import dev.initkit.format.config.CallGraph;
import dev.initkit.internal.ConfigViews;
import dev.initkit.keras.ConvGeometry;
import dev.initkit.keras.LayerFamily;
import dev.initkit.keras.Recurrence;
import dev.initkit.keras.Wrappers;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.DepthEstimate;
import dev.initkit.ops.InitReport.DepthStep;
import dev.initkit.ops.InitReport.WeightEntry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;

/**
 * The data-free signal estimate on the model's real graph (see {@link InitReport}'s class comment):
 * every call of every layer, in the order the config's graph gives, maps the mean and second moment
 * of its inputs' elements to those of its output, from standard-normal model inputs. Branches and
 * merges, residual additions, normalization, pooling, attention, embeddings, recurrence over time
 * and nested and shared models are followed; weights enter through their mean and mean square (the
 * configured initializer's, or the stored values').
 */
final class SignalEstimate {
  /**
   * Element statistics of one tensor: mean, second moment, channels (last axis; -1 unknown), and
   * for sequences the correlation of neighbouring time steps (0 for independent steps, as the
   * standard-normal model input has; a recurrent layer's states are correlated).
   */
  record Signal(double mean, double q, long channels, double rho, double within) {
    Signal(double mean, double q, long channels, double rho) {
      this(mean, q, channels, rho, Math.max(0, q - mean * mean));
    }

    Signal(double mean, double q, long channels) {
      this(mean, q, channels, 0);
    }

    Signal withChannels(long c) {
      return new Signal(mean, q, c, rho, within);
    }

    double std() {
      return Math.sqrt(Math.max(0, q - mean * mean));
    }
  }

  /**
   * Families whose layers pass the signal on unchanged (the identity, dropout, moving values,
   * unknown code).
   */
  private static final Set<LayerFamily> PASS_THROUGH =
      EnumSet.of(
          LayerFamily.STOCHASTIC, LayerFamily.IDENTITY, LayerFamily.SHAPE, LayerFamily.FUNCTION);

  /** Time steps assumed where the config does not give the sequence length. */
  private static final int DEFAULT_STEPS = 20;

  private final Map<String, List<WeightEntry>> weights;
  private final Map<String, Layer> layers;
  private final boolean observed;

  /**
   * Only what the depth rules read: the forward pass's second moments, where they leave the range,
   * and the final value. No gradients (no derivative quadratures, no backward pass); a softmax's
   * output (a Monte Carlo estimate, the costliest step) only when a later layer reads it or the
   * final value is reported ({@link #resolve}).
   */
  private final boolean forwardOnly;

  /** Softmax outputs not computed yet (forward only): the signal stands for {classes, variance}. */
  private final Map<Signal, double[]> deferred = new java.util.IdentityHashMap<>();

  private final Map<Signal, Signal> resolved = new java.util.IdentityHashMap<>();

  /**
   * Quadratures already computed in this estimate, by function, mean and second moment: the same
   * call returns the same numbers (a GRU's two gates; a recurrence that reached its fixed point).
   */
  private final Map<Moments, double[]> moments = new HashMap<>();

  private record Moments(DoubleUnaryOperator f, double mean, double q) {}

  private final List<DepthStep> steps = new ArrayList<>();
  private String first;
  private String status = "ok";
  // the backward pass: every tensor (by path) in the order the forward pass finished it, and who
  // consumes it with which second-moment gain E[g_in^2] / E[g_out^2]
  private final List<String> order = new ArrayList<>();
  private final Map<String, List<Edge>> consumers = new HashMap<>();
  private final Map<String, List<String>> inputs = new HashMap<>();

  /**
   * A layer's output signal and its backward gains E[g_in^2] / E[g_out^2], one per input (null: 1
   * each; fewer than the inputs: the last one for the rest).
   */
  private record Applied(Signal out, double[] back) {
    /** The signal with the gradient passed back unchanged. */
    static Applied of(Signal out) {
      return new Applied(out, null);
    }

    static Applied of(Signal out, double back) {
      return new Applied(out, new double[] {back});
    }
  }

  /** A recurrent layer's output and the gain E[g_x^2] / E[g_out^2] of its input's gradient. */
  private record RecurrentOut(Signal out, double inputBack) {}

  private record Edge(String consumer, String producer, double gain) {}

  private SignalEstimate(
      Model model, List<WeightEntry> entries, boolean observed, boolean forwardOnly) {
    this.weights = new HashMap<>();
    for (WeightEntry e : entries) {
      weights.computeIfAbsent(e.site().layer().name(), k -> new ArrayList<>()).add(e);
    }
    this.layers = new HashMap<>();
    for (Layer l : model.allLayers()) {
      layers.putIfAbsent(l.name(), l);
    }
    this.observed = observed;
    this.forwardOnly = forwardOnly;
  }

  /** The estimate on the config's graph, or null when the model has no config graph to follow. */
  static DepthEstimate of(Model model, List<WeightEntry> entries, boolean observed) {
    CallGraph g = graph(model);
    return g == null ? null : of(g, model, entries, observed, false);
  }

  /** The model's call graph, or null when it has no config graph to follow. */
  static CallGraph graph(Model model) {
    if (ConfigViews.of(model).isEmpty()) {
      return null;
    }
    try {
      return CallGraph.of(ConfigViews.of(model).get());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The estimate on {@code g}, the model's call graph, or null when this reading does not follow
   * it. {@code forwardOnly}: only the status, the first layer out of range and the final value are
   * meant to be read (the same as the full estimate's); the steps carry no gradients, and a
   * softmax's step no output moment.
   */
  static DepthEstimate of(
      CallGraph g, Model model, List<WeightEntry> entries, boolean observed, boolean forwardOnly) {
    SignalEstimate s = new SignalEstimate(model, entries, observed, forwardOnly);
    List<Signal> outs;
    try {
      outs = s.run(g, List.of(), List.of(), "");
      if (!forwardOnly) {
        s.backward(g);
      } else if (!outs.isEmpty() && !s.status.equals("ok")) {
        outs = List.of(s.resolve(outs.get(0))); // the final value is in the depth warning
      }
    } catch (StackOverflowError | RuntimeException e) {
      // a graph deeper than the stack, or a config this reading does not follow (SignalEstimateTest
      // runs every corpus and generated model through it): the chain estimate instead
      return null;
    }
    double v = outs.isEmpty() ? 1 : outs.get(0).q();
    String status = !Double.isFinite(v) ? "unknown" : s.status;
    return new DepthEstimate(
        observed ? "observed" : "configured", s.steps, v, status, s.first, s.inputs);
  }

  /**
   * Runs a (possibly nested) graph on the given input signals (none: standard normal); {@code
   * boundKeys} are the tensors outside that feed its inputs.
   */
  private List<Signal> run(CallGraph g, List<Signal> bound, List<String> boundKeys, String prefix) {
    Map<CallGraph.Ref, Signal> memo = new HashMap<>();
    for (int i = 0; i < g.inputs().size(); i++) {
      CallGraph.Ref in = g.inputs().get(i);
      Signal s = i < bound.size() ? bound.get(i) : new Signal(0, 1, inputChannels(g, in));
      memo.put(new CallGraph.Ref(in.layer(), in.node(), 0), s);
      String key = prefix + in.layer();
      order.add(key);
      if (i < boundKeys.size()) {
        edge(key, boundKeys.get(i), 1);
      }
    }
    List<Signal> out = new ArrayList<>();
    for (CallGraph.Ref r : g.outputs()) {
      out.add(eval(g, r, memo, prefix));
    }
    return out;
  }

  private void edge(String consumer, String producer, double gain) {
    consumers
        .computeIfAbsent(producer, k -> new ArrayList<>())
        .add(new Edge(consumer, producer, gain));
    inputs.computeIfAbsent(consumer, k -> new ArrayList<>()).add(producer);
  }

  /** The path of the tensor a ref names: the producing call's, as the steps name it. */
  private static String key(CallGraph g, CallGraph.Ref ref, String prefix) {
    CallGraph.Call c = g.call(ref);
    return prefix + ref.layer() + (c != null && c.node() > 0 ? "#" + c.node() : "");
  }

  /**
   * The backward pass: a unit-variance gradient at the model's outputs, carried to every tensor in
   * reverse order of the forward pass, summed over its consumers (independent contributions).
   */
  private void backward(CallGraph g) {
    Map<String, Double> grad = new HashMap<>();
    for (CallGraph.Ref r : g.outputs()) {
      grad.put(key(g, r, ""), 1.0);
    }
    for (int i = order.size() - 1; i >= 0; i--) {
      String node = order.get(i);
      double sum = grad.getOrDefault(node, 0.0);
      for (Edge e : consumers.getOrDefault(node, List.of())) {
        sum += e.gain() * grad.getOrDefault(e.consumer(), 0.0);
      }
      grad.put(node, sum);
    }
    steps.replaceAll(
        s ->
            new DepthStep(
                s.layerPath(),
                s.className(),
                s.activation(),
                s.fanIn(),
                s.weightMeanSquare(),
                s.gain2(),
                s.variance(),
                s.note(),
                s.mean(),
                grad.getOrDefault(s.layerPath(), Double.NaN)));
  }

  private Signal eval(
      CallGraph g, CallGraph.Ref ref, Map<CallGraph.Ref, Signal> memo, String prefix) {
    CallGraph.Call call = g.call(ref);
    CallGraph.Ref key = new CallGraph.Ref(ref.layer(), call == null ? ref.node() : call.node(), 0);
    Signal known = memo.get(key);
    if (known != null) {
      return known;
    }
    if (call == null) {
      // an input layer not bound (a second model input): standard normal
      Signal s = new Signal(0, 1, inputChannels(g, ref));
      memo.put(key, s);
      order.add(key(g, ref, prefix));
      return s;
    }
    List<Signal> ins = new ArrayList<>();
    for (CallGraph.Ref r : call.inputs()) {
      ins.add(resolve(eval(g, r, memo, prefix)));
    }
    if (ins.isEmpty()) {
      ins.add(new Signal(0, 1, -1));
    }
    String path = prefix + call.entry().name() + (call.node() > 0 ? "#" + call.node() : "");
    List<String> inKeys = new ArrayList<>();
    for (CallGraph.Ref r : call.inputs()) {
      inKeys.add(key(g, r, prefix));
    }
    Signal out;
    if (Layer.isModelClass(call.entry().className())) {
      CallGraph nested = CallGraph.nested(call.entry());
      String inner = prefix + call.entry().name() + "/";
      List<Signal> o = run(nested, ins, inKeys, inner);
      int t = Math.min(ref.tensor(), Math.max(0, o.size() - 1));
      out = o.isEmpty() ? ins.get(0) : o.get(t);
      order.add(path);
      if (!nested.outputs().isEmpty()) {
        edge(path, key(nested, nested.outputs().get(t), inner), 1);
      }
    } else {
      Applied a = apply(call.entry(), ins, call.shapes(), path);
      out = a.out();
      double[] back = a.back();
      order.add(path);
      for (int i = 0; i < inKeys.size(); i++) {
        edge(path, inKeys.get(i), back == null ? 1 : back[Math.min(i, back.length - 1)]);
      }
    }
    memo.put(key, out);
    return out;
  }

  private static long inputChannels(CallGraph g, CallGraph.Ref in) {
    ConfigLayers.Entry e = g.entries().get(in.layer());
    if (e == null && !g.entries().isEmpty()) {
      e =
          g.entries()
              .values()
              .iterator()
              .next(); // a Sequential's first layer carries the input shape
    }
    if (e == null) {
      return -1;
    }
    JsonNode c = e.config();
    for (String k : List.of("batch_shape", "batch_input_shape", "input_shape")) {
      JsonNode s = c.path(k);
      if (s.isArray() && s.size() > 0 && s.get(s.size() - 1).isNumber()) {
        return s.get(s.size() - 1).asLong();
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------------------------------
  // layers

  private Applied apply(ConfigLayers.Entry e, List<Signal> ins, List<long[]> shapes, String path) {
    String cls = e.className();
    JsonNode c = e.config();
    Signal x = ins.get(0);
    List<WeightEntry> ws = weights.getOrDefault(e.name(), List.of());
    if (cls.equals(Wrappers.TIME_DISTRIBUTED) && c.path(Wrappers.LAYER).isObject()) {
      JsonNode wrapped = c.path(Wrappers.LAYER);
      ConfigLayers.Entry inner =
          new ConfigLayers.Entry(
              e.name(), wrapped.path("class_name").asText(""), wrapped.path("config"), e.raw());
      return apply(inner, ins, shapes, path);
    }
    if (cls.equals(Wrappers.BIDIRECTIONAL) && c.path(Wrappers.LAYER).isObject()) {
      return bidirectional(e, x, ws, shape(shapes, 0), path);
    }
    LayerFamily family = LayerFamily.of(cls);
    if (PASS_THROUGH.contains(family)) {
      return Applied.of(x);
    }
    switch (cls) {
      case "Add":
      case "Subtract":
      case "Average":
      case "Multiply":
      case "Maximum":
      case "Minimum":
      case "Concatenate":
      case "Merge":
        {
          Applied m = merge(cls, c, ins);
          return new Applied(
              step(
                  path,
                  cls,
                  null,
                  m.out(),
                  Double.NaN,
                  Double.NaN,
                  "merge of " + ins.size() + " inputs"),
              m.back());
        }
      case "Activation":
        return activationStep(
            path, cls, c.path("activation").asText("linear"), x, 1, Double.NaN, Double.NaN, null);
      case "ReLU":
        {
          double maxValue =
              c.path("max_value").isNumber()
                  ? c.get("max_value").asDouble()
                  : Double.POSITIVE_INFINITY;
          double slope = c.path("negative_slope").asDouble(0);
          double threshold = c.path("threshold").asDouble(0);
          return fnStep(
              path,
              cls,
              "relu",
              v -> v >= threshold ? Math.min(v, maxValue) : slope * (v - threshold),
              x);
        }
      case "LeakyReLU":
        {
          double a =
              c.has("negative_slope")
                  ? c.get("negative_slope").asDouble()
                  : c.path("alpha").asDouble(0.3);
          return fnStep(path, cls, "leaky_relu", v -> v >= 0 ? v : a * v, x);
        }
      case "ELU":
        {
          double a = c.path("alpha").asDouble(1);
          return fnStep(path, cls, "elu", v -> v >= 0 ? v : a * Math.expm1(v), x);
        }
      case "ThresholdedReLU":
        {
          double t = c.path("theta").asDouble(1);
          return fnStep(path, cls, "thresholded_relu", v -> v > t ? v : 0, x);
        }
      case "PReLU":
        {
          WeightEntry alpha = find(ws, WeightRole.ALPHA);
          double a = alpha == null ? 0 : mean(alpha);
          return fnStep(path, cls, "prelu", v -> v >= 0 ? v : a * v, x);
        }
      case "Softmax":
        return activationStep(path, cls, "softmax", x, 1, Double.NaN, Double.NaN, null);
      case "Rescaling":
        {
          double s = c.path("scale").asDouble(1);
          double o = c.path("offset").asDouble(0);
          return Applied.of(
              new Signal(
                  s * x.mean() + o, s * s * x.q() + 2 * s * o * x.mean() + o * o, x.channels()),
              s * s);
        }
      case "UnitNormalization":
        return Applied.of(
            step(
                path,
                cls,
                null,
                new Signal(0, x.channels() > 0 ? 1.0 / x.channels() : Double.NaN, x.channels()),
                Double.NaN,
                Double.NaN,
                "unit norm over the channels: E[x^2] = 1/channels"),
            x.channels() > 0 && x.q() > 0 ? 1.0 / (x.channels() * x.q()) : 1);
      default:
        break;
    }
    if (cls.contains("Pooling") || cls.startsWith("MaxPool") || cls.startsWith("AvgPool")) {
      return pooling(e, x, shape(shapes, 0), path);
    }
    if (ws.stream().anyMatch(w -> w.quantization() != null && w.fans() == null)) {
      // int codes stand for a kernel only with their scales: not estimated
      return Applied.of(
          step(
              path,
              cls,
              null,
              x,
              Double.NaN,
              Double.NaN,
              "quantized ("
                  + ws.get(0).quantization().mode()
                  + "): passed through (not estimated)"));
    }
    if (family == LayerFamily.NORMALIZATION) {
      return normalization(e, x, ws, path);
    }
    if (family == LayerFamily.EMBEDDING) {
      WeightEntry emb = find(ws, WeightRole.EMBEDDINGS);
      if (emb == null) {
        return Applied.of(x);
      }
      long dim = emb.weight().shape().dim(-1);
      // integer indices: the gradient ends in the table
      return Applied.of(
          step(
              path,
              cls,
              null,
              new Signal(mean(emb), meanSquare(emb), dim),
              Double.NaN,
              meanSquare(emb),
              "embedding: E[E], E[E^2]"),
          0);
    }
    if (family == LayerFamily.ATTENTION && !isDotAttention(cls)) {
      return attention(e, ins, ws, shapes, path);
    }
    if (family == LayerFamily.RECURRENT) {
      return recurrent(e, cls, x, ws, shape(shapes, 0), path);
    }
    WeightEntry kernel = find(ws, WeightRole.KERNEL);
    WeightEntry dw = find(ws, WeightRole.DEPTHWISE_KERNEL);
    if (kernel != null || dw != null) {
      return kernelLayer(e, x, ws, kernel, dw, shapeOf(e, shape(shapes, 0)), path);
    }
    if (isDotAttention(cls)) {
      // the softmax-weighted average of the values (the second input; the query when alone)
      Signal v = ins.size() > 1 ? ins.get(1) : x;
      return Applied.of(
          step(
              path,
              cls,
              null,
              new Signal(v.mean(), v.mean() * v.mean() + v.std() * v.std(), v.channels()),
              Double.NaN,
              Double.NaN,
              "attention: a weighted average of the values (their spread kept)"));
    }
    if (!ws.isEmpty()) {
      return Applied.of(
          step(path, cls, null, x, Double.NaN, Double.NaN, "not estimated: passed through"));
    }
    return Applied.of(x);
  }

  /**
   * Attention without projections of its own ({@code Attention}, {@code AdditiveAttention}): the
   * inputs are q, v, k.
   */
  private static boolean isDotAttention(String cls) {
    return cls.equals("Attention") || cls.equals("AdditiveAttention");
  }

  private Applied kernelLayer(
      ConfigLayers.Entry e,
      Signal x,
      List<WeightEntry> ws,
      WeightEntry kernel,
      WeightEntry dw,
      long[] inShape,
      String path) {
    double fanIn;
    double ms;
    double mw;
    double backward; // E[g_x^2] / E[g_pre^2]: each input feeds fan_out outputs
    String note = null;
    long channels;
    if (dw != null) {
      Shape s = dw.weight().shape();
      double k = 1;
      for (int i = 0; i < s.rank() - 2; i++) {
        k *= s.dim(i);
      }
      double[] taps = Padding.taps(e.config(), inShape, s);
      double strides = ConvGeometry.strideProduct(e.config(), s.rank() - 2);
      fanIn = k * taps[0];
      ms = meanSquare(dw);
      mw = mean(dw);
      channels = x.channels() > 0 ? x.channels() * s.dim(-1) : -1;
      note = "depthwise: fan_in = prod(kernel_size)" + Padding.describe(taps);
      backward = (Double.isNaN(taps[1]) ? k / strides : taps[1]) * s.dim(-1) * ms;
      WeightEntry pw = find(ws, WeightRole.POINTWISE_KERNEL);
      if (pw != null) {
        backward *= pw.weight().shape().dim(-1) * meanSquare(pw);
        Signal mid = linear(new Signal(x.mean(), x.q(), channels), fanIn, ms, mw, null);
        fanIn = pw.fans().fanIn();
        ms = meanSquare(pw);
        mw = mean(pw);
        x = mid;
        channels = pw.weight().shape().dim(-1);
        note = "separable: depthwise then pointwise";
      }
    } else {
      Shape ks = kernel.weight().shape();
      fanIn = kernel.fans().fanIn();
      ms = meanSquare(kernel);
      mw = mean(kernel);
      channels = ks.rank() >= 2 ? ks.dim(-1) : -1;
      backward =
          kernel.fans().fanOut() / ConvGeometry.strideProduct(e.config(), ks.rank() - 2) * ms;
      LayerFamily family = LayerFamily.of(e.className());
      boolean transposed = family == LayerFamily.TRANSPOSED_CONV;
      if (ks.rank() >= 3 && !transposed && family != LayerFamily.LOCALLY_CONNECTED) {
        // 'same' padding on a small map: the taps that fall on the zeros sum nothing
        double[] taps = Padding.taps(e.config(), inShape, ks);
        fanIn *= taps[0];
        if (!Double.isNaN(taps[1])) {
          backward = taps[1] * ks.dim(-1) * ms;
        }
        note = Padding.describe(taps).isEmpty() ? null : Padding.describe(taps).substring(2);
      }
      if (transposed && ks.rank() >= 3) {
        fanIn = ConvGeometry.transposedFanIn(e.config(), ks);
        channels = ks.dim(-2);
        backward =
            kernel.fans().fanIn() * ms; // each input scatters over prod(kernel_size) * filters
        note = "transposed: fan_in = in * prod(kernel_size) / prod(strides)";
      } else if (e.className().equals("EinsumDense")) {
        channels = -1;
        backward = ks.elementCount() / (double) Math.max(1, ks.dim(0)) * ms;
      }
    }
    Signal pre = linear(x, fanIn, ms, mw, find(ws, WeightRole.BIAS)).withChannels(channels);
    String act = Layer.activationOf(e.config());
    return activationStep(
        path, e.className(), act == null ? "linear" : act, pre, backward, fanIn, ms, note);
  }

  /**
   * {@code sum_i W_i x_i + b} over {@code fanIn} terms with independent weights. A unit's weights
   * are fixed, so an input with a mean gives each output channel a mean of its own: the variance
   * within a channel (what batch statistics see) is only the inputs' variance's share.
   */
  private Signal linear(Signal x, double fanIn, double ms, double mw, WeightEntry bias) {
    double mean = fanIn * mw * x.mean();
    double q = fanIn * ms * x.q() + fanIn * (fanIn - 1) * mw * mw * x.mean() * x.mean();
    double within = fanIn * ms * x.within();
    if (bias != null) {
      double mb = mean(bias);
      q += meanSquare(bias) + 2 * mb * mean;
      mean += mb;
    }
    return new Signal(mean, q, x.channels(), x.rho(), within);
  }

  /**
   * An activation applied to {@code pre}; {@code linearBack} is what the linear map before it (if
   * any) does to the gradient's second moment.
   */
  private Applied activationStep(
      String path,
      String cls,
      String activation,
      Signal pre,
      double linearBack,
      double fanIn,
      double ms,
      String note) {
    double derivative;
    Signal out;
    String a = activation.toLowerCase(Locale.ROOT);
    if (a.equals("softmax") || a.equals("log_softmax") || a.equals("sparsemax")) {
      // the outputs of one row sum to 1 and concentrate as the logits spread
      long c = pre.channels();
      if (forwardOnly && c > 0) {
        out = new Signal(1.0 / c, Double.NaN, c);
        deferred.put(out, new double[] {c, pre.std() * pre.std()});
        derivative = Double.NaN;
      } else {
        double[] sm = GaussianMoments.softmax(c, pre.std() * pre.std());
        out = c > 0 ? new Signal(1.0 / c, sm[0], c) : new Signal(Double.NaN, Double.NaN, c);
        derivative = c > 0 && sm[0] > 0 ? sm[1] : Double.NaN; // E[|J g|^2] per element, unit g
      }
      note = note == null ? "softmax over " + c + " classes" : note;
    } else {
      DoubleUnaryOperator f = GaussianMoments.activation(a);
      if (f == null) {
        f = v -> v;
        note =
            (note == null ? "" : note + "; ")
                + "activation "
                + activation
                + " not modelled: identity";
      }
      double[] m = moments(f, pre.mean(), pre.q());
      // the share of the variance within channels (see linear) carries through
      double preVar = pre.std() * pre.std();
      double share = preVar > 0 ? Math.min(1, pre.within() / preVar) : 1;
      out =
          new Signal(
              m[0], m[1], pre.channels(), pre.rho(), Math.max(0, m[1] - m[0] * m[0]) * share);
      derivative = derivativeSquare(f, pre.mean(), pre.q());
    }
    double gain = pre.q() > 0 ? out.q() / pre.q() : Double.NaN;
    steps.add(
        new DepthStep(
            path, cls, activation, fanIn, ms, gain, out.q(), note, out.mean(), Double.NaN));
    // what initialization controls is the pre-activation scale; bounded outputs (softmax,
    // sigmoid) are their own business
    check(path, pre.q());
    return Applied.of(out, linearBack * derivative);
  }

  private Applied fnStep(String path, String cls, String name, DoubleUnaryOperator f, Signal x) {
    double[] m = moments(f, x.mean(), x.q());
    Signal out = new Signal(m[0], m[1], x.channels(), x.rho());
    steps.add(
        new DepthStep(
            path,
            cls,
            name,
            Double.NaN,
            Double.NaN,
            x.q() > 0 ? out.q() / x.q() : Double.NaN,
            out.q(),
            null,
            out.mean(),
            Double.NaN));
    return Applied.of(out, derivativeSquare(f, x.mean(), x.q()));
  }

  /** {@link GaussianMoments#of}, each distinct call computed once. */
  private double[] moments(DoubleUnaryOperator f, double mean, double q) {
    return moments.computeIfAbsent(new Moments(f, mean, q), k -> GaussianMoments.of(f, mean, q));
  }

  /** {@link GaussianMoments#derivativeSquare}; NaN when only the forward pass is wanted. */
  private double derivativeSquare(DoubleUnaryOperator f, double mean, double q) {
    return forwardOnly ? Double.NaN : GaussianMoments.derivativeSquare(f, mean, q);
  }

  /** A deferred softmax output computed now (the same numbers as the full estimate's), once. */
  private Signal resolve(Signal s) {
    double[] d = deferred.get(s);
    if (d == null) {
      return s;
    }
    return resolved.computeIfAbsent(
        s, k -> new Signal(k.mean(), GaussianMoments.softmax((long) d[0], d[1])[0], k.channels()));
  }

  private Signal step(
      String path,
      String cls,
      String activation,
      Signal out,
      double fanIn,
      double ms,
      String note) {
    steps.add(
        new DepthStep(path, cls, activation, fanIn, ms, 1, out.q(), note, out.mean(), Double.NaN));
    check(path, out.q());
    return out;
  }

  private void check(String path, double q) {
    if (first == null
        && Double.isFinite(q)
        && (q < DepthModel.VANISHING || q > DepthModel.EXPLODING)) {
      first = path;
      status = q < DepthModel.VANISHING ? "vanishing" : "exploding";
    }
  }

  /**
   * A merge's output; each input gets the gradient unless said otherwise (Add, Subtract,
   * Concatenate's slices).
   */
  private static Applied merge(String cls, JsonNode c, List<Signal> ins) {
    int n = ins.size();
    switch (cls) {
      case "Add":
      case "Average":
      case "Merge":
        {
          double mean = 0;
          double q = 0;
          double rho = 0;
          for (Signal s : ins) {
            q +=
                s.q() + 2 * s.mean() * mean; // independent terms: cross terms are products of means
            mean += s.mean();
            rho += s.rho() * s.std() * s.std();
          }
          double var = Math.max(q - mean * mean, 1e-300);
          rho = Math.min(1, rho / var); // the correlated parts' share of the sum's variance
          if (cls.equals("Average")) {
            return Applied.of(
                new Signal(mean / n, q / ((double) n * n), ins.get(0).channels(), rho),
                1.0 / ((double) n * n));
          }
          return Applied.of(new Signal(mean, q, ins.get(0).channels(), rho));
        }
      case "Subtract":
        {
          Signal a = ins.get(0);
          Signal b = ins.get(1);
          return Applied.of(
              new Signal(
                  a.mean() - b.mean(), a.q() + b.q() - 2 * a.mean() * b.mean(), a.channels()));
        }
      case "Multiply":
        {
          double mean = 1;
          double q = 1;
          double[] back = new double[n];
          for (Signal s : ins) {
            mean *= s.mean();
            q *= s.q();
          }
          for (int i = 0; i < n; i++) {
            back[i] = ins.get(i).q() > 0 ? q / ins.get(i).q() : 0; // the product of the others
          }
          return new Applied(new Signal(mean, q, ins.get(0).channels()), back);
        }
      case "Maximum":
      case "Minimum":
        {
          Signal a = average(ins);
          double[] m =
              GaussianMoments.maxOf(n, cls.equals("Maximum") ? a.mean() : -a.mean(), a.q());
          // the gradient goes to the largest
          return Applied.of(
              new Signal(cls.equals("Maximum") ? m[0] : -m[0], m[1], a.channels()), 1.0 / n);
        }
      default:
        { // Concatenate: channel-weighted, when the channels are known
          double w = 0;
          double mean = 0;
          double q = 0;
          long channels = 0;
          for (Signal s : ins) {
            double k = s.channels() > 0 ? s.channels() : 1;
            w += k;
            mean += k * s.mean();
            q += k * s.q();
            channels = channels >= 0 && s.channels() > 0 ? channels + s.channels() : -1;
          }
          int axis = c.path("axis").asInt(-1);
          return Applied.of(
              new Signal(mean / w, q / w, axis == -1 ? channels : ins.get(0).channels()));
        }
    }
  }

  private static Signal average(List<Signal> ins) {
    double mean = 0;
    double q = 0;
    for (Signal s : ins) {
      mean += s.mean() / ins.size();
      q += s.q() / ins.size();
    }
    return new Signal(mean, q, ins.get(0).channels());
  }

  private Applied pooling(ConfigLayers.Entry e, Signal x, long[] shape, String path) {
    String cls = e.className();
    boolean max = cls.contains("Max");
    long k;
    String note;
    if (cls.startsWith("Global") || cls.startsWith("Adaptive")) {
      k = positions(e, shapeOf(e, shape));
      note =
          k > 0
              ? "global over " + k + " positions"
              : "global over positions the config does not give: the spread is kept";
    } else {
      k = 1;
      JsonNode p = e.config().path("pool_size");
      if (p.isArray()) {
        for (JsonNode d : p) {
          k *= Math.max(1, d.asLong(1));
        }
      } else if (p.isNumber()) {
        k = p.asLong();
      }
      note = "pool of " + k;
    }
    Signal out;
    // each output's gradient goes to its maximum (1 of k) or is shared by k inputs (1/k each)
    double back = k <= 0 ? 1 : max ? 1.0 / k : 1.0 / ((double) k * k);
    if (k <= 0) {
      out = x;
    } else if (max) {
      double[] m = GaussianMoments.maxOf(k, x.mean(), x.q());
      out = new Signal(m[0], m[1], x.channels());
    } else {
      // the mean stays; the spread shrinks with the count, less where positions are correlated
      double var = x.std() * x.std() * (1.0 / k + x.rho() * (1 - 1.0 / k));
      out = new Signal(x.mean(), x.mean() * x.mean() + var, x.channels());
    }
    return Applied.of(step(path, cls, null, out, Double.NaN, Double.NaN, note), back);
  }

  /** Positions a global pooling averages over, from the input's shape; -1 when not given. */
  private static long positions(ConfigLayers.Entry e, long[] s) {
    if (s.length < 3) {
      return -1;
    }
    boolean channelsFirst =
        e.config().path("data_format").asText("channels_last").equals("channels_first");
    long k = 1;
    for (int i = channelsFirst ? 2 : 1; i < (channelsFirst ? s.length : s.length - 1); i++) {
      if (s[i] <= 0) {
        return -1;
      }
      k *= s[i];
    }
    return k;
  }

  /**
   * The shape of input {@code i}: as the call records it (Keras 3 functional), else the layer's
   * Keras 3 {@code build_config}; empty when neither says.
   */
  private static long[] shape(List<long[]> shapes, int i) {
    return i < shapes.size() ? shapes.get(i) : new long[0];
  }

  private static long[] shapeOf(ConfigLayers.Entry e, long[] recorded) {
    if (recorded.length > 0) {
      return recorded;
    }
    JsonNode s = e.raw().path("build_config").path("input_shape");
    long[] out = new long[s.isArray() ? s.size() : 0];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).isNumber() ? s.get(i).asLong() : -1;
    }
    return out;
  }

  private Applied normalization(ConfigLayers.Entry e, Signal x, List<WeightEntry> ws, String path) {
    WeightEntry gamma = find(ws, WeightRole.GAMMA);
    WeightEntry beta = find(ws, WeightRole.BETA);
    double g2 = gamma == null ? 1 : meanSquare(gamma);
    double b = beta == null ? 0 : mean(beta);
    double b2 = beta == null ? 0 : meanSquare(beta);
    // normalized by the batch statistics (in training, where the initialization matters), then
    // scaled by gamma and shifted by beta; epsilon keeps a tiny signal tiny: var / (var + eps)
    double var =
        e.className().equals("RMSNormalization")
            ? x.q()
            : e.className().equals("BatchNormalization") ? x.within() : x.std() * x.std();
    double eps = e.config().path("epsilon").asDouble(1e-3);
    double kept = var / (var + eps);
    Signal out = new Signal(b, g2 * kept + b2, x.channels(), x.rho());
    return Applied.of(
        step(
            path,
            e.className(),
            null,
            out,
            Double.NaN,
            g2,
            kept < 0.5
                ? String.format(
                    Locale.ROOT,
                    "normalises, but the input's variance %.3g is small beside epsilon %.3g",
                    var,
                    eps)
                : "normalises: E[gamma^2] + E[beta^2]"),
        g2 / (var + eps)); // the gradient scaled by gamma / sqrt(var + eps)
  }

  private Applied attention(
      ConfigLayers.Entry e,
      List<Signal> ins,
      List<WeightEntry> ws,
      List<long[]> shapes,
      String path) {
    Signal value = ins.size() > 1 ? ins.get(1) : ins.get(0);
    WeightEntry wv = named(ws, "value");
    WeightEntry wo = named(ws, "output");
    if (wv == null || wo == null) {
      return Applied.of(
          step(
              path,
              e.className(),
              null,
              ins.get(0),
              Double.NaN,
              Double.NaN,
              "attention: passed through (not estimated)"));
    }
    // the value projection sums over the model dimension (the kernel's first axis; Keras's own
    // fans treat its (d_model, heads, dim) kernel as a convolution's)
    Signal v =
        linear(
            value,
            (double) wv.weight().shape().dim(0),
            meanSquare(wv),
            mean(wv),
            named(ws, "value", WeightRole.BIAS));
    // softmax-weighted average of the values over the key positions: near uniform at
    // initialization, so the spread shrinks with the sequence length when the config gives it
    long t = sequenceLength(e, shapes);
    // the scores q.k/sqrt(d) have variance E[q^2] E[k^2] per head; a softmax of logits with
    // variance s^2 over T keys concentrates on about T / exp(s^2) of them
    WeightEntry wq = named(ws, "query");
    WeightEntry wk = named(ws, "key");
    double scoreVar = 0;
    if (wq != null && wk != null) {
      Signal key = ins.size() > 2 ? ins.get(2) : value;
      double qq = ins.get(0).q() * wq.weight().shape().dim(0) * meanSquare(wq);
      double kq = key.q() * wk.weight().shape().dim(0) * meanSquare(wk);
      scoreVar = qq * kq;
    }
    double tEff = t > 1 ? Math.max(1, t / Math.exp(Math.min(scoreVar, 50))) : 1;
    double var = v.std() * v.std() / tEff;
    // positions attending to the same keys carry the same average: correlated by the overlap
    Signal att =
        new Signal(v.mean(), v.mean() * v.mean() + var, v.channels(), t > 1 ? tEff / t : 0);
    double fan = wo.weight().shape().elementCount() / (double) wo.weight().shape().dim(-1);
    Signal out = linear(att, fan, meanSquare(wo), mean(wo), named(ws, "output", WeightRole.BIAS));
    // backward along the value path (the scores' path is left out): the output projection, the
    // average (each value position shares the gradient of the tEff queries that attend to it),
    // the value projection
    double g =
        wo.weight().shape().dim(-1)
            * meanSquare(wo)
            / tEff
            * (wv.weight().shape().elementCount() / (double) wv.weight().shape().dim(0))
            * meanSquare(wv);
    double[] back = new double[ins.size()];
    back[ins.size() > 1 ? 1 : 0] = g;
    return new Applied(
        step(
            path,
            e.className(),
            null,
            out,
            fan,
            meanSquare(wo),
            t > 1
                ? String.format(
                    Locale.ROOT,
                    "attention: values averaged over about %.3g of %d positions, then the output projection",
                    tEff,
                    t)
                : "attention: value and output projections (the averaging over positions not modelled)"),
        back);
  }

  private static long sequenceLength(ConfigLayers.Entry e, List<long[]> shapes) {
    long[] v = shape(shapes, shapes.size() > 1 ? 1 : 0);
    if (v.length >= 3 && v[1] > 0) {
      return v[1];
    }
    JsonNode b = e.raw().path("build_config");
    for (String k : List.of("value_shape", "key_shape", "query_shape", "input_shape")) {
      JsonNode s = b.path(k);
      if (s.isArray() && s.size() >= 3 && s.get(1).isNumber()) {
        return s.get(1).asLong();
      }
    }
    return -1;
  }

  private Applied bidirectional(
      ConfigLayers.Entry e, Signal x, List<WeightEntry> ws, long[] shape, String path) {
    JsonNode inner = e.config().path(Wrappers.LAYER);
    ConfigLayers.Entry cell =
        new ConfigLayers.Entry(
            e.name(), inner.path("class_name").asText(""), inner.path("config"), e.raw());
    // both directions see the same statistics: estimate one on its half of the weights
    List<WeightEntry> half = ws.subList(0, Math.max(1, ws.size() / 2));
    RecurrentOut r = recurrentOn(cell, cell.className(), x, half, steps(e, shape));
    Signal one = r.out();
    String mode = e.config().path("merge_mode").asText("concat");
    // the input's gradient: both directions' contributions
    double back =
        2
            * r.inputBack()
            * switch (mode) {
              case "ave" -> 0.25;
              case "mul" -> one.q();
              default -> 1;
            };
    Signal out =
        switch (mode) {
          case "sum" ->
              new Signal(2 * one.mean(), 2 * one.q() + 2 * one.mean() * one.mean(), one.channels());
          case "mul" -> new Signal(one.mean() * one.mean(), one.q() * one.q(), one.channels());
          case "ave" ->
              new Signal(one.mean(), (one.q() + one.mean() * one.mean()) / 2, one.channels());
          default -> one.withChannels(one.channels() > 0 ? 2 * one.channels() : -1);
        };
    return Applied.of(
        step(
            path, e.className(), null, out, Double.NaN, Double.NaN, "bidirectional (" + mode + ")"),
        back);
  }

  private Applied recurrent(
      ConfigLayers.Entry e, String cls, Signal x, List<WeightEntry> ws, long[] shape, String path) {
    int n = steps(e, shape);
    RecurrentOut r = recurrentOn(e, cls, x, ws, n);
    return Applied.of(
        step(
            path,
            cls,
            null,
            r.out(),
            Double.NaN,
            Double.NaN,
            "recurrent: gates and state over "
                + n
                + " steps"
                + (e.config().path("return_sequences").asBoolean(false)
                    ? " (the sequence: averaged over the steps)"
                    : "")),
        r.inputBack());
  }

  /**
   * A recurrent layer's output after the sequence: the gates and state iterated over the time steps
   * with Gaussian pre-activations whose second moment is the input's contribution ({@code fan_in *
   * E[W^2] * E[x^2]}) plus the state's ({@code units * E[U^2] * E[h^2]}).
   */
  private RecurrentOut recurrentOn(
      ConfigLayers.Entry e, String cls, Signal x, List<WeightEntry> ws, int n) {
    WeightEntry k = find(ws, WeightRole.KERNEL);
    WeightEntry u = find(ws, WeightRole.RECURRENT_KERNEL);
    if (k == null) {
      return new RecurrentOut(x, 1);
    }
    JsonNode c = e.config();
    Recurrence kind = Recurrence.of(cls);
    long units = c.path("units").asLong(c.path("filters").asLong(k.weight().shape().dim(-1)));
    double inQ = k.fans().fanIn() * meanSquare(k) * x.q();
    double uMs = u == null ? 0 : meanSquare(u);
    double uFan = u == null ? 0 : u.fans().fanIn();
    DoubleUnaryOperator act = GaussianMoments.activation(c.path("activation").asText("tanh"));
    DoubleUnaryOperator gate =
        GaussianMoments.activation(c.path("recurrent_activation").asText("sigmoid"));
    act = act == null ? Math::tanh : act;
    gate = gate == null ? v -> 1 / (1 + Math.exp(-v)) : gate;
    boolean forgetBias = c.path("unit_forget_bias").asBoolean(true);
    double h = 0;
    double hMean = 0;
    double cState = 0;
    double rho = x.rho();
    double rhoOut = 0;
    boolean sequence = c.path("return_sequences").asBoolean(false);
    double sumQ = 0;
    double sumMean = 0;
    double d = 1; // E[dh/dpre^2] along the candidate path at the last step
    double carry = 0; // E[(d state_t / d state_t-1)^2]: how the gradient travels back in time
    int paths = 1; // gates sharing the kernel's columns
    for (int t = 0; t < n; t++) {
      double pre = inQ + uFan * uMs * h;
      if (kind == Recurrence.LSTM) {
        double[] i = moments(gate, 0, pre);
        double[] f = moments(gate, forgetBias ? 1 : 0, pre + (forgetBias ? 1 : 0));
        double[] g = moments(act, 0, pre);
        // the cell state is an AR(1) filter (coefficient E[f]) of its inputs: inputs correlated
        // over time (rho) add up coherently, by (1 + f rho) / (1 - f rho)
        cState = f[1] * cState + i[1] * g[1] * (1 + f[0] * rho) / (1 - f[0] * rho);
        rhoOut = (f[0] + rho) / (1 + f[0] * rho);
        double[] tc = moments(act, 0, cState);
        h = i[1] * tc[1]; // the output gate has the input gate's statistics
        hMean = 0;
        d = i[1] * derivativeSquare(act, 0, cState) * i[1] * derivativeSquare(act, 0, pre);
        carry = f[1];
        paths = 4;
      } else if (kind == Recurrence.GRU) {
        double[] z = moments(gate, 0, pre);
        double[] r = moments(gate, 0, pre);
        double[] hh = moments(act, 0, inQ + r[1] * uFan * uMs * h);
        double oneMinusZ2 = 1 - 2 * z[0] + z[1];
        h = z[1] * h + oneMinusZ2 * hh[1] * (1 + z[0] * rho) / (1 - z[0] * rho);
        rhoOut = (z[0] + rho) / (1 + z[0] * rho);
        hMean = 0;
        d = oneMinusZ2 * derivativeSquare(act, 0, inQ + r[1] * uFan * uMs * h);
        carry = z[1];
        paths = 3;
      } else {
        double[] s = moments(act, 0, pre);
        rhoOut = pre > 0 ? (uFan * uMs * h + rho * inQ) / pre : 0;
        h = s[1];
        hMean = s[0];
        d = derivativeSquare(act, 0, pre);
        carry = Math.min(1, units * uMs * d);
      }
      sumQ += h;
      sumMean += hMean;
    }
    // backward to x_t: the kernel's columns of one path, the candidate's derivative, and the
    // gradient carried back from later steps (all of them for a sequence, the last one otherwise)
    double later = carry >= 1 ? n : (1 - Math.pow(carry, n)) / (1 - carry);
    double inputBack =
        k.weight().shape().dim(-1)
            / (double) paths
            * meanSquare(k)
            * d
            * (sequence ? later : later / n);
    // a sequence's elements are every step's state: the average over the steps
    return new RecurrentOut(
        sequence ? new Signal(sumMean / n, sumQ / n, units, rhoOut) : new Signal(hMean, h, units),
        inputBack);
  }

  private static int steps(ConfigLayers.Entry e, long[] recorded) {
    long[] s = shapeOf(e, recorded);
    if (s.length >= 3 && s[1] > 0) {
      return (int) Math.min(1000, s[1]);
    }
    return DEFAULT_STEPS;
  }

  // ------------------------------------------------------------------------------------------
  // weights

  private double meanSquare(WeightEntry e) {
    if (observed) {
      return e.observed() == null ? Double.NaN : e.observed().meanSquare();
    }
    return e.expectedStd() * e.expectedStd() + e.expectedMean() * e.expectedMean();
  }

  private double mean(WeightEntry e) {
    if (observed) {
      return e.observed() == null ? Double.NaN : e.observed().mean();
    }
    return e.expectedMean();
  }

  private static WeightEntry find(List<WeightEntry> ws, WeightRole role) {
    for (WeightEntry e : ws) {
      if (e.weight().role() == role) {
        return e;
      }
    }
    return null;
  }

  /**
   * The kernel of an attention sub-layer ({@code value}, {@code output}/{@code attention_output}).
   */
  private static WeightEntry named(List<WeightEntry> ws, String part) {
    return named(ws, part, WeightRole.KERNEL);
  }

  private static WeightEntry named(List<WeightEntry> ws, String part, WeightRole role) {
    for (WeightEntry e : ws) {
      String n = e.weight().name();
      if (e.weight().role() == role
          && (n.contains("/" + part + "/")
              || n.contains(part + "_dense/")
              || n.contains("attention_" + part + "/")
              || n.startsWith(part + "/"))) {
        return e;
      }
    }
    return null;
  }
}
