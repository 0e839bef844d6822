package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.Sampling;
import dev.initkit.init.SpecStatistics;
import dev.initkit.init.StatTools;
import dev.initkit.model.DType;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.OpsFixtures.Flavor;
import dev.initkit.ops.OpsFixtures.ModelFile;
import dev.initkit.ops.Reinitializer.Entry;
import dev.initkit.ops.Reinitializer.Plan;
import dev.initkit.ops.Reinitializer.Scheme;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** {@code reinit}: determinism, selection, distributions, normalisation and optimizer state. */
class ReinitializerTest {
  @TempDir Path tmp;

  /** Significance level of the KS tests. */
  private static final double ALPHA = 0.001;

  private static Path reinit(Path in, Path out, Scheme scheme, Selector selector, long seed)
      throws IOException {
    try (LoadedModel m = ModelIO.open(in)) {
      Plan plan = Reinitializer.plan(m.model(), scheme, selector, seed);
      ModelIO.write(
          Reinitializer.apply(m, plan), out, ModelIO.WriteOptions.defaults().withOverwrite(true));
    }
    return out;
  }

  private static List<byte[]> weights(Path file) throws IOException {
    try (LoadedModel m = ModelIO.open(file)) {
      List<byte[]> out = new ArrayList<>();
      for (Weight w : m.model().layerWeights()) {
        out.add(TestFiles.bytes(m, w));
      }
      return out;
    }
  }

  @TestFactory
  Stream<DynamicTest> seededDeterminism() {
    return Stream.of(Flavor.values())
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.file,
                    () -> {
                      ModelFile mf = OpsFixtures.file("lstm", f);
                      Path a =
                          reinit(
                              mf.path(),
                              tmp.resolve("a" + f.tag() + f.ext),
                              Scheme.configured(),
                              Selector.all(),
                              42);
                      Path b =
                          reinit(
                              mf.path(),
                              tmp.resolve("b" + f.tag() + f.ext),
                              Scheme.configured(),
                              Selector.all(),
                              42);
                      Path c =
                          reinit(
                              mf.path(),
                              tmp.resolve("c" + f.tag() + f.ext),
                              Scheme.configured(),
                              Selector.all(),
                              43);
                      assertArrayEquals(
                          Files.readAllBytes(a), Files.readAllBytes(b), "same seed, same bytes");
                      List<byte[]> wa = weights(a);
                      List<byte[]> wc = weights(c);
                      List<byte[]> orig = weights(mf.path());
                      int differ = 0;
                      for (int i = 0; i < wa.size(); i++) {
                        if (!Arrays.equals(wa.get(i), wc.get(i))) {
                          differ++;
                        }
                        assertFalse(
                            Arrays.equals(wa.get(i), orig.get(i)) && !isConstantDraw(mf, i),
                            "weight " + i + " was redrawn");
                      }
                      // every random weight differs with another seed (constant ones, zeros biases,
                      // do not)
                      assertTrue(
                          differ >= 4,
                          "kernels and recurrent kernels of both LSTMs and the head differ: "
                              + differ);
                    }));
  }

  private static boolean isConstantDraw(ModelFile mf, int index) throws IOException {
    try (LoadedModel m = ModelIO.open(mf.path())) {
      Entry e =
          Reinitializer.plan(m.model(), Scheme.configured(), Selector.all(), 0)
              .entries()
              .get(index);
      return !e.spec().isRandom();
    }
  }

  /**
   * Two JVMs, one of them limited to one processor, write identical bytes: the draws do not depend
   * on the run or on the thread count (the tensor is large enough to be filled in parallel here).
   */
  @Test
  void secondJvmOneCpuSameBytes() throws Exception {
    Path big = tmp.resolve("big.h5");
    List<Synthetic.Dense> layers =
        List.of(
            new Synthetic.Dense(
                600,
                "relu",
                Synthetic.keras2("HeNormal", "{\"seed\": null}"),
                InitializerSpec.zeros()),
            new Synthetic.Dense(
                300,
                "tanh",
                Synthetic.keras2("Orthogonal", "{\"gain\": 1.0, \"seed\": null}"),
                InitializerSpec.zeros()));
    try (LoadedModel m = Synthetic.sequential(500, layers)) {
      ModelIO.write(m, big, ModelIO.WriteOptions.defaults());
    }
    Path here = reinit(big, tmp.resolve("here.h5"), Scheme.configured(), Selector.all(), 7);
    Path there = tmp.resolve("there.h5");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-XX:ActiveProcessorCount=1",
                "-cp",
                dev.initkit.testing.TestFiles.childClassPath(),
                ReinitMain.class.getName(),
                big.toString(),
                there.toString(),
                "7")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("jvm.log").toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "second JVM timed out");
    assertEquals(0, p.exitValue(), () -> read(tmp.resolve("jvm.log")));
    assertArrayEquals(
        Files.readAllBytes(here),
        Files.readAllBytes(there),
        "bytes differ between JVMs / thread counts");
  }

  /**
   * Row blocks that start inside seed blocks, filled in parallel, give the single-threaded bytes.
   */
  @Test
  void parallelRangesEqualOneThread() throws IOException {
    dev.initkit.model.Shape shape = dev.initkit.model.Shape.of(1000, 700);
    for (String spec : List.of("he_normal", "glorot_uniform", "truncated_normal(stddev=0.2)")) {
      dev.initkit.init.Initializer init =
          dev.initkit.init.Initializer.of(InitializerSpec.parse(spec));
      Weight w = new Weight("w", shape, DType.FLOAT32, WeightRole.KERNEL, "k");
      java.nio.ByteBuffer whole = java.nio.ByteBuffer.allocate((int) (shape.elementCount() * 4));
      init.fill(shape, DType.FLOAT32, 77, whole);
      GeneratedTensors g =
          new GeneratedTensors(
              (x, f, r, d) -> {
                throw new IOException("no base");
              },
              java.util.Map.of("k", new GeneratedTensors.Draw(init, 77)));
      java.nio.ByteBuffer got =
          java.nio.ByteBuffer.allocateDirect((int) (shape.elementCount() * 4));
      for (long r = 0; r < 1000; r += 333) {
        g.readRows(w, r, Math.min(333, 1000 - r), got);
      }
      got.flip();
      byte[] b = new byte[got.remaining()];
      got.get(b);
      assertArrayEquals(whole.array(), b, spec);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void selectedChangeUnselectedStay() throws IOException {
    for (Flavor f : Flavor.values()) {
      ModelFile mf = OpsFixtures.file("mlp", f);
      Path out =
          reinit(
              mf.path(),
              tmp.resolve("sel" + f.tag() + f.ext),
              Scheme.configured(),
              Selector.parse("dense_tanh,role:kernel"),
              1);
      try (LoadedModel o = ModelIO.open(out);
          LoadedModel i = ModelIO.open(mf.path())) {
        List<Weight> a = i.model().layerWeights();
        List<Weight> b = o.model().layerWeights();
        for (int k = 0; k < a.size(); k++) {
          boolean selected =
              a.get(k).name().contains("dense_tanh") && a.get(k).role() == WeightRole.KERNEL;
          assertEquals(
              !selected,
              Arrays.equals(TestFiles.bytes(i, a.get(k)), TestFiles.bytes(o, b.get(k))),
              f.file + " " + a.get(k).name());
        }
      }
    }
  }

  /** Redrawing one layer gives it the same values as redrawing everything (per-weight streams). */
  @Test
  void streamsAreIndependentOfTheSelection() throws IOException {
    ModelFile mf = OpsFixtures.file("mlp", Flavor.KERAS3_KERAS);
    List<byte[]> all =
        weights(
            reinit(mf.path(), tmp.resolve("all.keras"), Scheme.configured(), Selector.all(), 5));
    List<byte[]> one =
        weights(
            reinit(
                mf.path(),
                tmp.resolve("one.keras"),
                Scheme.configured(),
                Selector.parse("dense_sigmoid"),
                5));
    assertArrayEquals(all.get(4), one.get(4));
    assertArrayEquals(all.get(5), one.get(5));
  }

  /**
   * Every weight reinit draws from a random spec, in every generated model and format, read back
   * from the written file: a KS test against the exact CDF of the spec for its shape (uniform,
   * normal, truncated normal; α = 0.001) where there are at least 50 values, and orthogonal
   * matrices satisfy Q Qᵀ = gain² I (rows) or Qᵀ Q = gain² I (columns) to 1e-5 (float32).
   */
  @Test
  void drawnWeightsFollowTheirSpecs() throws IOException {
    int ks = 0;
    int orth = 0;
    for (ModelFile mf : OpsFixtures.files()) {
      Path out =
          reinit(
              mf.path(),
              tmp.resolve(mf.model() + "." + mf.flavor().tag() + mf.flavor().ext),
              Scheme.configured(),
              Selector.all(),
              2024);
      try (LoadedModel in = ModelIO.open(mf.path());
          LoadedModel o = ModelIO.open(out)) {
        Plan plan = Reinitializer.plan(in.model(), Scheme.configured(), Selector.all(), 2024);
        List<Weight> written = o.model().layerWeights();
        for (int k = 0; k < plan.entries().size(); k++) {
          Entry e = plan.entries().get(k);
          if (!e.drawn()) {
            continue;
          }
          Weight w = written.get(k);
          double[] v = OpsFixtures.values(o, w);
          Sampling s = SpecStatistics.sampling(e.spec(), w.shape());
          String what = mf + " " + w.name() + " " + e.spec().describe();
          if (e.unitForgetBias()) {
            int u = v.length / 4;
            for (int j = 0; j < v.length; j++) {
              assertEquals(j >= u && j < 2 * u ? 1.0 : 0.0, v[j], what);
            }
            continue;
          }
          switch (s.type()) {
            case CONSTANT:
              for (double x : v) {
                assertEquals(DTypeRound.of(s.a(), w.dtype()), x, what);
              }
              break;
            case ORTHOGONAL:
              orthogonal(v, w.shape().dims(), s.a(), w.dtype(), what);
              orth++;
              break;
            case UNIFORM:
            case NORMAL:
            case TRUNCATED_NORMAL:
              if (v.length >= 50 && w.dtype() != DType.FLOAT16) {
                double p = StatTools.ksPValue(StatTools.ksStatistic(v, cdf(s)), v.length);
                assertTrue(p > ALPHA, what + ": KS p = " + p);
                ks++;
              }
              break;
            default:
              break;
          }
        }
        assertEquals(0, o.model().optimizerWeights().size(), "optimizer weights dropped");
      }
    }
    assertTrue(ks >= 60 && orth >= 10, "KS tests " + ks + ", orthogonal checks " + orth);
  }

  private static DoubleUnaryOperator cdf(Sampling s) {
    switch (s.type()) {
      case UNIFORM:
        return StatTools.uniformCdf(s.a(), s.b());
      case NORMAL:
        return StatTools.normalCdf(s.a(), s.b());
      default:
        return StatTools.truncatedNormalCdf(s.a(), s.b());
    }
  }

  private static void orthogonal(double[] v, long[] dims, double gain, DType dtype, String what) {
    int cols = (int) dims[dims.length - 1];
    int rows = v.length / cols;
    boolean byRows = rows <= cols; // the shorter side is orthonormal
    int n = byRows ? rows : cols;
    int len = byRows ? cols : rows;
    double tol = dtype == DType.FLOAT16 ? 5e-3 : dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        double dot = 0;
        for (int k = 0; k < len; k++) {
          double x = byRows ? v[a * cols + k] : v[k * cols + a];
          double y = byRows ? v[b * cols + k] : v[k * cols + b];
          dot += x * y;
        }
        assertEquals(
            a == b ? gain * gain : 0,
            dot,
            tol * Math.max(1, gain * gain),
            what + " Q Q^T at " + a + "," + b);
      }
    }
  }

  /** A large tensor per distribution, read through the reinitialized model: KS and moments. */
  @Test
  void largeDrawsMatchTheirSpecs() throws IOException {
    List<String> specs =
        List.of(
            "glorot_uniform",
            "he_normal",
            "lecun_normal",
            "random_normal(mean=0.5,stddev=2)",
            "truncated_normal(stddev=0.3)",
            "variance_scaling(scale=0.5,mode=fan_out,distribution=untruncated_normal)",
            "random_uniform(minval=-1,maxval=3)");
    List<Synthetic.Dense> layers =
        List.of(
            new Synthetic.Dense(
                250,
                "relu",
                Synthetic.keras2("GlorotUniform", "{\"seed\": null}"),
                InitializerSpec.zeros()));
    for (String text : specs) {
      try (LoadedModel m = Synthetic.sequential(400, layers)) {
        Plan plan = Reinitializer.plan(m.model(), Scheme.parse(text), Selector.all(), 99);
        LoadedModel fresh = Reinitializer.apply(m, plan);
        Entry e = plan.entries().get(0);
        assertTrue(e.drawn());
        double[] v = OpsFixtures.values(fresh, e.site().weight());
        assertEquals(100_000, v.length);
        Sampling s = SpecStatistics.sampling(e.spec(), e.site().weight().shape());
        double p = StatTools.ksPValue(StatTools.ksStatistic(v, cdf(s)), v.length);
        assertTrue(p > ALPHA, text + ": KS p = " + p);
        TensorStats st = TensorStats.of(v);
        double mean = SpecStatistics.expectedMean(e.spec(), e.site().weight().shape());
        double sd = SpecStatistics.expectedStd(e.spec(), e.site().weight().shape());
        assertEquals(mean, st.mean(), 4.5 * sd / Math.sqrt(v.length), text + " mean");
        // se of the sample variance ≈ σ² sqrt((κ - 1)/n) with κ <= 3
        assertEquals(
            sd * sd,
            st.std() * st.std(),
            4.5 * sd * sd * Math.sqrt(2.0 / v.length),
            text + " variance");
        // the bias is not a kernel: a fixed scheme leaves it unless the selector names roles
        assertFalse(plan.entries().get(1).drawn(), text);
      }
    }
  }

  @Test
  void normalisationAndOptimizerState() throws IOException {
    for (Flavor f : Flavor.values()) {
      Path bn =
          reinit(
              OpsFixtures.file("batchnorm", f).path(),
              tmp.resolve("bn" + f.tag() + f.ext),
              Scheme.configured(),
              Selector.all(),
              3);
      try (LoadedModel m = ModelIO.open(bn)) {
        int seen = 0;
        for (Weight w : m.model().layerWeights()) {
          double want;
          switch (w.role()) {
            case MOVING_MEAN:
            case BETA:
              want = 0;
              break;
            case MOVING_VARIANCE:
            case GAMMA:
              want = 1;
              break;
            default:
              continue;
          }
          for (double x : OpsFixtures.values(m, w)) {
            assertEquals(want, x, f.file + " " + w.name());
          }
          seen++;
        }
        assertEquals(7, seen, "gamma, beta, moving stats of both BN layers (one without gamma)");
      }
      ModelFile compiled = OpsFixtures.file("compiled", f);
      try (LoadedModel in = ModelIO.open(compiled.path())) {
        assertTrue(
            in.model().optimizerWeights().size() > 0, "the compiled model has optimizer weights");
      }
      Path out =
          reinit(
              compiled.path(),
              tmp.resolve("compiled" + f.tag() + f.ext),
              Scheme.configured(),
              Selector.all(),
              3);
      try (LoadedModel o = ModelIO.open(out)) {
        assertEquals(0, o.model().optimizerWeights().size());
      }
    }
  }

  @Test
  void autoAndFixedSchemes() throws IOException {
    try (LoadedModel m = ModelIO.open(OpsFixtures.file("mlp_inits", Flavor.KERAS3_KERAS).path())) {
      Plan auto = Reinitializer.plan(m.model(), Scheme.auto(), Selector.all(), 0);
      Entry relu = auto.entries().get(0);
      assertEquals("HeNormal", relu.spec().canonicalName());
      Entry selu =
          auto.entries().stream()
              .filter(
                  e ->
                      e.site().layerPath().equals("dense_2")
                          && e.site().weight().role() == WeightRole.KERNEL)
              .findFirst()
              .orElseThrow();
      assertEquals("LecunNormal", selu.spec().canonicalName());
      // a selector that names roles: the fixed spec applies to exactly those, and Orthogonal cannot
      // draw a bias
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  Reinitializer.plan(
                      m.model(), Scheme.parse("orthogonal"), Selector.parse("role:bias"), 0));
      assertTrue(e.getMessage().contains("bias"), e.getMessage());
    }
    try (LoadedModel m = ModelIO.open(OpsFixtures.file("conv2d", Flavor.KERAS3_KERAS).path())) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  Reinitializer.plan(
                      m.model(), Scheme.parse("identity"), Selector.parse("conv_a"), 0));
      assertTrue(e.getMessage().contains("conv_a"), e.getMessage());
      Plan bias =
          Reinitializer.plan(
              m.model(), Scheme.parse("constant(0.5)"), Selector.parse("role:bias"), 0);
      assertTrue(
          bias.entries().stream()
              .allMatch(x -> x.drawn() == (x.site().weight().role() == WeightRole.BIAS)));
    }
  }

  @Test
  void lstmForgetGateAndDtypes() throws IOException {
    Path out =
        reinit(
            OpsFixtures.file("lstm", Flavor.TFKERAS_H5).path(),
            tmp.resolve("lstm.h5"),
            Scheme.configured(),
            Selector.parse("role:bias"),
            0);
    try (LoadedModel m = ModelIO.open(out)) {
      for (Weight w : m.model().layerWeights()) {
        if (w.role() != WeightRole.BIAS) {
          continue;
        }
        double[] v = OpsFixtures.values(m, w);
        boolean ufb = w.name().contains("lstm_a");
        int u = v.length / 4;
        for (int j = 0; j < v.length; j++) {
          assertEquals(ufb && j >= u && j < 2 * u ? 1.0 : 0.0, v[j], w.name() + "[" + j + "]");
        }
      }
    }
    for (String model : List.of("float16", "float64")) {
      Path o =
          reinit(
              OpsFixtures.file(model, Flavor.KERAS3_KERAS).path(),
              tmp.resolve(model + ".keras"),
              Scheme.configured(),
              Selector.all(),
              0);
      try (LoadedModel m = ModelIO.open(o);
          LoadedModel i = ModelIO.open(OpsFixtures.file(model, Flavor.KERAS3_KERAS).path())) {
        for (int k = 0; k < m.model().layerWeights().size(); k++) {
          assertEquals(
              i.model().layerWeights().get(k).dtype(), m.model().layerWeights().get(k).dtype());
        }
      }
    }
  }

  /** Values as a dtype stores them. */
  private static final class DTypeRound {
    static double of(double v, DType d) {
      return dev.initkit.init.DTypeCodec.round(v, d);
    }
  }
}
