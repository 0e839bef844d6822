package dev.initkit.format.safetensors;

import dev.initkit.MalformedModelException;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
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

  /** {@inheritDoc} */
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
    long at = slot.position() + firstRow * rowBytes;
    ByteBuffer view = dst.duplicate();
    view.limit(view.position() + (int) bytes);
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
    dst.position(dst.position() + (int) bytes);
  }

  /** {@inheritDoc} The tensor's region of its file, mapped read-only. */
  @Override
  public ByteBuffer[] storedBytes(Weight weight, long chunk) throws IOException {
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
