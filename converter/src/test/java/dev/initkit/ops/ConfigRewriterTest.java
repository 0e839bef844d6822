package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.config.ConfigGeneration;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.ConfigRewriter.Change;
import dev.initkit.ops.ConfigRewriter.Rule;
import dev.initkit.ops.OpsFixtures.Flavor;
import dev.initkit.ops.OpsFixtures.ModelFile;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** {@code set-init}'s config rewriting, on every generated model in every format. */
class ConfigRewriterTest {
  @TempDir Path tmp;

  /** Rules that touch every initializer role the generated models have; later ones override. */
  static final List<String> RULES =
      List.of(
          "all=he_uniform(seed=7)",
          "role:bias=constant(0.01)",
          "role:recurrent_kernel=orthogonal(gain=0.5,seed=3)",
          "role:embeddings=random_normal(mean=0,stddev=0.02,seed=11)",
          "role:gamma=constant(1.5)",
          "role:beta=zeros",
          "role:depthwise_kernel=lecun_normal",
          "head=glorot_normal(seed=5)");

  static List<Rule> rules() {
    return RULES.stream().map(Rule::parse).toList();
  }

  @TestFactory
  Stream<DynamicTest> everyModelAndFormat() throws IOException {
    return OpsFixtures.files().stream()
        .map(mf -> DynamicTest.dynamicTest(mf.toString(), () -> check(mf)));
  }

  private void check(ModelFile mf) throws Exception {
    Path out = tmp.resolve(mf.model() + "." + mf.flavor().tag() + mf.flavor().ext);
    Path base = tmp.resolve(mf.model() + "." + mf.flavor().tag() + ".untouched" + mf.flavor().ext);
    ConfigRewriter.Result res;
    Model original;
    try (LoadedModel m = ModelIO.open(mf.path())) {
      original = m.model();
      res = ConfigRewriter.rewrite(m.model(), rules());
      consistent(res.model());
      ModelIO.write(m.withModel(res.model()), out, ModelIO.WriteOptions.defaults());
      // the same model written without the rewrite: what the writer makes of the rest of the config
      ModelIO.write(m, base, ModelIO.WriteOptions.defaults());
    }
    assertFalse(res.changes().isEmpty(), "no change in " + mf);
    boolean keras3 =
        ConfigGeneration.detect(original.config().orElseThrow()) == ConfigGeneration.KERAS3;
    // the rewritten config text differs from the file's only inside the replaced values
    assertOnlyValuesChanged(
        original.configText().orElseThrow(), res.model().configText().orElseThrow(), res, null);
    for (Change c : res.changes()) {
      if (keras3) {
        assertTrue(
            c.after().has("module"), "written in the config's own generation form: " + c.after());
      }
    }
    try (LoadedModel o = ModelIO.open(out);
        LoadedModel i = ModelIO.open(mf.path());
        LoadedModel b = ModelIO.open(base)) {
      Model written = o.model();
      consistent(written);
      // the written config parses back to what the rules asked for, in the form the file's
      // other initializers have
      Map<String, Layer> layers = byPath(written);
      Map<String, Layer> baseLayers = byPath(b.model());
      for (Change c : res.changes()) {
        JsonNode untouched = baseLayers.get(c.layerPath()).config().at("/" + c.key());
        JsonNode v = layers.get(c.layerPath()).config().at("/" + c.key());
        if (untouched.isMissingNode()) {
          // the writer leaves this part out (e.g. a Bidirectional's backward_layer, rebuilt from
          // the layer)
          assertTrue(v.isMissingNode(), mf + " " + c.layerPath() + " " + c.key());
          continue;
        }
        assertFalse(v.isMissingNode(), mf + " " + c.layerPath() + " " + c.key());
        assertEquals(
            c.written(), InitializerSpec.parse(v), mf + " " + c.layerPath() + " " + c.key());
        assertEquals(
            untouched.has("module"),
            v.has("module"),
            "same form as the file's other initializers: " + v);
      }
      // every other byte of the written config is what the writer makes of the untouched model
      assertOnlyValuesChanged(
          b.model().configText().orElseThrow(), written.configText().orElseThrow(), res, b.model());
      // the weights are bitwise the same, and the optimizer state is kept
      List<Weight> wa = i.model().layerWeights();
      List<Weight> wb = written.layerWeights();
      assertEquals(wa.size(), wb.size());
      for (int k = 0; k < wa.size(); k++) {
        assertArrayEquals(
            TestFiles.bytes(i, wa.get(k)), TestFiles.bytes(o, wb.get(k)), wa.get(k).name());
      }
      assertEquals(i.model().optimizerWeights().size(), written.optimizerWeights().size());
    }
  }

  /** Rules hit what they should on some known models. */
  @Test
  void rulesPickTheRightKeys() throws IOException {
    for (Flavor f : Flavor.values()) {
      Map<String, List<String>> keys = keysByLayer(OpsFixtures.file("bidirectional", f), rules());
      // both directions of a Bidirectional: Keras 3 writes a backward_layer config, tf-keras only
      // the layer (the backward copy is built from it)
      List<String> both =
          List.of(
              "layer/config/kernel_initializer",
              "backward_layer/config/kernel_initializer",
              "layer/config/recurrent_initializer",
              "backward_layer/config/recurrent_initializer",
              "layer/config/bias_initializer",
              "backward_layer/config/bias_initializer");
      assertEquals(
          f == Flavor.TFKERAS_H5
              ? both.stream().filter(k -> !k.startsWith("backward")).toList()
              : both,
          keys.get("bi_lstm"),
          f.file);
      Map<String, List<String>> td = keysByLayer(OpsFixtures.file("timedistributed", f), rules());
      assertEquals(
          List.of("layer/config/kernel_initializer", "layer/config/bias_initializer"),
          td.get("td_dense"),
          f.file);
      Map<String, List<String>> dw = keysByLayer(OpsFixtures.file("depthwise_conv2d", f), rules());
      assertEquals(
          List.of("depthwise_initializer", "bias_initializer"), dw.get("depthwise"), f.file);
      Map<String, List<String>> sep = keysByLayer(OpsFixtures.file("separable_conv2d", f), rules());
      assertEquals(
          List.of("depthwise_initializer", "pointwise_initializer", "bias_initializer"),
          sep.get("sepconv"),
          f.file);
      Map<String, List<String>> bn = keysByLayer(OpsFixtures.file("batchnorm", f), rules());
      assertEquals(List.of("gamma_initializer", "beta_initializer"), bn.get("bn_conv"), f.file);
      assertEquals(List.of("beta_initializer"), bn.get("bn_dense_noscale"), f.file);
      // nested models: the inner layer's config inside the nested model's entry
      Map<String, List<String>> nested =
          keysByLayer(OpsFixtures.file("nested_functional", f), rules());
      assertTrue(nested.keySet().stream().anyMatch(k -> k.contains("/")), nested.toString());
    }
  }

  private static Map<String, List<String>> keysByLayer(ModelFile mf, List<Rule> rules)
      throws IOException {
    try (LoadedModel m = ModelIO.open(mf.path())) {
      Map<String, List<String>> out = new TreeMap<>();
      for (Change c : ConfigRewriter.rewrite(m.model(), rules).changes()) {
        out.computeIfAbsent(c.layerPath(), k -> new ArrayList<>()).add(c.key());
      }
      return out;
    }
  }

  @Test
  void laterRulesWinAndRolesDefaultToKernels() throws IOException {
    try (LoadedModel m = ModelIO.open(OpsFixtures.file("mlp", Flavor.KERAS3_KERAS).path())) {
      ConfigRewriter.Result r =
          ConfigRewriter.rewrite(
              m.model(),
              List.of(
                  Rule.parse("dense_*=he_normal"), Rule.parse("dense_tanh=glorot_normal(seed=1)")));
      // kernels only (no role: term), one change per kernel
      assertEquals(5, r.changes().size());
      assertTrue(r.changes().stream().allMatch(c -> c.role() == WeightRole.KERNEL));
      Change tanh =
          r.changes().stream()
              .filter(c -> c.layerPath().equals("dense_tanh"))
              .findFirst()
              .orElseThrow();
      assertEquals(2, tanh.rule());
      assertEquals(
          InitializerSpec.preset(InitializerSpec.Preset.GLOROT_NORMAL, 1L), tanh.written());
      // in model order
      assertEquals(
          List.of("dense_relu", "dense_tanh", "dense_sigmoid", "dense_const", "dense_softmax"),
          r.changes().stream().map(Change::layerPath).toList());
    }
  }

  @Test
  void unchangedValueLeavesTheModelAlone() throws IOException {
    try (LoadedModel m = ModelIO.open(OpsFixtures.file("mlp", Flavor.KERAS3_KERAS).path())) {
      ConfigRewriter.Result r =
          ConfigRewriter.rewrite(m.model(), List.of(Rule.parse("dense_relu=he_normal")));
      assertEquals(1, r.changes().size());
      assertFalse(
          r.changes().get(0).changed(), "HeNormal(seed=None) is what the config already says");
      assertSame(m.model(), r.model());
    }
  }

  @Test
  void initkitOnlyKindsWriteTheirFallback() throws IOException {
    try (LoadedModel m = ModelIO.open(OpsFixtures.file("mlp", Flavor.TFKERAS_H5).path())) {
      ConfigRewriter.Result r =
          ConfigRewriter.rewrite(
              m.model(),
              List.of(
                  Rule.parse("dense_relu=small(magnitude=0.02)"), Rule.parse("head=sinusoidal")));
      Change small = r.changes().get(0);
      assertTrue(
          small.requested() instanceof InitializerSpec.SmallSign, small.requested().describe());
      assertEquals(InitializerSpec.randomUniform(-0.02, 0.02, null), small.written());
      assertEquals("RandomUniform", small.after().get("class_name").asText());
      assertEquals("GlorotUniform", r.changes().get(1).after().get("class_name").asText());
      assertEquals(2, r.notes().size(), r.notes()::toString);
      assertTrue(r.notes().get(0).text().contains("initkit-only"), r.notes()::toString);
      // --reinit draws what was asked for, not the fallback
      assertEquals(
          Set.of(InitializerSpec.SmallSign.class, InitializerSpec.Sinusoidal.class),
          Set.copyOf(r.draws().values().stream().map(Object::getClass).toList()));
    }
  }

  @Test
  void refusals() throws IOException {
    for (String bad :
        List.of(
            "dense",
            "=he_normal",
            "dense=",
            "dense=bogus",
            "role:nope=zeros",
            "dense=he_normal(seed=x)")) {
      assertThrows(IllegalArgumentException.class, () -> Rule.parse(bad), bad);
    }
    // a selector that matches nothing is a note, not an error
    try (LoadedModel m = ModelIO.open(OpsFixtures.file("mlp", Flavor.KERAS3_KERAS).path())) {
      ConfigRewriter.Result r =
          ConfigRewriter.rewrite(m.model(), List.of(Rule.parse("class:LSTM=orthogonal")));
      assertTrue(r.changes().isEmpty());
      assertEquals(1, r.notes().size());
    }
    // a layer whose config has no such key: not added
    List<Synthetic.Dense> layers =
        List.of(new Synthetic.Dense(4, "relu", null, InitializerSpec.zeros()));
    try (LoadedModel m = Synthetic.sequential(3, layers)) {
      UnsupportedModelException e =
          assertThrows(
              UnsupportedModelException.class,
              () -> ConfigRewriter.rewrite(m.model(), List.of(Rule.parse("all=he_normal"))));
      assertTrue(e.getMessage().contains("kernel_initializer"), e.getMessage());
    }
    // Keras 1 configs and weights-only files
    Path k1 = TestFiles.corpus().resolve("h5-full/k1-conv2d-tf.h5");
    if (Files.exists(k1)) {
      try (LoadedModel m = ModelIO.open(k1)) {
        assertThrows(
            UnsupportedModelException.class, () -> ConfigRewriter.rewrite(m.model(), rules()));
      }
    }
    try (LoadedModel m =
        ModelIO.open(
            OpsFixtures.file("mlp", Flavor.KERAS3_KERAS)
                .path()
                .resolveSibling("keras3.weights.h5"))) {
      assertThrows(
          UnsupportedModelException.class, () -> ConfigRewriter.rewrite(m.model(), rules()));
    }
  }

  // ------------------------------------------------------------------------------------------

  /** Every layer's config node is the node at its place in the model config. */
  private static void consistent(Model m) {
    Map<Layer, String> ptr = LayerConfigs.pointers(m);
    for (Layer l : m.allLayers()) {
      String p = ptr.get(l);
      if (p != null) {
        assertEquals(m.config().orElseThrow().at(p), l.config(), l.name());
      }
    }
    assertFalse(ptr.isEmpty());
  }

  private static Map<String, Layer> byPath(Model m) {
    Map<String, Layer> out = new TreeMap<>();
    for (WeightSite s : WeightSite.of(m)) {
      out.putIfAbsent(s.layerPath(), s.layer());
    }
    return out;
  }

  /**
   * The texts differ only inside the values the rewrite replaced. With {@code written} (the
   * untouched model as the writer wrote it) the pointers are looked up there, values the writer
   * leaves out are skipped, and a value may come out equal (the writer may normalise both forms).
   */
  private static void assertOnlyValuesChanged(
      String before, String after, ConfigRewriter.Result r, Model written) throws IOException {
    Model m = written == null ? r.model() : written;
    Map<Layer, String> ptr = LayerConfigs.pointers(m);
    Map<String, Layer> layers = byPath(m);
    Set<String> pointers = new HashSet<>();
    for (Change c : r.changes()) {
      if (c.changed()) {
        String p = JsonSplice.pointer(ptr.get(layers.get(c.layerPath())), c.key());
        if (written == null || !written.config().orElseThrow().at(p).isMissingNode()) {
          pointers.add(p);
        }
      }
    }
    Map<String, long[]> a = JsonSplice.spans(before, pointers);
    Map<String, long[]> b = JsonSplice.spans(after, pointers);
    assertEquals(pointers, a.keySet());
    assertEquals(pointers, b.keySet());
    List<String> order = new ArrayList<>(pointers);
    order.sort((x, y) -> Long.compare(a.get(x)[0], a.get(y)[0]));
    int pa = 0;
    int pb = 0;
    for (String p : order) {
      assertEquals(
          before.substring(pa, (int) a.get(p)[0]),
          after.substring(pb, (int) b.get(p)[0]),
          "text before " + p);
      if (written == null) {
        assertNotEquals(
            before.substring((int) a.get(p)[0], (int) a.get(p)[1]),
            after.substring((int) b.get(p)[0], (int) b.get(p)[1]));
      }
      pa = (int) a.get(p)[1];
      pb = (int) b.get(p)[1];
    }
    assertEquals(before.substring(pa), after.substring(pb), "text after the last change");
  }
}
