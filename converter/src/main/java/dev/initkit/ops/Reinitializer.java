package dev.initkit.ops;

import dev.initkit.Hint;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.init.AutoScheme;
import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.SeedContract;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.ModelView;
import dev.initkit.model.WeightRole;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Draws fresh weights: what the layer's config asks for ({@link Scheme#configured()}, what Keras
 * would draw for a new model built from the file's own config), an activation-aware choice ({@link
 * Scheme#auto()}), or one spec for every selected kernel ({@link Scheme#fixed}).
 *
 * <p>Values follow the {@link SeedContract}: each weight's stream derives from the user seed, the
 * layer path and the weight's seed name ({@link WeightSite#seedName()}), so the same seed and model
 * give the same bytes on every run and thread count, and redrawing one layer leaves the others'
 * draws unchanged. Seeds written in the config ({@code GlorotUniform(seed=3)}) are not used:
 * Keras's own streams cannot be reproduced, so the user seed decides. Stateless and thread-safe.
 */
public final class Reinitializer {
  /** Roles a fixed spec applies to unless the selector names roles itself. */
  private static final Set<WeightRole> KERNELS =
      Set.of(WeightRole.KERNEL, WeightRole.DEPTHWISE_KERNEL, WeightRole.POINTWISE_KERNEL);

  /** The seed used when the user gives none, so that runs are reproducible by default. */
  public static final long DEFAULT_SEED = 0L;

  private Reinitializer() {}

  /** What to draw. */
  public sealed interface Scheme permits Configured, Auto, Fixed {
    /** What the config names (Keras's default where it names nothing). */
    static Scheme configured() {
      return new Configured();
    }

    /**
     * What the config names, with the fans another Keras would draw it with ({@link
     * FanRule#ofKeras}).
     */
    static Scheme configured(FanRule fanRule) {
      return new Configured(fanRule);
    }

    /** The activation-aware choice of {@link AutoScheme#choose(Layer, WeightRole, String)}. */
    static Scheme auto() {
      return new Auto();
    }

    /** One spec for every selected kernel (every selected weight when the selector names roles). */
    static Scheme fixed(InitializerSpec spec) {
      return new Fixed(spec);
    }

    /**
     * Parses {@code configured}, {@code auto} or an initializer spec ({@link
     * InitializerSpec#parse(String)}).
     *
     * @throws IllegalArgumentException naming the text when it is none of these
     */
    static Scheme parse(String text) {
      if (text.equalsIgnoreCase("configured")) {
        return configured();
      }
      if (text.equalsIgnoreCase("auto")) {
        return auto();
      }
      return fixed(InitializerSpec.parse(text));
    }

    /** How the scheme is written on the command line. */
    String label();
  }

  /** The layer's configured initializer. */
  public record Configured(FanRule fanRule) implements Scheme {
    public Configured {
      Objects.requireNonNull(fanRule, "fanRule");
    }

    /** The file's own rules. */
    public Configured() {
      this(FanRule.AS_WRITTEN);
    }

    @Override
    public String label() {
      return "configured";
    }
  }

  /** The activation-aware choice. */
  public record Auto() implements Scheme {
    @Override
    public String label() {
      return "auto";
    }
  }

  /** One spec for every selected kernel (and for other roles only when the selector names them). */
  public record Fixed(InitializerSpec spec) implements Scheme {
    public Fixed {
      Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String label() {
      return spec.toSpecString();
    }
  }

  /**
   * What happens to one weight.
   *
   * @param spec what is drawn, or null when the weight is kept
   * @param reason one line: why this spec, or why the weight is kept
   * @param drawn true when the weight gets fresh values
   * @param streamSeed the weight's stream seed ({@link SeedContract#streamSeed})
   * @param unitForgetBias true when an LSTM bias gets Keras's forget-gate ones on top of {@code
   *     spec}
   */
  public record Entry(
      WeightSite site,
      InitializerSpec spec,
      String reason,
      boolean drawn,
      long streamSeed,
      boolean unitForgetBias) {}

  /** The plan: an entry per layer weight, drawn or kept, in model order. */
  public record Plan(List<Entry> entries, long seed, String scheme) {
    public Plan {
      entries = List.copyOf(entries);
    }

    /** Number of weights that get fresh values. */
    public long drawnCount() {
      return entries.stream().filter(Entry::drawn).count();
    }
  }

  /** {@link #plan(Model, Scheme, Selector, long, Map)} without overrides. */
  public static Plan plan(Model model, Scheme scheme, Selector selector, long seed)
      throws ModelFormatException {
    return plan(model, scheme, selector, seed, Map.of());
  }

  /**
   * Plans a reinitialization. A fixed scheme applies to the selected kernels (depthwise and
   * pointwise included), or to every selected weight when {@link Selector#namesRoles()}; the other
   * schemes to every selected weight that has an initializer role. Weights that are not floating
   * point, have no initializer role, or whose configured initializer is a custom one are kept.
   *
   * @param overrides specs to draw instead of the scheme's, by {@link #overrideKey(WeightSite)}
   *     ({@code set-init --reinit} uses it to draw initkit-only kinds its config cannot name)
   * @throws IllegalArgumentException when the fixed spec cannot draw a selected weight (e.g.
   *     Identity on a rank-4 kernel), naming the weight
   * @throws UnsupportedModelException when a configured or automatic initializer cannot draw a
   *     selected weight (e.g. Orthogonal beyond its size limit)
   * @throws MalformedModelException when a selected weight's configured initializer is invalid
   */
  public static Plan plan(
      Model model,
      Scheme scheme,
      Selector selector,
      long seed,
      Map<String, InitializerSpec> overrides)
      throws ModelFormatException {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(selector, "selector");
    Path file = Path.of(model.source().isEmpty() ? "." : model.source());
    Map<Layer, String> following =
        scheme instanceof Auto ? LayerConfigs.followingActivations(model) : Map.of();
    List<Entry> out = new ArrayList<>();
    for (WeightSite s : WeightSite.of(model)) {
      long stream = SeedContract.streamSeed(seed, s.layerPath(), s.seedName());
      boolean selected = selector.matches(s);
      if (!selected) {
        out.add(new Entry(s, null, "not selected", false, stream, false));
        continue;
      }
      QuantizedWeights.refuse(
          file,
          s,
          "redrawing it",
          "leave the layer out with "
              + Hint.REINIT_SELECTOR.apiName()
              + " (its bias and the model's float layers can still be drawn)",
          Hint.REINIT_SELECTOR);
      if (!s.weight().dtype().isFloating()) {
        out.add(
            new Entry(
                s,
                null,
                "kept: not a floating-point weight (" + s.weight().dtype() + ")",
                false,
                stream,
                false));
        continue;
      }
      InitializerSpec spec;
      String reason;
      boolean ufb = false;
      InitializerSpec override = overrides.get(overrideKey(s));
      if (override != null) {
        spec = override;
        reason = "requested: " + override.describe();
        ufb =
            s.weight().role() == WeightRole.BIAS
                && LayerConfigs.unitForgetBias(
                    LayerConfigs.effective(
                        s.layer(), s.layer().weights().indexOf(s.weight()), WeightRole.BIAS));
      } else if (scheme instanceof Fixed f) {
        if (!selector.namesRoles() && !KERNELS.contains(s.weight().role())) {
          out.add(
              new Entry(
                  s,
                  null,
                  "kept: a fixed scheme applies to kernels unless the selector names roles (role:...)",
                  false,
                  stream,
                  false));
          continue;
        }
        spec = f.spec();
        reason = "requested: " + f.spec().describe();
      } else if (scheme instanceof Auto) {
        AutoScheme.Choice c =
            AutoScheme.choose(s.layer(), s.weight().role(), following.get(s.layer()));
        if (c.keep()) {
          out.add(new Entry(s, null, c.reason(), false, stream, false));
          continue;
        }
        spec = c.spec();
        reason = c.reason();
        ufb = c.unitForgetBias();
        if (ufb) {
          String gate = ConfiguredInitializer.keras1Gate(s.weight());
          if (gate != null) {
            ufb = false;
            if (gate.equals("f")) {
              spec = InitializerSpec.ones();
              reason = "Keras 1 LSTM forget-gate bias: ones (the unit_forget_bias rule)";
            } else {
              reason = "Keras 1 LSTM gate bias: " + spec.describe();
            }
          } else if (!ConfiguredInitializer.fusedBias(s.weight())) {
            ufb = false;
          }
        }
      } else {
        FanRule rule = scheme instanceof Configured cfg ? cfg.fanRule() : FanRule.AS_WRITTEN;
        ConfiguredInitializer c =
            ConfiguredInitializer.of(
                s.layer(), s.layer().weights().indexOf(s.weight()), s.weight().role(), rule);
        switch (c.source()) {
          case NONE:
            out.add(new Entry(s, null, c.reason(), false, stream, false));
            continue;
          case INVALID:
            throw new MalformedModelException(
                file,
                s.layerPath()
                    + "/"
                    + (c.key() == null ? s.weight().role().initializerKey() : c.key()),
                c.error() == null ? c.reason() : c.error());
          default:
            break;
        }
        spec = c.spec();
        reason =
            c.source() == ConfiguredInitializer.Source.DEFAULT
                ? c.reason()
                : c.reason() + ": " + spec.describe();
        ufb = c.unitForgetBias();
      }
      if (spec instanceof InitializerSpec.Custom) {
        out.add(
            new Entry(
                s,
                spec,
                "kept: " + spec.describe() + " is a custom initializer initkit cannot draw",
                false,
                stream,
                false));
        continue;
      }
      try {
        Initializer.of(spec, s.weight().role()).check(s.weight().shape());
      } catch (IllegalArgumentException e) {
        String msg =
            s.layerPath()
                + "/"
                + s.weight().shortName()
                + " "
                + s.weight().shape()
                + ": "
                + e.getMessage();
        if (scheme instanceof Fixed || override != null) {
          throw new IllegalArgumentException(msg, e);
        }
        throw new UnsupportedModelException(file, s.layerPath(), msg, e);
      }
      out.add(new Entry(s, spec, reason, true, stream, ufb));
    }
    return new Plan(out, seed, scheme.label());
  }

  /** The key of {@code overrides} for a weight: its layer path, a space and its seed name. */
  public static String overrideKey(WeightSite site) {
    return site.layerPath() + " " + site.seedName();
  }

  /** {@link #apply(LoadedModel, Plan, ProgressListener)} without a listener. */
  public static ModelView apply(LoadedModel loaded, Plan plan) {
    return apply(loaded, plan, ProgressListener.NONE);
  }

  /**
   * The model with the plan applied: drawn weights come from their initializers when written, the
   * rest pass through unchanged; optimizer weights are dropped (their state belongs to the old
   * weights). The result shares {@code loaded}'s resources: keep {@code loaded} open while using
   * it, and close only {@code loaded}.
   *
   * @param listener told about each drawn tensor as a writer asks for it
   */
  public static ModelView apply(LoadedModel loaded, Plan plan, ProgressListener listener) {
    Map<String, GeneratedTensors.Draw> draws = new LinkedHashMap<>();
    Map<String, String> labels = new LinkedHashMap<>();
    for (Entry e : plan.entries()) {
      if (e.drawn()) {
        Initializer init = Initializer.of(e.spec(), e.site().weight().role());
        if (e.unitForgetBias()) {
          init = Initializer.lstmUnitForgetBias(init);
        }
        draws.put(e.site().weight().key(), new GeneratedTensors.Draw(init, e.streamSeed()));
        labels.put(
            e.site().weight().key(), e.site().layerPath() + "/" + e.site().weight().shortName());
      }
    }
    Model m = loaded.model().withoutOptimizerWeights();
    return loaded
        .withModel(m)
        .withTensors(new GeneratedTensors(loaded.tensors(), draws, labels, listener));
  }
}
