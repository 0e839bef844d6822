package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.DType;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.DepthStep;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.ops.InitReport.WeightEntry;
import dev.initkit.ops.OpsFixtures.Flavor;
import dev.initkit.ops.OpsFixtures.ModelFile;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** {@link InitReport} on the real-Keras test models and on crafted cases. */
class InitReportTest {
  @TempDir Path tmp;

  private static InitReport report(Path file) throws IOException {
    try (LoadedModel m = ModelIO.open(file)) {
      return InitReport.of(m);
    }
  }

  private static WeightEntry entry(InitReport r, String layer, WeightRole role, int k) {
    return r.weights().stream()
        .filter(e -> e.site().layerPath().equals(layer) && e.weight().role() == role)
        .skip(k)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + layer + " " + role));
  }

  private static void fans(
      InitReport r, String layer, WeightRole role, long[] shape, long fanIn, long fanOut) {
    WeightEntry e = entry(r, layer, role, 0);
    assertEquals(Shape.of(shape), e.weight().shape(), layer);
    assertEquals(fanIn, e.fans().fanIn(), layer + " fan_in");
    assertEquals(fanOut, e.fans().fanOut(), layer + " fan_out");
  }

  /** Fans by layer kind, as Keras's compute_fans gives them for the Keras layouts. */
  @Test
  void fansPerLayerKind() throws IOException {
    for (Flavor f : Flavor.values()) {
      // Conv2D (kh, kw, in, out): fan_in = kh*kw*in, fan_out = kh*kw*out
      InitReport conv = report(OpsFixtures.file("conv2d", f).path());
      fans(conv, "conv_a", WeightRole.KERNEL, new long[] {3, 3, 3, 4}, 3 * 3 * 3, 3 * 3 * 4);
      fans(conv, "conv_b", WeightRole.KERNEL, new long[] {2, 3, 4, 6}, 2 * 3 * 4, 2 * 3 * 6);
      fans(conv, "probs", WeightRole.KERNEL, new long[] {54, 3}, 54, 3);
      fans(conv, "conv_a", WeightRole.BIAS, new long[] {4}, 4, 4);
      // He uniform: U(±sqrt(6/fan_in)), std sqrt(2/fan_in)
      assertEquals(
          Math.sqrt(2.0 / 27), entry(conv, "conv_a", WeightRole.KERNEL, 0).expectedStd(), 1e-12);
      assertEquals(
          Math.sqrt(2.0 / (24 + 36)),
          entry(conv, "conv_b", WeightRole.KERNEL, 0).expectedStd(),
          1e-12);
      // Conv3D and Conv1D
      fans(
          report(OpsFixtures.file("conv3d", f).path()),
          "conv3d",
          WeightRole.KERNEL,
          new long[] {3, 3, 3, 2, 3},
          54,
          81);
      fans(
          report(OpsFixtures.file("conv1d", f).path()),
          "conv1d_a",
          WeightRole.KERNEL,
          new long[] {3, 3, 4},
          9,
          12);
      // Conv2DTranspose (kh, kw, filters, in): Keras swaps the roles, fan_in = kh*kw*filters
      fans(
          report(OpsFixtures.file("conv2d_transpose", f).path()),
          "deconv_a",
          WeightRole.KERNEL,
          new long[] {3, 3, 4, 3},
          36,
          27);
      // DepthwiseConv2D (kh, kw, in, dm): fan_in = kh*kw*in (over-counts the per-channel kh*kw)
      InitReport dw = report(OpsFixtures.file("depthwise_conv2d", f).path());
      fans(dw, "depthwise", WeightRole.DEPTHWISE_KERNEL, new long[] {3, 3, 3, 2}, 27, 18);
      fans(dw, "pointwise", WeightRole.KERNEL, new long[] {1, 1, 6, 4}, 6, 4);
      InitReport sep = report(OpsFixtures.file("separable_conv2d", f).path());
      fans(sep, "sepconv", WeightRole.DEPTHWISE_KERNEL, new long[] {3, 3, 3, 2}, 27, 18);
      fans(sep, "sepconv", WeightRole.POINTWISE_KERNEL, new long[] {1, 1, 6, 5}, 6, 5);
      // LSTM: kernel (input_dim, 4u), recurrent (u, 4u); orthogonal std sqrt(min(r,c)/(r*c))
      InitReport lstm = report(OpsFixtures.file("lstm", f).path());
      fans(lstm, "lstm_a", WeightRole.KERNEL, new long[] {3, 20}, 3, 20);
      fans(lstm, "lstm_a", WeightRole.RECURRENT_KERNEL, new long[] {5, 20}, 5, 20);
      assertEquals(
          Math.sqrt(5.0 / 100),
          entry(lstm, "lstm_a", WeightRole.RECURRENT_KERNEL, 0).expectedStd(),
          1e-12);
      // unit_forget_bias: [0]*u + [1]*u + [0]*2u has mean 1/4 and std sqrt(3)/4
      WeightEntry bias = entry(lstm, "lstm_a", WeightRole.BIAS, 0);
      assertTrue(bias.configured().unitForgetBias());
      assertEquals(0.25, bias.expectedMean(), 1e-12);
      assertEquals(Math.sqrt(3) / 4, bias.expectedStd(), 1e-12);
      assertFalse(
          entry(lstm, "lstm_b", WeightRole.BIAS, 0).configured().unitForgetBias(),
          "lstm_b has unit_forget_bias=False");
      // GRU reset_after bias (2, 3u)
      fans(
          report(OpsFixtures.file("gru", f).path()),
          "gru_a",
          WeightRole.BIAS,
          new long[] {2, 15},
          2,
          15);
      // Embedding (vocab, dim), default RandomUniform(-0.05, 0.05): std 0.1/sqrt(12)
      InitReport emb = report(OpsFixtures.file("embedding", f).path());
      fans(emb, "embed", WeightRole.EMBEDDINGS, new long[] {20, 4}, 20, 4);
      assertEquals(
          0.1 / Math.sqrt(12), entry(emb, "embed", WeightRole.EMBEDDINGS, 0).expectedStd(), 1e-12);
      // MultiHeadAttention einsum kernels: (8, heads, key_dim) -> rf = 8
      InitReport mha = report(OpsFixtures.file("mha", f).path());
      fans(mha, "mha", WeightRole.KERNEL, new long[] {8, 2, 4}, 16, 32);
      assertEquals(
          new Shape[] {Shape.of(2, 4, 8)}[0],
          entry(mha, "mha", WeightRole.KERNEL, 3).weight().shape());
      assertEquals(8, entry(mha, "mha", WeightRole.KERNEL, 3).fans().fanIn());
    }
  }

  /** Every weight of every file: the fans are Keras's rule, written out here independently. */
  @Test
  void fansFollowKerasRuleEverywhere() throws IOException {
    for (ModelFile mf : OpsFixtures.files()) {
      for (WeightEntry e : report(mf.path()).weights()) {
        long[] d = e.weight().shape().dims();
        long fi;
        long fo;
        if (d.length == 0) {
          fi = fo = 1;
        } else if (d.length == 1) {
          fi = fo = d[0];
        } else if (d.length == 2) {
          fi = d[0];
          fo = d[1];
        } else {
          long rf = 1;
          for (int i = 0; i < d.length - 2; i++) {
            rf *= d[i];
          }
          fi = d[d.length - 2] * rf;
          fo = d[d.length - 1] * rf;
        }
        assertEquals(fi, e.fans().fanIn(), mf + " " + e.weight().name());
        assertEquals(fo, e.fans().fanOut(), mf + " " + e.weight().name());
      }
    }
  }

  /**
   * Kernels Keras drew and the generator left alone have the std their configured initializer
   * implies. For n iid values from a distribution with kurtosis κ, the sample std s satisfies s/σ ≈
   * 1 ± sqrt((κ-1)/(4n)) (one standard error, delta method); with κ = 3 (normal, the largest among
   * uniform 1.8, truncated normal 2.36 and normal-like orthogonal entries) a tensor passes within 5
   * standard errors. The test models are small (n from 8 to a few hundred), so the per-tensor bound
   * is loose; the pooled check over all of them is tight: Σ n_i (r_i² - 1) / Σ n_i has standard
   * error sqrt((κ-1)/N). The `compiled` model was trained two Adam steps (lr 1e-3), which moves no
   * std by more than a few per cent.
   */
  @Test
  void observedStdMatchesConfiguredInitializer() throws IOException {
    double num = 0;
    long total = 0;
    int checked = 0;
    for (ModelFile mf : OpsFixtures.files()) {
      for (WeightEntry e : report(mf.path()).weights()) {
        InitializerSpec s = e.configured().spec();
        Set<WeightRole> roles =
            Set.of(
                WeightRole.KERNEL,
                WeightRole.RECURRENT_KERNEL,
                WeightRole.DEPTHWISE_KERNEL,
                WeightRole.POINTWISE_KERNEL,
                WeightRole.EMBEDDINGS);
        if (s == null
            || !roles.contains(e.weight().role())
            || !s.isRandom()
            || s instanceof InitializerSpec.Custom) {
          continue;
        }
        long n = e.observed().count();
        double tol =
            5 * Math.sqrt(2.0 / (4 * n)) + (e.weight().dtype() == DType.FLOAT16 ? 1e-3 : 0);
        assertTrue(
            Math.abs(e.stdRatio() - 1) <= tol,
            () ->
                mf
                    + " "
                    + e.weight().name()
                    + " "
                    + s.describe()
                    + ": observed/expected std "
                    + e.stdRatio()
                    + " outside 1 ± "
                    + tol);
        num += n * (e.stdRatio() * e.stdRatio() - 1);
        total += n;
        checked++;
      }
    }
    assertTrue(checked >= 100, "checked only " + checked + " kernels");
    double pooled = num / total;
    double se = Math.sqrt(2.0 / total);
    assertTrue(
        Math.abs(pooled) <= 5 * se,
        "pooled (s/σ)² - 1 = " + pooled + " over " + total + " values (se " + se + ")");
  }

  @Test
  void depthEstimateFollowsTheFormula() throws IOException {
    InitReport r = report(OpsFixtures.file("mlp", Flavor.KERAS3_KERAS).path());
    List<DepthStep> s = r.configuredDepth().steps();
    assertEquals(
        List.of("dense_relu", "dense_tanh", "dense_sigmoid", "dense_const", "dense_softmax"),
        s.stream().map(DepthStep::layerPath).toList());
    // HeNormal on relu: E[pre²] = 8 * (2/8) * 1 = 2, relu halves it; mean sqrt(2)/sqrt(2 pi)
    assertEquals(1.0, s.get(0).variance(), 1e-9);
    assertEquals(0.5, s.get(0).gain2(), 1e-9);
    assertEquals(Math.sqrt(2) / Math.sqrt(2 * Math.PI), s.get(0).mean(), 1e-9);
    // LecunNormal on tanh with a Constant(c) bias: pre ~ N(c, 16 * (1/16) * 1), through tanh
    double c = entry(r, "dense_tanh", WeightRole.BIAS, 0).expectedMean();
    assertEquals(gaussian(Math::tanh, c, 1, 2), s.get(1).variance(), 1e-6);
    assertEquals(gaussian(Math::tanh, c, 1, 1), s.get(1).mean(), 1e-6);
    // Constant(0.05) kernel, fan_in 10, zero bias: E[(0.05 sum x)²] = 0.0025 (10 q + 90 m²)
    assertEquals(
        0.0025 * (10 * s.get(2).variance() + 90 * s.get(2).mean() * s.get(2).mean()),
        s.get(3).variance(),
        1e-9);
    // softmax over 4 classes: about 1/4 each
    assertEquals(0.25, s.get(4).mean(), 1e-12);
    // backward: a unit gradient at the output; through the linear Constant(0.05) layer each input
    // feeds fan_out = units outputs with E[W²] = 0.0025
    assertEquals(1.0, s.get(4).gradient(), 1e-12);
    long units = entry(r, "dense_const", WeightRole.KERNEL, 0).weight().shape().dim(-1);
    assertEquals(s.get(3).gradient() * units * 0.0025, s.get(2).gradient(), 1e-9);

    assertEquals("ok", r.configuredDepth().status());
    // observed: E[W²] is the stored weights' mean square
    DepthStep o = r.observedDepth().steps().get(0);
    WeightEntry k = entry(r, "dense_relu", WeightRole.KERNEL, 0);
    assertEquals(k.observed().meanSquare(), o.weightMeanSquare(), 1e-15);
    // normalisation resets: batchnorm model, bn_conv step = E[gamma²] var / (var + eps) + E[beta²]
    // for Ones/Zeros, var the conv's output variance, eps BatchNormalization's default 1e-3
    InitReport bn = report(OpsFixtures.file("batchnorm", Flavor.KERAS3_KERAS).path());
    List<String> order = bn.configuredDepth().steps().stream().map(DepthStep::layerPath).toList();
    DepthStep bnStep = bn.configuredDepth().steps().get(order.indexOf("bn_conv"));
    double var = Math.pow(bn.configuredDepth().steps().get(order.indexOf("bn_conv") - 1).std(), 2);
    assertEquals(var / (var + 1e-3), bnStep.variance(), 1e-12);
    // the graph order: the conv, its normalization, then the Activation('relu') layer that halves
    // it
    DepthStep after = bn.configuredDepth().steps().get(order.indexOf("bn_conv") + 1);
    assertEquals("relu", after.activation());
    assertEquals(0.5 * bnStep.variance(), after.variance(), 1e-9);
  }

  /**
   * E[f(X)^p] for X ~ N(mean, var), by the midpoint rule (independent of the estimate's Simpson).
   */
  private static double gaussian(
      java.util.function.DoubleUnaryOperator f, double mean, double var, int p) {
    double h = 1e-3;
    double sum = 0;
    for (double z = -12 + h / 2; z < 12; z += h) {
      sum +=
          Math.pow(f.applyAsDouble(mean + Math.sqrt(var) * z), p)
              * Math.exp(-z * z / 2)
              / Math.sqrt(2 * Math.PI)
              * h;
    }
    return sum;
  }

  @Test
  void depthFlagsVanishingAndExploding() throws IOException {
    List<Synthetic.Dense> small = new ArrayList<>();
    List<Synthetic.Dense> big = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      small.add(
          new Synthetic.Dense(
              64,
              "tanh",
              Synthetic.keras2("RandomNormal", "{\"mean\": 0.0, \"stddev\": 0.01, \"seed\": null}"),
              InitializerSpec.randomNormal(0, 0.01, null)));
      big.add(
          new Synthetic.Dense(
              64,
              "linear",
              Synthetic.keras2("RandomNormal", "{\"mean\": 0.0, \"stddev\": 1.0, \"seed\": null}"),
              InitializerSpec.randomNormal(0, 1, null)));
    }
    try (LoadedModel m = Synthetic.sequential(64, small)) {
      InitReport r = InitReport.of(m);
      assertEquals("vanishing", r.configuredDepth().status());
      assertEquals("dense_0", r.configuredDepth().firstOutOfRange());
      // tanh of a small signal is nearly linear: E[tanh(x)^2] = E[x^2] (1 - O(E[x^2]))
      assertEquals(
          Math.pow(64 * 1e-4, 4),
          r.configuredDepth().finalVariance(),
          0.02 * Math.pow(64 * 1e-4, 4));
      assertTrue(codes(r).contains("depth-vanishing"));
    }
    try (LoadedModel m = Synthetic.sequential(64, big)) {
      InitReport r = InitReport.of(m);
      assertEquals("exploding", r.configuredDepth().status());
      assertEquals("exploding", r.observedDepth().status());
      assertTrue(codes(r).contains("depth-exploding"));
    }
  }

  private static Set<String> codes(InitReport r) {
    return Set.copyOf(r.warnings().stream().map(Warning::code).toList());
  }

  private static List<String> codes(InitReport r, String layer) {
    return r.warnings().stream()
        .filter(w -> layer.equals(w.layerPath()))
        .map(Warning::code)
        .toList();
  }

  @Test
  void glorotUnderDeepReluStack() throws IOException {
    List<Synthetic.Dense> layers = new ArrayList<>();
    for (int i = 0; i < InitReport.DEEP_RELU_LAYERS; i++) {
      layers.add(
          new Synthetic.Dense(
              32,
              "relu",
              Synthetic.keras2("GlorotUniform", "{\"seed\": null}"),
              InitializerSpec.preset(InitializerSpec.Preset.GLOROT_UNIFORM, null)));
    }
    try (LoadedModel m = Synthetic.sequential(32, layers)) {
      InitReport r = InitReport.of(m);
      assertEquals(InitReport.DEEP_RELU_LAYERS, r.reluLayers());
      assertTrue(codes(r, "dense_0").contains("glorot-deep-relu"), r.warnings()::toString);
      // Glorot on relu with fan_in = fan_out: each layer halves the variance
      assertEquals(
          Math.pow(0.5, InitReport.DEEP_RELU_LAYERS), r.configuredDepth().finalVariance(), 1e-12);
      assertEquals(
          "HeNormal", entry(r, "dense_0", WeightRole.KERNEL, 0).recommended().canonicalName());
    }
    try (LoadedModel m =
        Synthetic.sequential(32, layers.subList(0, InitReport.DEEP_RELU_LAYERS - 1))) {
      assertFalse(
          codes(InitReport.of(m)).contains("glorot-deep-relu"), "a shallow stack is not flagged");
    }
  }

  @Test
  void configWarnings() throws IOException {
    List<Synthetic.Dense> layers =
        List.of(
            // standalone Keras 2.0 / tfjs: "normal" meant the uncorrected truncated normal
            new Synthetic.Dense(
                8,
                "relu",
                Synthetic.keras2(
                    "VarianceScaling",
                    "{\"scale\": 2.0, \"mode\": \"fan_in\", \"distribution\": \"normal\", \"seed\": null}"),
                InitializerSpec.preset(InitializerSpec.Preset.HE_NORMAL, null)),
            // a custom initializer is kept verbatim and reported
            new Synthetic.Dense(
                8,
                "relu",
                Synthetic.keras2("MyInit", "{\"alpha\": 3}"),
                InitializerSpec.randomNormal(0, 0.3, null)),
            // DL4J reads truncated_normal VarianceScaling as uniform
            new Synthetic.Dense(
                8,
                "relu",
                Synthetic.keras2(
                    "VarianceScaling",
                    "{\"scale\": 2.0, \"mode\": \"fan_in\", \"distribution\": \"truncated_normal\", \"seed\": null}"),
                InitializerSpec.preset(InitializerSpec.Preset.HE_NORMAL, null)),
            new Synthetic.Dense(
                8,
                "tanh",
                Synthetic.keras2("HeUniform", "{\"seed\": null}"),
                InitializerSpec.preset(InitializerSpec.Preset.HE_UNIFORM, null)),
            new Synthetic.Dense(
                4, "sigmoid", Synthetic.keras2("Zeros", "{}"), InitializerSpec.zeros()));
    try (LoadedModel m = Synthetic.sequential(8, layers)) {
      InitReport r = InitReport.of(m);
      assertEquals(List.of("legacy-normal"), codes(r, "dense_0"));
      assertEquals(List.of("custom-initializer"), codes(r, "dense_1"));
      assertNull(
          entry(r, "dense_1", WeightRole.KERNEL, 0)
              .configured()
              .spec()
              .kerasFallback()
              .orElse(null));
      assertEquals(List.of("dl4j-variance-scaling"), codes(r, "dense_2"));
      assertEquals(List.of("he-saturating"), codes(r, "dense_3"));
      assertEquals(List.of("constant-initializer", "zero-kernel"), codes(r, "dense_4"));
      assertTrue(
          Double.isNaN(r.configuredDepth().finalVariance())
              || r.configuredDepth().status().equals("unknown"),
          "a custom initializer makes the configured estimate unknown");
    }
  }

  @Test
  void realFilesCarryTheDl4jTraps() throws IOException {
    InitReport r = report(OpsFixtures.file("mlp_inits", Flavor.TFKERAS_H5).path());
    assertTrue(codes(r, "dense_2").contains("dl4j-lecun-uniform"), r.warnings()::toString);
    assertTrue(codes(r, "dense_6").contains("dl4j-variance-scaling"), r.warnings()::toString);
    assertTrue(codes(r, "dense_3").contains("dl4j-identity") == false, "Identity (8, 8) is square");
  }

  /** Rewrites a file's config with rules, writes it, and reports on what was written. */
  private InitReport rewriteAndReport(ModelFile mf, String... rules) throws IOException {
    Path out =
        tmp.resolve(
            mf.model()
                + "-"
                + mf.flavor().tag()
                + "-"
                + Math.abs(String.join(";", rules).hashCode())
                + mf.flavor().ext);
    try (LoadedModel m = ModelIO.open(mf.path())) {
      ConfigRewriter.Result res =
          ConfigRewriter.rewrite(
              m.model(), Stream.of(rules).map(ConfigRewriter.Rule::parse).toList());
      ModelIO.write(m.withModel(res.model()), out, ModelIO.WriteOptions.defaults());
    }
    return report(out);
  }

  @TestFactory
  Stream<DynamicTest> warningsFireOnRewrittenFiles() {
    return Stream.of(Flavor.values())
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.file,
                    () -> {
                      ModelFile mf = OpsFixtures.file("mlp", f);
                      InitReport before = report(mf.path());
                      assertFalse(codes(before, "dense_tanh").contains("he-saturating"));
                      InitReport he =
                          rewriteAndReport(
                              mf, "dense_tanh=he_normal", "dense_sigmoid=he_uniform(seed=3)");
                      assertTrue(
                          codes(he, "dense_tanh").contains("he-saturating"),
                          he.warnings()::toString);
                      assertTrue(
                          codes(he, "dense_sigmoid").contains("he-saturating"),
                          he.warnings()::toString);
                      InitReport zeros = rewriteAndReport(mf, "dense_relu=zeros");
                      assertTrue(
                          codes(zeros, "dense_relu").contains("constant-initializer"),
                          zeros.warnings()::toString);
                      InitReport lecun = rewriteAndReport(mf, "head=lecun_uniform");
                      assertTrue(
                          codes(lecun, "dense_softmax").contains("dl4j-lecun-uniform"),
                          lecun.warnings()::toString);
                    }));
  }

  @Test
  void zeroKernelAfterReinit() throws IOException {
    ModelFile mf = OpsFixtures.file("mlp", Flavor.KERAS3_KERAS);
    Path out = tmp.resolve("zero.keras");
    try (LoadedModel m = ModelIO.open(mf.path())) {
      Reinitializer.Plan plan =
          Reinitializer.plan(
              m.model(), Reinitializer.Scheme.parse("zeros"), Selector.parse("dense_relu"), 0);
      ModelIO.write(Reinitializer.apply(m, plan), out, ModelIO.WriteOptions.defaults());
    }
    InitReport r = report(out);
    assertTrue(codes(r, "dense_relu").contains("zero-kernel"), r.warnings()::toString);
    WeightEntry k = entry(r, "dense_relu", WeightRole.KERNEL, 0);
    assertEquals(1.0, k.observed().zeroFraction());
    assertFalse(codes(r, "dense_tanh").contains("zero-kernel"));
  }

  @Test
  void keras1Quirks() throws IOException {
    Path k1 = TestFiles.corpus().resolve("h5-full/k1-lstm-dense-optimizer-tf.h5");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(k1), "corpus file missing");
    InitReport r = report(k1);
    assertTrue(codes(r).contains("keras1"));
    // Keras 1 per-gate LSTM biases: only the forget gate's is forget_bias_init ('one')
    WeightEntry f =
        r.weights().stream()
            .filter(e -> e.weight().shortName().endsWith("_b_f"))
            .findFirst()
            .orElseThrow();
    assertEquals(InitializerSpec.ones(), f.configured().spec());
    WeightEntry i =
        r.weights().stream()
            .filter(e -> e.weight().shortName().endsWith("_b_i"))
            .findFirst()
            .orElseThrow();
    assertEquals(InitializerSpec.zeros(), i.configured().spec());
    assertFalse(i.configured().unitForgetBias());
  }

  /** Streaming statistics equal in-memory ones, for every float dtype and any block size. */
  @Test
  void streamingStatistics() throws IOException {
    for (String model : List.of("float16", "float64", "mlp")) {
      try (LoadedModel m = ModelIO.open(OpsFixtures.file(model, Flavor.KERAS3_KERAS).path())) {
        for (Weight w : m.model().layerWeights()) {
          double[] v = OpsFixtures.values(m, w);
          TensorStats whole = TensorStats.of(v);
          TensorStats tiny = TensorStats.of(w, m.tensors(), ByteBuffer.allocateDirect(16));
          TensorStats normal =
              TensorStats.of(w, m.tensors(), ByteBuffer.allocateDirect(TensorStats.BLOCK_BYTES));
          for (TensorStats s : List.of(tiny, normal)) {
            assertEquals(whole.count(), s.count());
            assertEquals(whole.mean(), s.mean(), 1e-12);
            assertEquals(whole.std(), s.std(), 1e-12);
            assertEquals(whole.min(), s.min());
            assertEquals(whole.max(), s.max());
          }
        }
      }
    }
    // bfloat16: values 0, 1, -2, 0.5 (bit patterns 0x0000, 0x3f80, 0xc000, 0x3f00)
    Weight w = new Weight("x", Shape.of(2, 2), DType.BFLOAT16, WeightRole.KERNEL, "x");
    TensorSource src =
        (weight, first, rows, dst) -> {
          short[] bits = {0x0000, 0x3f80, (short) 0xc000, 0x3f00};
          ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
          for (long r = first; r < first + rows; r++) {
            le.putShort(bits[(int) (2 * r)]);
            le.putShort(bits[(int) (2 * r + 1)]);
          }
          dst.position(le.position());
        };
    TensorStats s = TensorStats.of(w, src, ByteBuffer.allocateDirect(4));
    assertEquals(-0.125, s.mean(), 1e-15);
    assertEquals(-2, s.min());
    assertEquals(1, s.max());
    assertEquals(0.25, s.zeroFraction());
    assertNotNull(s);
  }
}
