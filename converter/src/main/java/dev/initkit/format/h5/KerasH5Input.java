package dev.initkit.format.h5;

import dev.initkit.MalformedModelException;
import dev.initkit.format.Format;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * An HDF5 model file opened once and told apart by its Keras layout ({@link #layout()}), to be
 * handed to the reader of that layout: {@link KerasH5Reader#read(KerasH5Input,
 * com.fasterxml.jackson.databind.JsonNode, Path)} for a legacy model or weights file, {@code
 * KerasArchiveReader.readWeights} for Keras 3 weights. Closing it closes the file unless a reader
 * took it.
 */
public final class KerasH5Input implements AutoCloseable {
  private final Path path;
  private final Format layout;
  private H5File file;

  private KerasH5Input(Path path, H5File file, Format layout) {
    this.path = path;
    this.file = file;
    this.layout = layout;
  }

  /**
   * Opens {@code path} read-only and tells its layout: {@link Format#H5} (a model config), {@link
   * Format#H5_WEIGHTS} (layer names, no config) or {@link Format#KERAS3_WEIGHTS}.
   *
   * @throws MalformedModelException when HDF5 cannot open or read it, or it is neither of the
   *     legacy layouts nor holds Keras 3's layers group
   */
  public static KerasH5Input open(Path path) throws IOException {
    H5File f;
    try {
      f = H5File.openReadOnly(path);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          path, "", "not a readable HDF5 file (damaged or truncated?): " + e.getMessage(), e);
    }
    boolean ok = false;
    try {
      Format layout = KerasH5Reader.layoutOf(f);
      if (layout == Format.KERAS3_WEIGHTS) {
        H5Group root = f.root();
        List<String> children = root.childNames();
        if (!children.contains("layers")
            && !children.contains("vars")
            && !children.contains("_layer_checkpoint_dependencies")) {
          throw new MalformedModelException(
              path,
              "/",
              children.isEmpty() && root.attributeNames().isEmpty()
                  ? "empty HDF5 file: no Keras model_config, layer_names or Keras 3 layers group"
                  : "HDF5 file that is not a Keras model: no model_config or layer_names attribute and no Keras 3 layers group (it holds "
                      + describe(children)
                      + ")");
        }
      }
      ok = true;
      return new KerasH5Input(path, f, layout);
    } catch (H5Exception e) {
      throw unreadable(path, e);
    } finally {
      if (!ok) {
        f.close();
      }
    }
  }

  /** The path it was opened from. */
  public Path path() {
    return path;
  }

  /**
   * Its Keras layout: {@link Format#H5}, {@link Format#H5_WEIGHTS} or {@link
   * Format#KERAS3_WEIGHTS}.
   */
  public Format layout() {
    return layout;
  }

  /** A reader of an open file, which owns it from the call on (closing it if it fails). */
  @FunctionalInterface
  public interface Reader {
    /**
     * Reads the model in {@code file}.
     *
     * @param path the path it was opened from
     * @param file the open file, now the reader's
     * @return the model, which holds the file open
     * @throws IOException when the file cannot be read as a model
     */
    LoadedModel read(Path path, H5File file) throws IOException;
  }

  /**
   * Hands the file to {@code reader}, once; an HDF5 error escaping it is reported as a {@link
   * MalformedModelException}.
   *
   * @throws IllegalStateException when the file was already handed over or closed
   */
  public LoadedModel readWith(Reader reader) throws IOException {
    H5File f = file;
    if (f == null) {
      throw new IllegalStateException(path + " was already handed to a reader or closed");
    }
    file = null;
    try {
      return reader.read(path, f);
    } catch (H5Exception e) {
      throw unreadable(path, e);
    }
  }

  /** Closes the file unless a reader took it. */
  @Override
  public void close() throws IOException {
    H5File f = file;
    file = null;
    if (f != null) {
      f.close();
    }
  }

  private static MalformedModelException unreadable(Path path, H5Exception e) {
    return new MalformedModelException(
        path, "", "cannot read HDF5 structure: " + e.getMessage(), e);
  }

  private static String describe(List<String> children) {
    List<String> shown = children.size() > 5 ? children.subList(0, 5) : children;
    return children.isEmpty()
        ? "no groups"
        : "groups " + String.join(", ", shown) + (children.size() > 5 ? ", ..." : "");
  }
}
