package dev.initkit.ops;

import dev.initkit.init.AutoScheme;
import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.SeedContract;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.WeightRole;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Draws fresh weights: what the layer's config asks for ({@link Scheme#configured()}, what Keras
 * would draw for a new model built from the file's own config), an activation-aware choice ({@link
 * Scheme#auto()}), or one spec for every selected kernel.
 */
public final class Reinitializer {
  /** Roles a fixed spec applies to unless the selector names roles itself. */
  private static final Set<WeightRole> KERNELS =
      Set.of(WeightRole.KERNEL, WeightRole.DEPTHWISE_KERNEL, WeightRole.POINTWISE_KERNEL);

  private Reinitializer() {}

  /** What to draw. */
  public sealed interface Scheme permits Configured, Auto, Fixed {
    static Scheme configured() {
      return new Configured();
    }

    static Scheme auto() {
      return new Auto();
    }

    static Scheme fixed(InitializerSpec spec) {
      return new Fixed(spec);
    }

    /**
     * Parses {@code configured}, {@code auto} or an initializer spec ({@link
     * InitializerSpec#fromCommandLine}).
     */
    static Scheme parse(String text) {
      if (text.equalsIgnoreCase("configured")) {
        return configured();
      }
      if (text.equalsIgnoreCase("auto")) {
        return auto();
      }
      return fixed(InitializerSpec.fromCommandLine(text));
    }
  }

  /** The layer's configured initializer. */
  public record Configured() implements Scheme {}

  /** The activation-aware choice. */
  public record Auto() implements Scheme {}

  /** One spec for every selected kernel (and for other roles only when the selector names them). */
  public record Fixed(InitializerSpec spec) implements Scheme {}

  /** What happens to one weight. */
  public record Entry(WeightSite site, InitializerSpec spec, String reason, boolean drawn, long streamSeed) {}

  /** The plan: an entry per layer weight, drawn or kept. */
  public record Plan(List<Entry> entries, long seed, String scheme) {
    public Plan {
      entries = List.copyOf(entries);
    }

    /** Number of weights that get fresh values. */
    public long drawnCount() {
      return entries.stream().filter(Entry::drawn).count();
    }
  }

  /**
   * Plans a reinitialization.
   *
   * @param selectorNamesRoles true when the user's selector restricts roles itself (a fixed spec
   *     then applies to exactly what it selects)
   * @throws IllegalArgumentException when a selected weight cannot be drawn with the scheme (e.g.
   *     Identity on a non-matrix), naming the weight
   */
  public static Plan plan(Model model, Scheme scheme, Selector selector, boolean selectorNamesRoles, long seed) {
    List<Entry> out = new ArrayList<>();
    for (WeightSite s : WeightSite.of(model)) {
      long stream = SeedContract.streamSeed(seed, s.layerPath(), s.seedName());
      if (!selector.matches(s) || !s.weight().dtype().isFloating()) {
        out.add(new Entry(s, null, selector.matches(s) ? "not a floating-point weight" : "not selected", false, stream));
        continue;
      }
      InitializerSpec spec;
      String reason;
      if (scheme instanceof Fixed f) {
        if (!selectorNamesRoles && !KERNELS.contains(s.weight().role())) {
          out.add(new Entry(s, null, "kept: a fixed scheme applies to kernels unless the selector names roles", false, stream));
          continue;
        }
        spec = f.spec();
        reason = "requested: " + f.spec().describe();
      } else {
        AutoScheme.Choice c = scheme instanceof Auto ? AutoScheme.choose(s.layer(), s.weight().role()) : AutoScheme.configured(s.layer(), s.weight().role());
        if (c.keep()) {
          out.add(new Entry(s, null, c.reason(), false, stream));
          continue;
        }
        spec = c.spec();
        reason = c.reason();
      }
      if (!spec.kerasLoadable() && spec.kind() == InitializerSpec.Kind.UNKNOWN) {
        out.add(new Entry(s, spec, "kept: custom initializer " + spec.describe() + " cannot be drawn by initkit", false, stream));
        continue;
      }
      try {
        Initializer.of(spec, s.weight().role()).check(s.weight().shape());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(s.layerPath() + "/" + s.weight().shortName() + ": " + e.getMessage(), e);
      }
      out.add(new Entry(s, spec, reason, true, stream));
    }
    String name = scheme instanceof Fixed f ? f.spec().toCommandLine() : scheme instanceof Auto ? "auto" : "configured";
    return new Plan(out, seed, name);
  }

  /**
   * The model with the plan applied: drawn weights come from their initializers when written, the
   * rest pass through unchanged; optimizer weights are dropped (their state belongs to the old
   * weights). The result shares {@code loaded}'s resources: keep {@code loaded} open while using it.
   */
  public static LoadedModel apply(LoadedModel loaded, Plan plan) {
    Map<String, GeneratedTensors.Draw> draws = new LinkedHashMap<>();
    for (Entry e : plan.entries()) {
      if (e.drawn()) {
        Initializer init = AutoScheme.configured(e.site().layer(), e.site().weight().role()).unitForgetBias() && e.site().weight().role() == WeightRole.BIAS && !(planIsFixed(plan))
            ? Initializer.lstmUnitForgetBias(Initializer.of(e.spec(), e.site().weight().role()))
            : Initializer.of(e.spec(), e.site().weight().role());
        draws.put(e.site().weight().key(), new GeneratedTensors.Draw(init, e.streamSeed()));
      }
    }
    Model m = loaded.model().withoutOptimizerWeights();
    return loaded.withModel(m).withTensors(new GeneratedTensors(loaded.tensors(), draws));
  }

  private static boolean planIsFixed(Plan plan) {
    return !plan.scheme().equals("auto") && !plan.scheme().equals("configured");
  }
}
