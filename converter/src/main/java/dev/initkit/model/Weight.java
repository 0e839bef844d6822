package dev.initkit.model;

import java.util.Objects;

/**
 * One stored tensor of a layer, described (its values live in a {@link TensorSource}).
 *
 * @param name the variable name as the file spells it ({@code dense/kernel:0}, {@code
 *     dense/kernel}, Keras 1 {@code dense_1_W}); for Keras 3 archives, {@code <layer>/<variable>}
 *     from the layer's known variable order
 * @param shape Keras layout: kernels are {@code (..., in, out)}, e.g. HWIO for Conv2D
 * @param dtype element type
 * @param role what the weight is to its layer
 * @param key opaque identifier of the tensor in the source it was read from (an HDF5 path for the
 *     Keras formats, the full tensor key for safetensors); unique within one model
 */
public record Weight(String name, Shape shape, DType dtype, WeightRole role, String key) {
  public Weight {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(key, "key");
  }

  /** Bytes of data. */
  public long byteSize() {
    return Math.multiplyExact(shape.elementCount(), dtype.size());
  }

  /** The variable's short name: the last path component without {@code :0}. */
  public String shortName() {
    String n = name;
    int slash = n.lastIndexOf('/');
    if (slash >= 0) {
      n = n.substring(slash + 1);
    }
    int colon = n.indexOf(':');
    return colon >= 0 ? n.substring(0, colon) : n;
  }
}
