package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.MalformedModelException;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.transplant.TransplantPlan.Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensor rules of mapping files: parsing (errors name file and line), the plan (sources, chains,
 * unused tensors, misfits, rules matching nothing) and the values of every transform, on models
 * built in memory whose source keys are PyTorch names.
 */
class TensorMappingTest {
  @TempDir Path tmp;

  /** Float tensors in memory, by key; element i of a tensor is its {@code base + i}. */
  private static final class Floats implements TensorSource {
    final Map<String, float[]> values = new HashMap<>();

    @Override
    public void readRows(Weight w, long firstRow, long rows, ByteBuffer dst) {
      float[] v = values.get(w.key());
      int per = (int) w.shape().elementsPerRow();
      for (int i = (int) (firstRow * per); i < (firstRow + rows) * per; i++) {
        dst.putFloat(v[i]);
      }
    }
  }

  private static Weight w(String name, String key, WeightRole role, long... dims) {
    return new Weight(name, Shape.of(dims), DType.FLOAT32, role, key);
  }

  private static Layer layer(String name, String cls, Weight... ws) {
    return new Layer(name, cls, null, List.of(ws), List.of());
  }

  /** A source as a safetensors reader gives it: one layer per key prefix, weights by full key. */
  private static OwnedModel source(Floats f, Map<String, long[]> tensors) {
    Map<String, List<Weight>> byPrefix = new java.util.LinkedHashMap<>();
    int base = 1;
    for (Map.Entry<String, long[]> e : tensors.entrySet()) {
      String key = e.getKey();
      Weight x = w(key, key, WeightRole.OTHER, e.getValue());
      byPrefix
          .computeIfAbsent(key.substring(0, key.lastIndexOf('.')), k -> new ArrayList<>())
          .add(x);
      float[] v = new float[(int) x.shape().elementCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = base + i;
      }
      base += 1000;
      f.values.put(key, v);
    }
    List<Layer> layers = new ArrayList<>();
    byPrefix.forEach((p, ws) -> layers.add(new Layer(p, "", null, ws, List.of())));
    return new OwnedModel(
        Model.builder().sourceFormat("safetensors").layers(layers).build(), f, () -> {});
  }

  private static OwnedModel target(Floats f, Layer... layers) {
    for (Layer l : layers) {
      for (Weight x : l.weights()) {
        f.values.put(x.key(), new float[(int) x.shape().elementCount()]);
      }
    }
    return new OwnedModel(Model.builder().layers(List.of(layers)).build(), f, () -> {});
  }

  private static float[] read(LoadedModel m, Weight x) throws Exception {
    ByteBuffer b = ByteBuffer.allocate((int) x.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    long rows = x.shape().rank() == 0 ? 1 : x.shape().dim(0);
    // two blocks of rows, as writers stream them
    long half = rows / 2;
    m.tensors().readRows(x, 0, half, b);
    m.tensors().readRows(x, half, rows - half, b);
    b.flip();
    float[] out = new float[(int) x.shape().elementCount()];
    b.asFloatBuffer().get(out);
    return out;
  }

  private static Entry entry(TransplantPlan p, String key) {
    return p.entries().stream()
        .filter(e -> e.target().weight().key().equals(key))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void layerRulesStillParseAndTensorRulesJoinThem() {
    LayerMapping m =
        LayerMapping.parse(
            "encoder/* -> backbone/*  # layers\n"
                + "- -> head\n"
                + "re:fc\\.(weight) => head/kernel | transpose(1,0)\n"
                + "a.* + b.$1 => x/bias | cast(float16)\n",
            "m.map");
    assertEquals(2, m.rules().size());
    assertEquals(2, m.tensorRules().size());
    TensorRule r = m.tensorRules().get(1);
    assertEquals(List.of("a.*", "b.$1"), r.sources());
    assertTrue(r.sum());
    assertEquals("sum | cast(float16)", r.chain());
    assertEquals(4, r.line());
  }

  @Test
  void parseErrorsNameTheFileAndLine() throws Exception {
    Path f = tmp.resolve("bad.map");
    for (String[] c :
        new String[][] {
          {"a.weight => x/kernel | permute(0,x)", "permute(a,b,...)"},
          {"a.weight => x/kernel | flip", "unknown step 'flip'"},
          {"re:a(.weight => x/kernel", "invalid regular expression"},
          {"re:(a).weight => x/$2", "refers to $2"},
          {"a.weight, b.weight => x/kernel", "concat(axis) or stack(axis)"},
          {"a.* => x/kernel | gates(ifgo, ifco, 0)", "gates(FROM, TO, axis)"},
          {"a.* => x/kernel | split(0, 2, 2)", "split(axis, n, i)"},
        }) {
      Files.writeString(f, "# header\n\n" + c[0] + "\n");
      MalformedModelException e =
          assertThrows(MalformedModelException.class, () -> LayerMapping.read(f), c[0]);
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("line 3: "), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  @Test
  void everyShippedMappingParses() {
    for (String name : LayerMapping.SHIPPED) {
      LayerMapping m = LayerMapping.shipped(name);
      assertTrue(m.tensorRules().size() >= 5, name);
      assertTrue(m.origin().contains(name));
    }
    assertThrows(IllegalArgumentException.class, () -> LayerMapping.shipped("resnet"));
  }

  /** Linear, Conv2d, two summed LSTM biases, GRU gates, split heads: values and the plan. */
  @Test
  void transformsGiveTheValuesTheirLayoutsMean() throws Exception {
    Floats sf = new Floats();
    Map<String, long[]> src = new java.util.LinkedHashMap<>();
    src.put("fc.weight", new long[] {3, 2});
    src.put("conv.weight", new long[] {4, 3, 2, 2});
    src.put("rnn.bias_ih_l0", new long[] {8});
    src.put("rnn.bias_hh_l0", new long[] {8});
    src.put("gru.weight_ih_l0", new long[] {6, 1});
    src.put("att.query.weight", new long[] {4, 3});
    src.put("bn.num_batches_tracked", new long[] {});
    Floats tf = new Floats();
    Weight kernel = w("fc/kernel:0", "t/fc/kernel", WeightRole.KERNEL, 2, 3); // tf-keras
    Weight conv = w("conv/kernel", "t/conv/kernel", WeightRole.KERNEL, 2, 2, 3, 4);
    Weight bias = w("rnn/lstm_cell/bias", "t/rnn/bias", WeightRole.BIAS, 8);
    Weight gru = w("gru/kernel", "t/gru/kernel", WeightRole.KERNEL, 1, 6);
    Weight q = w("att/query/kernel", "t/att/q", WeightRole.KERNEL, 3, 2, 2);
    Weight missing = w("extra/bias", "t/extra/bias", WeightRole.BIAS, 5);
    String map =
        "fc.weight => fc/kernel | transpose(1,0)\n"
            + "re:(\\w+)\\.weight => $1/kernel | permute(2,3,1,0)\n"
            + "rnn.bias_ih_l0 + rnn.bias_hh_l0 => rnn/bias\n"
            + "re:(gru)\\.weight_ih_l0 => $1/kernel | transpose | gates(rzn, zrn, 1)\n"
            + "att.query.weight => att/query/kernel | transpose(1,0) | reshape(-1, t1, t2)\n"
            + "nothing.* => x/kernel\n";
    try (OwnedModel s = source(sf, src);
        OwnedModel t =
            target(
                tf,
                layer("fc", "Dense", kernel),
                layer("conv", "Conv2D", conv),
                layer("rnn", "LSTM", bias),
                layer("gru", "GRU", gru),
                layer("att", "MultiHeadAttention", q),
                layer("extra", "Dense", missing))) {
      TransplantOptions o =
          TransplantOptions.defaults().withMapping(LayerMapping.parse(map, "my.map"));
      TransplantPlan p = Transplanter.plan(s.model(), t.model(), o);
      Entry e = entry(p, "t/fc/kernel");
      assertEquals(Action.ADAPTED, e.action());
      assertEquals("fc.weight | transpose(1,0) (line 1 of my.map)", e.detail());
      assertEquals("fc.weight", e.source().weight().key());
      assertEquals(
          "rnn.bias_ih_l0 + rnn.bias_hh_l0 | sum (line 3 of my.map)",
          entry(p, "t/rnn/bias").detail());
      assertTrue(entry(p, "t/extra/bias").unmatched());
      assertEquals(
          List.of("bn.num_batches_tracked"),
          p.unused().stream().map(u -> u.source().weight().key()).toList());
      assertTrue(
          p.notes().stream()
              .anyMatch(
                  n -> n.text().equals("line 6 of my.map: nothing.* matches no source tensor")),
          p.notes().toString());

      LoadedModel out = Transplanter.apply(s, t, p);
      float[] fc = read(out, kernel);
      float[] fcSrc = sf.values.get("fc.weight");
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
          assertEquals(fcSrc[j * 2 + i], fc[i * 3 + j]);
        }
      }
      float[] cv = read(out, conv);
      float[] cvSrc = sf.values.get("conv.weight");
      for (int h = 0; h < 2; h++) {
        for (int x = 0; x < 2; x++) {
          for (int i = 0; i < 3; i++) {
            for (int o2 = 0; o2 < 4; o2++) {
              assertEquals(
                  cvSrc[((o2 * 3 + i) * 2 + h) * 2 + x], cv[((h * 2 + x) * 3 + i) * 4 + o2]);
            }
          }
        }
      }
      float[] b = read(out, bias);
      for (int i = 0; i < 8; i++) {
        assertEquals(sf.values.get("rnn.bias_ih_l0")[i] + sf.values.get("rnn.bias_hh_l0")[i], b[i]);
      }
      // torch r,z,n rows -> Keras z,r,h columns
      float[] g = read(out, gru);
      float[] gs = sf.values.get("gru.weight_ih_l0");
      assertArrayEquals(new float[] {gs[2], gs[3], gs[0], gs[1], gs[4], gs[5]}, g);
      // (h*d, in) = (4, 3) -> (in, h, d) = (3, 2, 2): element [i][h][d] is source [h*2+d][i]
      float[] qv = read(out, q);
      float[] qs = sf.values.get("att.query.weight");
      for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 4; k++) {
          assertEquals(qs[k * 3 + i], qv[i * 4 + k]);
        }
      }
    }
  }

  /**
   * A fused tensor (nn.MultiheadAttention's in_proj_weight) feeds one rule per split part; a part
   * no rule takes is a note, and a part is taken once.
   */
  @Test
  void aFusedTensorFeedsOneRulePerSplitPart() throws Exception {
    Floats sf = new Floats();
    Map<String, long[]> src = new java.util.LinkedHashMap<>();
    src.put("att.in_proj_weight", new long[] {12, 3});
    src.put("att.in_proj_bias", new long[] {12});
    Floats tf = new Floats();
    Weight q = w("att/query/kernel", "t/att/q", WeightRole.KERNEL, 3, 2, 2);
    Weight k = w("att/key/kernel", "t/att/k", WeightRole.KERNEL, 3, 2, 2);
    Weight v = w("att/value/kernel", "t/att/v", WeightRole.KERNEL, 3, 2, 2);
    Weight qb = w("att/query/bias", "t/att/qb", WeightRole.BIAS, 2, 2);
    Weight kb = w("att/key/bias", "t/att/kb", WeightRole.BIAS, 2, 2);
    String map =
        "re:(.+)\\.in_proj_weight => $1/query/kernel | split(0, 3, 0) | transpose | reshape(-1, t1, t2)\n"
            + "re:(.+)\\.in_proj_weight => $1/key/kernel | split(0, 3, 1) | transpose | reshape(-1, t1, t2)\n"
            + "re:(.+)\\.in_proj_weight => $1/value/kernel | split(0, 3, 2) | transpose | reshape(-1, t1, t2)\n"
            + "re:(.+)\\.in_proj_bias => $1/query/bias | split(0, 3, 0) | reshape(target)\n"
            + "re:(.+)\\.in_proj_bias => $1/key/bias | split(0, 3, 0) | reshape(target)\n";
    try (OwnedModel s = source(sf, src);
        OwnedModel t = target(tf, layer("att", "MultiHeadAttention", q, k, v, qb, kb))) {
      TransplantOptions o =
          TransplantOptions.defaults().withMapping(LayerMapping.parse(map, "mha.map"));
      TransplantPlan p = Transplanter.plan(s.model(), t.model(), o);
      for (String key : List.of("t/att/q", "t/att/k", "t/att/v", "t/att/qb")) {
        assertEquals(Action.ADAPTED, entry(p, key).action(), key);
      }
      // line 5 asks for the part line 4 took: the key's bias stays unmatched
      assertTrue(entry(p, "t/att/kb").unmatched());
      assertTrue(p.unused().isEmpty(), p.unused().toString());
      assertTrue(
          p.notes().stream()
              .anyMatch(
                  n ->
                      n.text()
                          .equals(
                              "mha.map: only parts [0] of split(0,3,i) of att.in_proj_bias"
                                  + " are given a target weight")),
          p.notes().toString());
      LoadedModel out = Transplanter.apply(s, t, p);
      float[] w = sf.values.get("att.in_proj_weight");
      Weight[] qkv = {q, k, v};
      for (int part = 0; part < 3; part++) {
        float[] got = read(out, qkv[part]);
        // (in, h, d)[i][j] is the part's row j (of h*d = 4), column i
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 4; j++) {
            assertEquals(w[(part * 4 + j) * 3 + i], got[i * 4 + j]);
          }
        }
      }
    }
  }

  /** A shape that does not fit after the steps is one line: file, line, key, shapes. */
  @Test
  void aMisfitIsNamedInOneLineAndTheTargetIsNotTransplanted() throws Exception {
    Floats sf = new Floats();
    Map<String, long[]> src = new java.util.LinkedHashMap<>();
    src.put("fc.weight", new long[] {3, 2});
    src.put("fc.bias", new long[] {3});
    Floats tf = new Floats();
    Weight kernel = w("fc/kernel", "t/fc/kernel", WeightRole.KERNEL, 3, 2);
    Weight bias = w("fc/bias", "t/fc/bias", WeightRole.BIAS, 3);
    try (OwnedModel s = source(sf, src);
        OwnedModel t = target(tf, layer("fc", "Dense", kernel, bias))) {
      TransplantOptions o =
          TransplantOptions.defaults()
              .withMapping(
                  LayerMapping.parse(
                      "re:(fc)\\.weight => $1/kernel | transpose(1,0)\nre:(fc)\\.bias => $1/bias\n",
                      "cnn.map"));
      TransplantPlan p = Transplanter.plan(s.model(), t.model(), o);
      String line =
          "line 1 of cnn.map: fc.weight (3, 2) | transpose(1,0) gives (2, 3), but fc/kernel is (3, 2)";
      Entry e = entry(p, "t/fc/kernel");
      assertTrue(e.unmatched());
      assertTrue(e.detail().startsWith(line), e.detail());
      assertEquals(Action.LOADED, entry(p, "t/fc/bias").action());
      assertEquals(1, p.unused().size());
      assertEquals(line, p.unused().get(0).reason());
      assertTrue(p.notes().stream().anyMatch(n -> n.text().equals(line)));
      assertThrows(dev.initkit.TransplantException.class, () -> Transplanter.requireAllMatched(p));
      assertNotNull(p.output());
    }
  }

  /** A tensor too large to transform in one array is a misfit line, found before any read. */
  @Test
  void aTensorBeyondTwoToThe31ElementsIsMapped() throws Exception {
    // mapped tensors are strided views over the source's bytes, indexed by longs: no array cap
    Weight big = w("emb.weight", "emb.weight", WeightRole.OTHER, 50_000, 50_000);
    Weight target = w("emb/kernel", "t/emb/kernel", WeightRole.KERNEL, 50_000, 50_000);
    Model s = Model.builder().layers(List.of(layer("emb", "", big))).build();
    Model t = Model.builder().layers(List.of(layer("emb", "Dense", target))).build();
    TransplantOptions o =
        TransplantOptions.defaults()
            .withMapping(LayerMapping.parse("emb.weight => emb/kernel | transpose\n", "big.map"));
    Entry en = entry(Transplanter.plan(s, t, o), "t/emb/kernel");
    assertEquals(Action.ADAPTED, en.action(), en.detail());
  }
}
