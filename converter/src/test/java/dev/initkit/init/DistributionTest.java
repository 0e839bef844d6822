package dev.initkit.init;

import static dev.initkit.init.StatTools.ALPHA;
import static dev.initkit.init.StatTools.Z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.init.InitializerSpec.Distribution;
import dev.initkit.init.InitializerSpec.Mode;
import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Draws of every random initializer against the exact distribution Keras defines: a
 * Kolmogorov–Smirnov test of 100,000 draws (two generator blocks) rejected at α = 0.001 (asymptotic
 * Kolmogorov p-value; at this n the critical D is about 0.0062), the sample mean within 4.5
 * standard errors of the true mean and the sample variance within 4.5 standard errors of the true
 * variance (standard error from the distribution's fourth moment). Seeds are fixed, so the results
 * are reproducible. The expected parameters are written here from Keras's closed forms, not taken
 * from the code under test.
 */
class DistributionTest {

  private enum Family {
    UNIFORM,
    NORMAL,
    TRUNCATED
  }

  /** A case: the spec, a shape, and the distribution Keras defines for it. */
  private record Case(
      String name,
      InitializerSpec spec,
      Shape shape,
      Family family,
      double p1,
      double p2,
      DType dtype) {}

  private static final Shape BIG = Shape.of(400, 250); // 100,000 elements, fans 400/250

  private static List<Case> cases() {
    return List.of(
        new Case(
            "RandomUniform default",
            InitializerSpec.randomUniform(-0.05, 0.05, null),
            BIG,
            Family.UNIFORM,
            -0.05,
            0.05,
            DType.FLOAT32),
        new Case(
            "RandomUniform(-1, 3)",
            InitializerSpec.randomUniform(-1, 3, 7L),
            BIG,
            Family.UNIFORM,
            -1,
            3,
            DType.FLOAT64),
        new Case(
            "small_uniform",
            InitializerSpec.parse("small_uniform"),
            BIG,
            Family.UNIFORM,
            -0.01,
            0.01,
            DType.FLOAT32),
        new Case(
            "RandomNormal default",
            InitializerSpec.randomNormal(0, 0.05, null),
            BIG,
            Family.NORMAL,
            0,
            0.05,
            DType.FLOAT32),
        new Case(
            "RandomNormal(1.5, 2)",
            InitializerSpec.randomNormal(1.5, 2.0, 3L),
            BIG,
            Family.NORMAL,
            1.5,
            2.0,
            DType.FLOAT64),
        new Case(
            "TruncatedNormal default",
            InitializerSpec.truncatedNormal(0, 0.05, null),
            BIG,
            Family.TRUNCATED,
            0,
            0.05,
            DType.FLOAT32),
        new Case(
            "TruncatedNormal(-0.3, 0.7)",
            InitializerSpec.truncatedNormal(-0.3, 0.7, 1L),
            BIG,
            Family.TRUNCATED,
            -0.3,
            0.7,
            DType.FLOAT64),
        // Dense (400, 250): fan_in 400, fan_out 250
        new Case(
            "GlorotUniform dense",
            InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
            BIG,
            Family.UNIFORM,
            -Math.sqrt(6.0 / 650),
            Math.sqrt(6.0 / 650),
            DType.FLOAT32),
        new Case(
            "GlorotNormal dense",
            InitializerSpec.preset(Preset.GLOROT_NORMAL, null),
            BIG,
            Family.TRUNCATED,
            0,
            Math.sqrt(2.0 / 650) / 0.87962566103423978,
            DType.FLOAT32),
        new Case(
            "HeUniform dense",
            InitializerSpec.preset(Preset.HE_UNIFORM, null),
            BIG,
            Family.UNIFORM,
            -Math.sqrt(6.0 / 400),
            Math.sqrt(6.0 / 400),
            DType.FLOAT32),
        new Case(
            "LecunUniform dense",
            InitializerSpec.preset(Preset.LECUN_UNIFORM, null),
            BIG,
            Family.UNIFORM,
            -Math.sqrt(3.0 / 400),
            Math.sqrt(3.0 / 400),
            DType.FLOAT32),
        new Case(
            "LecunNormal dense",
            InitializerSpec.preset(Preset.LECUN_NORMAL, null),
            BIG,
            Family.TRUNCATED,
            0,
            Math.sqrt(1.0 / 400) / 0.87962566103423978,
            DType.FLOAT32),
        // Conv2D (5, 5, 64, 64): Keras fans 1600 / 1600 (rf 25)
        new Case(
            "HeNormal conv2d",
            InitializerSpec.preset(Preset.HE_NORMAL, 11L),
            Shape.of(5, 5, 64, 64),
            Family.TRUNCATED,
            0,
            Math.sqrt(2.0 / 1600) / 0.87962566103423978,
            DType.FLOAT32),
        // Conv2DTranspose (4, 4, 32, 256): fan_out = 256 * 16 = 4096
        new Case(
            "VarianceScaling(2, fan_out, uniform) transpose conv",
            InitializerSpec.varianceScaling(2.0, Mode.FAN_OUT, Distribution.UNIFORM, null),
            Shape.of(4, 4, 32, 256),
            Family.UNIFORM,
            -Math.sqrt(3 * 2.0 / 4096),
            Math.sqrt(3 * 2.0 / 4096),
            DType.FLOAT32),
        new Case(
            "VarianceScaling(0.5, fan_avg, untruncated_normal)",
            InitializerSpec.varianceScaling(0.5, Mode.FAN_AVG, Distribution.UNTRUNCATED_NORMAL, 5L),
            BIG,
            Family.NORMAL,
            0,
            Math.sqrt(0.5 / 325),
            DType.FLOAT32),
        // legacy "distribution": "normal" reads as truncated_normal, corrected
        new Case(
            "legacy VarianceScaling normal (HeNormal)",
            InitializerSpec.parse(
                Json.parse(
                    "{\"class_name\":\"VarianceScaling\",\"config\":{\"scale\":2.0,\"mode\":\"fan_in\","
                        + "\"distribution\":\"normal\",\"seed\":null}}")),
            BIG,
            Family.TRUNCATED,
            0,
            Math.sqrt(2.0 / 400) / 0.87962566103423978,
            DType.FLOAT32),
        // LSTM kernel (128, 4*256): Glorot over fans 128 / 1024
        new Case(
            "GlorotUniform LSTM kernel",
            InitializerSpec.parse("glorot_uniform(seed=9)"),
            Shape.of(128, 1024),
            Family.UNIFORM,
            -Math.sqrt(6.0 / 1152),
            Math.sqrt(6.0 / 1152),
            DType.FLOAT32));
  }

  @TestFactory
  Stream<DynamicTest> everyRandomInitializerMatchesItsDistribution() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
  }

  private static void check(Case c) {
    long seed = SeedContract.streamSeed(20240601L, "model/" + c.name(), "kernel");
    double[] x = StatTools.draw(Initializer.of(c.spec()), c.shape(), c.dtype(), seed);
    int n = x.length;
    assertTrue(n >= 20_000, "at least 20k draws");
    DoubleUnaryOperator cdf;
    double mean;
    double var;
    double kurtosis;
    switch (c.family()) {
      case UNIFORM:
        cdf = StatTools.uniformCdf(c.p1(), c.p2());
        mean = (c.p1() + c.p2()) / 2;
        var = (c.p2() - c.p1()) * (c.p2() - c.p1()) / 12;
        kurtosis = 9.0 / 5;
        for (double v : x) {
          assertTrue(
              v >= round(c.p1(), c.dtype()) && v < c.p2(),
              c.name() + ": " + v + " outside [min, max)");
        }
        break;
      case NORMAL:
        cdf = StatTools.normalCdf(c.p1(), c.p2());
        mean = c.p1();
        var = c.p2() * c.p2();
        kurtosis = 3;
        break;
      default:
        cdf = StatTools.truncatedNormalCdf(c.p1(), c.p2());
        mean = c.p1();
        double post = c.p2() * 0.87962566103423978;
        var = post * post;
        kurtosis = StatTools.truncatedKurtosis();
        for (double v : x) {
          assertTrue(
              Math.abs(v - c.p1()) <= 2 * c.p2() * (1 + 1e-6),
              c.name() + ": " + v + " beyond 2 stddev");
        }
    }
    double d = StatTools.ksStatistic(x, cdf);
    double p = StatTools.ksPValue(d, n);
    assertTrue(
        p >= ALPHA,
        String.format(Locale.ROOT, "%s: KS D=%.5f p=%.2e < %.3f", c.name(), d, p, ALPHA));

    double m = StatTools.mean(x);
    double sdMean = Math.sqrt(var / n);
    assertTrue(
        Math.abs(m - mean) <= Z * sdMean,
        String.format(
            Locale.ROOT, "%s: mean %.6g, expected %.6g ± %.3g", c.name(), m, mean, Z * sdMean));
    double s2 = StatTools.variance(x);
    double sdVar = var * Math.sqrt((kurtosis - 1) / n);
    assertTrue(
        Math.abs(s2 - var) <= Z * sdVar,
        String.format(
            Locale.ROOT, "%s: variance %.6g, expected %.6g ± %.3g", c.name(), s2, var, Z * sdVar));

    // The spec's own prediction equals the closed form.
    assertEquals(
        Math.sqrt(var),
        SpecStatistics.expectedStd(c.spec(), c.shape()),
        1e-12 * Math.sqrt(var),
        c.name() + " expectedStd");
    assertEquals(
        mean, SpecStatistics.expectedMean(c.spec(), c.shape()), 1e-12, c.name() + " expectedMean");
  }

  private static double round(double v, DType dtype) {
    return DTypeCodec.round(v, dtype);
  }

  /**
   * The KS test has power: truncated draws are rejected against an untruncated normal of equal std.
   */
  @Test
  void ksRejectsTheWrongDistribution() {
    InitializerSpec spec = InitializerSpec.preset(Preset.GLOROT_NORMAL, null);
    double[] x = StatTools.draw(Initializer.of(spec), BIG, DType.FLOAT32, 42);
    double target = Math.sqrt(2.0 / 650);
    double p =
        StatTools.ksPValue(StatTools.ksStatistic(x, StatTools.normalCdf(0, target)), x.length);
    assertTrue(p < ALPHA, "truncated-normal draws must fail a test against N(0, target²), p=" + p);
    // ... and the uncorrected legacy reading (std 12% low) is rejected against the corrected one
    double[] y =
        StatTools.draw(
            Initializer.of(InitializerSpec.truncatedNormal(0, target, null)),
            BIG,
            DType.FLOAT32,
            42);
    double q =
        StatTools.ksPValue(
            StatTools.ksStatistic(y, StatTools.truncatedNormalCdf(0, target / 0.87962566103423978)),
            y.length);
    assertTrue(q < ALPHA, "uncorrected truncation must be told apart, p=" + q);
  }

  /**
   * SmallSign is a two-point distribution: values exactly ±0.01, each sign with probability 1/2.
   */
  @Test
  void smallSignIsTwoPoint() {
    InitializerSpec spec = InitializerSpec.parse("small");
    double[] x = StatTools.draw(Initializer.of(spec), BIG, DType.FLOAT32, 99);
    float plus = 0.01f;
    int positives = 0;
    for (double v : x) {
      assertTrue(v == plus || v == -plus, "value " + v);
      if (v > 0) {
        positives++;
      }
    }
    // binomial(n, 1/2): reject |k - n/2| > z_{0.0005} * sqrt(n)/2 with z = 3.29 (α = 0.001)
    int n = x.length;
    assertTrue(
        Math.abs(positives - n / 2.0) <= 3.29 * Math.sqrt(n) / 2,
        "positives " + positives + " of " + n);
    // runs test on consecutive signs (independence): the number of runs is ~N(n/2 + 1/2, (n-1)/4)
    int runs = 1;
    for (int i = 1; i < n; i++) {
      if ((x[i] > 0) != (x[i - 1] > 0)) {
        runs++;
      }
    }
    assertTrue(Math.abs(runs - (n + 1) / 2.0) <= 3.29 * Math.sqrt((n - 1) / 4.0), "runs " + runs);
    assertEquals(0.01, SpecStatistics.expectedStd(spec, BIG), 0);
  }

  /** float16 / bfloat16 outputs are exactly the float64 draws rounded to nearest even. */
  @Test
  void halfPrecisionOutputsAreRoundedDoubleDraws() {
    for (InitializerSpec spec :
        List.of(
            InitializerSpec.preset(Preset.HE_NORMAL, null),
            InitializerSpec.randomUniform(-0.05, 0.05, null),
            InitializerSpec.truncatedNormal(0, 1, null))) {
      Initializer init = Initializer.of(spec);
      double[] d = StatTools.draw(init, BIG, DType.FLOAT64, 5);
      double[] f = StatTools.draw(init, BIG, DType.FLOAT32, 5);
      double[] h = StatTools.draw(init, BIG, DType.FLOAT16, 5);
      double[] b = StatTools.draw(init, BIG, DType.BFLOAT16, 5);
      for (int i = 0; i < d.length; i++) {
        double expF = (float) d[i];
        if (spec instanceof InitializerSpec.RandomUniform && expF >= 0.05) {
          expF = Math.nextDown((float) expF);
        }
        assertEquals(expF, f[i], 0, "float32 #" + i);
        double expH = DTypeCodec.fromFloat16(DTypeCodec.toFloat16(d[i]));
        double expB = DTypeCodec.fromBFloat16(DTypeCodec.toBFloat16(d[i]));
        if (!(spec instanceof InitializerSpec.RandomUniform)) {
          assertEquals(expH, h[i], 0, "float16 #" + i);
          assertEquals(expB, b[i], 0, "bfloat16 #" + i);
        } else {
          assertTrue(h[i] < 0.05 && b[i] < 0.05, "half-open upper bound");
          assertTrue(h[i] == expH || h[i] < expH, "float16 #" + i);
        }
      }
    }
  }

  @Test
  void constantsAreExact() {
    Shape s = Shape.of(3, 7);
    for (DType t : List.of(DType.FLOAT16, DType.BFLOAT16, DType.FLOAT32, DType.FLOAT64)) {
      for (double v : StatTools.draw(Initializer.of(InitializerSpec.zeros()), s, t, 1)) {
        assertEquals(0.0, v, 0);
        assertEquals(0, Double.doubleToRawLongBits(v), "+0.0, not -0.0");
      }
      for (double v : StatTools.draw(Initializer.of(InitializerSpec.ones()), s, t, 1)) {
        assertEquals(1.0, v, 0);
      }
      for (double v : StatTools.draw(Initializer.of(InitializerSpec.constant(0.1)), s, t, 1)) {
        assertEquals(DTypeCodec.round(0.1, t), v, 0);
      }
    }
    assertEquals(0, SpecStatistics.expectedStd(InitializerSpec.constant(0.1), s), 0);
    assertEquals(0.1, SpecStatistics.expectedMean(InitializerSpec.constant(0.1), s), 0);
  }
}
