package dev.initkit.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import java.util.Objects;
import java.util.Optional;

/**
 * initkit's own read-only access to the config trees a {@link Layer} and a {@link Model} hold,
 * without the copy their public {@code config()} accessors make for a caller (Jackson trees are
 * mutable, and a caller's change must not reach a report or a written file). initkit reads configs
 * on every layer of every report, plan and write, so it reads them in place: a caller here must
 * never change the tree it gets (to change a config, copy it: {@link JsonNode#deepCopy()}).
 *
 * <p>The model package lends its trees through {@link Access} when its classes initialise; this
 * package is exported to initkit's own modules only.
 */
public final class ConfigViews {
  /** How the model package hands out its trees; installed once, by that package. */
  public interface Access {
    /** The layer's config as held (a JSON null when it has none); never changed by the caller. */
    JsonNode layerConfig(Layer layer);

    /** The model's parsed config as held, or null; never changed by the caller. */
    JsonNode modelConfig(Model model);
  }

  private static volatile Access access;

  private ConfigViews() {}

  /**
   * Installs the model package's access; a second installation is refused.
   *
   * @throws IllegalStateException when one is installed already
   */
  public static synchronized void install(Access a) {
    Objects.requireNonNull(a, "access");
    if (access != null) {
      throw new IllegalStateException("config access is installed already");
    }
    access = a;
  }

  /**
   * The layer's config tree, not a copy (a JSON null when it has none): read it, never change it.
   */
  public static JsonNode of(Layer layer) {
    return access.layerConfig(layer); // the layer's class installed it when it initialised
  }

  /** The model's parsed config, not a copy, if any: read it, never change it. */
  public static Optional<JsonNode> of(Model model) {
    return Optional.ofNullable(access.modelConfig(model));
  }
}
