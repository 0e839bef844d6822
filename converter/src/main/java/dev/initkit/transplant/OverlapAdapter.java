package dev.initkit.transplant;

import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A weight whose dimensions changed: the elements both shapes have (index below both sizes on every
 * axis) are copied bit for bit, the others keep the target's fresh values. With {@code gates > 1}
 * the last axis is {@code gates} blocks of units ({@code (..., gates * u)}: LSTM i,f,c,o; GRU
 * z,r,h) and the overlap is taken block by block, so unit {@code k} of gate {@code g} stays unit
 * {@code k} of gate {@code g} and nothing crosses a gate boundary. Source and target dtypes are
 * equal.
 *
 * @param kind the adaptation that chose it ({@code head=keep}, {@code vocab}, {@code units}, {@code
 *     gates})
 * @param gates blocks of the last axis (1: none)
 * @param note what the adaptation means here, for reports
 */
public record OverlapAdapter(String kind, int gates, Shape from, Shape to, String note)
    implements Adapter {

  /** Elements of the target that come from the source. */
  public long copied() {
    long n = 1;
    int rank = to.rank();
    for (int i = 0; i < rank; i++) {
      if (i == rank - 1) {
        n *= gates * Math.min(from.dim(i) / gates, to.dim(i) / gates);
      } else {
        n *= Math.min(from.dim(i), to.dim(i));
      }
    }
    return n;
  }

  @Override
  public String describe() {
    long fresh = to.elementCount() - copied();
    String how =
        gates > 1
            ? "gate by gate ("
                + gates
                + " gates, "
                + from.dim(-1) / gates
                + " -> "
                + to.dim(-1) / gates
                + " units): "
            : "";
    return note
        + ": "
        + how
        + from
        + " -> "
        + to
        + ", "
        + copied()
        + " values copied, "
        + fresh
        + " fresh";
  }

  @Override
  public boolean usesFresh() {
    return copied() < to.elementCount();
  }

  @Override
  public void readRows(
      TensorSource source,
      Weight src,
      TensorSource fresh,
      Weight dstW,
      long firstRow,
      long rows,
      ByteBuffer dst)
      throws IOException {
    int size = dstW.dtype().size();
    int start = dst.position();
    fresh.readRows(dstW, firstRow, rows, dst);
    int end = dst.position();
    int rank = to.rank();
    if (rank == 0) {
      return;
    }
    if (rank == 1) {
      copyVector(source, src, dst, start, firstRow, rows, size);
      return;
    }
    long srcRows = from.dim(0);
    long lastRow = Math.min(firstRow + rows, srcRows);
    if (lastRow <= firstRow) {
      return;
    }
    long srcPerRow = from.elementCount() / Math.max(1, from.dim(0));
    long dstPerRow = to.elementCount() / Math.max(1, to.dim(0));
    long n = lastRow - firstRow;
    byte[] sb = read(source, src, firstRow, n, n * srcPerRow * size);
    // the inner axes 1..rank-2 are walked as a counter; the last axis is copied in runs per gate
    long uFrom = from.dim(rank - 1) / gates;
    long uTo = to.dim(rank - 1) / gates;
    long run = Math.min(uFrom, uTo);
    int innerAxes = rank - 2;
    long[] idx = new long[innerAxes];
    long[] lim = new long[innerAxes];
    long inner = 1;
    for (int a = 0; a < innerAxes; a++) {
      lim[a] = Math.min(from.dim(a + 1), to.dim(a + 1));
      inner *= lim[a];
    }
    for (long r = 0; r < n; r++) {
      java.util.Arrays.fill(idx, 0);
      for (long k = 0; k < inner; k++) {
        long sOff = 0;
        long tOff = 0;
        for (int a = 0; a < innerAxes; a++) {
          sOff = sOff * from.dim(a + 1) + idx[a];
          tOff = tOff * to.dim(a + 1) + idx[a];
        }
        sOff = r * srcPerRow + sOff * from.dim(rank - 1);
        tOff = r * dstPerRow + tOff * to.dim(rank - 1);
        for (int g = 0; g < gates; g++) {
          int sPos = (int) ((sOff + g * uFrom) * size);
          int tPos = (int) (start + (tOff + g * uTo) * size);
          dst.put(tPos, sb, sPos, (int) (run * size));
        }
        for (int a = innerAxes - 1; a >= 0; a--) {
          if (++idx[a] < lim[a]) {
            break;
          }
          idx[a] = 0;
        }
      }
    }
    dst.position(end);
  }

  private void copyVector(
      TensorSource source,
      Weight src,
      ByteBuffer dst,
      int start,
      long firstRow,
      long rows,
      int size)
      throws IOException {
    // a vector is small (a bias): read it whole
    long len = from.dim(0);
    byte[] sb = read(source, src, 0, len, len * size);
    long uFrom = len / gates;
    long uTo = to.dim(0) / gates;
    for (long i = firstRow; i < firstRow + rows; i++) {
      long g = i / uTo;
      long k = i % uTo;
      if (g < gates && k < uFrom) {
        dst.put((int) (start + (i - firstRow) * size), sb, (int) ((g * uFrom + k) * size), size);
      }
    }
  }

  /** Source rows as bytes (HDF5 reads need a direct buffer). */
  static byte[] read(TensorSource source, Weight w, long firstRow, long rows, long bytes)
      throws IOException {
    ByteBuffer in =
        ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    source.readRows(w, firstRow, rows, in);
    in.flip();
    byte[] out = new byte[in.remaining()];
    in.get(out);
    return out;
  }
}
