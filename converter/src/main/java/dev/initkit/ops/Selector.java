package dev.initkit.ops;

import dev.initkit.internal.Glob;
import dev.initkit.model.WeightRole;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Which weights an operation applies to. A selector is comma-separated terms that must all match:
 *
 * <ul>
 *   <li>{@code GLOB} or {@code name:GLOB}: the layer name or its path through nested models ({@code
 *       dense_*}, {@code encoder/*}; java.nio's glob syntax: {@code *} stays within a {@code /}
 *       component, {@code **} crosses them)
 *   <li>{@code class:GLOB}: the Keras layer class ({@code Conv2D}, {@code Conv*})
 *   <li>{@code activation:NAME}: the layer's own activation, looking through wrappers ({@code
 *       relu}; case, {@code _} and {@code -} do not matter)
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
  private final boolean namesRoles;

  private Selector(String text, Predicate<WeightSite> test, boolean namesRoles) {
    this.text = text;
    this.test = test;
    this.namesRoles = namesRoles;
  }

  /** Matches every weight. */
  public static Selector all() {
    return new Selector("all", s -> true, false);
  }

  /**
   * A selector from a predicate, for selections computed by code (e.g. the weights a {@code
   * set-init} rule touched).
   *
   * @param text how {@link #toString()} shows it
   * @param namesRoles what {@link #namesRoles()} answers
   */
  public static Selector of(String text, Predicate<WeightSite> test, boolean namesRoles) {
    return new Selector(
        Objects.requireNonNull(text, "text"), Objects.requireNonNull(test, "test"), namesRoles);
  }

  /**
   * Parses a selector.
   *
   * @throws IllegalArgumentException naming the term that is not understood
   */
  public static Selector parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isBlank()) {
      throw new IllegalArgumentException(
          "empty selector: give a layer-name glob, class:, role:, depth:, head, ... or all");
    }
    List<Predicate<WeightSite>> terms = new ArrayList<>();
    boolean roles = false;
    for (String raw : text.split(",", -1)) {
      String t = raw.trim();
      if (t.isEmpty()) {
        throw new IllegalArgumentException("empty term in selector '" + text + "'");
      }
      terms.add(term(t, text));
      roles |= t.toLowerCase(Locale.ROOT).startsWith("role:");
    }
    return new Selector(text, s -> terms.stream().allMatch(p -> p.test(s)), roles);
  }

  /** A selector matching what any of the given selectors matches. */
  public static Selector anyOf(List<Selector> selectors) {
    if (selectors.isEmpty()) {
      return all();
    }
    List<Selector> copy = List.copyOf(selectors);
    List<String> texts = copy.stream().map(Selector::toString).toList();
    boolean roles = copy.stream().anyMatch(Selector::namesRoles);
    return new Selector(
        String.join(" | ", texts), s -> copy.stream().anyMatch(x -> x.matches(s)), roles);
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
      Predicate<String> g = glob(t);
      return s -> g.test(s.layer().name()) || g.test(s.layerPath());
    }
    String key = lower.substring(0, colon);
    String value = t.substring(colon + 1);
    switch (key) {
      case "name":
        {
          Predicate<String> g = glob(value);
          return s -> g.test(s.layer().name()) || g.test(s.layerPath());
        }
      case "class":
        {
          Predicate<String> g = glob(value);
          return s -> !s.layer().className().isEmpty() && g.test(s.layer().className());
        }
      case "activation":
        {
          String v = value.toLowerCase(Locale.ROOT);
          return s -> {
            String a =
                LayerConfigs.effective(
                        s.layer(), s.layer().weights().indexOf(s.weight()), s.weight().role())
                    .activation();
            return a != null && LayerConfigs.normalise(a).equals(LayerConfigs.normalise(v));
          };
        }
      case "role":
        {
          String v = value.toLowerCase(Locale.ROOT);
          if (Arrays.stream(WeightRole.values()).noneMatch(r -> r.label().equals(v))) {
            throw new IllegalArgumentException(
                "selector '"
                    + whole
                    + "': unknown role '"
                    + value
                    + "' (expected one of "
                    + String.join(
                        ", ", Arrays.stream(WeightRole.values()).map(WeightRole::label).toList())
                    + ")");
          }
          return s -> s.weight().role().label().equals(v);
        }
      case "depth":
        return depth(value, whole);
      case "trainable":
        {
          boolean v = Boolean.parseBoolean(value);
          if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(
                "selector '" + whole + "': trainable takes true or false, not '" + value + "'");
          }
          return s -> s.layer().trainable() == v;
        }
      default:
        throw new IllegalArgumentException(
            "selector '"
                + whole
                + "': unknown term '"
                + t
                + "' (expected GLOB, name:, class:, activation:, role:, depth:, head, trainable:, all)");
    }
  }

  private static Predicate<WeightSite> depth(String value, String whole) {
    try {
      int dash = value.indexOf('-');
      int lo = Integer.parseInt(dash < 0 ? value : value.substring(0, dash));
      int hi = dash < 0 ? lo : Integer.parseInt(value.substring(dash + 1));
      if (lo < 1 || hi < lo) {
        throw new IllegalArgumentException(
            "selector '" + whole + "': depth takes N or A-B with 1 <= A <= B, not '" + value + "'");
      }
      return s -> s.depth() >= lo && s.depth() <= hi;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "selector '" + whole + "': depth takes N or A-B, not '" + value + "'", e);
    }
  }

  private static Predicate<String> glob(String g) {
    if (g.isEmpty()) {
      throw new IllegalArgumentException("empty glob in selector");
    }
    try {
      return Glob.path(g)::matches;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad glob '" + g + "': " + e.getMessage(), e);
    }
  }

  /**
   * True when the selector restricts weight roles itself (has a {@code role:} term): a fixed
   * initializer then applies to exactly what it selects, not only to kernels.
   */
  public boolean namesRoles() {
    return namesRoles;
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
