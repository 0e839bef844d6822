package dev.initkit.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Whole-tensor reads for library users: a weight found by layer and variable name whatever the
 * format spells it, its values as Java arrays or into any buffer. The streaming {@link
 * TensorSource#readRows} stays the way for tensors larger than memory.
 */
final class WeightValues {
  /**
   * Rows are read in blocks of about this many bytes, so a large tensor needs no large native
   * buffer.
   */
  private static final int BLOCK_BYTES = 8 << 20;

  private WeightValues() {}

  /**
   * The weight {@code variable} of layer {@code layer}: its short name ({@code kernel}), a path
   * suffix that tells wrapped weights apart ({@code forward_lstm/lstm_cell/kernel}), or Keras 1's
   * suffix after the layer name ({@code W} of {@code dense_1_W}).
   */
  static Weight find(Model model, String layer, String variable) {
    Layer found = null;
    for (Layer l : model.allLayers()) {
      if (l.name().equals(layer)) {
        found = l;
        break;
      }
    }
    if (found == null) {
      throw new NoSuchElementException("model " + model.source() + " has no layer '" + layer + "'");
    }
    List<Weight> matches = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Weight w : found.allWeights()) {
      String name =
          w.name().endsWith(":0") ? w.name().substring(0, w.name().length() - 2) : w.name();
      names.add(name);
      if (name.equals(variable)
          || name.endsWith("/" + variable)
          || name.equals(layer + "_" + variable)) {
        matches.add(w);
      }
    }
    if (matches.size() == 1) {
      return matches.get(0);
    }
    throw new NoSuchElementException(
        "layer '"
            + layer
            + "' of "
            + model.source()
            + (matches.isEmpty()
                ? " has no weight '" + variable + "'"
                : " has several weights '" + variable + "'")
            + " (its weights: "
            + String.join(", ", names)
            + ")");
  }

  /** All values of {@code w}, in {@code dst}'s byte order, at its position; advances it. */
  static void read(TensorSource tensors, Weight w, ByteBuffer dst) throws IOException {
    long bytes = w.byteSize();
    if (dst.remaining() < bytes) {
      throw new IllegalArgumentException(
          "weight " + w.name() + " needs " + bytes + " bytes; the buffer has " + dst.remaining());
    }
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    long rowBytes = rows == 0 ? 0 : bytes / rows;
    if (rowBytes == 0) {
      return;
    }
    long block = Math.max(1, BLOCK_BYTES / rowBytes);
    boolean direct = dst.isDirect() && dst.order() == ByteOrder.LITTLE_ENDIAN;
    ByteBuffer scratch =
        direct ? null : ByteBuffer.allocateDirect((int) Math.min(bytes, block * rowBytes));
    for (long r = 0; r < rows; r += block) {
      long n = Math.min(block, rows - r);
      if (direct) {
        tensors.readRows(w, r, n, dst);
      } else {
        scratch.clear().limit((int) (n * rowBytes));
        tensors.readRows(w, r, n, scratch);
        scratch.flip();
        copyInOrder(scratch, w.dtype().size(), dst);
      }
    }
  }

  /**
   * Little-endian elements of {@code size} bytes from {@code src} into {@code dst} in its order.
   */
  private static void copyInOrder(ByteBuffer src, int size, ByteBuffer dst) {
    if (dst.order() == ByteOrder.LITTLE_ENDIAN || size == 1) {
      dst.put(src);
      return;
    }
    while (src.hasRemaining()) {
      int p = src.position();
      for (int i = size - 1; i >= 0; i--) {
        dst.put(src.get(p + i));
      }
      src.position(p + size);
    }
  }

  /**
   * All values of {@code w} as doubles (exact for every stored dtype but 64-bit integers past
   * 2^53).
   */
  static double[] readDoubles(TensorSource tensors, Weight w) throws IOException {
    ByteBuffer le = readAll(tensors, w);
    double[] out = new double[le.remaining() / w.dtype().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = valueAt(le, w.dtype(), i);
    }
    return out;
  }

  /** All values of {@code w} as floats (rounded where the dtype is wider). */
  static float[] readFloats(TensorSource tensors, Weight w) throws IOException {
    ByteBuffer le = readAll(tensors, w);
    float[] out = new float[le.remaining() / w.dtype().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) valueAt(le, w.dtype(), i);
    }
    return out;
  }

  private static ByteBuffer readAll(TensorSource tensors, Weight w) throws IOException {
    if (w.byteSize() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "weight "
              + w.name()
              + " has "
              + w.shape().elementCount()
              + " values, more than a Java array holds: read it in rows with TensorSource.readRows");
    }
    ByteBuffer le = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    read(tensors, w, le);
    return le.flip();
  }

  private static double valueAt(ByteBuffer le, DType dtype, int i) {
    int p = i * dtype.size();
    switch (dtype) {
      case FLOAT16:
        return HalfFloats.fromFloat16(le.getShort(p));
      case BFLOAT16:
        return HalfFloats.fromBFloat16(le.getShort(p));
      case FLOAT32:
        return le.getFloat(p);
      case FLOAT64:
        return le.getDouble(p);
      case INT8:
        return le.get(p);
      case UINT8:
      case BOOL:
        return le.get(p) & 0xff;
      case INT16:
        return le.getShort(p);
      case UINT16:
        return le.getShort(p) & 0xffff;
      case INT32:
        return le.getInt(p);
      case UINT32:
        return le.getInt(p) & 0xffffffffL;
      case INT64:
        return le.getLong(p);
      case UINT64:
        long v = le.getLong(p);
        return v >= 0 ? v : (v >>> 1) * 2.0 + (v & 1);
      default:
        throw new AssertionError(dtype);
    }
  }
}
