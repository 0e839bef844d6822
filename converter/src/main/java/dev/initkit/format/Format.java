package dev.initkit.format;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** The model file formats initkit reads and writes. */
public enum Format {
  /** Keras 1/2, tf.keras or Keras 3 legacy HDF5 full model ({@code model.save("m.h5")}). */
  H5("h5"),
  /**
   * Legacy weights-only HDF5 ({@code save_weights("w.h5")}): the model_weights layout at the root.
   */
  H5_WEIGHTS("h5"),
  /** Keras 3 {@code save_weights("x.weights.h5")}: the class-path layout, no zip, no config. */
  KERAS3_WEIGHTS("weights.h5"),
  /** Keras 3 {@code .keras} archive, zipped or unzipped (a directory). */
  KERAS("keras"),
  /** TensorFlow SavedModel directory. */
  SAVED_MODEL("savedmodel"),
  /**
   * A {@code .safetensors} file (or a sharded checkpoint's {@code model.safetensors.index.json}):
   * named tensors, no config.
   */
  SAFETENSORS("safetensors");

  private final String extension;

  Format(String extension) {
    this.extension = extension;
  }

  /** The usual file extension, without the dot. */
  public String extension() {
    return extension;
  }

  /**
   * The output format a path's name asks for: {@code .keras} is KERAS, {@code .weights.h5} is
   * KERAS3_WEIGHTS, {@code .h5}/{@code .hdf5} is H5, {@code .safetensors} is SAFETENSORS.
   */
  public static Optional<Format> fromFileName(Path path) {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".keras")) {
      return Optional.of(KERAS);
    }
    if (name.endsWith(".weights.h5")) {
      return Optional.of(KERAS3_WEIGHTS);
    }
    if (name.endsWith(".safetensors")) {
      return Optional.of(SAFETENSORS);
    }
    if (name.endsWith(".h5") || name.endsWith(".hdf5")) {
      return Optional.of(H5);
    }
    return Optional.empty();
  }

  /**
   * Parses a user's {@code --to} value: h5, keras, weights.h5, savedmodel, safetensors
   * (case-insensitive).
   */
  public static Format parse(String text) {
    switch (text.toLowerCase(Locale.ROOT)) {
      case "h5":
      case "hdf5":
        return H5;
      case "keras":
        return KERAS;
      case "weights.h5":
      case "weights":
        return KERAS3_WEIGHTS;
      case "h5-weights":
        return H5_WEIGHTS;
      case "savedmodel":
      case "saved_model":
        return SAVED_MODEL;
      case "safetensors":
        return SAFETENSORS;
      default:
        throw new IllegalArgumentException(
            "unknown format '"
                + text
                + "': expected h5, keras, weights.h5, savedmodel or safetensors");
    }
  }
}
