package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.util.stream.IntStream;

/**
 * Keras {@code Orthogonal(gain)}, exactly Keras's algorithm: the flat shape is {@code (rows, cols)
 * = (prod(shape[:-1]), shape[-1])}; draw a standard normal matrix of shape {@code (max(rows, cols),
 * min(rows, cols))} (row-major, under the {@link SeedContract} block rule); take its thin QR;
 * {@code q *= sign(diag(r))}, which makes Q unique (the Q whose R has a positive diagonal), so the
 * result does not depend on the QR algorithm; transpose when {@code rows < cols}; reshape; multiply
 * by {@code gain}. The QR is Householder's, in a fixed order (the column updates of one step may
 * run in parallel; each column is computed the same way whatever the thread), so the values are
 * identical on every run.
 */
final class Orthogonal extends BaseInitializer {
  /** Work below which a Householder step runs on the calling thread. */
  private static final long PARALLEL_WORK = 1L << 18;

  private record Key(Shape shape, long seed) {}

  private Key cachedKey;
  private double[] cachedValues;

  private final double gain;

  Orthogonal(InitializerSpec.Orthogonal spec) {
    super(spec);
    this.gain = spec.gain();
  }

  @Override
  public boolean wholeTensor() {
    return true;
  }

  @Override
  public void check(Shape shape) {
    SpecStatistics.sampling(spec, shape); // rank >= 2
    long n = shape.elementCount();
    if (n > MAX_ORTHOGONAL_ELEMENTS) {
      throw new IllegalArgumentException(
          "Orthogonal is limited to "
              + MAX_ORTHOGONAL_ELEMENTS
              + " elements (a QR in memory); shape "
              + shape
              + " has "
              + n);
    }
  }

  /** Keras's flat shape {@code {prod(shape[:-1]), shape[-1]}}. */
  static long[] flatShape(Shape shape) {
    long rows = 1;
    for (int i = 0; i < shape.rank() - 1; i++) {
      rows = Math.multiplyExact(rows, shape.dim(i));
    }
    return new long[] {rows, shape.dim(-1)};
  }

  @Override
  void fillChecked(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count) {
    double[] values = values(shape, streamSeed);
    DTypeCodec.encode(values, (int) first, (int) count, dtype, dst);
  }

  /** The whole tensor in row-major order, from the one-entry cache or computed. */
  synchronized double[] values(Shape shape, long streamSeed) {
    Key key = new Key(shape, streamSeed);
    if (!key.equals(cachedKey)) {
      cachedValues = compute(shape, streamSeed, gain);
      cachedKey = key;
    }
    return cachedValues;
  }

  static double[] compute(Shape shape, long streamSeed, double gain) {
    long[] rc = flatShape(shape);
    int rows = (int) rc[0];
    int cols = (int) rc[1];
    int m = Math.max(rows, cols);
    int n = Math.min(rows, cols);
    double[] out = new double[Math.multiplyExact(rows, cols)];
    if (n == 0) {
      return out;
    }
    // The (m, n) Gaussian matrix, row-major as drawn, stored column-major for the QR.
    double[] drawn = new double[m * n];
    RandomInitializer.standardNormals(streamSeed, drawn, (long) m * n);
    double[][] a = new double[n][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        a[j][i] = drawn[i * n + j];
      }
    }
    drawn = null;
    double[][] q = thinQ(a, m);
    if (rows >= cols) { // q is (rows, cols): value(r, c) = q[c][r]
      for (int c = 0; c < cols; c++) {
        double[] qc = q[c];
        for (int r = 0; r < rows; r++) {
          out[r * cols + c] = gain * qc[r];
        }
      }
    } else { // q is (cols, rows) and Keras transposes it: value(r, c) = q[r][c]
      for (int r = 0; r < rows; r++) {
        double[] qr = q[r];
        for (int c = 0; c < cols; c++) {
          out[r * cols + c] = gain * qr[c];
        }
      }
    }
    return out;
  }

  /**
   * The Q factor (n columns of length m, m >= n) of the thin QR of {@code a} (given as n columns of
   * length m, overwritten), with the columns' signs fixed so that R's diagonal is positive.
   */
  static double[][] thinQ(double[][] a, int m) {
    int n = a.length;
    double[] beta = new double[n];
    double[] rdiag = new double[n];
    for (int k = 0; k < n; k++) {
      double[] x = a[k];
      double xk = x[k];
      double norm2 = dot(x, x, k, m);
      double norm = Math.sqrt(norm2);
      double alpha = xk >= 0 ? -norm : norm; // R[k][k]; the sign avoids cancellation in v
      rdiag[k] = alpha;
      if (norm == 0) {
        continue; // beta 0: the reflector is the identity
      }
      x[k] = xk - alpha; // v = x - alpha e_k, kept in x[k..m)
      double vtv = norm2 - xk * xk + x[k] * x[k];
      double bk = 2.0 / vtv;
      beta[k] = bk;
      applyReflector(x, bk, k, m, a, k + 1, n);
    }
    double[][] q = new double[n][m];
    for (int j = 0; j < n; j++) {
      q[j][j] = 1.0;
    }
    for (int k = n - 1; k >= 0; k--) {
      if (beta[k] != 0) {
        applyReflector(a[k], beta[k], k, m, q, k, n);
      }
    }
    for (int k = 0; k < n; k++) {
      if (rdiag[k] < 0) { // numpy's sign(0) is 0; r_kk = 0 has probability zero, kept as +1
        double[] col = q[k];
        for (int i = 0; i < m; i++) {
          col[i] = -col[i];
        }
      }
    }
    return q;
  }

  /** Applies I - beta v v^T (v = x[k..m)) to columns [from, to) of {@code cols}, rows k..m. */
  private static void applyReflector(
      double[] v, double beta, int k, int m, double[][] cols, int from, int to) {
    if (from >= to) {
      return;
    }
    if ((long) (m - k) * (to - from) < PARALLEL_WORK) {
      for (int j = from; j < to; j++) {
        reflect(v, beta, k, m, cols[j]);
      }
    } else {
      IntStream.range(from, to).parallel().forEach(j -> reflect(v, beta, k, m, cols[j]));
    }
  }

  private static void reflect(double[] v, double beta, int k, int m, double[] c) {
    double f = beta * dot(v, c, k, m);
    if (f == 0) {
      return;
    }
    for (int i = k; i < m; i++) {
      c[i] -= f * v[i];
    }
  }

  /** sum of x[i]*y[i] for i in [from, to), with four fixed accumulators (deterministic order). */
  static double dot(double[] x, double[] y, int from, int to) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = from;
    for (; i + 3 < to; i += 4) {
      s0 += x[i] * y[i];
      s1 += x[i + 1] * y[i + 1];
      s2 += x[i + 2] * y[i + 2];
      s3 += x[i + 3] * y[i + 3];
    }
    for (; i < to; i++) {
      s0 += x[i] * y[i];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
