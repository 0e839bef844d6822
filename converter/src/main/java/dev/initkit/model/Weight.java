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
 * @param stored the file's own element type when it is no {@link DType} (a safetensors {@code
 *     F8_E4M3}...: the values read are its exact decode to {@code dtype}); null when the file holds
 *     {@code dtype} itself
 */
public record Weight(
    String name, Shape shape, DType dtype, WeightRole role, String key, StoredType stored) {
  public Weight {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(key, "key");
  }

  /** A weight whose file holds {@code dtype} itself. */
  public Weight(String name, Shape shape, DType dtype, WeightRole role, String key) {
    this(name, shape, dtype, role, key, null);
  }

  /** Bytes of its values as read ({@code dtype}), which {@link TensorSource#readRows} gives. */
  public long byteSize() {
    return Math.multiplyExact(shape.elementCount(), dtype.size());
  }

  /** Bytes it takes in its file: {@link #byteSize()} unless {@link #stored()} says otherwise. */
  public long storedByteSize() {
    return stored == null ? byteSize() : stored.bytes(shape.elementCount());
  }

  /** The element type's name as the file has it: {@link #stored()}'s name, else the dtype's. */
  public String dtypeName() {
    return stored == null ? dtype.kerasName() : stored.name();
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
