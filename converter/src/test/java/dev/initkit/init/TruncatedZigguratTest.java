package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The two-sigma ziggurat: its constant, its distribution, (the contract as written in Python:
 * SeedContractPythonIT).
 */
class TruncatedZigguratTest {

  /** AREA is the bisection's answer: its layers end at 1, the next larger area overshoots. */
  @Test
  void areaIsTheOneWhoseLastLayerEndsAtOne() {
    double[] height = new double[TruncatedZiggurat.LAYERS + 1];
    double[] width = new double[TruncatedZiggurat.LAYERS];
    double lo = 0;
    double hi = 0.01;
    for (int i = 0; i < 200; i++) {
      double mid = 0.5 * (lo + hi);
      if (TruncatedZiggurat.layerHeights(mid, height, width) > 1) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    assertEquals(TruncatedZiggurat.AREA, lo, 0, Double.toHexString(lo));
    double top = TruncatedZiggurat.layerHeights(TruncatedZiggurat.AREA, height, width);
    assertTrue(top <= 1 && top > 1 - 1e-14, "top " + top);
    assertTrue(
        TruncatedZiggurat.layerHeights(Math.nextUp(TruncatedZiggurat.AREA), height, width) > 1);
  }

  /**
   * 8 million draws against the exact CDF of N(0, 1) truncated to [-2, 2]: the KS test and a
   * chi-square over 200 equiprobable cells (which sees a mis-sized layer or wedge the KS test can
   * miss); no value beyond 2.
   */
  @Test
  void drawsFollowTheTruncatedNormal() {
    int n = 8_000_000;
    int cells = 200;
    DoubleUnaryOperator cdf = StatTools.truncatedNormalCdf(0, 1);
    double[] sample = new double[n];
    long[] counts = new long[cells];
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < n; i++) {
      double z = TruncatedZiggurat.next(r);
      assertTrue(z >= -2 && z <= 2, "draw " + i + " = " + z);
      sample[i] = z;
      counts[Math.min(cells - 1, (int) (cdf.applyAsDouble(z) * cells))]++;
    }
    double p = StatTools.ksPValue(StatTools.ksStatistic(sample, cdf), n);
    assertTrue(p > StatTools.ALPHA, "KS p=" + p);
    double expected = (double) n / cells;
    double chi2 = 0;
    for (long c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    // 199 degrees of freedom: mean 199, sd 19.95; 199 + 4.5 sd has p ~ 1e-5
    assertTrue(chi2 < 199 + StatTools.Z * Math.sqrt(2 * 199), "chi-square " + chi2);
  }

  /** The fast fill (generator state in a local) gives next()'s values on SplittableRandom. */
  @Test
  void fillEqualsNextOnTheGenerator() {
    double[] filled = new double[SeedContract.BLOCK_SIZE];
    for (long seed = -50; seed < 50; seed++) {
      long blockSeed = SeedContract.blockSeed(seed, 3);
      TruncatedZiggurat.fill(blockSeed, filled, filled.length, 0.25, 3.0);
      SplittableRandom r = new SplittableRandom(blockSeed);
      for (int i = 0; i < filled.length; i++) {
        double expected = 0.25 + 3.0 * TruncatedZiggurat.next(r);
        if (expected != filled[i]) {
          assertEquals(expected, filled[i], 0, "seed " + seed + " element " + i);
        }
      }
    }
  }

  /**
   * Uniform and sign draws written out with SplitMix64 equal SplittableRandom's nextDouble /
   * nextLong.
   */
  @Test
  void writtenOutGeneratorEqualsSplittableRandom() {
    double[] uniform = new double[10_000];
    double[] sign = new double[10_000];
    long seed = SeedContract.blockSeed(9, 0);
    RandomInitializer.draw(
        new Sampling(Sampling.Type.UNIFORM, -2, 5), seed, uniform, uniform.length);
    RandomInitializer.draw(
        new Sampling(Sampling.Type.RANDOM_SIGN, 0.5, 0), seed, sign, sign.length);
    SplittableRandom u = new SplittableRandom(seed);
    SplittableRandom g = new SplittableRandom(seed);
    for (int i = 0; i < uniform.length; i++) {
      assertEquals(-2 + 7 * u.nextDouble(), uniform[i], 0, "uniform " + i);
      assertEquals(g.nextLong() < 0 ? -0.5 : 0.5, sign[i], 0, "sign " + i);
    }
  }
}
