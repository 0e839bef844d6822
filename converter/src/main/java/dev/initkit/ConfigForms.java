package dev.initkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.ModelFormatException;
import dev.initkit.format.UnsupportedModelException;
import dev.initkit.format.config.ConfigGeneration;
import dev.initkit.format.config.ConfigTranslator;
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
    return ConfigGeneration.detect(config) == ConfigGeneration.KERAS3;
  }

  static String keras2Text(Model model) throws IOException {
    JsonNode c = model.config().orElseThrow();
    // a legacy-HDF5 config goes back to HDF5 exactly as written, whichever Keras wrote it
    if (model.sourceFormat().startsWith("h5") || !isKeras3Form(c)) {
      return model.configText().orElseThrow();
    }
    return Json.write(translate(model, c, false));
  }

  static String keras3Text(Model model, Consumer<String> notes) throws IOException {
    JsonNode c = model.config().orElseThrow();
    if (model.sourceFormat().equals("keras")) {
      return model.configText().orElseThrow();
    }
    if (model.trainingConfigText().isPresent()) {
      notes.accept("training config not carried into the .keras archive: Keras 3 compiles differently; load with compile=False and compile again");
    }
    return Json.write(translate(model, c, true));
  }

  private static JsonNode translate(Model model, JsonNode c, boolean toKeras3) throws IOException {
    try {
      return toKeras3 ? ConfigTranslator.toKeras3(c) : ConfigTranslator.toKeras2(c);
    } catch (ModelFormatException e) {
      // the translator knows the JSON location; the user needs the file too
      throw new UnsupportedModelException(Path.of(model.source()), e.location(), e.detail(), e);
    }
  }
}
