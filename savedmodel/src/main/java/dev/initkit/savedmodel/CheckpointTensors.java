package dev.initkit.savedmodel;

import dev.initkit.format.MalformedModelException;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;

/**
 * The values of a SavedModel's variables, restored from its checkpoint with {@code RestoreV2}. The
 * first read restores every weight of up to {@link #BATCH_BYTES} in one session run (a report reads
 * them all); larger checkpoints restore one tensor at a time and keep only the last. Thread-safe.
 */
final class CheckpointTensors implements TensorSource, AutoCloseable {
  static final long BATCH_BYTES = 256L << 20;

  private final Path dir;
  private final String prefix;
  private final BundleIndex index;
  private final Map<String, byte[]> cache = new LinkedHashMap<>();
  private boolean batched;
  private boolean closed;

  CheckpointTensors(Path dir, String prefix, BundleIndex index) {
    this.dir = dir;
    this.prefix = prefix;
    this.index = index;
  }

  /** The directory whose checkpoint this reads. */
  Path dir() {
    return dir;
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    byte[] all = values(weight.key());
    long total = weight.shape().elementCount() * weight.dtype().size();
    if (all.length != total) {
      throw new MalformedModelException(dir, weight.key(),
          "expected " + total + " bytes for " + weight.shape() + " " + weight.dtype() + ", the checkpoint holds " + all.length);
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
    byte[] v = cache.get(key);
    if (v != null) {
      return v;
    }
    BundleEntryProto e = index == null ? null : index.entries().get(key);
    if (e == null) {
      throw new MalformedModelException(dir, key, "not in the checkpoint");
    }
    List<String> keys = new ArrayList<>();
    if (!batched) {
      batched = true;
      long sum = 0;
      for (Map.Entry<String, BundleEntryProto> x : index.entries().entrySet()) {
        if (x.getValue().getDtype() != DataType.DT_STRING && Checkpoint.typeOf(x.getValue().getDtype()) != null) {
          sum += x.getValue().getSize();
          keys.add(x.getKey());
        }
      }
      if (sum > BATCH_BYTES) {
        keys.clear();
      }
    }
    if (keys.isEmpty()) {
      cache.clear();
      keys.add(key);
    }
    List<DataType> types = new ArrayList<>();
    for (String k : keys) {
      types.add(index.entries().get(k).getDtype());
    }
    List<byte[]> values;
    try {
      values = Checkpoint.restore(prefix, keys, types);
    } catch (RuntimeException ex) {
      throw new MalformedModelException(dir, "variables/" + key, "TensorFlow cannot restore it: " + ex.getMessage(), ex);
    }
    for (int i = 0; i < keys.size(); i++) {
      cache.put(keys.get(i), values.get(i));
    }
    return cache.get(key);
  }

  @Override
  public synchronized void close() {
    closed = true;
    cache.clear();
  }
}
