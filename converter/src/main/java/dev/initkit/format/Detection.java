package dev.initkit.format;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link FormatDetector} found at a path, decided from content alone.
 *
 * @param path the path as given
 * @param kind the container kind
 * @param format the model format this kind is read as; {@code null} for {@link
 *     Kind#KERAS_JSON_CONFIG}, which holds an architecture but no weights. For {@link Kind#HDF5} it
 *     is always {@link Format#H5}: telling a full model from a weights-only file needs the HDF5
 *     attributes, so the HDF5 reader refines it
 * @param superblock the HDF5 superblock facts, or {@code null} unless {@code kind} is {@link
 *     Kind#HDF5}
 * @param weightsName for a Keras 3 archive (zip or directory), the weights member: {@code
 *     model.weights.h5}, {@code model.weights.npz} or {@code model.weights.json} (sharded); else
 *     {@code null}
 */
public record Detection(
    Path path, Kind kind, Format format, Hdf5Superblock superblock, String weightsName) {

  /** The container kinds the detector recognizes. */
  public enum Kind {
    /** An HDF5 file: legacy full model, legacy weights or Keras 3 {@code .weights.h5}. */
    HDF5(Format.H5),
    /** A Keras 3 {@code .keras} zip archive. */
    KERAS_ZIP(Format.KERAS),
    /** An unzipped Keras 3 archive: a directory with {@code config.json} and the weights. */
    KERAS_DIR(Format.KERAS),
    /** A TensorFlow SavedModel directory ({@code saved_model.pb}). */
    SAVED_MODEL_DIR(Format.SAVED_MODEL),
    /** A Keras architecture JSON ({@code model.to_json()}): top-level class_name and config. */
    KERAS_JSON_CONFIG(null),
    /** A Keras 3 {@code .weights.json} manifest of sharded weights (metadata and weight_map). */
    SHARDED_WEIGHTS_JSON(Format.KERAS3_WEIGHTS),
    /** A {@code .safetensors} file: an 8-byte little-endian header length, then a JSON header. */
    SAFETENSORS(Format.SAFETENSORS),
    /**
     * A sharded safetensors checkpoint's index ({@code model.safetensors.index.json}): a {@code
     * weight_map} from tensor key to shard file name.
     */
    SAFETENSORS_INDEX(Format.SAFETENSORS);

    private final Format format;

    Kind(Format format) {
      this.format = format;
    }

    /** The format this kind is read as, or {@code null} when it holds no weights. */
    public Format format() {
      return format;
    }
  }

  /**
   * The fixed fields of an HDF5 superblock, as read without the HDF5 library.
   *
   * @param offset where the signature was found: the user block size (0, 512, 1024, 2048...)
   * @param version superblock version, 0 to 3
   * @param sizeOfOffsets bytes per file address
   * @param sizeOfLengths bytes per object length
   * @param baseAddress the base address field (absolute; normally equal to {@code offset})
   * @param declaredEof the end-of-file address field (absolute), or -1 when undefined
   * @param fileSize the actual file size in bytes
   */
  public record Hdf5Superblock(
      long offset,
      int version,
      int sizeOfOffsets,
      int sizeOfLengths,
      long baseAddress,
      long declaredEof,
      long fileSize) {}

  /** Checks that the required parts are present. */
  public Detection {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.HDF5) != (superblock != null)) {
      throw new IllegalArgumentException("superblock must be given exactly for HDF5: " + kind);
    }
  }

  /** True when the path is an HDF5 file whose exact format the HDF5 reader must still decide. */
  public boolean hdf5() {
    return kind == Kind.HDF5;
  }

  /**
   * This detection with a refined format, e.g. {@link Format#H5_WEIGHTS} or {@link
   * Format#KERAS3_WEIGHTS} once the HDF5 reader has looked at the attributes.
   */
  public Detection withFormat(Format refined) {
    return new Detection(
        path, kind, Objects.requireNonNull(refined, "refined"), superblock, weightsName);
  }

  /** True for a directory input (SavedModel or unzipped Keras 3 archive). */
  public boolean directory() {
    return kind == Kind.KERAS_DIR || kind == Kind.SAVED_MODEL_DIR;
  }
}
