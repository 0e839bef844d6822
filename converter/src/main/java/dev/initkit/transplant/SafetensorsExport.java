package dev.initkit.transplant;

import dev.initkit.UnsupportedModelException;
import dev.initkit.format.safetensors.SafetensorsWriter;
import dev.initkit.format.safetensors.TensorNaming;
import dev.initkit.model.DType;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.ops.WeightSite;
import dev.initkit.transplant.InverseSteps.NotApplicable;
import dev.initkit.transplant.InverseSteps.Shaped;
import dev.initkit.transplant.TensorRule.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's weights as a {@code .safetensors} file in the layout a mapping's tensor rules read: the
 * mapping applied backwards, so that transplanting the file with the same mapping gives the weights
 * back bit for bit. Each weight goes by the rule whose target matches its address and whose steps
 * can be undone for its shape ({@link InverseSteps}); it is written under the rule's source key(s)
 * ({@link KeyWriter}). When several rules fit one weight, the most specific target wins (most
 * characters outside {@code $n}: {@code $1_l$2/kernel} before {@code $1/kernel}); then the
 * paragraph of the mapping (rules on consecutive lines) that exports most weights of the weight's
 * layer, then the one inventing fewer zero tensors for it (summed sources), then file order: so
 * {@code torch-lstm} writes an LSTM's kernel as {@code weight_ih_l0} and a Dense head's as {@code
 * weight}. Weights no rule fits are written under their Keras path and listed in {@link
 * #unmatched}. Plans are immutable; nothing is printed.
 */
public final class SafetensorsExport {
  /**
   * One tensor of the file.
   *
   * @param key its safetensors key
   * @param dtype its dtype (the weight's: a {@code cast} step is not undone)
   * @param shape its shape
   * @param weights the Keras addresses of the weights it is written from
   * @param rule the mapping rule's line, 0 for a weight written under its Keras path
   * @param note how: the rule's chain, {@code "zeros (summed sources)"}, or {@code ""}
   */
  public record Tensor(
      String key, DType dtype, Shape shape, List<String> weights, int rule, String note) {
    public Tensor {
      weights = List.copyOf(weights);
    }
  }

  private final String origin;
  private final List<Tensor> tensors;
  private final List<Object> sources; // per tensor: a Weight (raw copy) or a Shaped (a view)
  private final List<String> unmatched;

  private SafetensorsExport(
      String origin, List<Tensor> tensors, List<Object> sources, List<String> unmatched) {
    this.origin = origin;
    this.tensors = List.copyOf(tensors);
    this.sources = List.copyOf(sources);
    this.unmatched = List.copyOf(unmatched);
  }

  /** The mapping, as its messages name it. */
  public String origin() {
    return origin;
  }

  /** The tensors, in the order written. */
  public List<Tensor> tensors() {
    return tensors;
  }

  /** Keras addresses of the weights no rule fits, written under that address, in model order. */
  public List<String> unmatched() {
    return unmatched;
  }

  /** A weight read backwards through one rule. */
  private record Candidate(
      int index, WeightSite site, String address, Map<Integer, String> caps, Result result) {}

  /** All the sources, or a part of a split, or the reason the rule cannot be inverted. */
  private record Result(List<Shaped> sources, Part part, String error) {}

  /** One part of a source tensor a {@code split} step cut. */
  private record Part(int step, int axis, int n, int i, Shaped view) {}

  /**
   * Plans the export of {@code model}'s weights by {@code mapping}'s tensor rules (its layer rules
   * play no part).
   *
   * @throws UnsupportedModelException naming the mapping and line when a rule that a weight selects
   *     cannot be inverted: its pattern has, outside the groups the target names, a part that
   *     cannot be written as text (a class, {@code .}, {@code \d}, a lookaround), or a glob {@code
   *     *} the target does not name; the key written would not give the weight's address back; the
   *     parts of a {@code split} source are not all exported, exported twice, or do not join; or
   *     two weights would be written under one key
   */
  public static SafetensorsExport plan(Model model, LayerMapping mapping)
      throws UnsupportedModelException {
    Objects.requireNonNull(model, "model");
    String origin = mapping.origin();
    List<TensorRule> rules = mapping.tensorRules();
    List<KeyWriter> writers = rules.stream().map(KeyWriter::new).toList();
    int[] paragraph = new int[rules.size()];
    for (int i = 1; i < rules.size(); i++) {
      boolean next = rules.get(i).line() == rules.get(i - 1).line() + 1;
      paragraph[i] = paragraph[i - 1] + (next ? 0 : 1);
    }
    List<WeightSite> sites = WeightSite.of(model);
    Map<String, Integer> shortCount = new HashMap<>();
    for (WeightSite s : sites) {
      shortCount.merge(s.layerPath() + "/" + s.weight().shortName(), 1, Integer::sum);
    }
    Map<WeightSite, List<Candidate>> candidates = new LinkedHashMap<>();
    for (WeightSite s : sites) {
      List<String> addresses = new ArrayList<>(List.of(TensorBindings.address(s)));
      String alias = s.layerPath() + "/" + s.weight().shortName();
      if (shortCount.get(alias) == 1 && !alias.equals(addresses.get(0))) {
        // lstm/kernel for tf-keras's lstm/lstm_cell/kernel: first, so $1 is the layer path
        addresses.add(0, alias);
      }
      List<Candidate> mine = new ArrayList<>();
      for (int i = 0; i < rules.size(); i++) {
        for (String address : addresses) {
          Map<Integer, String> caps = writers.get(i).match(address);
          if (caps == null) {
            continue;
          }
          Result r = reverse(rules.get(i), writers.get(i), s.weight(), address, caps);
          if (r != null) {
            mine.add(new Candidate(i, s, address, caps, r));
            break;
          }
        }
      }
      candidates.put(s, mine);
    }
    // per layer and paragraph: weights it exports, and how many of them by a sum (zeros)
    Map<String, int[]> cover = new HashMap<>();
    for (Map.Entry<WeightSite, List<Candidate>> e : candidates.entrySet()) {
      Map<Integer, Candidate> bestIn = new HashMap<>();
      for (Candidate c : e.getValue()) {
        bestIn.putIfAbsent(paragraph[c.index()], c);
      }
      for (Map.Entry<Integer, Candidate> b : bestIn.entrySet()) {
        int[] n =
            cover.computeIfAbsent(e.getKey().layerPath() + "\n" + b.getKey(), k -> new int[2]);
        n[0]++;
        TensorRule r = rules.get(b.getValue().index());
        n[1] += r.sum() && r.sources().size() > 1 ? 1 : 0;
      }
    }
    List<Tensor> tensors = new ArrayList<>();
    List<Object> sources = new ArrayList<>();
    List<String> unmatched = new ArrayList<>();
    Map<String, String> owner = new HashMap<>(); // key -> what writes it, for clashes
    Map<String, List<Candidate>> parts = new LinkedHashMap<>();
    Map<String, Integer> partSlot = new HashMap<>();
    Map<Integer, List<Tensor>> slotTensors = new HashMap<>();
    Map<Integer, List<Object>> slotSources = new HashMap<>();
    for (Map.Entry<WeightSite, List<Candidate>> e : candidates.entrySet()) {
      WeightSite s = e.getKey();
      Candidate c =
          e.getValue().stream()
              .min(
                  Comparator.comparingInt((Candidate x) -> -writers.get(x.index()).literalChars())
                      .thenComparingInt(
                          x -> -cover.get(s.layerPath() + "\n" + paragraph[x.index()])[0])
                      .thenComparingInt(
                          x -> cover.get(s.layerPath() + "\n" + paragraph[x.index()])[1])
                      .thenComparingInt(Candidate::index))
              .orElse(null);
      Weight w = s.weight();
      if (c == null) {
        String key = TensorBindings.address(s);
        unmatched.add(key);
        claim(owner, key, "weight " + key + " (no rule fits it)", origin);
        tensors.add(new Tensor(key, w.dtype(), w.shape(), List.of(key), 0, ""));
        sources.add(w);
        continue;
      }
      TensorRule r = rules.get(c.index());
      String at = "line " + r.line() + " of " + origin + ": ";
      if (c.result().error() != null) {
        throw new UnsupportedModelException(
            null, "", at + "cannot export " + c.address() + ": " + c.result().error());
      }
      List<String> keys = writers.get(c.index()).keys(c.caps(), c.address());
      if (c.result().part() != null) {
        String group = String.join("\n", keys);
        if (!parts.containsKey(group)) {
          partSlot.put(group, tensors.size());
          tensors.add(null); // a slot, filled when all parts are known
          sources.add(null);
        }
        parts.computeIfAbsent(group, k -> new ArrayList<>()).add(c);
        continue;
      }
      add(r, keys, c.result().sources(), List.of(c.address()), w.dtype(), w, tensors, sources);
      for (String k : keys) {
        claim(owner, k, "line " + r.line() + " for " + c.address(), origin);
      }
    }
    for (Map.Entry<String, List<Candidate>> g : parts.entrySet()) {
      List<String> keys = List.of(g.getKey().split("\n", -1));
      List<Shaped> joined = join(g.getValue(), rules, keys, origin);
      Candidate first = g.getValue().get(0);
      TensorRule r = rules.get(first.index());
      List<String> from = g.getValue().stream().map(Candidate::address).toList();
      int slot = partSlot.get(g.getKey());
      List<Tensor> t = new ArrayList<>();
      List<Object> v = new ArrayList<>();
      add(r, keys, joined, from, first.site().weight().dtype(), null, t, v);
      slotTensors.put(slot, t);
      slotSources.put(slot, v);
      for (String k : keys) {
        claim(owner, k, "line " + r.line() + " for " + String.join(", ", from), origin);
      }
    }
    List<Tensor> allTensors = new ArrayList<>();
    List<Object> allSources = new ArrayList<>();
    for (int i = 0; i < tensors.size(); i++) {
      if (tensors.get(i) == null) {
        allTensors.addAll(slotTensors.get(i));
        allSources.addAll(slotSources.get(i));
      } else {
        allTensors.add(tensors.get(i));
        allSources.add(sources.get(i));
      }
    }
    tensors = allTensors;
    sources = allSources;
    for (Weight w : model.modelWeights()) {
      String key = TensorNaming.kerasPaths().name("", "", w);
      unmatched.add(key);
      claim(owner, key, "weight " + key + " (no rule fits it)", origin);
      tensors.add(new Tensor(key, w.dtype(), w.shape(), List.of(key), 0, ""));
      sources.add(w);
    }
    return new SafetensorsExport(origin, tensors, sources, unmatched);
  }

  private static void claim(Map<String, String> owner, String key, String who, String origin)
      throws UnsupportedModelException {
    String other = owner.putIfAbsent(key, who);
    if (other != null) {
      throw new UnsupportedModelException(
          null,
          "",
          "cannot export by "
              + origin
              + ": "
              + other
              + " and "
              + who
              + " would both be written as '"
              + key
              + "'");
    }
  }

  private static void add(
      TensorRule r,
      List<String> keys,
      List<Shaped> in,
      List<String> from,
      DType dtype,
      Weight plain,
      List<Tensor> tensors,
      List<Object> sources) {
    for (int i = 0; i < keys.size(); i++) {
      boolean zero = r.sum() && i > 0;
      String note = zero ? "zeros (summed sources: the first holds the value)" : r.chain();
      Shape shape = Shape.of(in.get(i).dims());
      tensors.add(new Tensor(keys.get(i), dtype, shape, from, r.line(), note));
      // a rename: the bytes as they are, whatever the dtype
      boolean rename = plain != null && keys.size() == 1 && r.steps().isEmpty();
      sources.add(rename ? plain : in.get(i));
    }
  }

  /** A rule read backwards for one weight; null when it does not apply. */
  private static Result reverse(
      TensorRule r, KeyWriter writer, Weight w, String address, Map<Integer, String> caps) {
    boolean rename = r.sources().size() == 1 && r.steps().isEmpty();
    if (!rename && !w.dtype().isFloating()) {
      return null;
    }
    Shaped t =
        new Shaped(w.shape().dims(), s -> StridedTensor.of(RawTensor.of(s, w), w.shape().dims()));
    int first = InverseSteps.firstStep(r);
    int split = -1;
    for (int k = first; k < r.steps().size(); k++) {
      if (r.steps().get(k).name().equals("split")) {
        if (split >= 0) {
          return new Result(null, null, "two split steps cannot be undone");
        }
        split = k;
      }
    }
    try {
      if (split >= 0) {
        t = InverseSteps.undo(r, split + 1, r.steps().size(), t, w.shape());
        Step s = r.steps().get(split);
        int axis = TensorSteps.axis(s.args().get(0), t.rank(), s);
        int n = Integer.parseInt(s.args().get(1));
        int i = Integer.parseInt(s.args().get(2));
        return new Result(null, new Part(split, axis, n, i, t), keyError(writer, caps, address));
      }
      t = InverseSteps.undo(r, first, r.steps().size(), t, w.shape());
      List<Shaped> in = InverseSteps.unjoin(r, t, w.dtype());
      if (!forwardGives(r, in, w)) {
        return null;
      }
      return new Result(in, null, keyError(writer, caps, address));
    } catch (NotApplicable | IllegalArgumentException e) {
      return null;
    }
  }

  private static String keyError(KeyWriter writer, Map<Integer, String> caps, String address) {
    try {
      writer.keys(caps, address);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** Whether the rule's steps, run forward on these shapes, give the weight's shape. */
  private static boolean forwardGives(TensorRule r, List<Shaped> in, Weight w) {
    try {
      List<Shape> shapes = in.stream().map(x -> Shape.of(x.dims())).toList();
      return TensorSteps.shapeOf(r, shapes, w.dtype(), w.shape()).shape().equals(w.shape());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The parts of one split source, joined and read back through the steps before the split. */
  private static List<Shaped> join(
      List<Candidate> group, List<TensorRule> rules, List<String> keys, String origin)
      throws UnsupportedModelException {
    Candidate first = group.get(0);
    TensorRule r0 = rules.get(first.index());
    Part p0 = first.result().part();
    String where = "line " + r0.line() + " of " + origin + ": cannot export " + keys.get(0) + ": ";
    Shaped[] pieces = new Shaped[p0.n()];
    List<Step> prefix = r0.steps().subList(0, p0.step());
    for (Candidate c : group) {
      Part p = c.result().part();
      TensorRule r = rules.get(c.index());
      if (p.n() != p0.n()
          || p.axis() != p0.axis()
          || !r.steps().subList(0, p.step()).equals(prefix)
          || r.sum() != r0.sum()) {
        throw new UnsupportedModelException(
            null, "", where + "line " + r.line() + " splits it otherwise than line " + r0.line());
      }
      if (pieces[p.i()] != null) {
        throw new UnsupportedModelException(
            null, "", where + "part " + p.i() + " of " + p.n() + " is given twice");
      }
      long[] a = p.view().dims();
      long[] b = p0.view().dims();
      boolean same = a.length == b.length;
      for (int i = 0; same && i < a.length; i++) {
        same = i == p.axis() || a[i] == b[i];
      }
      if (!same) {
        throw new UnsupportedModelException(
            null,
            "",
            where
                + "its parts "
                + Shape.of(b)
                + " and "
                + Shape.of(a)
                + " do not join along axis "
                + p.axis());
      }
      pieces[p.i()] = p.view();
    }
    for (int i = 0; i < pieces.length; i++) {
      if (pieces[i] == null) {
        throw new UnsupportedModelException(
            null,
            "",
            where
                + "part "
                + i
                + " of "
                + pieces.length
                + " is no weight's (only "
                + String.join(", ", group.stream().map(Candidate::address).toList())
                + ")");
      }
    }
    long[] d = pieces[0].dims().clone();
    d[p0.axis()] = 0;
    for (Shaped s : pieces) {
      d[p0.axis()] += s.dims()[p0.axis()];
    }
    List<InverseSteps.Recipe> recipes =
        java.util.Arrays.stream(pieces).map(Shaped::recipe).toList();
    int axis = p0.axis();
    Shaped joined =
        new Shaped(
            d,
            s -> {
              List<StridedTensor> v = new ArrayList<>();
              for (InverseSteps.Recipe x : recipes) {
                v.add(x.view(s));
              }
              return StridedTensor.concat(v, axis);
            });
    Weight w = first.site().weight();
    try {
      Shaped t = InverseSteps.undo(r0, InverseSteps.firstStep(r0), p0.step(), joined, w.shape());
      List<Shaped> in = InverseSteps.unjoin(r0, t, w.dtype());
      for (Candidate c : group) {
        if (!forwardGives(rules.get(c.index()), in, c.site().weight())) {
          throw new NotApplicable("the joined parts do not give " + c.address() + " back");
        }
      }
      return in;
    } catch (NotApplicable e) {
      throw new UnsupportedModelException(null, "", where + e.getMessage());
    }
  }

  /**
   * Writes the planned tensors, read from {@code source} (the model's), to {@code out} (created or
   * truncated; the caller makes it a temporary file). The metadata says {@code "layout": "mapped"}
   * and the mapping.
   *
   * @throws IOException when reading a value or writing fails
   */
  public void write(TensorSource source, Path out) throws IOException {
    List<SafetensorsWriter.Tensor> list = new ArrayList<>();
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      Object s = sources.get(i);
      SafetensorsWriter.Rows rows;
      if (s instanceof Weight w) {
        rows = (r, n, buf) -> source.readRows(w, r, n, buf);
      } else {
        rows = new ViewRows((Shaped) s, source, t);
      }
      list.add(new SafetensorsWriter.Tensor(t.key(), t.dtype(), t.shape(), rows));
    }
    SafetensorsWriter.writeTensors(list, Map.of("layout", "mapped", "mapping", origin), out);
  }

  /** A view's rows: built at the first rows, dropped after the last (its mappings then go). */
  private static final class ViewRows implements SafetensorsWriter.Rows {
    private final Shaped shaped;
    private final TensorSource source;
    private final Tensor tensor;
    private StridedTensor view;

    ViewRows(Shaped shaped, TensorSource source, Tensor tensor) {
      this.shaped = shaped;
      this.source = source;
      this.tensor = tensor;
    }

    @Override
    public void readRows(long firstRow, long rows, ByteBuffer dst) throws IOException {
      if (view == null || firstRow == 0) {
        view = shaped.recipe().view(source);
      }
      view.writeRows(firstRow, rows, tensor.dtype(), dst);
      long total = tensor.shape().rank() == 0 ? 1 : tensor.shape().dim(0);
      if (firstRow + rows >= total) {
        view = null;
      }
    }
  }
}
