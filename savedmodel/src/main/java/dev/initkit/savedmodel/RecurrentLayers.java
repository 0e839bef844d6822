package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.Weight;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.types.TFloat32;

/** SimpleRNN, LSTM and GRU unrolled over a static number of steps, and Bidirectional over them. */
final class RecurrentLayers {
  static final Set<String> CLASSES = Set.of("SimpleRNN", "LSTM", "GRU");

  private final ExportContext cx;
  private final Ops tf;
  private final Activations act;

  RecurrentLayers(ExportContext cx, Activations act) {
    this.cx = cx;
    this.tf = cx.tf;
    this.act = act;
  }

  GraphValue recurrent(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    List<Operand<TFloat32>> hs = steps(e, x, ws, e.config().path("go_backwards").asBoolean(false));
    return sequenceOrLast(e, hs, ws.get(1).shape().dim(0));
  }

  /**
   * ConvLSTM1D/2D/3D: an LSTM whose products are convolutions (the input's with the layer's
   * padding, strides and dilation; the state's "same" with stride 1), unrolled over the steps.
   */
  GraphValue convLstm(LayerCall e, GraphValue x, List<Weight> ws, ConvolutionLayers conv)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    cx.checkChannelsLast(e);
    cx.checkStatic(e, x);
    if (c.path("return_state").asBoolean(false) || c.path("stateful").asBoolean(false)) {
      throw cx.unsupported(e.name(), e.className() + " with return_state or stateful");
    }
    int n = x.rank() - 3;
    String padding = cx.padding(e);
    long[] k = ExportContext.longs(c.path("kernel_size"), n);
    long[] s = ExportContext.longs(c.path("strides"), n);
    long[] d = ExportContext.longs(c.path("dilation_rate"), n);
    long[] ones = new long[n];
    java.util.Arrays.fill(ones, 1);
    Operand<TFloat32> kernel = cx.variable(e, ws, 0);
    Operand<TFloat32> rec = cx.variable(e, ws, 1);
    Operand<TFloat32> b = c.path("use_bias").asBoolean(true) ? cx.variable(e, ws, 2) : null;
    long filters = c.path("filters").asLong();
    String a = c.path("activation").asText("tanh");
    String recAct = c.path("recurrent_activation").asText("sigmoid");
    List<Operand<TFloat32>> xs =
        new ArrayList<>(tf.unstack(x.op(), x.dim(1), Unstack.axis(1L)).output());
    if (c.path("go_backwards").asBoolean(false)) {
      Collections.reverse(xs);
    }
    Operand<TFloat32> h = null;
    Operand<TFloat32> cell = null;
    List<Operand<TFloat32>> hs = new ArrayList<>();
    for (Operand<TFloat32> xt : xs) {
      Operand<TFloat32> z = conv.convolve(xt, kernel, n, s, d, padding);
      if (b != null) {
        z = tf.nn.biasAdd(z, b);
      }
      if (h == null) { // the zero state, shaped like one gate of the first step
        h = tf.zerosLike(split(z, 4).get(0));
        cell = h;
      }
      z = tf.math.add(z, conv.convolve(h, rec, n, ones, ones, "SAME"));
      List<Operand<TFloat32>> g = split(z, 4);
      Operand<TFloat32> i = act.apply(e, recAct, g.get(0));
      Operand<TFloat32> f = act.apply(e, recAct, g.get(1));
      Operand<TFloat32> o = act.apply(e, recAct, g.get(3));
      cell = tf.math.add(tf.math.mul(f, cell), tf.math.mul(i, act.apply(e, a, g.get(2))));
      h = tf.math.mul(o, act.apply(e, a, cell));
      hs.add(h);
    }
    long[] step = new long[n + 2];
    step[0] = -1;
    for (int i = 0; i < n; i++) {
      step[i + 1] = ExportContext.outLength(x.dim(i + 2), k[i], s[i], d[i], padding);
    }
    step[n + 1] = filters;
    if (c.path("return_sequences").asBoolean(false)) {
      long[] shape = new long[n + 3];
      shape[0] = -1;
      shape[1] = hs.size();
      System.arraycopy(step, 1, shape, 2, n + 1);
      return new GraphValue(tf.stack(hs, Stack.axis(1L)), shape);
    }
    return new GraphValue(h, step);
  }

  /**
   * RNN over a SimpleRNNCell, LSTMCell or GRUCell (the matching layer, with the RNN's own options),
   * or over StackedRNNCells (each cell's sequence feeds the next; the last follows the RNN's
   * options).
   */
  GraphValue cells(LayerCall e, GraphValue x, List<Weight> ws) throws UnsupportedModelException {
    JsonNode c = e.config();
    JsonNode cell = c.path("cell");
    List<JsonNode> cells = new ArrayList<>();
    if (cell.path("class_name").asText().equals("StackedRNNCells")) {
      cell.path("config").path("cells").forEach(cells::add);
    } else {
      cells.add(cell);
    }
    if (cells.isEmpty()) {
      throw cx.unsupported(e.name(), "RNN without a cell");
    }
    GraphValue y = x;
    int first = 0;
    for (int i = 0; i < cells.size(); i++) {
      JsonNode k = cells.get(i);
      String cls = k.path("class_name").asText();
      if (!cls.endsWith("Cell") || !CLASSES.contains(cls.substring(0, cls.length() - 4))) {
        throw cx.unsupported(e.name(), "RNN over " + cls);
      }
      com.fasterxml.jackson.databind.node.ObjectNode cfg = k.path("config").deepCopy();
      boolean last = i == cells.size() - 1;
      for (String key : List.of("return_state", "stateful", "time_major")) {
        cfg.set(key, c.path(key));
      }
      cfg.put("return_sequences", !last || c.path("return_sequences").asBoolean(false));
      // a stack runs its cells together over one direction: reversed input once, for the first
      cfg.put("go_backwards", i == 0 && c.path("go_backwards").asBoolean(false));
      int n = cfg.path("use_bias").asBoolean(true) ? 3 : 2;
      if (first + n > ws.size()) {
        throw cx.unsupported(e.name(), "RNN cells with " + ws.size() + " weights");
      }
      LayerCall one = e.withInner(cls.substring(0, cls.length() - 4), cfg);
      List<Operand<TFloat32>> hs = steps(one, y, ws, first, cfg.path("go_backwards").asBoolean());
      y = sequenceOrLast(one, hs, ws.get(first + 1).shape().dim(0));
      first += n;
    }
    return y;
  }

  /**
   * Bidirectional: the forward layer's weights then the backward one's; the backward run's sequence
   * is flipped back to time order before merging, as Keras does.
   */
  GraphValue bidirectional(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    JsonNode inner = c.path("layer");
    String cls = inner.path("class_name").asText();
    if (!CLASSES.contains(cls)) {
      throw cx.unsupported(e.name(), "Bidirectional of " + cls);
    }
    String mode = c.path("merge_mode").isNull() ? "none" : c.path("merge_mode").asText("concat");
    if (ws.size() % 2 != 0) {
      throw cx.unsupported(e.name(), "Bidirectional with " + ws.size() + " weights");
    }
    JsonNode back =
        c.path("backward_layer").path("class_name").asText(cls).equals(cls) ? inner : null;
    if (back == null) {
      throw cx.unsupported(e.name(), "Bidirectional with a backward layer of another class");
    }
    LayerCall f = e.withInner(cls, inner.path("config"));
    boolean fwdBackwards = inner.path("config").path("go_backwards").asBoolean(false);
    List<Weight> fw = ws.subList(0, ws.size() / 2);
    List<Weight> bw = ws.subList(ws.size() / 2, ws.size());
    List<Operand<TFloat32>> fh = steps(f, x, ws, 0, fwdBackwards);
    List<Operand<TFloat32>> bh = new ArrayList<>(steps(f, x, ws, fw.size(), !fwdBackwards));
    Collections.reverse(bh);
    long units = fw.get(1).shape().dim(0);
    boolean sequences = inner.path("config").path("return_sequences").asBoolean(false);
    GraphValue a = sequenceOrLast(f, fh, units);
    // the last state of the backward run is its last step, in processing order
    GraphValue b =
        sequences
            ? sequenceOrLast(f, bh, units)
            : new GraphValue(bh.get(0), new long[] {-1, units});
    switch (mode) {
      case "concat":
        {
          long[] shape = a.shape();
          shape[shape.length - 1] = 2 * units;
          return new GraphValue(tf.concat(List.of(a.op(), b.op()), tf.constant(-1)), shape);
        }
      case "sum":
        return new GraphValue(tf.math.add(a.op(), b.op()), a.shape());
      case "mul":
        return new GraphValue(tf.math.mul(a.op(), b.op()), a.shape());
      case "ave":
        return new GraphValue(
            tf.math.mul(tf.math.add(a.op(), b.op()), tf.constant(0.5f)), a.shape());
      default:
        throw cx.unsupported(e.name(), "Bidirectional with merge_mode " + mode + " (two outputs)");
    }
  }

  private GraphValue sequenceOrLast(LayerCall e, List<Operand<TFloat32>> hs, long units) {
    if (e.config().path("return_sequences").asBoolean(false)) {
      return new GraphValue(tf.stack(hs, Stack.axis(1L)), new long[] {-1, hs.size(), units});
    }
    return new GraphValue(hs.get(hs.size() - 1), new long[] {-1, units});
  }

  private List<Operand<TFloat32>> steps(
      LayerCall e, GraphValue x, List<Weight> ws, boolean backwards)
      throws UnsupportedModelException {
    return steps(e, x, ws, 0, backwards);
  }

  /** The hidden state after each step, in processing order; weights from {@code first} on. */
  private List<Operand<TFloat32>> steps(
      LayerCall e, GraphValue x, List<Weight> ws, int first, boolean backwards)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    String cls = e.className();
    if (x.rank() != 3 || x.dim(1) < 0) {
      throw cx.unsupported(
          e.name(), cls + " over a sequence of unknown length (the graph unrolls time steps)");
    }
    if (c.path("return_state").asBoolean(false)
        || c.path("stateful").asBoolean(false)
        || c.path("time_major").asBoolean(false)) {
      throw cx.unsupported(e.name(), cls + " with return_state, stateful or time_major");
    }
    long steps = x.dim(1);
    List<Weight> own = ws.subList(first, ws.size());
    int gateCount = cls.contains("LSTM") ? 4 : cls.contains("GRU") ? 3 : 1;
    if (own.size() >= 2
        && (own.get(0).shape().rank() != 2
            || own.get(1).shape().rank() != 2
            || own.get(0).shape().dim(1) != gateCount * own.get(1).shape().dim(0))) {
      // Keras 1 stored one kernel, recurrent kernel and bias per gate (12 arrays for an LSTM)
      throw cx.unsupported(
          e.name(),
          cls
              + " weights that are not one kernel of "
              + gateCount
              + " x units columns ("
              + own.size()
              + " arrays, the first "
              + own.get(0).shape()
              + "; Keras 1's per-gate layout)");
    }
    Operand<TFloat32> kernel = cx.variable(e, ws, first);
    Operand<TFloat32> rec = cx.variable(e, ws, first + 1);
    boolean bias = c.path("use_bias").asBoolean(true);
    Operand<TFloat32> b = bias ? cx.variable(e, ws, first + 2) : null;
    long units = own.get(1).shape().dim(0);
    String a = c.path("activation").asText("tanh");
    String recAct = c.path("recurrent_activation").asText("sigmoid");
    List<Operand<TFloat32>> xs =
        new ArrayList<>(tf.unstack(x.op(), steps, Unstack.axis(1L)).output());
    if (backwards) {
      Collections.reverse(xs);
    }
    // the zero state, shaped from the batch: x_0 * 0 (batch, in) times a zero (in, units) matrix
    long features = x.last();
    if (features < 0 || features * units > Integer.MAX_VALUE) {
      throw cx.unsupported(e.name(), cls + " over inputs of unknown width");
    }
    Operand<TFloat32> zeros =
        tf.reshape(
            tf.constant(new float[(int) (features * units)]),
            tf.constant(new long[] {features, units}));
    if (cx.training != null) {
      cx.projections.putIfAbsent(
          e.scope(),
          tf.linalg.matMul(tf.reshape(x.op(), tf.constant(new long[] {-1, features})), kernel));
    }
    Operand<TFloat32> zero = tf.linalg.matMul(tf.math.mul(xs.get(0), tf.constant(0f)), zeros);
    Operand<TFloat32> h = zero;
    Operand<TFloat32> cell = zero;
    boolean resetAfter = cls.equals("GRU") && c.path("reset_after").asBoolean(true);
    List<Operand<TFloat32>> hs = new ArrayList<>();
    for (Operand<TFloat32> xt : xs) {
      switch (cls) {
        case "SimpleRNN":
          {
            Operand<TFloat32> z =
                tf.math.add(tf.linalg.matMul(xt, kernel), tf.linalg.matMul(h, rec));
            if (b != null) {
              z = tf.nn.biasAdd(z, b);
            }
            h = act.apply(e, a, z);
            break;
          }
        case "LSTM":
          {
            Operand<TFloat32> z =
                tf.math.add(tf.linalg.matMul(xt, kernel), tf.linalg.matMul(h, rec));
            if (b != null) {
              z = tf.nn.biasAdd(z, b);
            }
            List<Operand<TFloat32>> gates = split(z, 4);
            Operand<TFloat32> i = act.apply(e, recAct, gates.get(0));
            Operand<TFloat32> f = act.apply(e, recAct, gates.get(1));
            Operand<TFloat32> cc = act.apply(e, a, gates.get(2));
            Operand<TFloat32> o = act.apply(e, recAct, gates.get(3));
            cell = tf.math.add(tf.math.mul(f, cell), tf.math.mul(i, cc));
            h = tf.math.mul(o, act.apply(e, a, cell));
            break;
          }
        default:
          { // GRU, gates z, r, h
            Operand<TFloat32> inBias = null;
            Operand<TFloat32> recBias = null;
            if (b != null) {
              if (resetAfter) {
                List<Operand<TFloat32>> bb = new ArrayList<>(tf.unstack(b, 2L).output());
                inBias = bb.get(0);
                recBias = bb.get(1);
              } else {
                inBias = b;
              }
            }
            Operand<TFloat32> xz = tf.linalg.matMul(xt, kernel);
            if (inBias != null) {
              xz = tf.nn.biasAdd(xz, inBias);
            }
            List<Operand<TFloat32>> xg = split(xz, 3);
            Operand<TFloat32> hh;
            Operand<TFloat32> zg;
            if (resetAfter) {
              Operand<TFloat32> hz = tf.linalg.matMul(h, rec);
              if (recBias != null) {
                hz = tf.nn.biasAdd(hz, recBias);
              }
              List<Operand<TFloat32>> hg = split(hz, 3);
              zg = act.apply(e, recAct, tf.math.add(xg.get(0), hg.get(0)));
              Operand<TFloat32> r = act.apply(e, recAct, tf.math.add(xg.get(1), hg.get(1)));
              hh = act.apply(e, a, tf.math.add(xg.get(2), tf.math.mul(r, hg.get(2))));
            } else {
              List<Operand<TFloat32>> u = split(rec, 3);
              zg = act.apply(e, recAct, tf.math.add(xg.get(0), tf.linalg.matMul(h, u.get(0))));
              Operand<TFloat32> r =
                  act.apply(e, recAct, tf.math.add(xg.get(1), tf.linalg.matMul(h, u.get(1))));
              hh =
                  act.apply(
                      e, a, tf.math.add(xg.get(2), tf.linalg.matMul(tf.math.mul(r, h), u.get(2))));
            }
            h = tf.math.add(tf.math.mul(zg, h), tf.math.mul(tf.math.sub(tf.constant(1f), zg), hh));
            break;
          }
      }
      hs.add(h);
    }
    return hs;
  }

  /** Splits the last axis into n equal parts (Keras's gate order). */
  private List<Operand<TFloat32>> split(Operand<TFloat32> z, int n) {
    return new ArrayList<>(tf.split(tf.constant(-1), z, (long) n).output());
  }
}
