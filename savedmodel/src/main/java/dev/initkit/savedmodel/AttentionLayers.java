package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.Weight;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * EinsumDense and the attention layers (Attention, AdditiveAttention, MultiHeadAttention,
 * GroupQueryAttention) as Keras computes them, inputs (query, value[, key]); no masks.
 */
final class AttentionLayers {
  static final Set<String> CLASSES =
      Set.of(
          "Attention",
          "AdditiveAttention",
          "MultiHeadAttention",
          "GroupQueryAttention",
          "GroupedQueryAttention");

  private final ExportContext cx;
  private final Ops tf;
  private final Activations act;

  AttentionLayers(ExportContext cx, Activations act) {
    this.cx = cx;
    this.tf = cx.tf;
    this.act = act;
  }

  GraphValue apply(LayerCall e, List<GraphValue> ins, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    if (ins.size() < 2 || ins.size() > 3) {
      throw cx.unsupported(e.name(), e.className() + " with " + ins.size() + " inputs");
    }
    if (c.path("return_attention_scores").asBoolean(false) || c.path("causal").asBoolean(false)) {
      throw cx.unsupported(e.name(), e.className() + " with causal masking or attention scores");
    }
    GraphValue q = ins.get(0);
    GraphValue v = ins.get(1);
    GraphValue k = ins.size() > 2 ? ins.get(2) : v;
    if (q.rank() != 3 || v.rank() != 3 || k.rank() != 3) {
      throw cx.unsupported(
          e.name(), e.className() + " over inputs that are not (batch, steps, features)");
    }
    switch (e.className()) {
      case "Attention":
      case "AdditiveAttention":
        return luongOrBahdanau(e, q, v, k, ws);
      case "MultiHeadAttention":
        return multiHead(e, q, v, k, ws);
      default:
        return groupQuery(e, q, v, k, ws);
    }
  }

  /** Attention (dot or concat scores) and AdditiveAttention: softmax(scores(q, k)) @ v. */
  private GraphValue luongOrBahdanau(
      LayerCall e, GraphValue q, GraphValue v, GraphValue k, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    boolean additive = e.className().equals("AdditiveAttention");
    boolean scale = c.path("use_scale").asBoolean(additive);
    String mode = additive ? "additive" : c.path("score_mode").asText("dot");
    int i = 0;
    Operand<TFloat32> s = scale ? cx.variable(e, ws, i++) : null;
    Operand<TFloat32> scores;
    if (mode.equals("dot")) {
      scores = tf.linalg.einsum(List.of(q.op(), k.op()), "bqd,bkd->bqk");
      if (s != null) {
        scores = tf.math.mul(scores, s);
      }
    } else {
      // (B, Tq, 1, d) + (B, 1, Tv, d), reduced over d
      Operand<TFloat32> sum =
          tf.math.add(
              tf.expandDims(q.op(), tf.constant(-2)), tf.expandDims(k.op(), tf.constant(-3)));
      if (additive) {
        Operand<TFloat32> t = tf.math.tanh(sum);
        scores = tf.sum(s == null ? t : tf.math.mul(s, t), tf.constant(-1));
      } else if (mode.equals("concat")) {
        Operand<TFloat32> t = tf.math.tanh(s == null ? sum : tf.math.mul(s, sum));
        scores = tf.math.mul(cx.variable(e, ws, i), tf.sum(t, tf.constant(-1)));
      } else {
        throw cx.unsupported(e.name(), "Attention score_mode " + mode);
      }
    }
    Operand<TFloat32> y = tf.linalg.einsum(List.of(tf.nn.softmax(scores), v.op()), "bqk,bkd->bqd");
    return new GraphValue(y, new long[] {-1, q.dim(1), v.last()});
  }

  private Operand<TFloat32> projection(
      LayerCall e, Operand<TFloat32> x, List<Weight> ws, int i, boolean bias, String equation)
      throws UnsupportedModelException {
    Operand<TFloat32> y = tf.linalg.einsum(List.of(x, cx.variable(e, ws, i)), equation);
    return bias ? tf.math.add(y, cx.variable(e, ws, i + 1)) : y;
  }

  /**
   * MultiHeadAttention over axis 1: projections (query, key, value, output), each kernel then bias.
   */
  private GraphValue multiHead(
      LayerCall e, GraphValue q, GraphValue v, GraphValue k, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    JsonNode axes = c.path("attention_axes");
    if (!(axes.isNull()
        || axes.isMissingNode()
        || axes.isArray() && axes.size() == 1 && axes.get(0).asInt() == 1)) {
      throw cx.unsupported(e.name(), "MultiHeadAttention over attention_axes " + axes);
    }
    if (c.hasNonNull("output_shape")) {
      throw cx.unsupported(e.name(), "MultiHeadAttention with output_shape");
    }
    boolean bias = c.path("use_bias").asBoolean(true);
    int per = bias ? 2 : 1;
    long keyDim = c.path("key_dim").asLong();
    Operand<TFloat32> query = projection(e, q.op(), ws, 0, bias, "abc,cde->abde");
    Operand<TFloat32> key = projection(e, k.op(), ws, per, bias, "abc,cde->abde");
    Operand<TFloat32> value = projection(e, v.op(), ws, 2 * per, bias, "abc,cde->abde");
    query = tf.math.mul(query, tf.constant((float) (1.0 / Math.sqrt(keyDim))));
    Operand<TFloat32> scores =
        tf.nn.softmax(tf.linalg.einsum(List.of(key, query), "aecd,abcd->acbe"));
    Operand<TFloat32> heads = tf.linalg.einsum(List.of(scores, value), "acbe,aecd->abcd");
    Operand<TFloat32> y = projection(e, heads, ws, 3 * per, bias, "abcd,cde->abe");
    Weight out = ws.get(3 * per);
    return new GraphValue(y, new long[] {-1, q.dim(1), out.shape().dim(out.shape().rank() - 1)});
  }

  /** Keras 3's GroupQueryAttention: key/value heads repeated to the query heads. */
  private GraphValue groupQuery(
      LayerCall e, GraphValue q, GraphValue v, GraphValue k, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    boolean bias = c.path("use_bias").asBoolean(true);
    int per = bias ? 2 : 1;
    long headDim = c.path("head_dim").asLong();
    long qHeads = c.path("num_query_heads").asLong();
    long kvHeads = c.path("num_key_value_heads").asLong();
    if (kvHeads <= 0 || qHeads % kvHeads != 0) {
      throw cx.unsupported(
          e.name(), "GroupQueryAttention of " + qHeads + " query heads over " + kvHeads);
    }
    if (c.path("use_gate").asBoolean(false) || c.path("use_causal_mask").asBoolean(false)) {
      throw cx.unsupported(e.name(), "GroupQueryAttention with a gate or a causal mask");
    }
    Operand<TFloat32> query = projection(e, q.op(), ws, 0, bias, "bqm,muh->bquh");
    Operand<TFloat32> key =
        repeatHeads(
            projection(e, k.op(), ws, per, bias, "bkm,muh->bkuh"),
            k.dim(1),
            kvHeads,
            qHeads / kvHeads,
            headDim);
    Operand<TFloat32> value =
        repeatHeads(
            projection(e, v.op(), ws, 2 * per, bias, "bkm,muh->bkuh"),
            v.dim(1),
            kvHeads,
            qHeads / kvHeads,
            headDim);
    query = tf.math.mul(query, tf.constant((float) (1.0 / Math.sqrt(headDim))));
    Operand<TFloat32> scores =
        tf.nn.softmax(tf.linalg.einsum(List.of(query, key), "bquh,bkuh->buqk"));
    Operand<TFloat32> heads = tf.linalg.einsum(List.of(scores, value), "buqk,bkuh->bquh");
    Operand<TFloat32> y = projection(e, heads, ws, 3 * per, bias, "bquh,uhm->bqm");
    Weight out = ws.get(3 * per);
    return new GraphValue(y, new long[] {-1, q.dim(1), out.shape().dim(out.shape().rank() - 1)});
  }

  /**
   * (B, T, H, D) to (B, T, H * n, D), each head repeated n times in place (ops.repeat on axis 2).
   */
  private Operand<TFloat32> repeatHeads(
      Operand<TFloat32> x, long steps, long heads, long n, long dim) {
    Operand<TFloat32> t =
        tf.tile(tf.expandDims(x, tf.constant(3)), tf.constant(new long[] {1, 1, 1, n, 1}));
    return tf.reshape(t, tf.constant(new long[] {-1, steps, heads * n, dim}));
  }

  /**
   * EinsumDense: einsum(x, kernel), the bias broadcast over the output axes after its first one.
   */
  GraphValue einsumDense(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    String eq = c.path("equation").asText().replace(" ", "");
    String[] sides = eq.split("->");
    String[] ins = sides.length == 2 ? sides[0].split(",") : new String[0];
    if (ins.length != 2 || eq.contains("...")) {
      throw cx.unsupported(e.name(), "EinsumDense equation " + eq);
    }
    Weight kw = ws.isEmpty() ? null : ws.get(0);
    if (kw == null || ins[0].length() != x.rank() || ins[1].length() != kw.shape().rank()) {
      throw cx.unsupported(e.name(), "EinsumDense equation " + eq + " for these shapes");
    }
    Map<Character, Long> dims = new HashMap<>();
    for (int i = 0; i < ins[0].length(); i++) {
      dims.put(ins[0].charAt(i), x.dim(i));
    }
    for (int i = 0; i < ins[1].length(); i++) {
      dims.put(ins[1].charAt(i), kw.shape().dim(i));
    }
    String out = sides[1];
    long[] shape = new long[out.length()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = i == 0 ? -1 : dims.getOrDefault(out.charAt(i), -1L);
    }
    Operand<TFloat32> y = tf.linalg.einsum(List.of(x.op(), cx.variable(e, ws, 0)), eq);
    String biasAxes = c.path("bias_axes").isTextual() ? c.path("bias_axes").asText() : "";
    if (!biasAxes.isEmpty()) {
      int first = out.length();
      for (char a : biasAxes.toCharArray()) {
        first = Math.min(first, out.indexOf(a));
      }
      List<Long> b = new ArrayList<>();
      for (int i = first; i < out.length(); i++) {
        b.add(biasAxes.indexOf(out.charAt(i)) >= 0 ? shape[i] : 1L);
      }
      Operand<TFloat32> bias =
          tf.reshape(
              cx.variable(e, ws, 1), tf.constant(b.stream().mapToLong(Long::longValue).toArray()));
      y = tf.math.add(y, bias);
    }
    return act.apply(e, new GraphValue(y, shape));
  }
}
