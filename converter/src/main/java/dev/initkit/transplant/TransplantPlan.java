package dev.initkit.transplant;

import dev.initkit.Hint;
import dev.initkit.Note;
import dev.initkit.model.Model;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.WeightSite;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a transplant does, weight by weight: the target's weights in model order (each loaded,
 * adapted, initialized or skipped, with why), the source weights left unused, the layer pairs the
 * strategy found, and the target model to write (its config with the frozen layers' {@code
 * trainable: false}, without optimizer state).
 *
 * @param output the target model as it will be written
 */
public record TransplantPlan(
    Model output,
    List<Entry> entries,
    List<Unused> unused,
    List<LayerPair> pairs,
    MatchStrategy strategy,
    Adaptations adaptations,
    String scheme,
    long seed,
    List<String> frozen,
    List<Note> notes) {
  public TransplantPlan {
    Objects.requireNonNull(output, "output");
    entries = List.copyOf(entries);
    unused = List.copyOf(unused);
    pairs = List.copyOf(pairs);
    frozen = List.copyOf(frozen);
    notes = List.copyOf(notes);
  }

  /**
   * One target weight.
   *
   * @param target the weight in the target model
   * @param action what happens to it
   * @param source the source weight it comes from (loaded, adapted), or the one it matched and
   *     could not use (initialized for a shape difference); null when it matched nothing
   * @param detail one line: how it was adapted, or why it was initialized or skipped
   * @param requested true when initialized on request ({@code head=fresh}): not unmatched
   * @param fresh how it (or its fresh part) is drawn, when it is; null otherwise
   * @param adapter how it is computed, for adapted weights; else null
   * @param hints the parts of the API {@code detail} names (e.g. {@link Hint#ADAPT_UNITS})
   */
  public record Entry(
      WeightSite target,
      Action action,
      WeightSite source,
      String detail,
      boolean requested,
      Reinitializer.Entry fresh,
      Adapter adapter,
      Set<Hint> hints) {
    public Entry {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(detail, "detail");
      hints = Set.copyOf(hints);
    }

    /** True when the weight got no value from the source and was not meant to be fresh. */
    public boolean unmatched() {
      return (action == Action.INITIALIZED && !requested) || action == Action.SKIPPED;
    }
  }

  /**
   * A source weight no target weight took, and why.
   *
   * @param hints the parts of the API {@code reason} names
   */
  public record Unused(WeightSite source, String reason, Set<Hint> hints) {
    public Unused {
      hints = Set.copyOf(hints);
    }
  }

  /**
   * A target layer and the source layer the strategy paired it with.
   *
   * @param how how they were paired ({@code name}, {@code class-derived path}, {@code leaf name},
   *     {@code order}, {@code structure}, {@code mapping line N})
   */
  public record LayerPair(String target, String source, String how) {}

  /**
   * The parts of the API its details, reasons and notes point to ({@link Hint}, e.g. {@code
   * Adaptations.units}), for a front end to {@link Hint#respell} them.
   */
  public List<Hint> hints() {
    Set<Hint> all = EnumSet.noneOf(Hint.class);
    notes.forEach(n -> all.addAll(n.hints()));
    entries.forEach(e -> all.addAll(e.hints()));
    unused.forEach(u -> all.addAll(u.hints()));
    return List.copyOf(all);
  }

  /** Number of target weights with this action. */
  public long count(Action a) {
    return entries.stream().filter(e -> e.action() == a).count();
  }

  /** Target weights that got their values from the source (loaded or adapted). */
  public long transplanted() {
    return count(Action.LOADED) + count(Action.ADAPTED);
  }

  /** The target weights {@code strict} fails on. */
  public List<Entry> unmatched() {
    return entries.stream().filter(Entry::unmatched).toList();
  }
}
