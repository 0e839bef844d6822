package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.transplant.SafetensorsExport.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafetensorsExport}: a mapping read backwards. Every step's inverse is checked the strong
 * way: the exported file is read back, each rule's forward steps ({@link TensorSteps#view}, what
 * {@code transplant} runs) are applied to the exported tensors, and the result must equal the
 * original weight bit for bit; a few layouts are also checked element by element. Then the choices
 * (most specific rule, the layer's paragraph) and the errors (which name the mapping and line).
 */
class SafetensorsExportTest {
  @TempDir Path tmp;

  /** Float tensors in memory by key: random normal values. */
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

  private final Random random = new Random(42);
  private final Floats floats = new Floats();
  private final List<Layer> layers = new ArrayList<>();

  /** A layer of weights named {@code LAYER/NAME}, random values. */
  private SafetensorsExportTest layer(String name, Object... namesAndDims) {
    List<Weight> ws = new ArrayList<>();
    for (int i = 0; i < namesAndDims.length; i += 2) {
      long[] dims = (long[]) namesAndDims[i + 1];
      String n = name + "/" + namesAndDims[i];
      Weight w = new Weight(n, Shape.of(dims), DType.FLOAT32, WeightRole.OTHER, "k/" + n);
      float[] v = new float[(int) w.shape().elementCount()];
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) random.nextGaussian();
      }
      floats.values.put(w.key(), v);
      ws.add(w);
    }
    layers.add(new Layer(name, "", null, ws, List.of()));
    return this;
  }

  private static long[] d(long... dims) {
    return dims;
  }

  private Model model() {
    return Model.builder().layers(List.copyOf(layers)).build();
  }

  private Weight weight(String address) {
    for (Layer l : layers) {
      for (Weight w : l.weights()) {
        if (w.name().equals(address)) {
          return w;
        }
      }
    }
    throw new AssertionError(address);
  }

  /** The exported file's tensors by key, as float arrays, and their shapes. */
  private record Exported(Map<String, float[]> values, Map<String, Weight> weights, OwnedModel m) {}

  private Exported export(SafetensorsExport e) throws Exception {
    Path out = tmp.resolve("out" + random.nextInt(1_000_000) + ".safetensors");
    e.write(floats, out);
    OwnedModel m = ModelIO.open(out);
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, Weight> weights = new LinkedHashMap<>();
    for (Weight w : m.model().layerWeights()) {
      ByteBuffer b = ByteBuffer.allocate((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      m.tensors().readRows(w, 0, w.shape().rank() == 0 ? 1 : w.shape().dim(0), b);
      b.flip();
      float[] v = new float[(int) w.shape().elementCount()];
      b.asFloatBuffer().get(v);
      values.put(w.key(), v);
      weights.put(w.key(), w);
    }
    return new Exported(values, weights, m);
  }

  /** Runs each tensor's rule forward on the exported tensors: the weight, bit for bit. */
  private void assertForwardGivesTheWeights(LayerMapping mapping, SafetensorsExport e, Exported x)
      throws Exception {
    Map<String, List<Tensor>> byWeight = new LinkedHashMap<>();
    for (Tensor t : e.tensors()) {
      if (t.rule() > 0) {
        for (String a : t.weights()) {
          byWeight.computeIfAbsent(a, k -> new ArrayList<>()).add(t);
        }
      }
    }
    assertTrue(byWeight.size() > 0);
    for (Map.Entry<String, List<Tensor>> en : byWeight.entrySet()) {
      String key0 = en.getValue().get(0).key();
      List<Shape> inShapes =
          en.getValue().stream().map(t -> x.weights().get(t.key()).shape()).toList();
      Weight tw = weight(en.getKey());
      // the rule transplant binds: the first whose pattern gives this address and whose steps fit
      TensorRule r =
          mapping.tensorRules().stream()
              .filter(
                  t -> {
                    List<String> caps = t.captures().apply(key0);
                    if (caps == null || !TensorRule.fill(t.target(), caps).equals(en.getKey())) {
                      return false;
                    }
                    try {
                      return TensorSteps.shapeOf(t, inShapes, DType.FLOAT32, tw.shape())
                          .shape()
                          .equals(tw.shape());
                    } catch (IllegalArgumentException ex) {
                      return false;
                    }
                  })
              .findFirst()
              .orElseThrow(() -> new AssertionError("no rule binds " + key0));
      Weight target = weight(en.getKey());
      List<StridedTensor> in = new ArrayList<>();
      for (Tensor t : en.getValue()) {
        Weight w = x.weights().get(t.key());
        in.add(StridedTensor.of(RawTensor.of(x.m().tensors(), w), w.shape().dims()));
      }
      StridedTensor v = TensorSteps.view(r, in, target.shape());
      assertArrayEquals(target.shape().dims(), v.dims, en.getKey());
      ByteBuffer b = ByteBuffer.allocate((int) target.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      v.writeRows(0, target.shape().rank() == 0 ? 1 : target.shape().dim(0), DType.FLOAT32, b);
      b.flip();
      float[] got = new float[(int) target.shape().elementCount()];
      b.asFloatBuffer().get(got);
      float[] want = floats.values.get(target.key());
      for (int i = 0; i < want.length; i++) {
        assertEquals(
            Float.floatToRawIntBits(want[i]),
            Float.floatToRawIntBits(got[i]),
            en.getKey() + " element " + i + " by line " + r.line());
      }
    }
  }

  @Test
  void everyStepUndoneGivesTheWeightBackBitForBit() throws Exception {
    layer("fc", "kernel", d(3, 5))
        .layer("conv", "kernel", d(3, 2, 4, 6))
        .layer("t3", "kernel", d(2, 3, 4))
        .layer("rnn", "bias", d(8))
        .layer("gru", "kernel", d(2, 9), "bias", d(2, 9))
        .layer("att", "query/kernel", d(5, 2, 3), "query/bias", d(2, 3))
        .layer("att", "attention_output/kernel", d(2, 3, 5))
        .layer("blk", "q/kernel", d(4, 2, 3), "k/kernel", d(4, 2, 3), "v/kernel", d(4, 2, 3))
        .layer("cat", "kernel", d(3, 4))
        .layer("emb", "embeddings", d(6, 2))
        .layer("LN", "gamma", d(4))
        .layer("g3", "kernel", d(2, 9))
        .layer("extra", "kernel", d(2));
    String text =
        "fc.weight => fc/kernel | transpose(1,0)\n"
            + "re:(\\w+)\\.weight => $1/kernel | permute(3,2,0,1)\n"
            + "t3.weight => t3/kernel | transpose\n"
            + "rnn.bias_ih_l0 + rnn.bias_hh_l0 => rnn/bias\n"
            + "\n"
            + "re:(gru)\\.weight_ih_l0 => $1/kernel | transpose(1,0) | gates(rzn, zrn, 1)\n"
            + "gru.bias_ih_l0, gru.bias_hh_l0 => gru/bias | stack(0) | gates(rzn, zrn, 1)\n"
            + "re:a\\.(query)\\.weight => att/$1/kernel | transpose(1,0) | reshape(-1, t1, t2)\n"
            + "att.query.bias => att/query/bias | reshape(target)\n"
            + "att.out.weight => att/attention_output/kernel | transpose(1,0) | reshape(t0, t1, -1)\n"
            + "blk.qkv.weight => blk/q/kernel | split(0, 3, 0) | transpose(1,0) | reshape(-1, t1, t2)\n"
            + "blk.qkv.weight => blk/k/kernel | split(0, 3, 1) | transpose(1,0) | reshape(-1, t1, t2)\n"
            + "blk.qkv.weight => blk/v/kernel | split(0, 3, 2) | transpose(1,0) | reshape(-1, t1, t2)\n"
            + "cat.a, cat.b => cat/kernel | concat(1)\n"
            + "emb.weight => emb/embeddings | cast(float32)\n"
            + "re:(?:bert\\.)?(\\w+)\\.(?:weight|gamma){1} => $1/gamma\n"
            + "g3.w => g3/kernel | gates(abc, bca, -1)\n"; // not its own inverse
    LayerMapping mapping = LayerMapping.parse(text, "steps.map");
    SafetensorsExport e = SafetensorsExport.plan(model(), mapping);
    assertEquals(List.of("extra/kernel"), e.unmatched());
    Exported x = export(e);
    assertForwardGivesTheWeights(mapping, e, x);

    Map<String, long[]> shapes = new LinkedHashMap<>();
    x.weights().forEach((k, w) -> shapes.put(k, w.shape().dims()));
    assertArrayEquals(d(5, 3), shapes.get("fc.weight"));
    assertArrayEquals(d(4, 6, 2, 3), shapes.get("conv.weight")); // permute(3,2,0,1) undone
    assertArrayEquals(d(4, 3, 2), shapes.get("t3.weight"));
    assertArrayEquals(d(9, 2), shapes.get("gru.weight_ih_l0"));
    assertArrayEquals(d(9), shapes.get("gru.bias_hh_l0"));
    assertArrayEquals(d(6, 5), shapes.get("a.query.weight"));
    assertArrayEquals(d(6), shapes.get("att.query.bias"));
    assertArrayEquals(d(5, 6), shapes.get("att.out.weight"));
    assertArrayEquals(d(18, 4), shapes.get("blk.qkv.weight")); // the three parts joined
    assertArrayEquals(d(3, 2), shapes.get("cat.a"));
    assertArrayEquals(d(4), shapes.get("LN.weight"));
    assertArrayEquals(d(2), shapes.get("extra/kernel"));

    // element by element: a transpose, the summed biases, the gate order
    float[] k = floats.values.get("k/fc/kernel");
    float[] t = x.values().get("fc.weight");
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 5; j++) {
        assertEquals(k[i * 5 + j], t[j * 3 + i]);
      }
    }
    assertArrayEquals(floats.values.get("k/rnn/bias"), x.values().get("rnn.bias_ih_l0"));
    for (float z : x.values().get("rnn.bias_hh_l0")) {
      assertEquals(0, Float.floatToRawIntBits(z), "+0.0: the sum keeps the bias's bits");
    }
    float[] gb = floats.values.get("k/gru/bias"); // Keras rows z,r,h -> torch r,z,n
    float[] ih = x.values().get("gru.bias_ih_l0");
    for (int i = 0; i < 3; i++) {
      assertEquals(gb[3 + i], ih[i]);
      assertEquals(gb[i], ih[3 + i]);
      assertEquals(gb[6 + i], ih[6 + i]);
    }
    List<String> keys = e.tensors().stream().map(Tensor::key).toList();
    assertEquals(keys, new ArrayList<>(x.weights().keySet()), "written in planned order");
    assertEquals(
        "zeros (summed sources: the first holds the value)",
        e.tensors().get(keys.indexOf("rnn.bias_hh_l0")).note());
    x.m().close();
  }

  @Test
  void theMostSpecificRuleThenTheLayersParagraphDecide() throws Exception {
    layer("rnn", "kernel", d(3, 8), "recurrent_kernel", d(2, 8), "bias", d(8))
        .layer("rnn_l1", "kernel", d(2, 8), "recurrent_kernel", d(2, 8), "bias", d(8))
        .layer("fc", "kernel", d(2, 4), "bias", d(4));
    SafetensorsExport e = SafetensorsExport.plan(model(), LayerMapping.shipped("torch-lstm"));
    Map<String, List<String>> keys = new LinkedHashMap<>();
    e.tensors()
        .forEach(
            t -> keys.computeIfAbsent(t.weights().get(0), a -> new ArrayList<>()).add(t.key()));
    assertEquals(List.of("rnn.weight_ih_l0"), keys.get("rnn/kernel"));
    assertEquals(List.of("rnn.bias_ih_l0", "rnn.bias_hh_l0"), keys.get("rnn/bias"));
    assertEquals(List.of("rnn.weight_ih_l1"), keys.get("rnn_l1/kernel"));
    assertEquals(List.of("rnn.weight_hh_l1"), keys.get("rnn_l1/recurrent_kernel"));
    assertEquals(List.of("fc.weight"), keys.get("fc/kernel"));
    assertEquals(List.of("fc.bias"), keys.get("fc/bias"));
    assertEquals(List.of(), e.unmatched());
  }

  @Test
  void aTfKerasCellWeightGoesByItsShortAddress() throws Exception {
    layer("rnn", "lstm_cell/kernel:0", d(3, 8));
    SafetensorsExport e =
        SafetensorsExport.plan(model(), LayerMapping.parse("re:(.+)\\.w => $1/kernel\n", "m"));
    assertEquals("rnn.w", e.tensors().get(0).key());
  }

  @Test
  void aMappingThatCannotBeInvertedNamesTheMappingAndLine() {
    layer("fc", "kernel", d(3, 5)).layer("blk", "q/kernel", d(4, 2, 3), "k/kernel", d(4, 2, 3));
    String[][] cases = {
      {"re:[a-z]+\\.weight => fc/kernel\n", "line 1 of m.map: cannot export fc/kernel: '[a-z]'"},
      {
        "re:(\\w+)\\.(\\d)\\.weight => $1/kernel\n",
        "line 1 of m.map: cannot export fc/kernel: '\\d'"
      },
      {"*.*.w => $1/kernel\n", "line 1 of m.map: cannot export fc/kernel: its * number 2 is not"},
      {
        "x.weight => fc/kernel\nx.weight => blk/q/kernel | reshape(target)\n",
        "cannot export by m.map: line 1 for fc/kernel and line 2 for blk/q/kernel would both be"
            + " written as 'x.weight'"
      },
      {
        "\n\nqkv => blk/q/kernel | split(0, 3, 0) | transpose(1,0) | reshape(-1, t1, t2)\n"
            + "qkv => blk/k/kernel | split(0, 3, 1) | transpose(1,0) | reshape(-1, t1, t2)\n",
        "line 3 of m.map: cannot export qkv: part 2 of 3 is no weight's (only blk/q/kernel,"
            + " blk/k/kernel)"
      },
    };
    for (String[] c : cases) {
      UnsupportedModelException ex =
          assertThrows(
              UnsupportedModelException.class,
              () -> SafetensorsExport.plan(model(), LayerMapping.parse(c[0], "m.map")),
              c[0]);
      assertTrue(ex.getMessage().contains(c[1]), ex.getMessage() + " / " + c[1]);
    }
  }

  @Test
  void keysAreWrittenFromRegularExpressions() {
    String[][] cases = {
      {
        "re:(?:bert\\.)?(.+LayerNorm)\\.(?:weight|gamma) => $1/gamma",
        "e.LayerNorm/gamma",
        "e.LayerNorm.weight"
      },
      {"re:\\Qa.b\\E\\.(\\d+)x{2}$ => n$1/kernel", "n7/kernel", "a.b.7xx"},
      {"re:^(enc|dec)oder\\.(\\d+)\\.w => $1_$2/kernel", "dec_3/kernel", "decoder.3.w"},
      {"re:(?<layer>\\w+)-w => $1/kernel", "x/kernel", "x-w"},
      {"a.*.b.* => $2/$1", "y/x", "a.x.b.y"},
    };
    for (String[] c : cases) {
      TensorRule r = LayerMapping.parse(c[0], "m").tensorRules().get(0);
      KeyWriter k = new KeyWriter(r);
      assertEquals(List.of(c[2]), k.keys(k.match(c[1]), c[1]), c[0]);
    }
    // a group that does not accept the text does not match: (query|key) for attention_output
    TensorRule r =
        LayerMapping.parse("re:a\\.(query|key)\\.w => a/$1/kernel", "m").tensorRules().get(0);
    assertEquals(null, new KeyWriter(r).match("a/attention_output/kernel"));
  }
}
