package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Orthogonal, Identity and Sinusoidal: exact structural properties and reference computations. */
class WholeTensorTest {

  // ---------------------------------------------------------------------------------------------
  // Orthogonal

  /**
   * ‖QᵀQ − gain²I‖ (rows >= cols) or ‖QQᵀ − gain²I‖ (rows < cols) on Keras's flat shape, for dense,
   * conv-shaped and recurrent shapes; float64 to 1e-12, float32 to 2e-6 · gain².
   */
  @ParameterizedTest(name = "{0} gain {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "64,32;1.0",
        "32,64;1.0",
        "3,3,16,32;1.0",
        "2,2,4,64;1.0",
        "64,256;1.0",
        "5,5;2.5",
        "1,10;1.0",
        "10,1;1.0",
        "3,3,64,64;1.0",
        "7,3,2;0.5"
      })
  void orthogonalRowsOrColumnsAreOrthonormal(String dims, double gain) {
    Shape shape = Shape.of(parse(dims));
    long[] rc = Orthogonal.flatShape(shape);
    int rows = (int) rc[0];
    int cols = (int) rc[1];
    Initializer init = Initializer.of(InitializerSpec.orthogonal(gain, 3L));
    long seed = SeedContract.streamSeed(1, "orthogonal", dims);
    for (DType t : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      double[] w = StatTools.draw(init, shape, t, seed);
      double err = gramError(w, rows, cols, gain);
      double tol = t == DType.FLOAT64 ? 1e-12 : 2e-6;
      assertTrue(err <= tol * gain * gain, shape + " " + t + ": max |G - gain²I| = " + err);
    }
    // RMS equals the predicted std exactly (E[w] = 0 in expectation; sum of squares is exact)
    double[] w = StatTools.draw(init, shape, DType.FLOAT64, seed);
    double ss = 0;
    for (double v : w) {
      ss += v * v;
    }
    assertEquals(
        SpecStatistics.expectedStd(InitializerSpec.orthogonal(gain, null), shape),
        Math.sqrt(ss / w.length),
        1e-12);
  }

  /**
   * The result equals an independent reference on the same Gaussian matrix (drawn here from the
   * seed contract): modified Gram–Schmidt gives the Q whose R has a positive diagonal, which is
   * what Keras's {@code q *= sign(diag(r))} makes of any QR; then transpose when rows < cols.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"'12,5'", "'5,12'", "'3,3,2,4'", "'2,2,2,9'", "'8,8'"})
  void orthogonalMatchesGramSchmidtReference(String dims) {
    Shape shape = Shape.of(parse(dims));
    long[] rc = Orthogonal.flatShape(shape);
    int rows = (int) rc[0];
    int cols = (int) rc[1];
    int m = Math.max(rows, cols);
    int n = Math.min(rows, cols);
    long seed = 0x5eedL;
    // the Gaussian (m, n) matrix, row-major, block rule (one block here)
    SplittableRandom r = SeedContract.blockGenerator(seed, 0);
    double[][] a = new double[m][n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        a[i][j] = r.nextGaussian();
      }
    }
    // modified Gram-Schmidt on the columns
    double[][] q = new double[m][n];
    for (int j = 0; j < n; j++) {
      double[] v = new double[m];
      for (int i = 0; i < m; i++) {
        v[i] = a[i][j];
      }
      for (int k = 0; k < j; k++) {
        double d = 0;
        for (int i = 0; i < m; i++) {
          d += q[i][k] * v[i];
        }
        for (int i = 0; i < m; i++) {
          v[i] -= d * q[i][k];
        }
      }
      double norm = 0;
      for (double x : v) {
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < m; i++) {
        q[i][j] = v[i] / norm;
      }
    }
    double gain = 1.5;
    double[] w =
        StatTools.draw(
            Initializer.of(InitializerSpec.orthogonal(gain, null)), shape, DType.FLOAT64, seed);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double expected = gain * (rows >= cols ? q[i][j] : q[j][i]);
        assertEquals(expected, w[i * cols + j], 1e-12, dims + " element (" + i + ", " + j + ")");
      }
    }
  }

  @Test
  void orthogonalRefusesWhatKerasRefusesAndTooLarge() {
    Initializer init = Initializer.of(InitializerSpec.orthogonal(1, null));
    assertThrows(IllegalArgumentException.class, () -> init.check(Shape.of(10)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> init.check(Shape.of(8192, 4096)));
    assertTrue(e.getMessage().contains("(8192, 4096)"), e.getMessage());
    init.check(Shape.of(0, 4)); // empty: fine, nothing to draw
  }

  private static double gramError(double[] w, int rows, int cols, double gain) {
    boolean byColumns = rows >= cols;
    int k = Math.min(rows, cols);
    double max = 0;
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) {
        double s = 0;
        if (byColumns) {
          for (int i = 0; i < rows; i++) {
            s += w[i * cols + a] * w[i * cols + b];
          }
        } else {
          for (int j = 0; j < cols; j++) {
            s += w[a * cols + j] * w[b * cols + j];
          }
        }
        max = Math.max(max, Math.abs(s - (a == b ? gain * gain : 0)));
      }
    }
    return max;
  }

  // ---------------------------------------------------------------------------------------------
  // Identity

  @Test
  void identityIsExactAndRectangular() {
    for (long[] dims : new long[][] {{3, 5}, {5, 3}, {4, 4}, {1, 1}}) {
      Shape shape = Shape.of(dims);
      double[] w =
          StatTools.draw(Initializer.of(InitializerSpec.identity(2.0)), shape, DType.FLOAT32, 0);
      for (int i = 0; i < dims[0]; i++) {
        for (int j = 0; j < dims[1]; j++) {
          assertEquals(
              i == j ? 2.0 : 0.0, w[(int) (i * dims[1] + j)], 0, shape + " (" + i + "," + j + ")");
        }
      }
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> Initializer.of(InitializerSpec.identity(1)).check(Shape.of(3, 3, 3)));
  }

  // ---------------------------------------------------------------------------------------------
  // Sinusoidal

  /**
   * The reference implementation, written out directly from the authors' {@code sinusoidal_}
   * (PyTorch float32 arithmetic) on the PyTorch layout {@code (n_out, n_flat)}.
   */
  private static float[][] referenceTorch(int nOut, int nFlat) {
    float freq = (float) (2 * Math.PI / nFlat);
    float phase = (float) (2 * Math.PI / nOut);
    float[][] w = new float[nOut][nFlat];
    double sum = 0;
    for (int i = 0; i < nOut; i++) {
      for (int j = 0; j < nFlat; j++) {
        float position = (float) j * freq + phase; // arange(n_flat) * freq + phase
        float neuron = i + 1;
        w[i][j] = (float) Math.sin(position * neuron);
        sum += w[i][j];
      }
    }
    double mean = sum / ((double) nOut * nFlat);
    double ss = 0;
    for (float[] row : w) {
      for (float v : row) {
        ss += (v - mean) * (v - mean);
      }
    }
    float var = (float) (ss / ((double) nOut * nFlat - 1)); // torch.var(unbiased=True).item()
    float amplitude = (float) Math.sqrt(2.0 / (var * (double) (nFlat + nOut)));
    for (float[] row : w) {
      for (int j = 0; j < row.length; j++) {
        row[j] = row[j] * amplitude;
      }
    }
    return w;
  }

  /**
   * The paper's formula in exact (double) arithmetic, for a tolerance check independent of float32.
   */
  private static double[][] formulaDouble(int nOut, int nFlat) {
    double[][] w = new double[nOut][nFlat];
    double sum = 0;
    for (int i = 0; i < nOut; i++) {
      for (int j = 0; j < nFlat; j++) {
        w[i][j] = Math.sin((j * 2 * Math.PI / nFlat + 2 * Math.PI / nOut) * (i + 1));
        sum += w[i][j];
      }
    }
    double mean = sum / (nOut * nFlat);
    double ss = 0;
    for (double[] row : w) {
      for (double v : row) {
        ss += (v - mean) * (v - mean);
      }
    }
    double amp = Math.sqrt(2 / (ss / (nOut * nFlat - 1) * (nFlat + nOut)));
    for (double[] row : w) {
      for (int j = 0; j < row.length; j++) {
        row[j] *= amp;
      }
    }
    return w;
  }

  @Test
  void sinusoidalDenseMatchesTheReference() {
    int in = 20;
    int out = 10; // Keras (in, out) <-> torch (out, in)
    double[] w =
        StatTools.draw(
            Initializer.of(InitializerSpec.sinusoidal()), Shape.of(in, out), DType.FLOAT32, 0);
    float[][] ref = referenceTorch(out, in);
    double[][] exact = formulaDouble(out, in);
    for (int ci = 0; ci < in; ci++) {
      for (int co = 0; co < out; co++) {
        assertEquals(ref[co][ci], w[ci * out + co], 0, "(" + ci + ", " + co + ")");
        assertEquals(exact[co][ci], w[ci * out + co], 2e-5, "formula (" + ci + ", " + co + ")");
      }
    }
  }

  @Test
  void sinusoidalConvUsesTheTorchLayout() {
    int kh = 3;
    int kw = 2;
    int in = 4;
    int out =
        6; // Keras (kh, kw, in, out) <-> torch (out, in, kh, kw), flat column ci*kh*kw + h*kw + w
    double[] w =
        StatTools.draw(
            Initializer.of(InitializerSpec.sinusoidal()),
            Shape.of(kh, kw, in, out),
            DType.FLOAT32,
            0);
    float[][] ref = referenceTorch(out, in * kh * kw);
    int e = 0;
    for (int h = 0; h < kh; h++) {
      for (int x = 0; x < kw; x++) {
        for (int ci = 0; ci < in; ci++) {
          for (int co = 0; co < out; co++) {
            assertEquals(
                ref[co][ci * kh * kw + h * kw + x],
                w[e++],
                0,
                "[" + h + "," + x + "," + ci + "," + co + "]");
          }
        }
      }
    }
  }

  @Test
  void sinusoidalDepthwiseUsesTorchGroupedLayout() {
    int kh = 3;
    int kw = 3;
    int in = 4;
    int dm =
        2; // Keras (kh, kw, in, dm) <-> torch (in*dm, 1, kh, kw): row c*dm + m, column h*kw + w
    double[] w =
        StatTools.draw(
            Initializer.of(InitializerSpec.sinusoidal(), WeightRole.DEPTHWISE_KERNEL),
            Shape.of(kh, kw, in, dm),
            DType.FLOAT32,
            0);
    float[][] ref = referenceTorch(in * dm, kh * kw);
    int e = 0;
    for (int h = 0; h < kh; h++) {
      for (int x = 0; x < kw; x++) {
        for (int c = 0; c < in; c++) {
          for (int m = 0; m < dm; m++) {
            assertEquals(ref[c * dm + m][h * kw + x], w[e++], 0);
          }
        }
      }
    }
    Shape shape = Shape.of(kh, kw, in, dm);
    assertEquals(
        Math.sqrt(StatTools.variance(w)),
        SpecStatistics.expectedStd(
            InitializerSpec.sinusoidal(), shape, WeightRole.DEPTHWISE_KERNEL),
        1e-12);
    assertEquals(
        StatTools.mean(w),
        SpecStatistics.expectedMean(
            InitializerSpec.sinusoidal(), shape, WeightRole.DEPTHWISE_KERNEL),
        1e-12);
  }

  @Test
  void sinusoidalStatisticsAndDegenerateShapes() {
    Shape shape = Shape.of(64, 32);
    InitializerSpec spec = InitializerSpec.sinusoidal();
    double[] w = StatTools.draw(Initializer.of(spec), shape, DType.FLOAT64, 0);
    double n = w.length;
    // unbiased variance was normalised to 2 / (n_in + n_out): population std = sqrt(2/(96) *
    // (n-1)/n)
    assertEquals(Math.sqrt(2.0 / 96 * (n - 1) / n), Math.sqrt(StatTools.variance(w)), 1e-6);
    assertEquals(Math.sqrt(StatTools.variance(w)), SpecStatistics.expectedStd(spec, shape), 1e-12);
    assertEquals(StatTools.mean(w), SpecStatistics.expectedMean(spec, shape), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Initializer.of(spec).check(Shape.of(1, 2)));
    assertThrows(IllegalArgumentException.class, () -> Initializer.of(spec).check(Shape.of(5)));
    // a range from the middle equals the slice of the whole tensor
    double[] part = new double[100];
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(800);
    Initializer.of(spec).fill(shape, DType.FLOAT64, 0, buf, 1000, 100);
    buf.flip();
    DTypeCodec.decode(buf, DType.FLOAT64, part, 0, 100);
    double[] slice = new double[100];
    System.arraycopy(w, 1000, slice, 0, 100);
    assertArrayEquals(slice, part);
  }

  private static long[] parse(String dims) {
    String[] p = dims.split(",");
    long[] out = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = Long.parseLong(p[i].trim());
    }
    return out;
  }
}
