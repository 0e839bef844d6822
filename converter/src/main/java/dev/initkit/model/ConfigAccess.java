package dev.initkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.internal.ConfigViews;

/**
 * Lends {@link Layer}'s and {@link Model}'s config trees to initkit's own code ({@link
 * ConfigViews}) without a copy; installed when either class initialises.
 */
final class ConfigAccess implements ConfigViews.Access {
  static {
    ConfigViews.install(new ConfigAccess());
  }

  private ConfigAccess() {}

  /** Makes sure the access is installed (initialising this class installs it, once). */
  static void install() {
    // the static initialiser does the work
  }

  @Override
  public JsonNode layerConfig(Layer layer) {
    return layer.heldConfig();
  }

  @Override
  public JsonNode modelConfig(Model model) {
    return model.heldConfig();
  }
}
