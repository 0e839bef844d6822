package dev.initkit.transplant;

import dev.initkit.model.DType;
import dev.initkit.model.HalfFloats;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One tensor's raw little-endian values off the Java heap, in chunks of 2^30 bytes so that element
 * indices are longs and no size cap applies. The bytes are the source file's own, mapped read-only
 * where its {@link TensorSource} can ({@link TensorSource#storedBytes}), or else a memory-mapped
 * temporary file that is deleted as soon as it is mapped (so it is removed whatever happens next);
 * neither counts against {@code -Xmx} or the direct-memory limit. The pages go when the buffers are
 * collected.
 */
final class RawTensor {
  static final int CHUNK_SHIFT = 30;
  private static final long CHUNK = 1L << CHUNK_SHIFT;
  private static final long MASK = CHUNK - 1;

  private final DType dtype;
  private final int shift; // log2 of the element size
  private final ByteBuffer[] chunks;

  private RawTensor(DType dtype, ByteBuffer[] chunks) {
    this.dtype = dtype;
    this.shift = Integer.numberOfTrailingZeros(dtype.size());
    this.chunks = chunks;
  }

  DType dtype() {
    return dtype;
  }

  /** The source weight's bytes: mapped where they lie if the source can, else read once. */
  static RawTensor of(TensorSource source, Weight w) throws IOException {
    long bytes = w.byteSize();
    ByteBuffer[] stored = source.storedBytes(w, CHUNK);
    if (stored != null) {
      return new RawTensor(w.dtype(), le(stored));
    }
    RawTensor t = scratch(w.dtype(), bytes / w.dtype().size());
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    long rowBytes = rows == 0 ? 0 : bytes / rows;
    long row = 0;
    for (int i = 0; i < t.chunks.length; i++) {
      // the rows that end in this chunk, then the one that straddles into the next (if any)
      long base = (long) i << CHUNK_SHIFT;
      long end = base + t.chunks[i].capacity();
      ByteBuffer out = t.chunks[i].duplicate().order(ByteOrder.LITTLE_ENDIAN);
      out.position((int) (row * rowBytes - base));
      long fit = rowBytes == 0 ? rows - row : Math.min(rows - row, end / rowBytes - row);
      for (long done = 0; done < fit; ) {
        long n = Math.max(1, Math.min(fit - done, (64L << 20) / Math.max(1, rowBytes)));
        source.readRows(w, row + done, n, out);
        done += n;
      }
      row += fit;
      if (row < rows && row * rowBytes < end) {
        ByteBuffer one =
            ByteBuffer.allocateDirect(Math.toIntExact(rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        source.readRows(w, row, 1, one);
        one.flip();
        t.putStraddling(row * rowBytes, one);
        row++;
      }
    }
    return t;
  }

  /** A zeroed tensor of {@code n} elements in a deleted, mapped temporary file. */
  static RawTensor scratch(DType dtype, long n) throws IOException {
    long bytes = Math.multiplyExact(n, (long) dtype.size());
    Path tmp = Files.createTempFile("initkit-mapped-", ".bin");
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer[] chunks = new ByteBuffer[(int) Math.max(1, (bytes + CHUNK - 1) >>> CHUNK_SHIFT)];
      for (int i = 0; i < chunks.length; i++) {
        long at = (long) i << CHUNK_SHIFT;
        chunks[i] = ch.map(FileChannel.MapMode.READ_WRITE, at, Math.min(CHUNK, bytes - at));
      }
      return new RawTensor(dtype, le(chunks));
    } finally {
      Files.deleteIfExists(tmp); // the mapping stays valid; the disk space goes with it
    }
  }

  private void putStraddling(long at, ByteBuffer src) {
    while (src.hasRemaining()) {
      ByteBuffer c = chunks[(int) (at >>> CHUNK_SHIFT)];
      int p = (int) (at & MASK);
      int n = Math.min(src.remaining(), c.capacity() - p);
      ByteBuffer part = src.duplicate();
      part.limit(part.position() + n);
      c.put(p, part, part.position(), n);
      src.position(src.position() + n);
      at += n;
    }
  }

  private static ByteBuffer[] le(ByteBuffer[] b) {
    for (ByteBuffer x : b) {
      x.order(ByteOrder.LITTLE_ENDIAN);
    }
    return b;
  }

  /** Decodes {@code n} elements from element {@code pos} on, {@code stride} elements apart. */
  void gather(long pos, long stride, int n, double[] out, int off) {
    long b = pos << shift;
    long step = stride << shift;
    long lastByte = b + (n - 1) * step;
    if (n > 0 && b >>> CHUNK_SHIFT == lastByte >>> CHUNK_SHIFT && step >= 0) {
      gatherIn(chunks[(int) (b >>> CHUNK_SHIFT)], (int) (b & MASK), (int) step, n, out, off);
      return;
    }
    switch (dtype) {
      case FLOAT32 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] = chunks[(int) (b >>> CHUNK_SHIFT)].getFloat((int) (b & MASK));
        }
      }
      case FLOAT64 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] = chunks[(int) (b >>> CHUNK_SHIFT)].getDouble((int) (b & MASK));
        }
      }
      case FLOAT16 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] =
              HalfFloats.fromFloat16(chunks[(int) (b >>> CHUNK_SHIFT)].getShort((int) (b & MASK)));
        }
      }
      case BFLOAT16 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] =
              HalfFloats.fromBFloat16(chunks[(int) (b >>> CHUNK_SHIFT)].getShort((int) (b & MASK)));
        }
      }
      default -> throw new IllegalArgumentException("mapped tensors are floating, not " + dtype);
    }
  }

  /** {@link #gather} within one chunk: int byte offsets, no chunk lookup per element. */
  private void gatherIn(ByteBuffer c, int b, int step, int n, double[] out, int off) {
    switch (dtype) {
      case FLOAT32 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] = c.getFloat(b);
        }
      }
      case FLOAT64 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] = c.getDouble(b);
        }
      }
      case FLOAT16 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] = HalfFloats.fromFloat16(c.getShort(b));
        }
      }
      case BFLOAT16 -> {
        for (int k = 0; k < n; k++, b += step) {
          out[off + k] = HalfFloats.fromBFloat16(c.getShort(b));
        }
      }
      default -> throw new IllegalArgumentException("mapped tensors are floating, not " + dtype);
    }
  }

  /** Stores {@code n} values as float64 from element {@code pos} on (a float64 scratch tensor). */
  void putDoubles(long pos, double[] v, int off, int n) {
    long b = pos << 3;
    for (int k = 0; k < n; k++, b += 8) {
      chunks[(int) (b >>> CHUNK_SHIFT)].putDouble((int) (b & MASK), v[off + k]);
    }
  }
}
