package dev.initkit.format.safetensors;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.StoredType;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The values of safetensors tensors, read where they lie: positional reads of the open files, so
 * nothing is held in memory and several threads may read at once (positional {@link FileChannel}
 * reads do not share a position). Closing it closes the files; reading after that throws {@link
 * IllegalStateException}.
 */
final class SafetensorsStore implements TensorSource, AutoCloseable {
  /** Where one tensor's bytes are: a file and the absolute position of its first byte. */
  record Slot(Path file, FileChannel channel, long position) {}

  private final Map<String, Slot> slots; // by Weight.key(), the full safetensors key
  private final List<FileChannel> channels;
  private volatile boolean closed;

  SafetensorsStore(Map<String, Slot> slots, List<FileChannel> channels) {
    this.slots = Map.copyOf(slots);
    this.channels = List.copyOf(channels);
  }

  /** Elements decoded at a time from a low-precision tensor: a 64 KB float block. */
  private static final int DECODE_BLOCK = 1 << 14;

  /**
   * {@inheritDoc} A weight of a low-precision float code ({@link Weight#stored()}) is decoded to
   * float32 as it is read; a {@code C64} one is refused.
   */
  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    TensorSource.checkRows(weight, firstRow, rows);
    if (closed) {
      throw new IllegalStateException("safetensors store is closed; cannot read " + weight.key());
    }
    Slot slot = slots.get(weight.key());
    if (slot == null) {
      throw new IllegalArgumentException("weight " + weight.name() + " is not in this file");
    }
    long rowBytes = weight.shape().elementsPerRow() * weight.dtype().size();
    long bytes = Math.multiplyExact(rowBytes, rows);
    if (bytes > dst.remaining()) {
      throw new IllegalArgumentException(
          "weight "
              + weight.name()
              + ": "
              + bytes
              + " bytes asked, the buffer has "
              + dst.remaining());
    }
    StoredType stored = weight.stored();
    if (stored != null) {
      decodeRows(slot, weight, stored, firstRow * weight.shape().elementsPerRow(), rows, dst);
      return;
    }
    ByteBuffer view = dst.duplicate();
    view.limit(view.position() + (int) bytes);
    read(slot, weight, slot.position() + firstRow * rowBytes, view);
    dst.position(dst.position() + (int) bytes);
  }

  /** Elements {@code [first, first + rows * perRow)} of a low-precision tensor, as float32. */
  private static void decodeRows(
      Slot slot, Weight weight, StoredType stored, long first, long rows, ByteBuffer dst)
      throws IOException {
    float[] table = stored.decoded() ? MiniFloats.table(stored.code()) : null;
    if (table == null) {
      throw new UnsupportedModelException(
          slot.file(),
          weight.key(),
          "dtype "
              + stored.code()
              + " ("
              + stored.name()
              + ") has no Keras weight dtype: initkit lists it but reads no values of it");
    }
    int bits = stored.bits();
    long count = rows * weight.shape().elementsPerRow();
    ByteBuffer out = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[(int) Math.min(DECODE_BLOCK, count)];
    byte[] raw = new byte[(int) (((long) values.length * bits + 14) >>> 3)];
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(DECODE_BLOCK, count - done);
      long e0 = first + done;
      long byte0 = (e0 * bits) >>> 3;
      int len = (int) ((((e0 + n) * bits + 7) >>> 3) - byte0);
      read(slot, weight, slot.position() + byte0, ByteBuffer.wrap(raw, 0, len));
      if (bits == 8) {
        for (int k = 0; k < n; k++) {
          values[k] = table[raw[k] & 0xff];
        }
      } else {
        MiniFloats.decode(raw, byte0 * 8, e0, n, bits, table, values);
      }
      out.asFloatBuffer().put(values, 0, n);
      out.position(out.position() + n * 4);
      done += n;
    }
    dst.position(out.position());
  }

  /** Fills {@code view} from file position {@code at}. */
  private static void read(Slot slot, Weight weight, long at, ByteBuffer view) throws IOException {
    while (view.hasRemaining()) {
      int n;
      try {
        n = slot.channel().read(view, at);
      } catch (java.nio.channels.ClosedByInterruptException e) {
        // an interrupt closes a FileChannel for every thread: this model cannot read any more
        java.io.InterruptedIOException ie =
            new java.io.InterruptedIOException(
                "interrupted while reading " + weight.key() + "; reopen " + slot.file());
        ie.initCause(e);
        throw ie;
      }
      if (n < 0) {
        // the file was validated when opened: it shrank since
        throw new MalformedModelException(
            slot.file(), weight.key(), "file ends inside the tensor (truncated since opened?)");
      }
      at += n;
    }
  }

  /**
   * {@inheritDoc} The tensor's region of its file, mapped read-only; null for a low-precision
   * tensor, whose stored bytes are not its float32 values.
   */
  @Override
  public ByteBuffer[] storedBytes(Weight weight, long chunk) throws IOException {
    if (weight.stored() != null) {
      return null;
    }
    if (closed) {
      throw new IllegalStateException("safetensors store is closed; cannot read " + weight.key());
    }
    Slot slot = slots.get(weight.key());
    if (slot == null) {
      throw new IllegalArgumentException("weight " + weight.name() + " is not in this file");
    }
    long bytes = weight.byteSize();
    int n = (int) Math.max(1, (bytes + chunk - 1) / chunk);
    ByteBuffer[] out = new ByteBuffer[n];
    for (int i = 0; i < n; i++) {
      long at = i * chunk;
      out[i] =
          slot.channel()
              .map(
                  FileChannel.MapMode.READ_ONLY, slot.position() + at, Math.min(chunk, bytes - at));
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException first = null;
    for (FileChannel c : channels) {
      try {
        c.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
