package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.ConfigLayers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The calls a Keras model config records, in any generation: which layer is called on which outputs
 * of which earlier calls. A Sequential is a chain; a Functional names each call's inputs as {@code
 * [layer, node, tensor]} (Keras 1/2 lists, Keras 3 {@code keras_history} in the call's {@code args}
 * and {@code kwargs}). A nested model is one layer here; {@link #nested} opens it.
 */
public final class CallGraph {
  /** Output {@code tensor} of call {@code node} of {@code layer}. */
  public record Ref(String layer, int node, int tensor) {}

  /**
   * One call of a layer: its config entry and the outputs it is called on, in argument order, with
   * their shapes where the config records them (Keras 3; {@code -1} for an unknown dimension, an
   * empty array when not recorded).
   */
  public record Call(ConfigLayers.Entry entry, int node, List<Ref> inputs, List<long[]> shapes) {
    /** The shape of input {@code i}, or an empty array. */
    public long[] shape(int i) {
      return i < shapes.size() ? shapes.get(i).clone() : new long[0];
    }
  }

  private final boolean sequential;
  private final Map<String, ConfigLayers.Entry> entries = new LinkedHashMap<>();
  private final Map<String, List<Call>> calls = new LinkedHashMap<>();
  private final List<Ref> inputs = new ArrayList<>();
  private final List<Ref> outputs = new ArrayList<>();

  private CallGraph(boolean sequential) {
    this.sequential = sequential;
  }

  /**
   * The graph of a model config object ({@code {"class_name", "config"}}).
   *
   * @throws IllegalArgumentException naming the field when the structure is not a model config
   */
  public static CallGraph of(JsonNode modelConfig) {
    List<ConfigLayers.Entry> list = ConfigLayers.entries(modelConfig);
    CallGraph g =
        new CallGraph(
            ConfigLayers.isSequential(modelConfig) || modelConfig.path("config").isArray());
    for (ConfigLayers.Entry e : list) {
      g.entries.put(e.name(), e);
    }
    if (g.sequential) {
      Ref previous = null;
      for (ConfigLayers.Entry e : list) {
        if (previous == null) {
          // the model input: an InputLayer, or the first layer's own input shape
          Ref in = new Ref(e.className().equals("InputLayer") ? e.name() : "", 0, 0);
          g.inputs.add(in);
          if (e.className().equals("InputLayer")) {
            previous = in;
            continue;
          }
          previous = in;
        }
        g.calls.put(e.name(), List.of(new Call(e, 0, List.of(previous), List.of())));
        previous = new Ref(e.name(), 0, 0);
      }
      if (previous != null) {
        g.outputs.add(previous);
      }
      return g;
    }
    for (ConfigLayers.Entry e : list) {
      List<Call> cs = new ArrayList<>();
      int node = 0;
      for (JsonNode n : e.raw().path("inbound_nodes")) {
        List<Ref> refs = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        if (n.isArray()) {
          for (JsonNode x : n) {
            refs.add(ref(x));
          }
        } else {
          collect(n.path("args"), refs, shapes);
          collect(n.path("kwargs"), refs, shapes);
        }
        cs.add(new Call(e, node++, refs, shapes));
      }
      g.calls.put(e.name(), cs);
    }
    JsonNode cfg = modelConfig.path("config");
    refs(cfg.path("input_layers"), g.inputs);
    refs(cfg.path("output_layers"), g.outputs);
    return g;
  }

  /** The graph of a nested model's entry (a Functional or Sequential used as a layer). */
  public static CallGraph nested(ConfigLayers.Entry entry) {
    return of(entry.raw());
  }

  private static Ref ref(JsonNode x) {
    if (!x.isArray() || x.size() < 1) {
      throw new IllegalArgumentException("inbound node: expected [layer, node, tensor], got " + x);
    }
    return new Ref(x.get(0).asText(), x.path(1).asInt(0), x.path(2).asInt(0));
  }

  /** Keras 3 tensors ({@code keras_history}) anywhere in a call's arguments, in order. */
  private static void collect(JsonNode n, List<Ref> out, List<long[]> shapes) {
    if (n.isObject()) {
      JsonNode h = n.path("config").path("keras_history");
      if (n.path("class_name").asText().equals("__keras_tensor__") && h.isArray()) {
        out.add(ref(h));
        JsonNode s = n.path("config").path("shape");
        long[] shape = new long[s.isArray() ? s.size() : 0];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = s.get(i).isNumber() ? s.get(i).asLong() : -1;
        }
        shapes.add(shape);
        return;
      }
      n.forEach(v -> collect(v, out, shapes));
    } else if (n.isArray()) {
      n.forEach(v -> collect(v, out, shapes));
    }
  }

  /** {@code input_layers}/{@code output_layers}: a list of refs, or Keras 3's single flat ref. */
  private static void refs(JsonNode n, List<Ref> out) {
    if (n.isArray() && n.size() > 0 && !n.get(0).isArray()) {
      out.add(ref(n));
    } else {
      n.forEach(x -> out.add(ref(x)));
    }
  }

  /** True for a Sequential: one chain from {@link #inputs}'s only ref. */
  public boolean sequential() {
    return sequential;
  }

  /** The layer entries, in config order. */
  public Map<String, ConfigLayers.Entry> entries() {
    return java.util.Collections.unmodifiableMap(entries);
  }

  /** The calls of {@code layer}, in node order (empty for an input layer or an unknown name). */
  public List<Call> calls(String layer) {
    return calls.getOrDefault(layer, List.of());
  }

  /**
   * The call a ref names. Node numbers of nested models differ between tf-keras (which counts the
   * model's own first node) and Keras 3; a number past the calls recorded means the last one.
   */
  public Call call(Ref ref) {
    List<Call> cs = calls(ref.layer());
    if (cs.isEmpty()) {
      return null;
    }
    return cs.get(Math.max(0, Math.min(ref.node(), cs.size() - 1)));
  }

  /** The model's inputs; a Sequential without an InputLayer has one ref to layer {@code ""}. */
  public List<Ref> inputs() {
    return List.copyOf(inputs);
  }

  /** The model's outputs. */
  public List<Ref> outputs() {
    return List.copyOf(outputs);
  }
}
