package dev.initkit.init;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.model.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A canonical, immutable description of a weight initializer with Keras's exact semantics: what a
 * config's {@code *_initializer} (or Keras 1 {@code init}) names, what {@code set-init} writes and
 * what {@code reinit} draws.
 *
 * <p>One record per kind: the Keras built-ins ({@link Zeros}, {@link Ones}, {@link Constant},
 * {@link RandomUniform}, {@link RandomNormal}, {@link TruncatedNormal}, {@link VarianceScaling}
 * with the named {@link Preset}s GlorotUniform/Normal, HeUniform/Normal, LecunUniform/Normal,
 * {@link Orthogonal}, {@link Identity}); two initkit extras that Keras cannot load without
 * initkit's classes ({@link SmallSign}: ±0.01 with a random sign, and {@link Sinusoidal}:
 * Fernández-Hernández et al. 2025); and {@link Custom}, which keeps a custom or unrecognised config
 * verbatim (it is never replaced by a guess). {@link Fixed} groups the constants, {@link Seeded}
 * the kinds that draw random numbers and take a seed.
 *
 * <p>Besides its meaning, a spec remembers how it was written, its {@link Origin} ({@link
 * #asWritten()}, {@link #legacyVarianceScalingForm()}, {@link #legacyNormal()}, {@link #keras1()},
 * {@link #notes()}); {@code equals} compares meaning and seed only, not the written form. Instances
 * are immutable and thread-safe. Numbers are Keras's: {@code stddev} of {@code TruncatedNormal} is
 * the pre-truncation value; VarianceScaling's truncated normal is corrected so that the
 * post-truncation variance is the target.
 *
 * <p>The Keras JSON forms are read by {@link #parse(JsonNode)} and written by {@link
 * #toKeras2Json()} / {@link #toKeras3Json()} (both implemented apart, in the package); what a spec
 * implies for a shape (bounds, mean, std) is {@link SpecStatistics}'s.
 */
public sealed interface InitializerSpec
    permits InitializerSpec.Fixed,
        InitializerSpec.Seeded,
        InitializerSpec.Identity,
        InitializerSpec.Sinusoidal,
        InitializerSpec.Custom {

  /**
   * std of a standard normal truncated to [-2, 2] ({@code scipy.stats.truncnorm.std(-2, 2)}); Keras
   * divides VarianceScaling's truncated-normal stddev by it.
   */
  double TRUNCATED_STD_FACTOR = 0.8796256610342398;

  /** Default magnitude of {@link SmallSign}. */
  double SMALL_MAGNITUDE = 0.01;

  // ------------------------------------------------------------------------------------------
  // Kinds

  /** The constant kinds: every element is {@link #value()}. */
  sealed interface Fixed extends InitializerSpec permits Zeros, Ones, Constant {
    /** The value of every element (0 for Zeros, 1 for Ones). */
    double value();
  }

  /** The kinds that draw random numbers and so take a seed. */
  sealed interface Seeded extends InitializerSpec
      permits RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, Orthogonal, SmallSign {
    /** The seed, or null for none. */
    @Override
    Long seed();
  }

  /** {@code Zeros}. */
  record Zeros(Origin origin) implements Fixed {
    public Zeros {
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public double value() {
      return 0;
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code Ones}. */
  record Ones(Origin origin) implements Fixed {
    public Ones {
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public double value() {
      return 1;
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code Constant(value)}. */
  record Constant(double value, Origin origin) implements Fixed {
    public Constant {
      finite(value, "Constant value");
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code RandomUniform(minval, maxval, seed)}: U[minval, maxval). */
  record RandomUniform(double minval, double maxval, Long seed, Origin origin) implements Seeded {
    public RandomUniform {
      finite(minval, "RandomUniform minval");
      finite(maxval, "RandomUniform maxval");
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code RandomNormal(mean, stddev, seed)}: untruncated N(mean, stddev²). */
  record RandomNormal(double mean, double stddev, Long seed, Origin origin) implements Seeded {
    public RandomNormal {
      finite(mean, "RandomNormal mean");
      finite(stddev, "RandomNormal stddev");
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /**
   * {@code TruncatedNormal(mean, stddev, seed)}: N(mean, stddev²) re-drawn beyond 2 stddev; {@code
   * stddev} is the pre-truncation value (the result's std is {@code stddev *} {@link
   * #TRUNCATED_STD_FACTOR}).
   */
  record TruncatedNormal(double mean, double stddev, Long seed, Origin origin) implements Seeded {
    public TruncatedNormal {
      finite(mean, "TruncatedNormal mean");
      finite(stddev, "TruncatedNormal stddev");
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /**
   * {@code VarianceScaling(scale, mode, distribution, seed)}, or the named form of one of its
   * {@link Preset}s (GlorotUniform, HeNormal, ...) when {@code preset} is not null; {@code
   * inputAxes}/{@code outputAxes} are Keras 3.15's fan axes, null where the classic fan rule
   * applies.
   */
  record VarianceScaling(
      double scale,
      Mode mode,
      Distribution distribution,
      Preset preset,
      Long seed,
      List<Integer> inputAxes,
      List<Integer> outputAxes,
      Origin origin)
      implements Seeded {
    /**
     * @throws IllegalArgumentException if {@code scale <= 0}
     */
    public VarianceScaling {
      if (!(scale > 0) || Double.isInfinite(scale)) {
        throw new IllegalArgumentException(
            "VarianceScaling scale must be a positive number, not " + scale);
      }
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(distribution, "distribution");
      inputAxes = inputAxes == null ? null : List.copyOf(inputAxes);
      outputAxes = outputAxes == null ? null : List.copyOf(outputAxes);
      Objects.requireNonNull(origin, "origin");
    }

    /** The named preset, if this is GlorotUniform, HeNormal, ... */
    public Optional<Preset> named() {
      return Optional.ofNullable(preset);
    }

    /** The axes of Keras 3.15's fan rule, when set: {@code [input_axes, output_axes]}. */
    @Override
    public Optional<List<List<Integer>>> fanAxes() {
      return inputAxes == null || outputAxes == null
          ? Optional.empty()
          : Optional.of(List.of(inputAxes, outputAxes));
    }

    /**
     * A copy that computes its fans on these axes, as Keras 3.15's {@code EinsumDense} makes its
     * kernel initializer do (the written config is kept: the axes are not written, as Keras does
     * not).
     */
    public VarianceScaling withFanAxes(List<Integer> in, List<Integer> out) {
      return new VarianceScaling(
          scale, mode, distribution, preset, seed, List.copyOf(in), List.copyOf(out), origin);
    }

    /**
     * The same distribution written as {@code VarianceScaling(scale, mode, distribution)} (the
     * standalone Keras 2.0–2.3 form, loadable by every Keras 2 and 3), for presets; a plain
     * VarianceScaling is returned unchanged.
     */
    public VarianceScaling unnamed() {
      return preset == null
          ? this
          : new VarianceScaling(scale, mode, distribution, null, seed, null, null, Origin.NONE);
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code Orthogonal(gain, seed)}. */
  record Orthogonal(double gain, Long seed, Origin origin) implements Seeded {
    public Orthogonal {
      finite(gain, "Orthogonal gain");
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code Identity(gain)}: {@code gain * eye(rows, cols)}, rank 2 only. */
  record Identity(double gain, Origin origin) implements InitializerSpec {
    public Identity {
      finite(gain, "Identity gain");
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** initkit extra: each value is +magnitude or -magnitude with probability 1/2. */
  record SmallSign(double magnitude, Long seed, Origin origin) implements Seeded {
    public SmallSign {
      finite(magnitude, "small magnitude");
      if (!(magnitude > 0)) {
        throw new IllegalArgumentException("small magnitude must be positive, not " + magnitude);
      }
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** initkit extra: the deterministic sinusoidal initialization of arXiv 2505.12909. */
  record Sinusoidal(Origin origin) implements InitializerSpec {
    public Sinusoidal {
      Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /**
   * A custom or unrecognised initializer, kept verbatim ({@link Origin#written()}, never null);
   * {@code name} is its class name as written ("" when it had none). Two customs are equal when
   * their JSON is.
   */
  record Custom(String name, String description, Origin origin) implements InitializerSpec {
    public Custom {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(origin.written, "json");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Custom c && origin.written.equals(c.origin.written);
    }

    @Override
    public int hashCode() {
      return origin.written.hashCode();
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /**
   * How a spec was written: the JSON it was parsed from (null for a spec built in code or from a
   * spec string), the legacy forms it used and remarks on them. An origin never tells specs apart:
   * any two origins are equal, so that a spec's {@code equals} compares meaning and seed only.
   *
   * @param written the JSON as written (copied in and out), or null
   * @param legacyVarianceScalingForm a preset written as {@code {"class_name": "VarianceScaling"}}
   * @param legacyNormal VarianceScaling written with {@code "distribution": "normal"}
   * @param keras1 parsed from a Keras 1 {@code init}-style value
   * @param notes remarks on how the spec was written and what that meant originally
   * @param fanAxesKeyed the config carries {@code input_axes}/{@code output_axes} keys (Keras 3.15
   *     or later wrote it)
   */
  record Origin(
      JsonNode written,
      boolean legacyVarianceScalingForm,
      boolean legacyNormal,
      boolean keras1,
      List<String> notes,
      boolean fanAxesKeyed) {
    /** Built in code: nothing written. */
    public static final Origin NONE = new Origin(null, false, false, false, List.of(), false);

    public Origin {
      written = written == null ? null : written.deepCopy();
      notes = List.copyOf(notes);
    }

    /** Only the JSON as written, nothing else remarked. */
    public static Origin of(JsonNode written) {
      return new Origin(written, false, false, false, List.of(), false);
    }

    /** The JSON as written (a copy), or null. */
    @Override
    public JsonNode written() {
      return written == null ? null : written.deepCopy();
    }

    /** The same remarks, with no JSON (the spec no longer is what was written). */
    public Origin withoutWritten() {
      return new Origin(null, legacyVarianceScalingForm, legacyNormal, keras1, notes, fanAxesKeyed);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Origin;
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }

  /** VarianceScaling {@code mode}. */
  public enum Mode {
    FAN_IN,
    FAN_OUT,
    FAN_AVG;

    /** The Keras spelling, e.g. {@code fan_in}. */
    public String kerasName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a Keras spelling (case-insensitive). */
    public static Mode fromKerasName(String s) {
      for (Mode m : values()) {
        if (m.kerasName().equalsIgnoreCase(s)) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "VarianceScaling mode must be one of fan_in, fan_out, fan_avg, not '" + s + "'");
    }
  }

  /** VarianceScaling {@code distribution}. */
  public enum Distribution {
    TRUNCATED_NORMAL,
    UNTRUNCATED_NORMAL,
    UNIFORM;

    /** The Keras spelling, e.g. {@code truncated_normal}. */
    public String kerasName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The named VarianceScaling initializers. */
  public enum Preset {
    GLOROT_UNIFORM("GlorotUniform", 1.0, Mode.FAN_AVG, Distribution.UNIFORM),
    GLOROT_NORMAL("GlorotNormal", 1.0, Mode.FAN_AVG, Distribution.TRUNCATED_NORMAL),
    HE_UNIFORM("HeUniform", 2.0, Mode.FAN_IN, Distribution.UNIFORM),
    HE_NORMAL("HeNormal", 2.0, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL),
    LECUN_UNIFORM("LecunUniform", 1.0, Mode.FAN_IN, Distribution.UNIFORM),
    LECUN_NORMAL("LecunNormal", 1.0, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL);

    private final String className;
    private final double scale;
    private final Mode mode;
    private final Distribution distribution;

    Preset(String className, double scale, Mode mode, Distribution distribution) {
      this.className = className;
      this.scale = scale;
      this.mode = mode;
      this.distribution = distribution;
    }

    /** The Keras class name, e.g. {@code GlorotUniform}. */
    public String className() {
      return className;
    }

    /** The snake-case alias, e.g. {@code glorot_uniform}. */
    public String snakeName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The VarianceScaling scale this preset stands for. */
    public double scale() {
      return scale;
    }

    /** The VarianceScaling mode this preset stands for. */
    public Mode mode() {
      return mode;
    }

    /** The VarianceScaling distribution this preset stands for. */
    public Distribution distribution() {
      return distribution;
    }

    /** The preset with these VarianceScaling parameters, if any. */
    public static Optional<Preset> matching(double scale, Mode mode, Distribution distribution) {
      for (Preset p : values()) {
        if (p.scale == scale && p.mode == mode && p.distribution == distribution) {
          return Optional.of(p);
        }
      }
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Factories

  /** {@code Zeros}. */
  static InitializerSpec zeros() {
    return new Zeros(Origin.NONE);
  }

  /** {@code Ones}. */
  static InitializerSpec ones() {
    return new Ones(Origin.NONE);
  }

  /** {@code Constant(value)}. */
  static InitializerSpec constant(double value) {
    return new Constant(value, Origin.NONE);
  }

  /** {@code RandomUniform(minval, maxval, seed)}: U[minval, maxval). */
  static InitializerSpec randomUniform(double minval, double maxval, Long seed) {
    return new RandomUniform(minval, maxval, seed, Origin.NONE);
  }

  /** {@code RandomNormal(mean, stddev, seed)}: untruncated N(mean, stddev²). */
  static InitializerSpec randomNormal(double mean, double stddev, Long seed) {
    return new RandomNormal(mean, stddev, seed, Origin.NONE);
  }

  /** {@code TruncatedNormal(mean, stddev, seed)}; {@code stddev} is the pre-truncation value. */
  static InitializerSpec truncatedNormal(double mean, double stddev, Long seed) {
    return new TruncatedNormal(mean, stddev, seed, Origin.NONE);
  }

  /**
   * {@code VarianceScaling(scale, mode, distribution, seed)}; a parameter set equal to a preset's
   * is still written as VarianceScaling (use {@link #preset(Preset, Long)} for the named form).
   *
   * @throws IllegalArgumentException if {@code scale <= 0}
   */
  static InitializerSpec varianceScaling(
      double scale, Mode mode, Distribution distribution, Long seed) {
    return new VarianceScaling(scale, mode, distribution, null, seed, null, null, Origin.NONE);
  }

  /** A named VarianceScaling initializer, e.g. {@code GlorotUniform(seed)}. */
  static InitializerSpec preset(Preset preset, Long seed) {
    Objects.requireNonNull(preset, "preset");
    return new VarianceScaling(
        preset.scale(),
        preset.mode(),
        preset.distribution(),
        preset,
        seed,
        null,
        null,
        Origin.NONE);
  }

  /** {@code Orthogonal(gain, seed)}. */
  static InitializerSpec orthogonal(double gain, Long seed) {
    return new Orthogonal(gain, seed, Origin.NONE);
  }

  /** {@code Identity(gain)}: {@code gain * eye(rows, cols)}, rank 2 only. */
  static InitializerSpec identity(double gain) {
    return new Identity(gain, Origin.NONE);
  }

  /** initkit's small random-sign initializer: each value is ±{@code magnitude}. */
  static InitializerSpec smallSign(double magnitude, Long seed) {
    return new SmallSign(magnitude, seed, Origin.NONE);
  }

  /** initkit's sinusoidal initializer (deterministic, no seed). */
  static InitializerSpec sinusoidal() {
    return new Sinusoidal(Origin.NONE);
  }

  /**
   * A custom or unrecognised initializer, kept verbatim.
   *
   * @param json the config as written (copied)
   * @param description a human description, e.g. {@code custom QInitializer}
   */
  static InitializerSpec unknown(JsonNode json, String description) {
    Objects.requireNonNull(json, "json");
    JsonNode cn = json.path("class_name");
    String name = cn.isTextual() ? cn.asText() : json.isTextual() ? json.asText() : "";
    return new Custom(name, description, Origin.of(json));
  }

  // ------------------------------------------------------------------------------------------
  // Parsing

  /**
   * Parses an initializer as a Keras 2 or Keras 3 config holds it: a string ({@code
   * "glorot_uniform"}, {@code "GlorotUniform"}, {@code "uniform"}, tf.keras {@code
   * "GlorotUniformV2"} ...), a {@code {"class_name", "config"}} dict, or a Keras 3 dict with {@code
   * module} and {@code registered_name}. Custom and unrecognised initializers come back as {@link
   * Custom} with the JSON verbatim.
   *
   * @throws IllegalArgumentException if a built-in initializer's config is invalid (e.g. {@code
   *     VarianceScaling} with {@code scale <= 0}); the message names the value
   * @throws NullPointerException if {@code node} is null
   */
  static InitializerSpec parse(JsonNode node) {
    return SpecJson.parse(node, false);
  }

  /**
   * As {@link #parse(JsonNode)}, for configs read from a file: an invalid config becomes a {@link
   * MalformedModelException} naming the file and the location (e.g. a layer and key).
   *
   * @throws MalformedModelException if a built-in initializer's config is invalid
   */
  static InitializerSpec parse(JsonNode node, Path file, String location)
      throws MalformedModelException {
    try {
      return parse(node);
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(file, location, e.getMessage(), e);
    }
  }

  /**
   * Parses a Keras 1 {@code init} / {@code inner_init} / {@code gamma_init} value (a string such as
   * {@code "glorot_uniform"}, {@code "uniform"}, {@code "zero"}). The result is what current Keras
   * reads the name as; {@link #notes()} say where Keras 1 itself drew differently (untruncated
   * {@code glorot_normal}/{@code he_normal}, {@code orthogonal} with scale 1.1, Keras 1 fans).
   */
  static InitializerSpec parseKeras1(JsonNode node) {
    return SpecJson.parse(node, true);
  }

  /**
   * Parses an initializer written as a spec string, e.g. {@code he_normal}, {@code
   * glorot_uniform(seed=7)}, {@code orthogonal(gain=1.0)}, {@code
   * variance_scaling(scale=2,mode=fan_out,distribution=uniform)}, {@code constant(0.1)}, {@code
   * random_normal(stddev=0.02)}, {@code truncated_normal(mean=0,stddev=0.05)}, {@code zeros},
   * {@code ones}, {@code identity}, {@code small}, {@code small_uniform}, {@code sinusoidal}.
   *
   * <p>The spec string is the one {@link #toSpecString} writes; {@link #parse(JsonNode)} reads the
   * Keras config form instead.
   *
   * @throws IllegalArgumentException naming the text and what was expected, for anything else
   */
  static InitializerSpec parse(String text) {
    return SpecString.parse(text);
  }

  /**
   * The spec string forms {@link #parse(String)} accepts, with their parameters, for help texts.
   */
  static List<String> specStringForms() {
    return SpecString.FORMS;
  }

  // ------------------------------------------------------------------------------------------
  // Common accessors

  /** How this spec was written. */
  Origin origin();

  /** The seed, or null for none (unseeded, or a kind that takes no seed). */
  default Long seed() {
    return null;
  }

  /** True for kinds that draw random numbers and so take a seed ({@link Seeded}). */
  default boolean isRandom() {
    return this instanceof Seeded;
  }

  /**
   * The JSON this spec was parsed from (a copy), or empty for a spec built in code or from a spec
   * string.
   */
  default Optional<JsonNode> asWritten() {
    return Optional.ofNullable(origin().written());
  }

  /**
   * True when a preset was written in the standalone Keras 2.0–2.3 form {@code {"class_name":
   * "VarianceScaling", ...}} (e.g. GlorotUniform as {@code scale=1, fan_avg, uniform}).
   */
  default boolean legacyVarianceScalingForm() {
    return origin().legacyVarianceScalingForm();
  }

  /**
   * True when VarianceScaling was written with {@code "distribution": "normal"}: old Keras
   * (2.0–2.1) and tfjs meant a truncated normal <em>without</em> the 0.8796 correction (std about
   * 12% below the target); current Keras reads it as {@code truncated_normal} (corrected), and so
   * does this spec.
   */
  default boolean legacyNormal() {
    return origin().legacyNormal();
  }

  /** True when parsed from a Keras 1 {@code init}-style string. */
  default boolean keras1() {
    return origin().keras1();
  }

  /** Remarks on how the spec was written and what that meant originally; never null. */
  default List<String> notes() {
    return origin().notes();
  }

  /**
   * True when the config carries {@code input_axes}/{@code output_axes} keys: Keras 3.15 or later
   * wrote it.
   */
  default boolean fanAxesKeyed() {
    return origin().fanAxesKeyed();
  }

  /**
   * The axes of Keras 3.15's fan rule, when set (VarianceScaling only): {@code [input_axes,
   * output_axes]}.
   */
  default Optional<List<List<Integer>>> fanAxes() {
    return Optional.empty();
  }

  /**
   * The fans this initializer computes for {@code shape}: from its axes where it names them (Keras
   * 3.15 and later: {@code input_axes}/{@code output_axes}), else Keras's classic rule.
   */
  default Fans fans(Shape shape) {
    return this instanceof VarianceScaling v
        ? Fans.of(shape, v.inputAxes(), v.outputAxes())
        : Fans.of(shape, null, null);
  }

  // ------------------------------------------------------------------------------------------
  // Names and descriptions

  /**
   * The canonical Keras class name: {@code GlorotUniform}, {@code VarianceScaling}, {@code
   * Orthogonal}, {@code Zeros}...; initkit extras are {@code SmallSign} and {@code Sinusoidal};
   * custom ones give their class name as written.
   */
  default String canonicalName() {
    if (this instanceof Zeros) {
      return "Zeros";
    } else if (this instanceof Ones) {
      return "Ones";
    } else if (this instanceof Constant) {
      return "Constant";
    } else if (this instanceof RandomUniform) {
      return "RandomUniform";
    } else if (this instanceof RandomNormal) {
      return "RandomNormal";
    } else if (this instanceof TruncatedNormal) {
      return "TruncatedNormal";
    } else if (this instanceof VarianceScaling v) {
      return v.preset() != null ? v.preset().className() : "VarianceScaling";
    } else if (this instanceof Orthogonal) {
      return "Orthogonal";
    } else if (this instanceof Identity) {
      return "Identity";
    } else if (this instanceof SmallSign) {
      return "SmallSign";
    } else if (this instanceof Sinusoidal) {
      return "Sinusoidal";
    }
    Custom c = (Custom) this;
    return c.name().isEmpty() ? "unknown" : c.name();
  }

  /**
   * A one-line human description: {@code GlorotUniform}, {@code GlorotUniform (legacy
   * VarianceScaling form)}, {@code VarianceScaling(scale=2.0, fan_in, truncated_normal)}, {@code
   * RandomNormal(mean=0.0, stddev=0.05, seed=3)}, {@code custom QInitializer (kept verbatim)}.
   */
  default String describe() {
    Long seed = seed();
    String seedArg = seed == null ? "" : ", seed=" + seed;
    StringBuilder s = new StringBuilder();
    if (this instanceof Zeros || this instanceof Ones || this instanceof Sinusoidal) {
      s.append(canonicalName());
    } else if (this instanceof Constant c) {
      s.append("Constant(value=").append(num(c.value())).append(')');
    } else if (this instanceof RandomUniform u) {
      s.append("RandomUniform(minval=")
          .append(num(u.minval()))
          .append(", maxval=")
          .append(num(u.maxval()));
      s.append(seedArg).append(')');
    } else if (this instanceof RandomNormal n) {
      s.append("RandomNormal(mean=")
          .append(num(n.mean()))
          .append(", stddev=")
          .append(num(n.stddev()));
      s.append(seedArg).append(')');
    } else if (this instanceof TruncatedNormal n) {
      s.append("TruncatedNormal(mean=")
          .append(num(n.mean()))
          .append(", stddev=")
          .append(num(n.stddev()));
      s.append(seedArg).append(')');
    } else if (this instanceof VarianceScaling v) {
      if (v.preset() != null) {
        s.append(v.preset().className());
        if (seed != null) {
          s.append("(seed=").append(seed).append(')');
        }
      } else {
        s.append("VarianceScaling(scale=")
            .append(num(v.scale()))
            .append(", ")
            .append(v.mode().kerasName());
        s.append(", ").append(v.distribution().kerasName());
        s.append(seedArg).append(')');
      }
    } else if (this instanceof Orthogonal o) {
      s.append("Orthogonal(gain=").append(num(o.gain())).append(seedArg).append(')');
    } else if (this instanceof Identity i) {
      s.append("Identity(gain=").append(num(i.gain())).append(')');
    } else if (this instanceof SmallSign m) {
      s.append("SmallSign(±").append(num(m.magnitude())).append(seedArg).append(')');
    } else {
      return ((Custom) this).description() + " (kept verbatim)";
    }
    List<String> form = new ArrayList<>();
    if (legacyVarianceScalingForm()) {
      form.add("legacy VarianceScaling form");
    }
    if (legacyNormal()) {
      form.add("distribution 'normal': uncorrected truncation when written");
    }
    if (keras1()) {
      JsonNode written = origin().written();
      form.add(
          written != null && written.isTextual()
              ? "Keras 1 '" + written.asText() + "'"
              : "Keras 1 config");
    }
    if (!form.isEmpty()) {
      s.append(" (").append(String.join("; ", form)).append(')');
    }
    return s.toString();
  }

  /**
   * The spec as a spec string that {@link #parse(String)} parses back to an equal spec, e.g. {@code
   * he_normal(seed=3)}, {@code variance_scaling(scale=2.0,mode=fan_in,distribution=uniform)}.
   *
   * @throws IllegalStateException for a {@link Custom} spec
   */
  default String toSpecString() {
    return SpecString.format(this);
  }

  // ------------------------------------------------------------------------------------------
  // Keras JSON forms (written by SpecJsonForms)

  /**
   * The Keras 2 / tf.keras (and legacy {@code .h5}) form: {@code {"class_name": "GlorotUniform",
   * "config": {"seed": null}}}; presets' config is only the seed, as Keras writes it. initkit
   * extras are written as custom objects {@code "initkit>SmallSign"} / {@code "initkit>Sinusoidal"}
   * (see {@link #kerasLoadable()}); a {@link Custom} spec is returned verbatim.
   */
  default JsonNode toKeras2Json() {
    return SpecJsonForms.keras2(this);
  }

  /**
   * The Keras 3 ({@code .keras} {@code config.json}) form: {@code {"module": "keras.initializers",
   * "class_name": ..., "config": {...}, "registered_name": null}}. Orthogonal is written as {@code
   * OrthogonalInitializer}, the name every Keras 3 release resolves (3.0 registers only that one
   * and {@code orthogonal}). initkit extras get {@code "module": "initkit.initializers"} and {@code
   * "registered_name": "initkit>Name"}; a {@link Custom} spec is returned verbatim.
   */
  default JsonNode toKeras3Json() {
    return SpecJsonForms.keras3(this);
  }

  /**
   * True when stock Keras loads {@link #toKeras2Json()} / {@link #toKeras3Json()} without custom
   * objects: false for the initkit extras and for custom/unknown initializers.
   */
  default boolean kerasLoadable() {
    return !(this instanceof SmallSign || this instanceof Sinusoidal || this instanceof Custom);
  }

  /**
   * The closest initializer stock Keras loads, for writing into a config whose values initkit draws
   * itself: the spec itself when {@link #kerasLoadable()}; {@code RandomUniform(-m, m)} for
   * SmallSign (same bound, variance m²/3 instead of m²); {@code GlorotUniform} for Sinusoidal (the
   * same variance for Dense kernels); empty for custom ones.
   */
  default Optional<InitializerSpec> kerasFallback() {
    if (this instanceof SmallSign m) {
      return Optional.of(randomUniform(-m.magnitude(), m.magnitude(), m.seed()));
    } else if (this instanceof Sinusoidal) {
      return Optional.of(preset(Preset.GLOROT_UNIFORM, null));
    } else if (this instanceof Custom) {
      return Optional.empty();
    }
    return Optional.of(this);
  }

  // ------------------------------------------------------------------------------------------
  // Derived copies

  /**
   * A copy with another seed (null for none).
   *
   * @throws IllegalArgumentException if the kind takes no seed and {@code seed} is not null
   */
  default InitializerSpec withSeed(Long newSeed) {
    if (newSeed != null && !isRandom()) {
      throw new IllegalArgumentException(canonicalName() + " takes no seed");
    }
    if (Objects.equals(newSeed, seed())) {
      return this;
    }
    Origin o = origin().withoutWritten();
    if (this instanceof RandomUniform u) {
      return new RandomUniform(u.minval(), u.maxval(), newSeed, o);
    } else if (this instanceof RandomNormal n) {
      return new RandomNormal(n.mean(), n.stddev(), newSeed, o);
    } else if (this instanceof TruncatedNormal n) {
      return new TruncatedNormal(n.mean(), n.stddev(), newSeed, o);
    } else if (this instanceof VarianceScaling v) {
      return new VarianceScaling(
          v.scale(),
          v.mode(),
          v.distribution(),
          v.preset(),
          newSeed,
          v.inputAxes(),
          v.outputAxes(),
          o);
    } else if (this instanceof Orthogonal g) {
      return new Orthogonal(g.gain(), newSeed, o);
    }
    SmallSign m = (SmallSign) this;
    return new SmallSign(m.magnitude(), newSeed, o);
  }

  /**
   * The same distribution written as {@code VarianceScaling(scale, mode, distribution)} (the
   * standalone Keras 2.0–2.3 form, loadable by every Keras 2 and 3), for presets; other specs are
   * returned unchanged.
   */
  default InitializerSpec asVarianceScaling() {
    return this instanceof VarianceScaling v ? v.unnamed() : this;
  }

  /**
   * True when both draw from the same distribution for every shape, whatever the name, seed or
   * written form (GlorotUniform equals VarianceScaling(1, fan_avg, uniform); Zeros equals
   * Constant(0)).
   */
  default boolean sameDistribution(InitializerSpec o) {
    if (this instanceof Custom || o instanceof Custom) {
      return equals(o);
    }
    if (this instanceof Fixed f && o instanceof Fixed g) {
      return Double.compare(f.value(), g.value()) == 0;
    }
    if (this instanceof VarianceScaling v && o instanceof VarianceScaling w) {
      return Double.compare(v.scale(), w.scale()) == 0
          && v.mode() == w.mode()
          && v.distribution() == w.distribution();
    }
    if (this instanceof Seeded) {
      return withSeed(null).equals(o.withSeed(null));
    }
    return getClass() == o.getClass() && equals(o);
  }

  // ------------------------------------------------------------------------------------------

  private static double finite(double v, String what) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(what + " must be a finite number, not " + v);
    }
    return v;
  }

  /** Python-like text of a double: {@code 2.0}, {@code 0.05}, {@code 1e-05} style exponents. */
  private static String num(double v) {
    return SpecString.num(v);
  }
}
