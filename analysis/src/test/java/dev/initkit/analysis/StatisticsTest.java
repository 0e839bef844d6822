package dev.initkit.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The shared statistics: dead units counted along the engine's channel axis. */
class StatisticsTest {
  @Test
  void deadUnitsAreCountedPerChannelFirstOrLast() {
    // 2 samples, 2x2 positions, 3 channels; channel 1 is 0 everywhere, channel 2 at one position
    float[] nhwc = new float[2 * 2 * 2 * 3];
    float[] nchw = new float[nhwc.length];
    for (int s = 0; s < 2; s++) {
      for (int p = 0; p < 4; p++) {
        for (int c = 0; c < 3; c++) {
          float v = c == 1 ? 0 : (c == 2 && p != 3 ? 0 : 1 + p);
          nhwc[(s * 4 + p) * 3 + c] = v;
          nchw[(s * 3 + c) * 4 + p] = v;
        }
      }
    }
    assertEquals(1.0 / 3, Statistics.deadFraction("relu", nhwc, new long[] {2, 2, 2, 3}, 3), 1e-12);
    assertEquals(1.0 / 3, Statistics.deadFraction("relu", nchw, new long[] {2, 3, 2, 2}, 1), 1e-12);
    assertTrue(Double.isNaN(Statistics.deadFraction("tanh", nhwc, new long[] {2, 2, 2, 3}, 3)));
  }
}
