package dev.initkit.savedmodel;

import dev.initkit.MalformedModelException;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The values of a SavedModel's variables, read from its checkpoint's data shards in plain Java
 * ({@link CheckpointData}). Keeps the last tensor read, since a weight is read in row ranges.
 * Thread-safe.
 */
final class CheckpointTensors implements TensorSource, AutoCloseable {
  private final Path dir;
  private final CheckpointData data;
  private String lastKey;
  private byte[] lastValues;
  private boolean closed;

  /**
   * @param index the checkpoint's index, or null when the SavedModel has no variables
   */
  CheckpointTensors(Path dir, BundleIndex index) throws IOException {
    this.dir = dir;
    this.data = index == null ? null : new CheckpointData(dir, index);
  }

  /** The directory whose checkpoint this reads. */
  Path dir() {
    return dir;
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    TensorSource.checkRows(
        weight, firstRow, rows); // the caller's mistake: before the checkpoint is read
    byte[] all = values(weight.key());
    long total = weight.shape().elementCount() * weight.dtype().size();
    if (all.length != total) {
      throw new MalformedModelException(
          dir,
          weight.key(),
          "expected "
              + total
              + " bytes for "
              + weight.shape()
              + " "
              + weight.dtype()
              + ", the checkpoint holds "
              + all.length);
    }
    long rowCount = weight.shape().rank() == 0 ? 1 : weight.shape().dim(0);
    long rowBytes = rowCount == 0 ? 0 : total / rowCount;
    dst.put(all, (int) (firstRow * rowBytes), (int) (rows * rowBytes));
  }

  /** The raw little-endian bytes of a checkpoint entry. */
  synchronized byte[] values(String key) throws IOException {
    if (closed) {
      throw new IllegalStateException(dir + " is closed");
    }
    if (!key.equals(lastKey)) {
      if (data == null) {
        throw new MalformedModelException(dir, key, "not in the checkpoint");
      }
      lastValues = data.numeric(key);
      lastKey = key;
    }
    return lastValues;
  }

  @Override
  public synchronized void close() {
    closed = true;
    lastKey = null;
    lastValues = null;
  }
}
