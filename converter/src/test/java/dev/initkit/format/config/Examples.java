package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The paired example configs under {@code src/test/resources/config/}, written by real tf-keras
 * 2.20.1 and Keras 3.12.0 for the same architectures (see {@code generate_examples.py} there).
 */
final class Examples {
  private Examples() {}

  static final ObjectMapper JSON = new ObjectMapper();

  /** The architectures {@code generate_examples.py} builds. */
  static final List<String> ARCHITECTURES =
      List.of(
          "mlp",
          "cnn2d",
          "conv1d3d",
          "rnn",
          "rnn_cells",
          "functional",
          "transformer",
          "nested",
          "mixed_precision",
          "misc");

  /** tf-keras {@code Model.to_json()}. */
  static JsonNode tfKeras(String arch) {
    return read(arch + ".tfkeras.json");
  }

  /** tf-keras {@code model.save("m.h5")} root attribute {@code model_config}. */
  static JsonNode tfKerasH5(String arch) {
    return read(arch + ".tfkeras-h5.json");
  }

  /** Keras 3 {@code .keras} archive {@code config.json}. */
  static JsonNode keras3(String arch) {
    return read(arch + ".keras3.json");
  }

  /** Keras 3 legacy {@code model.save("m.h5")} root attribute {@code model_config}. */
  static JsonNode keras3H5(String arch) {
    return read(arch + ".keras3-h5.json");
  }

  static JsonNode read(String resource) {
    try (InputStream in = Examples.class.getResourceAsStream("/config/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource config/" + resource);
      }
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json.replace('\'', '"'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
