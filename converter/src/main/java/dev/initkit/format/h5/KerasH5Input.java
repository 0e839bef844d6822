package dev.initkit.format.h5;

import dev.initkit.MalformedModelException;
import dev.initkit.format.Format;
import dev.initkit.internal.h5.H5Input;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An HDF5 model file opened once and told apart by its Keras layout ({@link #layout()}), to be
 * handed to the reader of that layout: {@link KerasH5Reader#read(KerasH5Input,
 * com.fasterxml.jackson.databind.JsonNode, Path)} for a legacy model or weights file, {@link
 * dev.initkit.format.keras3.KerasArchiveReader#readWeights(KerasH5Input,
 * com.fasterxml.jackson.databind.JsonNode)} for Keras 3 weights. A reader takes the file over,
 * once; closing the input closes the file unless a reader took it. Only {@link #open} makes
 * instances (the readers refuse others).
 */
public interface KerasH5Input extends AutoCloseable {
  /**
   * Opens {@code path} read-only and tells its layout: {@link Format#H5} (a model config), {@link
   * Format#H5_WEIGHTS} (layer names, no config) or {@link Format#KERAS3_WEIGHTS}.
   *
   * @param path the HDF5 file
   * @return the open file
   * @throws MalformedModelException when HDF5 cannot open or read it, or it is neither of the
   *     legacy layouts nor holds Keras 3's layers group
   * @throws IOException when it cannot be read
   */
  static KerasH5Input open(Path path) throws IOException {
    return H5Input.open(path);
  }

  /**
   * The path it was opened from.
   *
   * @return the path given to {@link #open}
   */
  Path path();

  /**
   * Its Keras layout: {@link Format#H5}, {@link Format#H5_WEIGHTS} or {@link
   * Format#KERAS3_WEIGHTS}.
   *
   * @return the layout
   */
  Format layout();

  /** Closes the file unless a reader took it. */
  @Override
  void close() throws IOException;
}
