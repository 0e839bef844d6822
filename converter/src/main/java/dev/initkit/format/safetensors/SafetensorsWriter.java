package dev.initkit.format.safetensors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.internal.Json;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a model's weights as one {@code .safetensors} file: layer weights in model order, then
 * model-level weights, each under the key a {@link TensorNaming} gives it, in its stored dtype and
 * shape (Keras layout: kernels stay {@code (in, out)}). No config and no optimizer state: the
 * format holds tensors only. The header is padded with spaces to a multiple of 8 bytes, as the
 * reference writer does, so that the data section starts aligned; {@code __metadata__} says {@code
 * "layout": "keras"}.
 *
 * <p>Values stream from the {@link TensorSource} in blocks of rows; nothing whole is held in
 * memory. The writer writes the path it is given (the caller makes it a temporary file).
 */
public final class SafetensorsWriter {
  /** Bytes read from the source at a time (whole rows, at least one). */
  private static final long BLOCK_BYTES = 4L << 20;

  private SafetensorsWriter() {}

  /**
   * One weight and its key.
   *
   * @param name the safetensors key
   * @param weight the weight written under it
   */
  public record Named(String name, Weight weight) {}

  /**
   * The keys {@code naming} gives the weights {@link #write} writes, in the order it writes them.
   *
   * @throws UnsupportedModelException when two weights get the same key, or one an empty key
   */
  public static List<Named> names(Model model, TensorNaming naming)
      throws UnsupportedModelException {
    List<Named> out = new ArrayList<>();
    for (Layer l : model.layers()) {
      collect(l, "", naming, out);
    }
    for (Weight w : model.modelWeights()) {
      out.add(new Named(naming.name("", "", w), w));
    }
    Map<String, Weight> seen = new HashMap<>();
    for (Named n : out) {
      Path source = model.source().isEmpty() ? null : Path.of(model.source());
      if (n.name() == null || n.name().isEmpty() || n.name().equals(SafetensorsHeader.METADATA)) {
        throw new UnsupportedModelException(
            source,
            n.weight().name(),
            "no usable safetensors key for this weight: '" + n.name() + "'");
      }
      Weight other = seen.putIfAbsent(n.name(), n.weight());
      if (other != null) {
        throw new UnsupportedModelException(
            source,
            n.weight().name(),
            "weights "
                + other.name()
                + " and "
                + n.weight().name()
                + " would both be written as '"
                + n.name()
                + "'");
      }
    }
    return out;
  }

  private static void collect(Layer l, String parent, TensorNaming naming, List<Named> out) {
    String path = parent.isEmpty() ? l.name() : parent + "/" + l.name();
    for (Weight w : l.weights()) {
      out.add(new Named(naming.name(path, l.name(), w), w));
    }
    for (Layer c : l.children()) {
      collect(c, path, naming, out);
    }
  }

  /**
   * Writes {@code model}'s weights, read from {@code tensors}, to {@code out} (created or
   * truncated).
   *
   * @throws UnsupportedModelException when {@code naming} gives two weights one key
   * @throws InterruptedIOException when the thread is interrupted between tensors
   * @throws IOException when reading a value or writing fails
   */
  public static void write(Model model, TensorSource tensors, TensorNaming naming, Path out)
      throws IOException {
    List<Tensor> named = new ArrayList<>();
    for (Named n : names(model, naming)) {
      Weight w = n.weight();
      named.add(
          new Tensor(
              n.name(), w.dtype(), w.shape(), (r, k, buf) -> tensors.readRows(w, r, k, buf)));
    }
    writeTensors(named, Map.of("layout", "keras"), out);
  }

  /** Fills {@code dst} from its position with rows of one tensor, as {@link TensorSource} does. */
  @FunctionalInterface
  public interface Rows {
    /**
     * Puts rows {@code [firstRow, firstRow + rows)} of the leading axis (the one element of a
     * scalar) at {@code dst}'s position, little-endian, and advances it. Called in row order.
     *
     * @throws IOException when reading a value fails
     */
    void readRows(long firstRow, long rows, ByteBuffer dst) throws IOException;
  }

  /**
   * One tensor to write.
   *
   * @param name the safetensors key
   * @param dtype its dtype
   * @param shape its shape
   * @param rows its values
   */
  public record Tensor(String name, DType dtype, Shape shape, Rows rows) {}

  /**
   * Writes {@code tensors} in order to {@code out} (created or truncated), with {@code metadata} as
   * the header's {@code __metadata__}; the keys must be distinct and not {@code __metadata__}.
   *
   * @throws InterruptedIOException when the thread is interrupted between tensors
   * @throws IOException when reading a value or writing fails
   */
  public static void writeTensors(List<Tensor> tensors, Map<String, String> metadata, Path out)
      throws IOException {
    ObjectNode header = JsonNodeFactory.instance.objectNode();
    header.set(SafetensorsHeader.METADATA, Json.object(new TreeMap<>(metadata)));
    long offset = 0;
    for (Tensor n : tensors) {
      if (header.has(n.name())) {
        throw new IllegalArgumentException("two tensors named '" + n.name() + "'");
      }
      ObjectNode t = header.putObject(n.name());
      t.put("dtype", SafetensorsDTypes.code(n.dtype()));
      ArrayNode shape = t.putArray("shape");
      for (long d : n.shape().dims()) {
        shape.add(d);
      }
      long end =
          Math.addExact(
              offset, Math.multiplyExact(n.shape().elementCount(), (long) n.dtype().size()));
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    try (FileChannel ch =
        FileChannel.open(
            out,
            StandardOpenOption.WRITE,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(ch, head);
      for (Tensor n : tensors) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("interrupted while writing " + n.name());
        }
        copy(n, ch);
      }
    }
  }

  private static void copy(Tensor w, FileChannel ch) throws IOException {
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    long rowBytes = w.shape().elementsPerRow() * w.dtype().size();
    if (rowBytes == 0 || rows == 0) {
      return; // an empty tensor has no bytes
    }
    long perBlock = Math.max(1, BLOCK_BYTES / rowBytes);
    if (Math.multiplyExact(perBlock, rowBytes) > Integer.MAX_VALUE - 8) {
      throw new UnsupportedModelException(
          null, w.name(), "one row of " + rowBytes + " bytes is larger than initkit can buffer");
    }
    // direct: the HDF5 sources transfer into native memory only
    ByteBuffer buf =
        ByteBuffer.allocateDirect((int) (Math.min(perBlock, rows) * rowBytes))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (long r = 0; r < rows; r += perBlock) {
      long n = Math.min(perBlock, rows - r);
      buf.clear();
      w.rows().readRows(r, n, buf);
      buf.flip();
      writeFully(ch, buf);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
