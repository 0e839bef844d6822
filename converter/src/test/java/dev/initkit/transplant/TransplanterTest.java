package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.Hint;
import dev.initkit.ModelIO;
import dev.initkit.TransplantException;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.ops.WeightSite;
import dev.initkit.testing.TestFiles;
import dev.initkit.transplant.TransplantPlan.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transplant planning and values on the real-Keras files of {@code
 * testdata/generate_transplant.py}.
 */
class TransplanterTest {
  @TempDir Path tmp;

  private static Path file(String rel) {
    Path p = TestFiles.testdata().resolve("models/transplant").resolve(rel);
    assertTrue(Files.exists(p), "missing " + p + " (run testdata/generate_transplant.py)");
    return p;
  }

  private static TransplantPlan plan(String from, String to, TransplantOptions o) throws Exception {
    try (LoadedModel s = ModelIO.open(file(from));
        LoadedModel t = ModelIO.open(file(to))) {
      return Transplanter.plan(s.model(), t.model(), o);
    }
  }

  private static Map<String, byte[]> weights(Path p) throws IOException {
    Map<String, byte[]> out = new HashMap<>();
    try (LoadedModel m = ModelIO.open(p)) {
      for (WeightSite s : WeightSite.of(m.model())) {
        out.put(s.layerPath() + " " + s.seedName(), TestFiles.bytes(m, s.weight()));
      }
    }
    return out;
  }

  /** A model's own weights transplanted into a reinitialized copy of it restore every byte. */
  @Test
  void ownWeightsIntoAReinitializedCopyRestoreEveryByte() throws Exception {
    for (String[] c :
        new String[][] {
          {"cnn/source.keras", ".keras"},
          {"cnn/source_tfkeras.h5", ".h5"},
          {"rnn/lstm_source.keras", ".h5"},
          {"rnn/gru_source.keras", ".keras"}
        }) {
      Path src = file(c[0]);
      Path copy = tmp.resolve("copy-" + src.getFileName() + c[1]);
      try (LoadedModel m = ModelIO.open(src)) {
        Reinitializer.Plan p =
            Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), 9);
        ModelIO.write(Reinitializer.apply(m, p), copy, ModelIO.WriteOptions.defaults());
      }
      Map<String, byte[]> original = weights(src);
      Map<String, byte[]> fresh = weights(copy);
      assertTrue(
          original.keySet().stream().anyMatch(k -> !Arrays.equals(original.get(k), fresh.get(k))),
          "the copy is reinitialized");
      Path out = tmp.resolve("restored-" + src.getFileName() + c[1]);
      Transplanter.Result r =
          Transplanter.transplant(
              src, copy, out, TransplantOptions.defaults(), true, ModelIO.WriteOptions.defaults());
      assertEquals(r.plan().entries().size(), r.plan().count(Action.LOADED), c[0]);
      assertEquals(List.of(), r.plan().unused(), c[0]);
      Map<String, byte[]> restored = weights(out);
      assertEquals(original.keySet(), restored.keySet());
      for (String k : original.keySet()) {
        assertArrayEquals(original.get(k), restored.get(k), c[0] + " " + k);
      }
    }
  }

  /** Unmatched weights are what reinit draws for them under the same seed (the seed contract). */
  @Test
  void initializedAndPaddedValuesFollowTheSeedContract() throws Exception {
    Path target = file("cnn/wide.keras");
    Path out = tmp.resolve("wide.keras");
    TransplantOptions o =
        TransplantOptions.defaults()
            .withSeed(42)
            .withAdaptations(Adaptations.parse(List.of("units")));
    Transplanter.transplant(
        file("cnn/source.keras"), target, out, o, false, ModelIO.WriteOptions.defaults());
    Path drawn = tmp.resolve("drawn.keras");
    try (LoadedModel m = ModelIO.open(target)) {
      ModelIO.write(
          Reinitializer.apply(
              m,
              Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), 42)),
          drawn,
          ModelIO.WriteOptions.defaults());
    }
    float[] got = floats(weights(out).get("conv2 kernel#0"));
    float[] fresh = floats(weights(drawn).get("conv2 kernel#0"));
    float[] src = floats(weights(file("cnn/source.keras")).get("conv2 kernel#0"));
    // (3, 3, 4, 8) from (3, 3, 4, 6): the first 6 filters are the source's, the last 2 reinit's
    // draws
    int copied = 0;
    for (int i = 0; i < got.length; i++) {
      int f = i % 8;
      int pos = i / 8;
      if (f < 6) {
        assertEquals(
            Float.floatToRawIntBits(src[pos * 6 + f]),
            Float.floatToRawIntBits(got[i]),
            "element " + i);
        copied++;
      } else {
        assertEquals(
            Float.floatToRawIntBits(fresh[i]),
            Float.floatToRawIntBits(got[i]),
            "fresh element " + i);
      }
    }
    assertEquals(3 * 3 * 4 * 6, copied);

    // head3 without adaptation: the head is initialized, exactly as reinit draws it
    Path out3 = tmp.resolve("head3.keras");
    Transplanter.Result r =
        Transplanter.transplant(
            file("cnn/source.keras"),
            file("cnn/head3.keras"),
            out3,
            TransplantOptions.defaults().withSeed(42),
            false,
            ModelIO.WriteOptions.defaults());
    Entry head =
        r.plan().entries().stream()
            .filter(
                e ->
                    e.target().layerPath().equals("head")
                        && e.target().seedName().equals("kernel#0"))
            .findFirst()
            .orElseThrow();
    assertEquals(Action.INITIALIZED, head.action());
    assertTrue(head.unmatched());
    Path drawn3 = tmp.resolve("drawn3.keras");
    try (LoadedModel m = ModelIO.open(file("cnn/head3.keras"))) {
      ModelIO.write(
          Reinitializer.apply(
              m,
              Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), 42)),
          drawn3,
          ModelIO.WriteOptions.defaults());
    }
    assertArrayEquals(weights(drawn3).get("head kernel#0"), weights(out3).get("head kernel#0"));
    assertFalse(
        Arrays.equals(
            weights(file("cnn/head3.keras")).get("head kernel#0"),
            weights(out3).get("head kernel#0")));
  }

  private static float[] floats(byte[] b) {
    float[] f = new float[b.length / 4];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
    return f;
  }

  @Test
  void namesDifferSoNothingMatchesWithASuggestion() {
    TransplantException e =
        assertThrows(
            TransplantException.class,
            () -> plan("cnn/source.keras", "cnn/renamed.keras", TransplantOptions.defaults()));
    assertEquals(TransplantException.Kind.NOTHING_MATCHED, e.kind());
    assertTrue(
        e.getMessage()
            .contains(
                "try MatchStrategy.STRUCTURE (4 layers would pair by class and shapes) or"
                    + " MatchStrategy.ORDER, or give TransplantOptions.mapping"),
        e.getMessage());
    assertEquals(List.of(Hint.MATCH_STRUCTURE, Hint.MATCH_ORDER, Hint.LAYER_MAPPING), e.hints());
    assertNotNull(e.plan());
    assertEquals(10, e.plan().unused().size());
  }

  @Test
  void orderAndStructureStrategies() throws Exception {
    TransplantPlan order =
        plan(
            "cnn/source.keras",
            "cnn/renamed.keras",
            TransplantOptions.defaults().withStrategy(MatchStrategy.ORDER));
    assertEquals(10, order.count(Action.LOADED));
    // an extra layer: order pairs it with the source head (shapes differ) and leaves the head
    // unmatched...
    TransplantPlan byOrder =
        plan(
            "cnn/source.keras",
            "cnn/extra.keras",
            TransplantOptions.defaults().withStrategy(MatchStrategy.ORDER));
    assertEquals(8, byOrder.count(Action.LOADED));
    assertEquals(4, byOrder.unmatched().size());
    // ...structure skips over it
    TransplantPlan structure =
        plan(
            "cnn/source.keras",
            "cnn/extra.keras",
            TransplantOptions.defaults().withStrategy(MatchStrategy.STRUCTURE));
    assertEquals(10, structure.count(Action.LOADED));
    assertEquals(
        List.of("extra", "extra"),
        structure.unmatched().stream().map(e -> e.target().layerPath()).toList());
    assertEquals(List.of(), structure.unused());
  }

  @Test
  void generationsAndNestingMatchByName() throws Exception {
    // a Keras 3 weights file names layers by class (conv2d_1): matched through the target's
    // class-derived paths
    TransplantPlan k3w =
        plan("cnn/source.weights.h5", "cnn/same.keras", TransplantOptions.defaults());
    assertEquals(10, k3w.count(Action.LOADED));
    assertTrue(
        k3w.pairs().stream()
            .anyMatch(
                p ->
                    p.how().startsWith("class-derived path conv2d_1")
                        && p.source().equals("conv2d_1")
                        && p.target().equals("conv2")),
        k3w.pairs().toString());
    // tf-keras ':0' names into a model with the trunk nested: by path, then by unique layer name
    TransplantPlan nested =
        plan("cnn/source_tfkeras.h5", "cnn/nested.keras", TransplantOptions.defaults());
    assertEquals(10, nested.count(Action.LOADED));
    assertTrue(
        nested.pairs().stream()
            .anyMatch(p -> p.target().equals("backbone/stem") && p.source().equals("stem")));
  }

  @Test
  void mappingFileWithGlobsAndSkippedWeights() throws Exception {
    LayerMapping m = LayerMapping.parse("# trunk\n* -> backbone/*\nhead -> head\n", "map.txt");
    TransplantPlan nested =
        plan("cnn/source.keras", "cnn/nested.keras", TransplantOptions.defaults().withMapping(m));
    assertEquals(10, nested.count(Action.LOADED));
    assertTrue(nested.pairs().stream().allMatch(p -> p.how().startsWith("mapping line")));

    // a target without config (Keras 3 weights file): its roles are unknown, so an unmatched weight
    // cannot be drawn
    LayerMapping m2 =
        LayerMapping.parse(
            "stem -> conv2d\nconv2 -> conv2d_1\nhead -> dense\n- -> batch_normalization\n", "m2");
    TransplantPlan p =
        plan(
            "cnn/head3.keras",
            "cnn/source.weights.h5",
            TransplantOptions.defaults().withMapping(m2));
    assertEquals(4, p.count(Action.LOADED));
    assertEquals(
        6, p.count(Action.SKIPPED)); // dense (6, 3) vs (6, 5) and the unmapped normalization
    assertTrue(
        p.entries().stream()
            .filter(e -> e.target().layerPath().equals("batch_normalization"))
            .allMatch(e -> e.detail().startsWith("unmapped by line 4 of m2")));
    assertThrows(TransplantException.class, () -> Transplanter.requireAllMatched(p));
  }

  @Test
  void strictCountsRequestedFreshHeadsAsMatched() throws Exception {
    TransplantPlan none = plan("cnn/source.keras", "cnn/head3.keras", TransplantOptions.defaults());
    TransplantException e =
        assertThrows(TransplantException.class, () -> Transplanter.requireAllMatched(none));
    assertEquals(TransplantException.Kind.UNMATCHED, e.kind());
    assertTrue(
        e.getMessage()
            .startsWith("strict: 2 of 10 target weights got no value from the source: head/kernel"),
        e.getMessage());
    TransplantPlan fresh =
        plan(
            "cnn/source.keras",
            "cnn/head3.keras",
            TransplantOptions.defaults().withAdaptations(Adaptations.parse(List.of("head=fresh"))));
    Transplanter.requireAllMatched(fresh);
    assertEquals(2, fresh.count(Action.INITIALIZED));
    TransplantPlan keep =
        plan(
            "cnn/source.keras",
            "cnn/head3.keras",
            TransplantOptions.defaults().withAdaptations(Adaptations.parse(List.of("head=keep"))));
    assertEquals(2, keep.count(Action.ADAPTED));
    assertTrue(
        keep.entries()
            .get(8)
            .detail()
            .startsWith(
                "head: the overlapping units kept: (6, 5) -> (6, 3), 18 values copied, 0 fresh"),
        keep.entries().get(8).detail());
  }

  /**
   * float16 weights into the same float64 model are widened exactly, float64 into float16 rounded
   * to nearest (as Keras's load_weights casts); an integer dtype is never cast.
   */
  @Test
  void floatingDtypesAreCastValueByValue() throws Exception {
    Path f16 = TestFiles.testdata().resolve("models/float16/keras3.keras");
    Path f64 = TestFiles.testdata().resolve("models/float64/keras3.keras");
    Map<String, byte[]> half = weights(f16);
    Map<String, byte[]> dbl = weights(f64);
    Path widened = tmp.resolve("widened.keras");
    Path narrowed = tmp.resolve("narrowed.h5");
    Transplanter.Result w =
        Transplanter.transplant(
            f16,
            f64,
            widened,
            TransplantOptions.defaults(),
            false,
            ModelIO.WriteOptions.defaults());
    Transplanter.Result n =
        Transplanter.transplant(
            f64,
            f16,
            narrowed,
            TransplantOptions.defaults(),
            false,
            ModelIO.WriteOptions.defaults());
    for (Transplanter.Result r : List.of(w, n)) {
      assertEquals(4, r.plan().count(Action.ADAPTED));
      assertTrue(
          r.plan().entries().stream().allMatch(e -> e.adapter() instanceof DTypeAdapter),
          r.plan().entries().toString());
    }
    assertEquals(
        "dtype float16 -> float64 (exact)", w.plan().entries().get(0).adapter().describe());
    assertEquals(
        "dtype float64 -> float16 (rounded to nearest)",
        n.plan().entries().get(0).adapter().describe());
    Map<String, byte[]> up = weights(widened);
    Map<String, byte[]> down = weights(narrowed);
    for (String k : half.keySet()) {
      ByteBuffer h = ByteBuffer.wrap(half.get(k)).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer u = ByteBuffer.wrap(up.get(k)).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer d = ByteBuffer.wrap(dbl.get(k)).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer dn = ByteBuffer.wrap(down.get(k)).order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(half.get(k).length * 4, up.get(k).length, k);
      for (int i = 0; i < half.get(k).length / 2; i++) {
        assertEquals(
            dev.initkit.init.DTypeCodec.fromFloat16(h.getShort(2 * i)),
            u.getDouble(8 * i),
            0,
            k + " " + i);
        assertEquals(
            dev.initkit.init.DTypeCodec.toFloat16(d.getDouble(8 * i)),
            dn.getShort(2 * i),
            k + " " + i);
      }
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new DTypeAdapter(dev.initkit.model.DType.INT32, dev.initkit.model.DType.FLOAT32));
  }

  @Test
  void shapeDifferencesAreNeverAdaptedUnasked() throws Exception {
    TransplantPlan gray = plan("cnn/source.keras", "cnn/gray.keras", TransplantOptions.defaults());
    Entry stem = gray.entries().get(0);
    assertEquals(Action.INITIALIZED, stem.action());
    assertTrue(stem.detail().contains("Adaptations.inputChannels adapts them"), stem.detail());
    assertFalse(
        stem.detail().contains("--"), stem.detail()); // library words; the CLI respells them
    assertTrue(
        gray.hints().contains(dev.initkit.Hint.ADAPT_INPUT_CHANNELS), gray.hints()::toString);
    TransplantPlan lstm =
        plan(
            "rnn/lstm_source.keras",
            "rnn/lstm_units8.keras",
            TransplantOptions.defaults().withAdaptations(Adaptations.parse(List.of("units"))));
    assertTrue(
        lstm.entries().stream()
            .filter(e -> e.target().layerPath().equals("rnn"))
            .allMatch(
                e -> e.action() == Action.INITIALIZED && e.detail().contains("Adaptations.gates")));
    TransplantPlan vocab =
        plan("rnn/lstm_source.keras", "rnn/lstm_vocab30.keras", TransplantOptions.defaults());
    assertTrue(
        vocab.entries().get(0).detail().contains("Adaptations.vocab"),
        vocab.entries().get(0).detail());
  }

  @Test
  void freezeWritesTrainableFalseForTransplantedLayersOnly() throws Exception {
    Path out = tmp.resolve("frozen.h5");
    TransplantOptions o = TransplantOptions.defaults().withFreeze(Selector.parse("all"));
    Transplanter.Result r =
        Transplanter.transplant(
            file("cnn/source.keras"),
            file("cnn/head3.keras"),
            out,
            o,
            false,
            ModelIO.WriteOptions.defaults());
    assertEquals(List.of("stem", "bn", "conv2"), r.plan().frozen());
    try (LoadedModel m = ModelIO.open(out)) {
      Map<String, Boolean> trainable = new HashMap<>();
      for (Layer l : m.model().allLayers()) {
        trainable.put(l.name(), l.trainable());
      }
      assertFalse(trainable.get("stem"));
      assertFalse(trainable.get("bn"));
      assertFalse(trainable.get("conv2"));
      assertTrue(trainable.get("head"));
      Model model = m.model();
      assertEquals(0, model.optimizerWeights().size());
      for (Weight w : model.layerWeights()) {
        assertEquals(w.shape().elementCount() * 4, TestFiles.bytes(m, w).length);
      }
    }
  }

  @Test
  void optionsAndMappingsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> Adaptations.parse(List.of("heads")));
    assertThrows(IllegalArgumentException.class, () -> MatchStrategy.parse("mapping"));
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class, () -> LayerMapping.parse("a -> b\nc d\n", "f"));
    assertTrue(
        bad.getMessage().startsWith("line 2: expected 'SOURCE -> TARGET'"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LayerMapping.parse("a -> b*", "f"));
    LayerMapping m = LayerMapping.parse("enc/*_conv -> dec/*\n", "f");
    assertEquals(
        "enc/x_conv",
        m.resolve("dec/x", List.of("enc/x_conv", "enc/y_conv")).orElseThrow().sourcePath());
    assertTrue(m.resolve("other", List.of()).isEmpty());
    Adaptations all = Adaptations.parse(List.of("all"));
    assertEquals(List.of("input-channels", "head=keep", "vocab", "units", "gates"), all.labels());
  }
}
