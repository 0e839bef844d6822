package dev.initkit.ops;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Summary statistics of one stored tensor, computed by streaming its rows through a bounded direct
 * buffer (never the whole tensor in memory): count, mean, population standard deviation, min, max,
 * the fraction of exact zeros and the number of non-finite values. Mean and variance combine
 * per-block two-pass results with Chan et al.'s pairwise update, so they stay accurate for large
 * tensors; non-finite values are counted and left out of the moments.
 *
 * @param count elements
 * @param mean mean of the finite values (NaN when there are none)
 * @param std population standard deviation of the finite values (NaN when there are none)
 * @param min smallest finite value (NaN when there are none)
 * @param max largest finite value (NaN when there are none)
 * @param zeroFraction fraction of elements equal to zero ({@code -0.0} included)
 * @param nonFinite number of NaN and infinite elements
 */
public record TensorStats(
    long count,
    double mean,
    double std,
    double min,
    double max,
    double zeroFraction,
    long nonFinite) {

  /** Bytes read per block; a single row larger than this gets a buffer of its own. */
  static final int BLOCK_BYTES = 4 * 1024 * 1024;

  private static final int DECODE = 8192;

  /** The mean square {@code E[x²] = std² + mean²} (NaN when unknown). */
  public double meanSquare() {
    return std * std + mean * mean;
  }

  /** True when every element has the same finite value (and there are at least two). */
  public boolean constant() {
    return count > 1 && nonFinite == 0 && min == max;
  }

  /**
   * Streams a floating-point weight's values and summarises them.
   *
   * @param buffer a reusable direct buffer (its contents are overwritten), at least one row long or
   *     else replaced by a temporary one
   * @throws IllegalArgumentException if the weight is not floating point
   * @throws IOException when the values cannot be read, or the thread is interrupted
   */
  public static TensorStats of(Weight w, TensorSource tensors, ByteBuffer buffer)
      throws IOException {
    if (!w.dtype().isFloating()) {
      throw new IllegalArgumentException(w.name() + " is " + w.dtype() + ", not floating point");
    }
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    long n = w.shape().elementCount();
    Acc acc = new Acc();
    if (n == 0) {
      return acc.result(0);
    }
    long perRow = n / rows;
    long rowBytes = perRow * w.dtype().size();
    ByteBuffer buf = buffer;
    if (rowBytes > buf.capacity()) {
      if (rowBytes > Integer.MAX_VALUE) {
        throw new IOException(
            w.name() + ": a single row of " + rowBytes + " bytes is too large to stream");
      }
      buf = ByteBuffer.allocateDirect((int) rowBytes);
    }
    buf.order(ByteOrder.LITTLE_ENDIAN);
    long perBlock = Math.max(1, buf.capacity() / rowBytes);
    double[] vals = new double[DECODE];
    for (long r = 0; r < rows; r += perBlock) {
      long k = Math.min(perBlock, rows - r);
      accumulate(w, tensors, r, k, buf, vals, acc);
    }
    return acc.result(n);
  }

  /**
   * Reads rows {@code [first, first + k)} into {@code buf} and adds their values to {@code acc}.
   */
  private static void accumulate(
      Weight w, TensorSource tensors, long first, long k, ByteBuffer buf, double[] vals, Acc acc)
      throws IOException {
    buf.clear();
    tensors.readRows(w, first, k, buf);
    buf.flip();
    while (buf.hasRemaining()) {
      int len = Math.min(DECODE, buf.remaining() / w.dtype().size());
      if (len == 0) {
        break;
      }
      DTypeCodec.decode(buf, w.dtype(), vals, 0, len);
      acc.add(vals, len);
    }
    if (Thread.interrupted()) {
      throw new InterruptedIOException("interrupted while reading " + w.name());
    }
  }

  /**
   * {@link #of(Weight, TensorSource, ByteBuffer)} on at most about {@code budgetBytes} of the
   * tensor: a tensor that fits is read whole; a larger one is read as evenly spaced runs of whole
   * rows (eight runs, spread from the first row to the last), so the cost is the budget, not the
   * tensor's size. The statistics are then of the sample: {@code count} is the number of values
   * read, and a NaN or a constant stretch outside the runs goes unseen.
   *
   * @param budgetBytes the most bytes to read (at least one row is always read)
   * @throws IllegalArgumentException if the weight is not floating point
   * @throws IOException when the values cannot be read, or the thread is interrupted
   */
  public static TensorStats sampled(
      Weight w, TensorSource tensors, ByteBuffer buffer, long budgetBytes) throws IOException {
    long n = w.shape().elementCount();
    long total = n * w.dtype().size();
    if (total <= budgetBytes || w.shape().rank() == 0) {
      return of(w, tensors, buffer);
    }
    long rows = w.shape().dim(0);
    long perRow = n / rows;
    long rowBytes = perRow * w.dtype().size();
    if (rowBytes > buffer.capacity()) {
      return of(w, tensors, buffer); // rows too wide to sample in a block: the whole tensor
    }
    int runs = 8;
    long runRows =
        Math.max(1, Math.min(buffer.capacity() / rowBytes, budgetBytes / runs / rowBytes));
    Acc acc = new Acc();
    ByteBuffer buf = buffer;
    buf.order(ByteOrder.LITTLE_ENDIAN);
    double[] vals = new double[DECODE];
    long read = 0;
    long last = -1;
    for (int i = 0; i < runs; i++) {
      long start = Math.max(last + 1, (rows - runRows) * i / (runs - 1));
      long k = Math.min(runRows, rows - start);
      if (k <= 0) {
        break;
      }
      accumulate(w, tensors, start, k, buf, vals, acc);
      read += k * perRow;
      last = start + k - 1;
    }
    return acc.result(read);
  }

  /** Summarises values held in memory (for tests and small tensors). */
  public static TensorStats of(double[] values) {
    Acc acc = new Acc();
    for (int i = 0; i < values.length; i += DECODE) {
      int len = Math.min(DECODE, values.length - i);
      double[] part = new double[len];
      System.arraycopy(values, i, part, 0, len);
      acc.add(part, len);
    }
    return acc.result(values.length);
  }

  private static final class Acc {
    long n;
    double mean;
    double m2;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long zeros;
    long nonFinite;

    void add(double[] v, int len) {
      long bn = 0;
      double sum = 0;
      for (int i = 0; i < len; i++) {
        double x = v[i];
        if (!Double.isFinite(x)) {
          nonFinite++;
          continue;
        }
        if (x == 0) {
          zeros++;
        }
        if (x < min) {
          min = x;
        }
        if (x > max) {
          max = x;
        }
        sum += x;
        bn++;
      }
      if (bn == 0) {
        return;
      }
      double bMean = sum / bn;
      double bM2 = 0;
      for (int i = 0; i < len; i++) {
        double x = v[i];
        if (Double.isFinite(x)) {
          double d = x - bMean;
          bM2 += d * d;
        }
      }
      long total = n + bn;
      double delta = bMean - mean;
      mean += delta * bn / total;
      m2 += bM2 + delta * delta * ((double) n * bn / total);
      n = total;
    }

    TensorStats result(long count) {
      if (n == 0) {
        return new TensorStats(
            count,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            count == 0 ? Double.NaN : (double) zeros / count,
            nonFinite);
      }
      return new TensorStats(
          count, mean, Math.sqrt(m2 / n), min, max, (double) zeros / count, nonFinite);
    }
  }
}
