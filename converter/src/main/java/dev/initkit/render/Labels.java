package dev.initkit.render;

import dev.initkit.format.config.ConfigGeneration;
import dev.initkit.internal.ConfigViews;
import dev.initkit.model.Model;
import java.util.Locale;

/** Short names the renderers show for a model's format and config. Thread-safe (stateless). */
public final class Labels {
  private Labels() {}

  /**
   * The model's file format as reports name it ({@code h5}, {@code keras}, {@code weights.h5}...).
   */
  public static String format(Model m) {
    String f = m.sourceFormat();
    return f.equals("keras3-weights") ? "weights.h5" : f;
  }

  /**
   * The config generation label ({@code keras3}, {@code keras2}, {@code keras1}) or null without a
   * config.
   */
  public static String configForm(Model m) {
    return ConfigViews.of(m)
        .map(c -> ConfigGeneration.detect(c).name().toLowerCase(Locale.ROOT))
        .orElse(null);
  }
}
