package dev.initkit.transplant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import dev.initkit.Hint;
import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.Note;
import dev.initkit.TransplantException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.init.Initializer;
import dev.initkit.internal.ConfigViews;
import dev.initkit.keras.Recurrence;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.ModelView;
import dev.initkit.model.Quantization;
import dev.initkit.model.Shape;
import dev.initkit.model.StoredType;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.ConfigRewriter;
import dev.initkit.ops.GeneratedTensors;
import dev.initkit.ops.ProgressListener;
import dev.initkit.ops.QuantizedWeights;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.ops.WeightSite;
import dev.initkit.transplant.LayerMatcher.Pair;
import dev.initkit.transplant.LayerMatcher.Ref;
import dev.initkit.transplant.TransplantPlan.Entry;
import dev.initkit.transplant.TransplantPlan.LayerPair;
import dev.initkit.transplant.TransplantPlan.Unused;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Transplants pretrained weights from a source model into a target model of a possibly changed
 * architecture: {@link #plan} pairs the layers ({@link MatchStrategy}), pairs each layer's weights
 * (by role and index, or by position when a side's roles are unknown, as in a Keras 3 weights file
 * without config: file names, {@code :0} suffixes and class-derived archive paths never matter),
 * and decides for every target weight: loaded (same shape and dtype), adapted (an opted-in {@link
 * Adaptations adaptation}, or a floating-point dtype cast of a weight of the same shape, which
 * Keras's {@code load_weights} does too), initialized (drawn from the target's configured
 * initializers or the requested scheme, under the {@link dev.initkit.init.SeedContract}), or
 * skipped (its stored values kept when it cannot be drawn). {@link #apply} gives the target with
 * those values, streamed tensor by tensor when written. Stateless and thread-safe.
 */
public final class Transplanter {
  private Transplanter() {}

  /** A decision before the fresh draws are known. */
  private record Decision(
      WeightSite target,
      Action action,
      WeightSite source,
      String detail,
      boolean requested,
      Adapter adapter,
      Set<Hint> hints) {
    /** A decision whose detail names no part of the API. */
    Decision(
        WeightSite target,
        Action action,
        WeightSite source,
        String detail,
        boolean requested,
        Adapter adapter) {
      this(target, action, source, detail, requested, adapter, Set.of());
    }

    /** An adapted decision's detail: the adapter's description and the source weight. */
    Decision withDetail(String from) {
      return new Decision(
          target,
          action,
          source,
          adapter.describe() + " (from " + from + ")",
          requested,
          adapter,
          hints);
    }
  }

  /**
   * Plans a transplant from {@code source} into {@code target}.
   *
   * @throws TransplantException ({@link TransplantException.Kind#NOTHING_MATCHED}) when no target
   *     weight would get a value from the source; the message says what to try
   * @throws ModelFormatException when a target weight to draw has an invalid initializer config, or
   *     frozen layers' configs cannot be rewritten
   * @throws IOException when the config cannot be rewritten
   */
  public static TransplantPlan plan(Model source, Model target, TransplantOptions options)
      throws TransplantException, IOException {
    List<Ref> targets = LayerMatcher.refs(target);
    boolean classDerived =
        ConfigViews.of(source).isEmpty() && source.sourceFormat().equals("keras3-weights");
    List<Ref> sources =
        classDerived
            ? LayerMatcher.byStoredPath(LayerMatcher.refs(source))
            : LayerMatcher.refs(source);
    LayerMatcher.Result match =
        LayerMatcher.match(options.strategy(), options.mapping(), targets, sources, classDerived);
    Map<Layer, Pair> byTarget = new IdentityHashMap<>();
    for (Pair p : match.pairs()) {
      byTarget.put(p.target().layer(), p);
    }

    // the first convolution: the first layer with a kernel of rank 3 or more (a stem after a
    // Rescaling or Normalization layer is still the stem)
    Ref firstConv =
        targets.stream()
            .filter(
                r ->
                    r.sites().stream()
                        .anyMatch(
                            s ->
                                s.weight().role() == WeightRole.KERNEL
                                    && s.weight().shape().rank() >= 3))
            .findFirst()
            .orElse(null);
    List<Decision> decisions = new ArrayList<>();
    for (Ref t : targets) {
      Pair p = byTarget.get(t.layer());
      if (quantizedTarget(t, p, decisions)) {
        continue;
      }
      if (p == null) {
        String why = match.problems().getOrDefault(t.layer(), "no source layer matched");
        for (WeightSite s : t.sites()) {
          decisions.add(new Decision(s, Action.INITIALIZED, null, why, false, null));
        }
        continue;
      }
      Map<WeightSite, WeightSite> weights = pairWeights(t, p.source());
      for (WeightSite s : t.sites()) {
        WeightSite from = weights.get(s);
        if (from == null) {
          decisions.add(
              new Decision(
                  s,
                  Action.INITIALIZED,
                  null,
                  "matched layer " + p.source().path() + " has no weight " + s.seedName(),
                  false,
                  null));
        } else {
          decisions.add(decide(s, from, t, t == firstConv, options.adaptations()));
        }
      }
    }

    TensorBindings tensors =
        options.mapping() == null
            ? null
            : TensorBindings.resolve(source, target, options.mapping());
    if (tensors != null && !tensors.byTarget.isEmpty()) {
      decisions.replaceAll(d -> bound(d, tensors, options.mapping().origin()));
    }
    refuseUnreadSources(source, decisions, tensors);

    // the fresh draws: only for weights that need them, so an invalid initializer elsewhere does
    // not matter
    Set<String> needFresh = new HashSet<>();
    for (Decision d : decisions) {
      if (d.action() == Action.INITIALIZED || (d.adapter() != null && d.adapter().usesFresh())) {
        needFresh.add(d.target().weight().key());
      }
    }
    Map<String, Reinitializer.Entry> fresh = freshEntries(target, options, needFresh);

    List<Entry> entries = new ArrayList<>();
    for (Decision d : decisions) {
      Reinitializer.Entry f = fresh.get(d.target().weight().key());
      if (d.action() == Action.INITIALIZED) {
        if (f != null && f.drawn()) {
          entries.add(
              new Entry(
                  d.target(),
                  Action.INITIALIZED,
                  d.source(),
                  d.detail()
                      + "; drawn: "
                      + f.spec().describe()
                      + (f.unitForgetBias() ? " + forget-gate ones" : ""),
                  d.requested(),
                  f,
                  null,
                  d.hints()));
        } else {
          entries.add(
              new Entry(
                  d.target(),
                  Action.SKIPPED,
                  d.source(),
                  d.detail()
                      + "; the target's stored values kept ("
                      + (f == null ? "nothing to draw" : f.reason())
                      + ")",
                  false,
                  null,
                  null,
                  d.hints()));
        }
      } else if (d.action() == Action.ADAPTED) {
        String detail = d.detail();
        Reinitializer.Entry use = null;
        if (d.adapter().usesFresh()) {
          if (f != null && f.drawn()) {
            use = f;
            detail +=
                " (fresh: "
                    + f.spec().describe()
                    + (f.unitForgetBias() ? " + forget-gate ones" : "")
                    + ")";
          } else {
            detail +=
                " (fresh: the target's stored values, "
                    + (f == null ? "nothing to draw" : f.reason())
                    + ")";
          }
        }
        entries.add(
            new Entry(
                d.target(),
                Action.ADAPTED,
                d.source(),
                detail,
                false,
                use,
                d.adapter(),
                d.hints()));
      } else {
        entries.add(
            new Entry(
                d.target(), d.action(), d.source(), d.detail(), false, null, null, d.hints()));
      }
    }

    List<Unused> unused = unused(sources, byTarget, entries, tensors);
    List<LayerPair> pairs =
        match.pairs().stream()
            .map(p -> new LayerPair(p.target().path(), p.source().path(), p.how()))
            .toList();
    List<Note> notes = new ArrayList<>();
    if (tensors != null) {
      notes.addAll(tensors.notes);
    }
    if (!ConfigViews.of(source).isPresent()
        && options.strategy() == MatchStrategy.ORDER
        && source.sourceFormat().equals("keras3-weights")) {
      notes.add(
          Note.of(
              "the source is a Keras 3 weights file without config: its layers are in archive order (class-derived names),"
                  + " not model order; "
                  + Hint.MATCH_NAME.apiName()
                  + " pairs them by class-derived path",
              Hint.MATCH_NAME));
    }

    Model out = target;
    List<String> frozen = new ArrayList<>();
    if (options.freeze() != null) {
      Map<Layer, Map<String, JsonNode>> values = new LinkedHashMap<>();
      Map<Layer, String> paths = new IdentityHashMap<>();
      for (Entry e : entries) {
        if ((e.action() == Action.LOADED || e.action() == Action.ADAPTED)
            && options.freeze().matches(e.target())
            && !values.containsKey(e.target().layer())) {
          values.put(e.target().layer(), Map.of("trainable", BooleanNode.FALSE));
          paths.put(e.target().layer(), e.target().layerPath());
        }
      }
      out = ConfigRewriter.setLayerKeys(target, values);
      values.keySet().forEach(l -> frozen.add(paths.get(l)));
      if (frozen.isEmpty()) {
        notes.add(
            Note.of(
                Hint.FREEZE.apiName() + " " + options.freeze() + " selects no transplanted layer",
                Hint.FREEZE));
      }
    }
    if (!out.optimizerWeights().isEmpty()) {
      notes.add(
          Note.of(
              "the target's optimizer weights dropped ("
                  + out.optimizerWeights().size()
                  + " variables): their state belonged to its old weights"));
      out = out.withoutOptimizerWeights();
    }
    TransplantPlan plan =
        new TransplantPlan(
            out,
            entries,
            unused,
            pairs,
            options.strategy(),
            options.adaptations(),
            options.scheme().label(),
            options.seed(),
            frozen,
            notes);
    if (plan.transplanted() == 0) {
      throw nothingMatched(plan, options, targets, sources);
    }
    return plan;
  }

  /**
   * Fails when some target weight got no value from the source and was not meant to be fresh
   * ({@code strict}).
   *
   * @throws TransplantException ({@link TransplantException.Kind#UNMATCHED}) naming the first ones
   */
  public static void requireAllMatched(TransplantPlan plan) throws TransplantException {
    List<Entry> u = plan.unmatched();
    if (u.isEmpty()) {
      return;
    }
    String first =
        u.stream()
            .limit(3)
            .map(
                e ->
                    e.target().layerPath()
                        + "/"
                        + e.target().weight().shortName()
                        + " ("
                        + e.detail().split(";")[0]
                        + ")")
            .collect(Collectors.joining(", "));
    throw new TransplantException(
        TransplantException.Kind.UNMATCHED,
        "strict: "
            + u.size()
            + " of "
            + plan.entries().size()
            + " target weights got no value from the source: "
            + first
            + (u.size() > 3 ? ", ..." : ""),
        plan,
        hintsOf(u.stream().limit(3).toList()));
  }

  /**
   * {@link #apply(LoadedModel, LoadedModel, TransplantPlan, ProgressListener)} without a listener.
   */
  public static ModelView apply(LoadedModel source, LoadedModel target, TransplantPlan plan) {
    return apply(source, target, plan, ProgressListener.NONE);
  }

  /**
   * The target with the plan applied, as a view over both models' open tensors: keep {@code source}
   * and {@code target} open while using (writing) it, and close only them.
   *
   * @param listener told about each drawn tensor as a writer asks for it
   */
  public static ModelView apply(
      LoadedModel source, LoadedModel target, TransplantPlan plan, ProgressListener listener) {
    Map<String, GeneratedTensors.Draw> draws = new LinkedHashMap<>();
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, TransplantTensors.Feed> feeds = new HashMap<>();
    for (Entry e : plan.entries()) {
      Weight w = e.target().weight();
      if (e.fresh() != null && e.fresh().drawn()) {
        Initializer init = Initializer.of(e.fresh().spec(), w.role());
        if (e.fresh().unitForgetBias()) {
          init = Initializer.lstmUnitForgetBias(init);
        }
        draws.put(w.key(), new GeneratedTensors.Draw(init, e.fresh().streamSeed()));
        labels.put(w.key(), e.target().layerPath() + "/" + w.shortName());
      }
      if (e.action() == Action.LOADED || e.action() == Action.ADAPTED) {
        feeds.put(w.key(), new TransplantTensors.Feed(e.source().weight(), e.adapter()));
      }
    }
    GeneratedTensors fresh = new GeneratedTensors(target.tensors(), draws, labels, listener);
    return target
        .withModel(plan.output())
        .withTensors(new TransplantTensors(source.tensors(), fresh, feeds));
  }

  /** The outcome of {@link #transplant}. */
  public record Result(TransplantPlan plan, ModelIO.WriteResult written) {}

  /**
   * Opens both models, plans, checks ({@code strict}), and writes the target with the transplanted
   * weights to {@code out} atomically (the format from its name unless {@code write} says).
   *
   * @throws TransplantException when nothing matched, or {@code strict} and some weight is
   *     unmatched
   * @throws IllegalArgumentException when {@code out} is {@code from} or {@code to}
   * @throws IOException when a model cannot be read or the output written
   */
  public static Result transplant(
      Path from,
      Path to,
      Path out,
      TransplantOptions options,
      boolean strict,
      ModelIO.WriteOptions write)
      throws TransplantException, IOException {
    dev.initkit.internal.OutputSafety.check(java.util.List.of(from, to), out);
    try (LoadedModel src = ModelIO.open(from);
        LoadedModel dst = ModelIO.open(to)) {
      TransplantPlan plan = plan(src.model(), dst.model(), options);
      if (strict) {
        requireAllMatched(plan);
      }
      return new Result(plan, ModelIO.write(apply(src, dst, plan), out, write));
    }
  }

  /**
   * Pairs a layer's weights: by seed name (role and index) when both sides know roles, else by
   * position.
   */
  private static Map<WeightSite, WeightSite> pairWeights(Ref t, Ref s) {
    // a quantized layer's scales have no role, but its kernel and bias do (a legacy .h5 lists the
    // bias first)
    boolean roles =
        (Quantization.of(t.layer()).isPresent()
                || t.sites().stream().noneMatch(x -> x.weight().role() == WeightRole.OTHER))
            && (Quantization.of(s.layer()).isPresent()
                || s.sites().stream().noneMatch(x -> x.weight().role() == WeightRole.OTHER));
    Map<WeightSite, WeightSite> out = new HashMap<>();
    if (roles) {
      Map<String, WeightSite> bySeed = new HashMap<>();
      s.sites().forEach(x -> bySeed.put(x.seedName(), x));
      for (WeightSite x : t.sites()) {
        WeightSite m = bySeed.get(x.seedName());
        if (m != null) {
          out.put(x, m);
        }
      }
    } else {
      for (int i = 0; i < Math.min(t.sites().size(), s.sites().size()); i++) {
        out.put(t.sites().get(i), s.sites().get(i));
      }
    }
    return out;
  }

  /**
   * A quantized target layer keeps what it stores unless its source is quantized the same way with
   * the same shapes: codes and scales are copied together or not at all, and never drawn.
   *
   * @return true when the layer's decisions were added
   */
  private static boolean quantizedTarget(Ref t, Pair p, List<Decision> decisions) {
    Quantization q = Quantization.of(t.layer()).orElse(null);
    if (q == null) {
      return false;
    }
    Quantization sq = p == null ? null : Quantization.of(p.source().layer()).orElse(null);
    List<WeightSite> from = p == null ? List.of() : p.source().sites();
    boolean same = sq != null && sq.mode().equals(q.mode()) && from.size() == t.sites().size();
    for (int i = 0; same && i < from.size(); i++) {
      Weight a = t.sites().get(i).weight();
      Weight b = from.get(i).weight();
      same =
          a.shortName().equals(b.shortName())
              && a.shape().equals(b.shape())
              && a.dtype() == b.dtype();
    }
    if (same) {
      for (int i = 0; i < from.size(); i++) {
        decisions.add(
            new Decision(
                t.sites().get(i),
                Action.LOADED,
                from.get(i),
                "same quantization (" + q.mode() + "), shape and dtype",
                false,
                null));
      }
      return true;
    }
    String why =
        p == null
            ? "no source layer matched"
            : sq == null
                ? "source " + p.source().path() + " is not quantized"
                : "source "
                    + p.source().path()
                    + " is quantized differently ("
                    + sq.mode()
                    + ", or other shapes)";
    for (WeightSite s : t.sites()) {
      if (QuantizedWeights.of(s).isEmpty()) {
        continue; // the bias: decided below like any float weight
      }
      decisions.add(
          new Decision(
              s,
              Action.SKIPPED,
              null,
              "target is quantized ("
                  + q.mode()
                  + "): "
                  + why
                  + "; its codes and scales are kept as stored (quantized values are copied only from the same quantization,"
                  + " never drawn)",
              false,
              null));
    }
    // float weights of the layer (the bias) go through the ordinary rules
    List<WeightSite> floats =
        t.sites().stream().filter(s -> QuantizedWeights.of(s).isEmpty()).toList();
    if (p == null) {
      floats.forEach(
          s -> decisions.add(new Decision(s, Action.INITIALIZED, null, why, false, null)));
    } else {
      Map<WeightSite, WeightSite> pairs = pairWeights(t, p.source());
      for (WeightSite s : floats) {
        WeightSite src = pairs.get(s);
        decisions.add(
            src == null
                ? new Decision(
                    s,
                    Action.INITIALIZED,
                    null,
                    "matched layer " + p.source().path() + " has no weight " + s.seedName(),
                    false,
                    null)
                : decide(s, src, t, false, Adaptations.none()));
      }
    }
    return true;
  }

  private static Decision decide(
      WeightSite t, WeightSite s, Ref layer, boolean firstConv, Adaptations a) {
    Weight tw = t.weight();
    Weight sw = s.weight();
    String from = s.layerPath() + "/" + sw.shortName();
    java.util.Optional<Quantization> sq =
        QuantizedWeights.of(s)
            .filter(q -> q.part(sw.shortName()) != Quantization.Part.SCALED_FLOAT);
    if (sq.isPresent()) {
      // int codes stand for the float kernel only with their scale (a float8 kernel is the float
      // kernel itself)
      return new Decision(
          t,
          Action.INITIALIZED,
          s,
          "source "
              + from
              + " is quantized ("
              + QuantizedWeights.describe(sq.get(), sw)
              + "), not a float "
              + tw.role().label()
              + ": not copied",
          false,
          null);
    }
    Shape ts = tw.shape();
    Shape ss = sw.shape();
    if (tw.dtype() != sw.dtype()) {
      String differs =
          "dtype differs: source " + from + " is " + sw.dtypeName() + ", the target " + tw.dtype();
      if (!tw.dtype().isFloating() || !sw.dtype().isFloating()) {
        return new Decision(
            t,
            Action.INITIALIZED,
            s,
            differs + " (only floating-point weights are cast)",
            false,
            null);
      }
      if (!ts.equals(ss)) {
        return new Decision(
            t,
            Action.INITIALIZED,
            s,
            differs
                + " and shape differs: "
                + ss
                + " -> "
                + ts
                + " (a cast and a shape adaptation together are not done)",
            false,
            null);
      }
      // as Keras's load_weights: a float16 checkpoint loads into a float32 model, and back
      String origin =
          sw.stored() == null
              ? from
              : from + ", " + sw.stored().code() + " decoded exactly to " + sw.dtype();
      return adapted(t, s, origin, new DTypeAdapter(sw.dtype(), tw.dtype()));
    }
    if (ts.equals(ss)) {
      String how =
          sw.stored() == null
              ? "same shape and dtype"
              : "same shape; " + sw.stored().code() + " decoded exactly to " + sw.dtype();
      return new Decision(t, Action.LOADED, s, how, false, null);
    }
    String differs = "shape differs: source " + from + " " + ss + ", target " + ts;
    if (ts.rank() != ss.rank()) {
      return new Decision(
          t,
          Action.INITIALIZED,
          s,
          differs + " (another rank: no adaptation applies)",
          false,
          null);
    }
    if (firstConv
        && tw.role() == WeightRole.KERNEL
        && ts.rank() >= 3
        && onlyAxisDiffers(ts, ss, ts.rank() - 2)) {
      if (a.inputChannels()) {
        return new Decision(
                t, Action.ADAPTED, s, "", false, new InputChannelAdapter(ss.dim(-2), ts.dim(-2)))
            .withDetail(from);
      }
      return new Decision(
          t,
          Action.INITIALIZED,
          s,
          differs
              + " (input channels "
              + ss.dim(-2)
              + " -> "
              + ts.dim(-2)
              + ": "
              + Hint.ADAPT_INPUT_CHANNELS.apiName()
              + " adapts them)",
          false,
          null,
          Set.of(Hint.ADAPT_INPUT_CHANNELS));
    }
    if (t.head() && a.head() != Adaptations.HeadMode.NONE) {
      if (a.head() == Adaptations.HeadMode.FRESH) {
        return new Decision(
            t,
            Action.INITIALIZED,
            s,
            differs + ": head drawn fresh (" + Hint.ADAPT_HEAD_FRESH.apiName() + ")",
            true,
            null,
            Set.of(Hint.ADAPT_HEAD_FRESH));
      }
      return adapted(
          t,
          s,
          from,
          new OverlapAdapter("head=keep", 1, ss, ts, "head: the overlapping units kept"));
    }
    int gates = gateCount(layer.layer());
    if (gates > 0) {
      if (a.gates() && ts.dim(-1) % gates == 0 && ss.dim(-1) % gates == 0) {
        return adapted(t, s, from, new OverlapAdapter("gates", gates, ss, ts, "recurrent units"));
      }
      return new Decision(
          t,
          Action.INITIALIZED,
          s,
          differs + " (recurrent: " + Hint.ADAPT_GATES.apiName() + " resizes it gate by gate)",
          false,
          null,
          Set.of(Hint.ADAPT_GATES));
    }
    if (tw.role() == WeightRole.EMBEDDINGS && onlyAxisDiffers(ts, ss, 0)) {
      if (a.vocab()) {
        return adapted(
            t,
            s,
            from,
            new OverlapAdapter("vocab", 1, ss, ts, "vocabulary " + ss.dim(0) + " -> " + ts.dim(0)));
      }
      return new Decision(
          t,
          Action.INITIALIZED,
          s,
          differs
              + " (vocabulary "
              + ss.dim(0)
              + " -> "
              + ts.dim(0)
              + ": "
              + Hint.ADAPT_VOCAB.apiName()
              + " copies the shared rows)",
          false,
          null,
          Set.of(Hint.ADAPT_VOCAB));
    }
    if (a.units()) {
      return adapted(
          t,
          s,
          from,
          new OverlapAdapter(
              "units",
              1,
              ss,
              ts,
              allAtMost(ts, ss)
                  ? "units sliced"
                  : allAtMost(ss, ts) ? "units padded" : "units sliced and padded"));
    }
    Hint named = t.head() ? Hint.ADAPT_HEAD : Hint.ADAPT_UNITS;
    String hint = t.head() ? named.apiName() : named.apiName() + " slices or pads it";
    return new Decision(
        t, Action.INITIALIZED, s, differs + " (" + hint + ")", false, null, Set.of(named));
  }

  private static Decision adapted(WeightSite t, WeightSite s, String from, Adapter adapter) {
    return new Decision(t, Action.ADAPTED, s, "", false, adapter).withDetail(from);
  }

  private static boolean onlyAxisDiffers(Shape a, Shape b, int axis) {
    for (int i = 0; i < a.rank(); i++) {
      if (i != axis && a.dim(i) != b.dim(i)) {
        return false;
      }
    }
    return a.dim(axis) != b.dim(axis);
  }

  private static boolean allAtMost(Shape a, Shape b) {
    for (int i = 0; i < a.rank(); i++) {
      if (a.dim(i) > b.dim(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Gate blocks on the last axis of a recurrent layer's weights: 4 (LSTM), 3 (GRU), 1 (SimpleRNN),
   * else 0.
   */
  static int gateCount(Layer layer) {
    String cls = layer.className();
    JsonNode cfg = ConfigViews.of(layer);
    for (int i = 0; i < 4; i++) {
      JsonNode inner = cfg.path("layer");
      if (!inner.path("class_name").isTextual()) {
        inner = cfg.path("cell");
      }
      if (!inner.path("class_name").isTextual()) {
        break;
      }
      if (Recurrence.of(cls) != null) {
        break;
      }
      cls = inner.path("class_name").asText();
      cfg = inner.path("config");
    }
    Recurrence kind = Recurrence.of(cls);
    return kind == null ? 0 : kind.gates();
  }

  private static Map<String, Reinitializer.Entry> freshEntries(
      Model target, TransplantOptions o, Set<String> keys) throws ModelFormatException {
    Map<String, Reinitializer.Entry> out = new HashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    Selector needed =
        Selector.of(
            "weights without a transplanted value", s -> keys.contains(s.weight().key()), false);
    Reinitializer.Plan p = Reinitializer.plan(target, o.scheme(), needed, o.seed());
    for (Reinitializer.Entry e : p.entries()) {
      if (keys.contains(e.site().weight().key())) {
        out.put(e.site().weight().key(), e);
      }
    }
    if (o.scheme() instanceof Reinitializer.Fixed) {
      // a fixed spec draws kernels; the other roles come from their configured initializers
      Reinitializer.Plan c =
          Reinitializer.plan(target, Reinitializer.Scheme.configured(), needed, o.seed());
      for (Reinitializer.Entry e : c.entries()) {
        Reinitializer.Entry f = out.get(e.site().weight().key());
        if (f != null && !f.drawn()) {
          out.put(e.site().weight().key(), e);
        }
      }
    }
    return out;
  }

  /**
   * A source tensor whose values initkit does not read (a safetensors {@code C64}: no Keras weight
   * is complex) that would give a target weight its values: refused, naming file, tensor and dtype.
   */
  private static void refuseUnreadSources(
      Model source, List<Decision> decisions, TensorBindings tensors)
      throws UnsupportedModelException {
    for (Decision d : decisions) {
      if (d.action() != Action.LOADED && d.action() != Action.ADAPTED) {
        continue;
      }
      TensorBindings.Binding b =
          tensors == null ? null : tensors.byTarget.get(d.target().weight().key());
      List<WeightSite> from =
          b != null ? b.sources() : d.source() == null ? List.of() : List.of(d.source());
      for (WeightSite s : from) {
        StoredType st = s.weight().stored();
        if (st != null && !st.decoded()) {
          throw new UnsupportedModelException(
              source.source().isEmpty() ? null : java.nio.file.Path.of(source.source()),
              s.weight().key(),
              "dtype "
                  + st.code()
                  + " ("
                  + st.name()
                  + ") cannot be a transplant source for "
                  + d.target().layerPath()
                  + "/"
                  + d.target().weight().shortName()
                  + ": no Keras weight dtype holds it");
        }
      }
    }
  }

  /** A decision replaced by the tensor rule that names its target, if one does. */
  private static Decision bound(Decision d, TensorBindings tensors, String origin) {
    Weight tw = d.target().weight();
    TensorBindings.Binding b = tensors.byTarget.get(tw.key());
    if (b == null) {
      return d;
    }
    WeightSite first = b.sources().get(0);
    if (b.problem() != null) {
      return new Decision(d.target(), Action.INITIALIZED, first, b.problem(), false, null);
    }
    Weight sw = first.weight();
    if (b.sources().size() == 1
        && b.rule().steps().isEmpty()
        && sw.shape().equals(tw.shape())
        && sw.dtype() == tw.dtype()) {
      return new Decision(
          d.target(),
          Action.LOADED,
          first,
          sw.key()
              + (sw.stored() == null ? "" : " (" + sw.stored().code() + " decoded exactly)")
              + " (line "
              + b.rule().line()
              + " of "
              + origin
              + ")",
          false,
          null);
    }
    MappedAdapter a =
        new MappedAdapter(b.rule(), origin, b.sources().stream().map(WeightSite::weight).toList());
    return new Decision(d.target(), Action.ADAPTED, first, a.describe(), false, a);
  }

  private static List<Unused> unused(
      List<Ref> sources, Map<Layer, Pair> byTarget, List<Entry> entries, TensorBindings tensors) {
    Map<Ref, String> pairedTo = new HashMap<>();
    for (Pair p : byTarget.values()) {
      pairedTo.put(p.source(), p.target().path());
    }
    Map<String, Entry> usedBy = new HashMap<>();
    for (Entry e : entries) {
      if (e.source() != null) {
        usedBy.put(e.source().weight().key(), e);
      }
    }
    List<Unused> out = new ArrayList<>();
    for (Ref s : sources) {
      for (WeightSite w : s.sites()) {
        Entry e = usedBy.get(w.weight().key());
        if (e != null && (e.action() == Action.LOADED || e.action() == Action.ADAPTED)) {
          continue;
        }
        String key = w.weight().key();
        if (tensors != null
            && tensors.used.contains(key)
            && !tensors.unusedReasons.containsKey(key)) {
          continue; // a second source of a mapped weight (summed, concatenated)
        }
        String reason;
        Set<Hint> hints = Set.of();
        if (tensors != null && tensors.unusedReasons.containsKey(key)) {
          reason = tensors.unusedReasons.get(key);
        } else if (tensors != null && !pairedTo.containsKey(s)) {
          reason = tensors.noRule(key);
        } else if (!pairedTo.containsKey(s)) {
          reason = "no target layer matched " + s.path();
        } else if (e == null) {
          reason =
              "matched target layer " + pairedTo.get(s) + ", which has no weight " + w.seedName();
        } else {
          reason =
              "matched "
                  + e.target().layerPath()
                  + "/"
                  + e.target().weight().shortName()
                  + ": "
                  + e.detail().split(";")[0];
          hints = e.hints(); // the part before ";" is what names them
        }
        out.add(new Unused(w, reason, hints));
      }
    }
    return out;
  }

  /** Nothing matched: what to try next, naming the options by their {@link Hint#apiName()}. */
  private static TransplantException nothingMatched(
      TransplantPlan plan, TransplantOptions o, List<Ref> targets, List<Ref> sources) {
    if (targets.isEmpty()) {
      return nothingMatched(plan, "the target has no layer weights to transplant into");
    }
    if (sources.isEmpty()) {
      return nothingMatched(plan, "the source has no layer weights to transplant");
    }
    if (plan.pairs().isEmpty()) {
      String names = " (source: " + sample(sources) + "; target: " + sample(targets) + ")";
      if (o.strategy() == MatchStrategy.NAME) {
        long structure =
            LayerMatcher.match(MatchStrategy.STRUCTURE, null, targets, sources, false)
                .pairs()
                .size();
        String tryNext =
            structure > 0
                ? Hint.MATCH_STRUCTURE.apiName()
                    + " ("
                    + structure
                    + " layers would pair by class and shapes) or "
                    + Hint.MATCH_ORDER.apiName()
                : Hint.MATCH_ORDER.apiName();
        return nothingMatched(
            plan,
            "no target layer matched a source layer by name"
                + names
                + ": the names differ; try "
                + tryNext
                + ", or give "
                + Hint.LAYER_MAPPING.apiName(),
            Hint.MATCH_STRUCTURE,
            Hint.MATCH_ORDER,
            Hint.LAYER_MAPPING);
      }
      if (o.strategy() == MatchStrategy.STRUCTURE) {
        return nothingMatched(
            plan,
            "no target layer has the class and weight shapes of a source layer"
                + names
                + ": try "
                + Hint.MATCH_NAME.apiName()
                + " or "
                + Hint.MATCH_ORDER.apiName()
                + " with "
                + Hint.ADAPTATIONS.apiName(),
            Hint.MATCH_NAME,
            Hint.MATCH_ORDER,
            Hint.ADAPTATIONS);
      }
      return nothingMatched(
          plan,
          "no target layer matched a source layer"
              + names
              + ": try "
              + Hint.MATCH_NAME.apiName()
              + " or "
              + Hint.MATCH_STRUCTURE.apiName(),
          Hint.MATCH_NAME,
          Hint.MATCH_STRUCTURE);
    }
    Entry first =
        plan.entries().stream()
            .filter(e -> e.source() != null)
            .findFirst()
            .orElse(plan.entries().get(0));
    return nothingMatched(
        plan,
        plan.pairs().size()
            + " layers matched, but no weight could be used (e.g. "
            + first.target().layerPath()
            + "/"
            + first.target().weight().shortName()
            + ": "
            + first.detail().split(";")[0]
            + "): opt into adaptations with "
            + Hint.ADAPTATIONS.apiName()
            + " (input-channels, head=keep, vocab, units, gates), or try another "
            + Hint.MATCH_STRATEGY.apiName(),
        withHints(first.hints(), Hint.ADAPTATIONS, Hint.MATCH_STRATEGY));
  }

  private static TransplantException nothingMatched(
      TransplantPlan plan, String message, Hint... hints) {
    return new TransplantException(TransplantException.Kind.NOTHING_MATCHED, message, plan, hints);
  }

  /** {@code named} and {@code more}, as an exception takes them. */
  private static Hint[] withHints(Set<Hint> named, Hint... more) {
    Set<Hint> all = java.util.EnumSet.noneOf(Hint.class);
    all.addAll(named); // a weight's detail quoted in the message names its own
    all.addAll(List.of(more));
    return all.toArray(Hint[]::new);
  }

  /** The hints the entries' details name. */
  private static Hint[] hintsOf(List<Entry> entries) {
    Set<Hint> all = java.util.EnumSet.noneOf(Hint.class);
    entries.forEach(e -> all.addAll(e.hints()));
    return all.toArray(Hint[]::new);
  }

  private static String sample(List<Ref> refs) {
    return refs.stream().limit(4).map(Ref::path).collect(Collectors.joining(", "))
        + (refs.size() > 4 ? ", ..." : "");
  }
}
