package dev.initkit.format;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.OwnedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * TensorFlow SavedModel reading and writing, plugged in through {@link ServiceLoader} by the {@code
 * initkit-savedmodel} module (TensorFlow Java).
 *
 * <p>Why a service: TensorFlow Java brings a 650 MB native library whose first use costs seconds.
 * The converter module does not depend on it, and {@link #load(Path)} is only called on the
 * SavedModel paths, so every other command and test never loads a TensorFlow class.
 */
public interface SavedModelSupport {

  /**
   * Opens a SavedModel directory. The caller closes the result.
   *
   * @throws MalformedModelException when the directory breaks the SavedModel format
   * @throws UnsupportedModelException when it is valid but uses something initkit does not handle
   * @throws IOException on read errors
   */
  OwnedModel read(Path dir) throws IOException;

  /**
   * Writes {@code model} as a SavedModel directory at {@code out}, atomically.
   *
   * @param overwrite whether an existing {@code out} may be replaced
   * @param notes receives one line per thing the user should know about the result
   * @throws UnsupportedModelException when the model cannot be written as a SavedModel
   * @throws IOException on write errors
   */
  void write(LoadedModel model, Path out, boolean overwrite, Consumer<String> notes)
      throws IOException;

  /**
   * The installed implementation.
   *
   * @param file the file being read or written, for the error message
   * @throws UnsupportedModelException when no implementation is on the class path
   */
  static SavedModelSupport load(Path file) throws UnsupportedModelException {
    return ServiceLoader.load(SavedModelSupport.class)
        .findFirst()
        .orElseThrow(
            () ->
                new UnsupportedModelException(
                    file,
                    "",
                    "TensorFlow SavedModel support (module initkit-savedmodel, TensorFlow Java) is not on"
                        + " the class path"));
  }
}
