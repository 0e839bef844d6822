package dev.initkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.UnsupportedModelException;
import dev.initkit.internal.Json;
import dev.initkit.model.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Gives a model's config in the form a target format needs: Keras 2 for legacy HDF5, Keras 3 for
 * archives. An untouched config already in the right form is passed on exactly as written.
 */
final class ConfigForms {
  private ConfigForms() {}

  static boolean isKeras3Form(JsonNode config) {
    return config.has("module") || config.has("registered_name");
  }

  static String keras2Text(Model model) throws IOException {
    JsonNode c = model.config().orElseThrow();
    if (!isKeras3Form(c)) {
      return model.configText().orElseThrow();
    }
    return Json.write(translate(model, c, false));
  }

  static String keras3Text(Model model, Consumer<String> notes) throws IOException {
    JsonNode c = model.config().orElseThrow();
    if (isKeras3Form(c)) {
      return model.configText().orElseThrow();
    }
    if (model.trainingConfigText().isPresent()) {
      notes.accept("training config not carried into the .keras archive: Keras 3 compiles differently; load with compile=False and compile again");
    }
    return Json.write(translate(model, c, true));
  }

  private static JsonNode translate(Model model, JsonNode c, boolean toKeras3) throws IOException {
    throw new UnsupportedModelException(Path.of(model.source()), "config", "config translation between Keras generations is not available yet");
  }
}
