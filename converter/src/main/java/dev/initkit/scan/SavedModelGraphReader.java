package dev.initkit.scan;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Reads a SavedModel's {@code saved_model.pb} for the graph rules, plugged in through {@link
 * ServiceLoader} by the {@code initkit-savedmodel} module: the converter has no protobuf classes of
 * its own. An implementation parses the file as data and never runs, imports or resolves anything.
 */
public interface SavedModelGraphReader {

  /**
   * Reads {@code savedModelPb}, whose size the caller has already held against its cap.
   *
   * @throws IOException when the file cannot be read or is not a SavedModel proto (the message says
   *     why)
   */
  SavedModelGraph read(Path savedModelPb) throws IOException;

  /** The installed implementation, if any. */
  static Optional<SavedModelGraphReader> installed() {
    return ServiceLoader.load(SavedModelGraphReader.class).findFirst();
  }
}
