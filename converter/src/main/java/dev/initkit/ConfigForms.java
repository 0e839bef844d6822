package dev.initkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.config.ConfigGeneration;
import dev.initkit.format.config.ConfigTranslator;
import dev.initkit.format.config.MeaningChange;
import dev.initkit.internal.ConfigViews;
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

  /**
   * The config for a legacy HDF5 file. A Keras 1/2 or tf.keras config read from HDF5 is written
   * exactly as it was: every reader that loads the original (tf-keras, DL4J, Keras 3 where it can)
   * loads the copy. A Keras 3 config (from a {@code .keras} archive or Keras 3's own {@code .h5})
   * becomes the portable Keras 2 form that both tf-keras and Keras 3 load ({@link
   * ConfigTranslator#toKeras2}); what that form cannot express from an HDF5 source is kept as
   * written, with a note. Where the translation changes what a layer computes, {@code changes}
   * hears of it.
   */
  static String keras2Text(Model model, Consumer<String> notes, Consumer<MeaningChange> changes)
      throws IOException {
    JsonNode c = ConfigViews.of(model).orElseThrow();
    boolean fromH5 = model.sourceFormat().startsWith("h5");
    ConfigGeneration generation = ConfigGeneration.detect(c);
    if (generation == ConfigGeneration.KERAS1
        || (fromH5 && generation == ConfigGeneration.KERAS2)) {
      return model.configText().orElseThrow();
    }
    try {
      String text = Json.write(ConfigTranslator.toKeras2(c));
      ConfigTranslator.meaningChanges(c, ConfigGeneration.KERAS2).forEach(changes);
      return text;
    } catch (ModelFormatException e) {
      if (!fromH5) {
        throw new UnsupportedModelException(Path.of(model.source()), e.location(), e.detail(), e);
      }
      notes.accept(
          "config kept as written ("
              + e.location()
              + ": "
              + e.detail()
              + "): the file loads where the original did");
      return model.configText().orElseThrow();
    }
  }

  /**
   * The config for a {@code .keras} archive: an archive's config as written, any other translated
   * to Keras 3 form ({@link ConfigTranslator#toKeras3}).
   */
  static String keras3Text(Model model, Consumer<String> notes, Consumer<MeaningChange> changes)
      throws IOException {
    JsonNode c = ConfigViews.of(model).orElseThrow();
    if (model.sourceFormat().equals("keras")) {
      return model.configText().orElseThrow();
    }
    if (model.trainingConfigText().isPresent()) {
      notes.accept(
          "training config not carried into the .keras archive: Keras 3 compiles differently; load with compile=False and compile again");
    }
    return translated(model, c, ConfigTranslator::toKeras3, ConfigGeneration.KERAS3, changes);
  }

  /**
   * The config for a legacy HDF5 file that tf-keras 2.x loads: as {@link #keras2Text}, but what the
   * Keras 2 form cannot express is refused (one line naming layer, key and value) instead of kept
   * as written, since tf-keras would fail on it. A Keras 1 config is refused too: tf-keras has no
   * Keras 1 loader (Keras 2's legacy argument conversion is gone: {@code LSTM(output_dim=...)}
   * fails with "missing 1 required positional argument: 'units'"), and initkit does not translate
   * Keras 1 configs.
   */
  static String tfKerasText(Model model, Consumer<MeaningChange> changes) throws IOException {
    JsonNode c = ConfigViews.of(model).orElseThrow();
    ConfigGeneration generation = ConfigGeneration.detect(c);
    if (model.sourceFormat().startsWith("h5") && generation == ConfigGeneration.KERAS2) {
      return model.configText().orElseThrow();
    }
    return translated(model, c, ConfigTranslator::toKeras2, ConfigGeneration.KERAS2, changes);
  }

  /**
   * The config for a legacy HDF5 file in the form Keras 3 itself writes ({@link
   * ConfigTranslator#toKeras3H5}); a Keras 3 config read from HDF5 as written.
   */
  static String keras3H5Text(Model model, Consumer<MeaningChange> changes) throws IOException {
    JsonNode c = ConfigViews.of(model).orElseThrow();
    ConfigGeneration generation = ConfigGeneration.detect(c);
    if (model.sourceFormat().startsWith("h5") && generation == ConfigGeneration.KERAS3) {
      return model.configText().orElseThrow();
    }
    return translated(model, c, ConfigTranslator::toKeras3H5, ConfigGeneration.KERAS3, changes);
  }

  /**
   * The config for a legacy HDF5 file DL4J's Keras import reads ({@link ConfigTranslator#toDl4j});
   * a Keras 1 config as written (DL4J reads Keras 1 itself), unless DL4J would read it otherwise
   * ({@link ConfigTranslator#rejectKeras1ForDl4j}).
   */
  static String dl4jText(Model model, Consumer<MeaningChange> changes) throws IOException {
    JsonNode c = ConfigViews.of(model).orElseThrow();
    ConfigGeneration generation = ConfigGeneration.detect(c);
    if (generation == ConfigGeneration.KERAS1) {
      translate(
          model,
          c,
          k1 -> {
            ConfigTranslator.rejectKeras1ForDl4j(k1);
            return k1;
          });
      return model.configText().orElseThrow();
    }
    String backend = model.backend().orElse(null);
    return translated(
        model, c, m -> ConfigTranslator.toDl4j(m, backend), ConfigGeneration.KERAS2, changes);
  }

  /**
   * Refuses, before anything is written, a model that Keras 3 loads but does not run as the Keras
   * that wrote it ({@link ConfigTranslator#rejectForKeras3Runtime}).
   */
  static void refuseForKeras3(Model model) throws IOException {
    JsonNode c = ConfigViews.of(model).orElse(null);
    if (c == null) {
      return;
    }
    try {
      ConfigTranslator.rejectForKeras3Runtime(c);
    } catch (ModelFormatException e) {
      throw new UnsupportedModelException(source(model), e.location(), e.detail(), e);
    }
  }

  private interface Translation {
    JsonNode apply(JsonNode config) throws ModelFormatException;
  }

  /**
   * The config translated for a runtime, as JSON text; {@code changes} hears where it re-means a
   * layer.
   */
  private static String translated(
      Model model,
      JsonNode c,
      Translation t,
      ConfigGeneration target,
      Consumer<MeaningChange> changes)
      throws IOException {
    String text = Json.write(translate(model, c, t));
    ConfigTranslator.meaningChanges(c, target).forEach(changes);
    return text;
  }

  private static JsonNode translate(Model model, JsonNode c, Translation t) throws IOException {
    try {
      return t.apply(c);
    } catch (ModelFormatException e) {
      // the translator knows the JSON location; the user needs the file too
      throw new UnsupportedModelException(source(model), e.location(), e.detail(), e);
    }
  }

  private static Path source(Model model) {
    return model.source().isEmpty() ? null : Path.of(model.source());
  }
}
