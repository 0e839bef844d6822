package dev.initkit.scan;

import com.fasterxml.jackson.databind.JsonNode;
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

  /**
   * What a tf-keras SavedModel's {@code keras_metadata.pb} alone says of the model's Keras config:
   * the layer graph that {@code ModelIO.open} gives as the model's config, or null when the root
   * object has none (a subclassed model).
   *
   * @param config the config, or null
   */
  record KerasConfig(JsonNode config) {}

  /**
   * The Keras config from {@code dir}'s {@code keras_metadata.pb}, read without {@code
   * saved_model.pb} (the config rules need nothing else, and the graph can be hundreds of
   * megabytes); empty when the file is absent, over the readers' size cap or holds no root object,
   * and the caller opens the model instead.
   *
   * @throws IOException when the file cannot be read or parsed (the model reader says why)
   */
  default Optional<KerasConfig> kerasConfig(Path dir) throws IOException {
    return Optional.empty();
  }

  /** The installed implementation, if any. */
  static Optional<SavedModelGraphReader> installed() {
    return ServiceLoader.load(SavedModelGraphReader.class).findFirst();
  }
}
