package dev.initkit.transplant;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A mapped tensor's values as numpy-style views over its sources' raw bytes: transposes, splits,
 * gate reorders and most reshapes only change offsets and strides, joins and sums are lists of
 * views, and values are decoded, added and encoded element by element only when rows are written. A
 * reshape that strides cannot express materializes its input once into an off-heap float64 tensor
 * (exact for every floating dtype, and for sums computed in double as before).
 */
abstract sealed class StridedTensor {
  /** Elements decoded at a time along the last axis. */
  static final int LINE = 1024;

  /**
   * Columns written at a time down a block of rows (64: a transposed source then touches 64 pages
   * per tile, which the TLB holds; 256 took 2-8x the CPU).
   */
  static final int TILE = 64;

  final long[] dims;

  private StridedTensor(long[] dims) {
    this.dims = dims;
  }

  int rank() {
    return dims.length;
  }

  long elements() {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /** A whole source tensor, row-major. */
  static StridedTensor of(RawTensor base, long[] dims) {
    return new View(base, 0, dims.clone(), cStrides(dims));
  }

  /** Output axis {@code i} is this tensor's axis {@code p[i]}. */
  abstract StridedTensor permute(int[] p);

  /** Indices {@code [start, start + len)} of {@code axis}. */
  abstract StridedTensor slice(int axis, long start, long len);

  /** The same elements in row-major order with other dimensions. */
  StridedTensor reshape(long[] nd) throws IOException {
    return copy().reshape(nd);
  }

  /**
   * Decodes {@code n} elements of the line at {@code idx} (one index per axis but the last) from
   * last-axis index {@code j} on into {@code out[off...]}.
   */
  abstract void line(long[] idx, long j, int n, double[] out, int off);

  /** Concatenation of same-rank parts along an axis. */
  static StridedTensor concat(List<StridedTensor> parts, int axis) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    long[] d = parts.get(0).dims.clone();
    d[axis] = 0;
    for (StridedTensor p : parts) {
      d[axis] += p.dims[axis];
    }
    return new Concat(List.copyOf(parts), axis, d);
  }

  /** Elementwise sum (in double, in this order) of same-shape parts. */
  static StridedTensor sum(List<StridedTensor> parts) {
    return new Sum(List.copyOf(parts), parts.get(0).dims.clone());
  }

  /** A new axis of length 1 at {@code axis}. */
  StridedTensor insertAxis(int axis) throws IOException {
    long[] nd = new long[rank() + 1];
    for (int i = 0, j = 0; i < nd.length; i++) {
      nd[i] = i == axis ? 1 : dims[j++];
    }
    return reshape(nd);
  }

  /** Copies the values into a row-major float64 scratch tensor (off the Java heap). */
  final View copy() throws IOException {
    RawTensor t = RawTensor.scratch(DType.FLOAT64, elements());
    long last = rank() == 0 ? 1 : dims[rank() - 1];
    double[] buf = new double[LINE];
    long[] idx = new long[Math.max(0, rank() - 1)];
    long pos = 0;
    long lines = last == 0 ? 0 : elements() / last;
    for (long l = 0; l < lines; l++) {
      for (long j = 0; j < last; j += LINE) {
        int n = (int) Math.min(LINE, last - j);
        line(idx, j, n, buf, 0);
        t.putDoubles(pos, buf, 0, n);
        pos += n;
      }
      increment(idx, dims);
    }
    return (View) of(t, dims);
  }

  /**
   * Writes rows {@code [firstRow, firstRow + rows)} of the leading axis in {@code dtype} at {@code
   * dst}'s position and advances it. Columns are walked in tiles down the rows, so a transposed
   * source is read a few cache lines at a time rather than one page per element.
   */
  void writeRows(long firstRow, long rows, DType dtype, ByteBuffer dst) {
    int size = dtype.size();
    int start = dst.position();
    if (rank() == 0) {
      double[] one = new double[1];
      line(new long[0], 0, 1, one, 0);
      DTypeCodec.encode(one, 0, 1, dtype, dst);
      return;
    }
    long last = dims[rank() - 1];
    long perRow = 1;
    for (int i = 1; i < rank(); i++) {
      perRow *= dims[i];
    }
    long lines = Math.multiplyExact(rows, last == 0 ? 0 : perRow / last);
    int tile = (int) Math.min(TILE, Math.max(1, last));
    double[] buf = new double[tile];
    long[] first = new long[rank() - 1];
    if (first.length > 0) {
      first[0] = firstRow;
    }
    long[] idx = new long[first.length];
    ByteBuffer out = dst.duplicate();
    long[] lineDims = Arrays.copyOf(dims, Math.max(0, rank() - 1));
    if (rank() == 1) {
      // a vector: its rows are its elements
      for (long j = firstRow; j < firstRow + rows; j += tile) {
        int n = (int) Math.min(tile, firstRow + rows - j);
        line(idx, j, n, buf, 0);
        DTypeCodec.encode(buf, 0, n, dtype, out);
      }
      dst.position(out.position());
      return;
    }
    for (long j = 0; j < last; j += tile) {
      int n = (int) Math.min(tile, last - j);
      System.arraycopy(first, 0, idx, 0, idx.length);
      for (long l = 0; l < lines; l++) {
        line(idx, j, n, buf, 0);
        out.position(Math.toIntExact(start + (l * last + j) * size));
        DTypeCodec.encode(buf, 0, n, dtype, out);
        increment(idx, lineDims);
      }
    }
    dst.position(Math.toIntExact(start + lines * last * size));
  }

  /** The next index of a row-major walk over {@code d} (the last index wraps into the previous). */
  static void increment(long[] idx, long[] d) {
    for (int i = idx.length - 1; i >= 0; i--) {
      if (++idx[i] < d[i]) {
        return;
      }
      idx[i] = 0;
    }
  }

  static long[] cStrides(long[] d) {
    long[] s = new long[d.length];
    long acc = 1;
    for (int i = d.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= d[i];
    }
    return s;
  }

  /** Elements of one source tensor at {@code offset + sum(idx[i] * strides[i])}. */
  static final class View extends StridedTensor {
    final RawTensor base;
    final long offset;
    final long[] strides;

    View(RawTensor base, long offset, long[] dims, long[] strides) {
      super(dims);
      this.base = base;
      this.offset = offset;
      this.strides = strides;
    }

    @Override
    StridedTensor permute(int[] p) {
      long[] d = new long[p.length];
      long[] s = new long[p.length];
      for (int i = 0; i < p.length; i++) {
        d[i] = dims[p[i]];
        s[i] = strides[p[i]];
      }
      return new View(base, offset, d, s);
    }

    @Override
    StridedTensor slice(int axis, long start, long len) {
      long[] d = dims.clone();
      d[axis] = len;
      return new View(base, offset + start * strides[axis], d, strides);
    }

    @Override
    StridedTensor reshape(long[] nd) throws IOException {
      long[] ns = noCopyStrides(nd);
      return ns == null ? copy().reshape(nd) : new View(base, offset, nd.clone(), ns);
    }

    /** numpy's no-copy reshape: the new strides when the old ones allow, else null. */
    private long[] noCopyStrides(long[] nd) {
      if (elements() == 0) {
        return cStrides(nd);
      }
      // axes of length 1 have no stride that matters
      List<long[]> old = new ArrayList<>();
      for (int i = 0; i < rank(); i++) {
        if (dims[i] != 1) {
          old.add(new long[] {dims[i], strides[i]});
        }
      }
      long[] ns = new long[nd.length];
      int oi = 0;
      int ni = 0;
      while (ni < nd.length && oi < old.size()) {
        int oj = oi + 1;
        int nj = ni + 1;
        long np = nd[ni];
        long op = old.get(oi)[0];
        while (np != op) {
          if (np < op) {
            np *= nd[nj++];
          } else {
            op *= old.get(oj++)[0];
          }
        }
        for (int k = oi; k < oj - 1; k++) {
          if (old.get(k)[1] != old.get(k + 1)[0] * old.get(k + 1)[1]) {
            return null;
          }
        }
        ns[nj - 1] = old.get(oj - 1)[1];
        for (int k = nj - 1; k > ni; k--) {
          ns[k - 1] = ns[k] * nd[k];
        }
        ni = nj;
        oi = oj;
      }
      for (int k = ni; k < nd.length; k++) {
        ns[k] = 1; // trailing axes of length 1
      }
      return ns;
    }

    @Override
    void line(long[] idx, long j, int n, double[] out, int off) {
      long pos = offset;
      for (int i = 0; i < idx.length; i++) {
        pos += idx[i] * strides[i];
      }
      long step = rank() == 0 ? 0 : strides[rank() - 1];
      base.gather(pos + j * step, step, n, out, off);
    }
  }

  /** Parts joined along an axis. */
  static final class Concat extends StridedTensor {
    final List<StridedTensor> parts;
    final int axis;

    Concat(List<StridedTensor> parts, int axis, long[] dims) {
      super(dims);
      this.parts = parts;
      this.axis = axis;
    }

    @Override
    StridedTensor permute(int[] p) {
      int na = 0;
      for (int i = 0; i < p.length; i++) {
        if (p[i] == axis) {
          na = i;
        }
      }
      List<StridedTensor> out = new ArrayList<>();
      for (StridedTensor x : parts) {
        out.add(x.permute(p));
      }
      return concat(out, na);
    }

    @Override
    StridedTensor slice(int ax, long start, long len) {
      List<StridedTensor> out = new ArrayList<>();
      if (ax != axis) {
        for (StridedTensor x : parts) {
          out.add(x.slice(ax, start, len));
        }
        return concat(out, axis);
      }
      long at = 0;
      for (StridedTensor x : parts) {
        long d = x.dims[axis];
        long from = Math.max(start, at);
        long to = Math.min(start + len, at + d);
        if (from < to) {
          out.add(from == at && to == at + d ? x : x.slice(axis, from - at, to - from));
        }
        at += d;
      }
      return out.isEmpty() ? parts.get(0).slice(axis, 0, 0) : concat(out, axis);
    }

    @Override
    void line(long[] idx, long j, int n, double[] out, int off) {
      if (axis == rank() - 1) {
        long at = 0;
        for (StridedTensor x : parts) {
          long d = x.dims[axis];
          long from = Math.max(j, at);
          long to = Math.min(j + n, at + d);
          if (from < to) {
            x.line(idx, from - at, (int) (to - from), out, off + (int) (from - j));
          }
          at += d;
        }
        return;
      }
      long i = idx[axis];
      long at = 0;
      for (StridedTensor x : parts) {
        long d = x.dims[axis];
        if (i < at + d) {
          idx[axis] = i - at;
          x.line(idx, j, n, out, off);
          idx[axis] = i;
          return;
        }
        at += d;
      }
    }
  }

  /** Same-shape parts added in double. */
  static final class Sum extends StridedTensor {
    final List<StridedTensor> parts;
    private static final ThreadLocal<double[]> TMP =
        ThreadLocal.withInitial(() -> new double[LINE]);

    Sum(List<StridedTensor> parts, long[] dims) {
      super(dims);
      this.parts = parts;
    }

    @Override
    StridedTensor permute(int[] p) {
      return sum(parts.stream().map(x -> x.permute(p)).toList());
    }

    @Override
    StridedTensor slice(int axis, long start, long len) {
      return sum(parts.stream().map(x -> x.slice(axis, start, len)).toList());
    }

    @Override
    void line(long[] idx, long j, int n, double[] out, int off) {
      parts.get(0).line(idx, j, n, out, off);
      double[] tmp = TMP.get();
      for (StridedTensor x : parts.subList(1, parts.size())) {
        for (int done = 0; done < n; done += LINE) {
          int k = Math.min(LINE, n - done);
          x.line(idx, j + done, k, tmp, 0);
          for (int e = 0; e < k; e++) {
            out[off + done + e] += tmp[e];
          }
        }
      }
    }
  }
}
