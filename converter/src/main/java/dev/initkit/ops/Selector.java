package dev.initkit.ops;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which weights an operation applies to. A selector is comma-separated terms that must all match:
 *
 * <ul>
 *   <li>{@code GLOB} or {@code name:GLOB}: the layer name or its path through nested models ({@code
 *       dense_*}, {@code encoder/*})
 *   <li>{@code class:GLOB}: the Keras layer class ({@code Conv2D}, {@code Conv*})
 *   <li>{@code activation:NAME}: the layer's activation ({@code relu})
 *   <li>{@code role:ROLE}: the weight's role ({@code kernel}, {@code recurrent_kernel}, {@code
 *       bias}, {@code gamma}, {@code embeddings}, {@code depthwise_kernel}, ...)
 *   <li>{@code depth:N} or {@code depth:A-B}: position among the layers that have weights (1-based)
 *   <li>{@code head}: the last layer with weights; {@code !head}: every other
 *   <li>{@code trainable:true|false}
 *   <li>{@code all}: everything
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class Selector {
  private final String text;
  private final Predicate<WeightSite> test;

  private Selector(String text, Predicate<WeightSite> test) {
    this.text = text;
    this.test = test;
  }

  /** Matches every weight. */
  public static Selector all() {
    return new Selector("all", s -> true);
  }

  /**
   * Parses a selector.
   *
   * @throws IllegalArgumentException naming the term that is not understood
   */
  public static Selector parse(String text) {
    List<Predicate<WeightSite>> terms = new ArrayList<>();
    for (String raw : text.split(",")) {
      String t = raw.trim();
      if (t.isEmpty()) {
        throw new IllegalArgumentException("empty term in selector '" + text + "'");
      }
      terms.add(term(t, text));
    }
    return new Selector(text, s -> terms.stream().allMatch(p -> p.test(s)));
  }

  /** A selector matching what any of the given selectors matches. */
  public static Selector anyOf(List<Selector> selectors) {
    if (selectors.isEmpty()) {
      return all();
    }
    List<String> texts = selectors.stream().map(Selector::toString).toList();
    return new Selector(String.join(" | ", texts), s -> selectors.stream().anyMatch(x -> x.matches(s)));
  }

  private static Predicate<WeightSite> term(String t, String whole) {
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("all")) {
      return s -> true;
    }
    if (lower.equals("head")) {
      return WeightSite::head;
    }
    if (lower.equals("!head")) {
      return s -> !s.head();
    }
    int colon = t.indexOf(':');
    if (colon < 0) {
      PathMatcher g = glob(t);
      return s -> g.matches(Path.of(s.layer().name())) || g.matches(Path.of(s.layerPath()));
    }
    String key = lower.substring(0, colon);
    String value = t.substring(colon + 1);
    switch (key) {
      case "name": {
        PathMatcher g = glob(value);
        return s -> g.matches(Path.of(s.layer().name())) || g.matches(Path.of(s.layerPath()));
      }
      case "class": {
        PathMatcher g = glob(value);
        return s -> !s.layer().className().isEmpty() && g.matches(Path.of(s.layer().className()));
      }
      case "activation": {
        String v = value.toLowerCase(Locale.ROOT);
        return s -> v.equals(String.valueOf(s.layer().activation()).toLowerCase(Locale.ROOT));
      }
      case "role": {
        String v = value.toLowerCase(Locale.ROOT);
        return s -> s.weight().role().label().equals(v);
      }
      case "depth":
        return depth(value, whole);
      case "trainable": {
        boolean v = Boolean.parseBoolean(value);
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
          throw new IllegalArgumentException("selector '" + whole + "': trainable takes true or false, not '" + value + "'");
        }
        return s -> s.layer().trainable() == v;
      }
      default:
        throw new IllegalArgumentException("selector '" + whole + "': unknown term '" + t
            + "' (expected GLOB, name:, class:, activation:, role:, depth:, head, trainable:, all)");
    }
  }

  private static Predicate<WeightSite> depth(String value, String whole) {
    try {
      int dash = value.indexOf('-');
      int lo = Integer.parseInt(dash < 0 ? value : value.substring(0, dash));
      int hi = dash < 0 ? lo : Integer.parseInt(value.substring(dash + 1));
      return s -> s.depth() >= lo && s.depth() <= hi;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("selector '" + whole + "': depth takes N or A-B, not '" + value + "'", e);
    }
  }

  private static PathMatcher glob(String g) {
    return FileSystems.getDefault().getPathMatcher("glob:" + g);
  }

  /** True when the weight is selected. */
  public boolean matches(WeightSite site) {
    return test.test(site);
  }

  @Override
  public String toString() {
    return text;
  }
}
