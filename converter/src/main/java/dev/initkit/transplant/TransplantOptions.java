package dev.initkit.transplant;

import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import java.util.Objects;

/**
 * What a transplant is asked to do.
 *
 * @param strategy how layers are matched ({@link MatchStrategy#MAPPING} needs {@code mapping})
 * @param mapping the explicit mapping, or null
 * @param adaptations the shape adaptations opted into
 * @param scheme what initialized weights are drawn from ({@link Reinitializer.Scheme#configured()}:
 *     the target's configured initializers)
 * @param seed the seed of the draws ({@link dev.initkit.init.SeedContract})
 * @param freeze the transplanted layers to write {@code trainable: false} for, or null for none
 */
public record TransplantOptions(
    MatchStrategy strategy,
    LayerMapping mapping,
    Adaptations adaptations,
    Reinitializer.Scheme scheme,
    long seed,
    Selector freeze) {
  public TransplantOptions {
    Objects.requireNonNull(strategy, "strategy");
    adaptations = adaptations == null ? Adaptations.none() : adaptations;
    scheme = scheme == null ? Reinitializer.Scheme.configured() : scheme;
    if (strategy == MatchStrategy.MAPPING && mapping == null) {
      throw new IllegalArgumentException("the mapping strategy needs a mapping");
    }
    if (mapping != null && strategy != MatchStrategy.MAPPING) {
      throw new IllegalArgumentException("a mapping is used with the mapping strategy only");
    }
  }

  /** Match by name, no adaptation, configured initializers, seed 0, nothing frozen. */
  public static TransplantOptions defaults() {
    return new TransplantOptions(
        MatchStrategy.NAME,
        null,
        Adaptations.none(),
        Reinitializer.Scheme.configured(),
        Reinitializer.DEFAULT_SEED,
        null);
  }

  public TransplantOptions withStrategy(MatchStrategy s) {
    return new TransplantOptions(
        s, s == MatchStrategy.MAPPING ? mapping : null, adaptations, scheme, seed, freeze);
  }

  public TransplantOptions withMapping(LayerMapping m) {
    return new TransplantOptions(MatchStrategy.MAPPING, m, adaptations, scheme, seed, freeze);
  }

  public TransplantOptions withAdaptations(Adaptations a) {
    return new TransplantOptions(strategy, mapping, a, scheme, seed, freeze);
  }

  public TransplantOptions withScheme(Reinitializer.Scheme s) {
    return new TransplantOptions(strategy, mapping, adaptations, s, seed, freeze);
  }

  public TransplantOptions withSeed(long s) {
    return new TransplantOptions(strategy, mapping, adaptations, scheme, s, freeze);
  }

  public TransplantOptions withFreeze(Selector f) {
    return new TransplantOptions(strategy, mapping, adaptations, scheme, seed, f);
  }
}
