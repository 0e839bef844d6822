package dev.initkit.internal.h5;

import dev.initkit.MalformedModelException;
import dev.initkit.format.Format;
import dev.initkit.format.h5.KerasH5Input;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.OwnedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@link KerasH5Input} that {@link KerasH5Input#open} returns: it holds the open {@link H5File}
 * and hands it to one reader ({@link #readWith}). Here, not in the exported {@code format.h5}
 * package, so the HDF5 binding stays out of the public API while the h5 and keras3 readers (two
 * packages) both take the file over.
 */
public final class H5Input implements KerasH5Input {
  private final Path path;
  private final Format layout;
  private H5File file;

  private H5Input(Path path, H5File file, Format layout) {
    this.path = path;
    this.file = file;
    this.layout = layout;
  }

  /** {@link KerasH5Input#open}. */
  public static H5Input open(Path path) throws IOException {
    H5File f;
    try {
      f = H5File.openReadOnly(path);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          path, "", "not a readable HDF5 file (damaged or truncated?): " + e.getMessage(), e);
    }
    boolean ok = false;
    try {
      Format layout = layoutOf(f);
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
      return new H5Input(path, f, layout);
    } catch (H5Exception e) {
      throw unreadable(path, e);
    } finally {
      if (!ok) {
        f.close();
      }
    }
  }

  /**
   * The implementation behind {@code input}.
   *
   * @throws IllegalArgumentException when {@code input} did not come from {@link KerasH5Input#open}
   */
  public static H5Input of(KerasH5Input input) {
    if (input instanceof H5Input h) {
      return h;
    }
    throw new IllegalArgumentException(
        "not a KerasH5Input from KerasH5Input.open: " + input.getClass().getName());
  }

  /** What kind of Keras HDF5 layout an open file has. */
  static Format layoutOf(H5File file) throws H5Exception {
    H5Group root = file.root();
    if (root.hasAttribute("model_config")) {
      return Format.H5;
    }
    if (root.hasAttribute("layer_names") || root.hasAttribute("layer_names0")) {
      return Format.H5_WEIGHTS;
    }
    return Format.KERAS3_WEIGHTS;
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
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
    OwnedModel read(Path path, H5File file) throws IOException;
  }

  /**
   * Hands the file to {@code reader}, once; an HDF5 error escaping it is reported as a {@link
   * MalformedModelException}.
   *
   * @throws IllegalStateException when the file was already handed over or closed
   */
  public OwnedModel readWith(Reader reader) throws IOException {
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
