package dev.initkit.init;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.MalformedModelException;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
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
 * <p>Kinds: the Keras built-ins ({@link Kind#ZEROS}, {@link Kind#ONES}, {@link Kind#CONSTANT},
 * {@link Kind#RANDOM_UNIFORM}, {@link Kind#RANDOM_NORMAL}, {@link Kind#TRUNCATED_NORMAL}, {@link
 * Kind#VARIANCE_SCALING} with the named {@link Preset}s GlorotUniform/Normal, HeUniform/Normal,
 * LecunUniform/Normal, {@link Kind#ORTHOGONAL}, {@link Kind#IDENTITY}); two initkit extras that
 * Keras cannot load without initkit's classes ({@link Kind#SMALL_SIGN}: ±0.01 with a random sign,
 * and {@link Kind#SINUSOIDAL}: Fernández-Hernández et al. 2025); and {@link Kind#UNKNOWN}, which
 * keeps a custom or unrecognised config verbatim (it is never replaced by a guess).
 *
 * <p>Besides its meaning, a spec remembers how it was written ({@link #asWritten()}, {@link
 * #legacyVarianceScalingForm()}, {@link #legacyNormal()}, {@link #keras1()}, {@link #notes()});
 * {@link #equals} compares meaning and seed only, not the written form. Instances are immutable and
 * thread-safe. Numbers are Keras's: {@code stddev} of {@code TruncatedNormal} is the pre-truncation
 * value; VarianceScaling's truncated normal is corrected so that the post-truncation variance is
 * the target.
 */
public final class InitializerSpec {

  /** What kind of initializer a spec is. */
  public enum Kind {
    ZEROS,
    ONES,
    CONSTANT,
    RANDOM_UNIFORM,
    RANDOM_NORMAL,
    TRUNCATED_NORMAL,
    VARIANCE_SCALING,
    ORTHOGONAL,
    IDENTITY,
    /** initkit extra: each value is +magnitude or -magnitude with probability 1/2. */
    SMALL_SIGN,
    /** initkit extra: the deterministic sinusoidal initialization of arXiv 2505.12909. */
    SINUSOIDAL,
    /** A custom or unrecognised initializer, kept verbatim. */
    UNKNOWN
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

  /**
   * std of a standard normal truncated to [-2, 2] ({@code scipy.stats.truncnorm.std(-2, 2)}); Keras
   * divides VarianceScaling's truncated-normal stddev by it.
   */
  public static final double TRUNCATED_STD_FACTOR = 0.87962566103423978;

  /** Default magnitude of {@link Kind#SMALL_SIGN}. */
  public static final double SMALL_MAGNITUDE = 0.01;

  static final String INITKIT_PACKAGE = "initkit";
  static final String INITKIT_MODULE = "initkit.initializers";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final Kind kind;
  // Parameters by kind: CONSTANT (a = value); RANDOM_UNIFORM (a = minval, b = maxval);
  // RANDOM_NORMAL / TRUNCATED_NORMAL (a = mean, b = stddev); VARIANCE_SCALING (a = scale);
  // ORTHOGONAL / IDENTITY (a = gain); SMALL_SIGN (a = magnitude).
  private final double a;
  private final double b;
  private final Mode mode;
  private final Distribution distribution;
  private final Preset preset;
  private final Long seed;
  private final JsonNode written;
  private final String customName;
  private final String unknownDescription;
  private final boolean legacyVarianceScalingForm;
  private final boolean legacyNormal;
  private final boolean keras1;
  private final List<String> notes;
  /** Keras 3.15's {@code input_axes}/{@code output_axes}: null where the classic rule applies. */
  private final List<Integer> inputAxes;
  private final List<Integer> outputAxes;
  /** The config carries the axes keys (even null): it was written by Keras 3.15 or later. */
  private final boolean fanAxesKeyed;

  private InitializerSpec(Builder x) {
    this.kind = x.kind;
    this.a = x.a;
    this.b = x.b;
    this.mode = x.mode;
    this.distribution = x.distribution;
    this.preset = x.preset;
    this.seed = x.seed;
    this.written = x.written == null ? null : x.written.deepCopy();
    this.customName = x.customName;
    this.unknownDescription = x.unknownDescription;
    this.legacyVarianceScalingForm = x.legacyVarianceScalingForm;
    this.legacyNormal = x.legacyNormal;
    this.keras1 = x.keras1;
    this.notes = List.copyOf(x.notes);
    this.inputAxes = x.inputAxes == null ? null : List.copyOf(x.inputAxes);
    this.outputAxes = x.outputAxes == null ? null : List.copyOf(x.outputAxes);
    this.fanAxesKeyed = x.fanAxesKeyed;
  }

  // ------------------------------------------------------------------------------------------
  // Factories

  /** {@code Zeros}. */
  public static InitializerSpec zeros() {
    return new Builder(Kind.ZEROS).build();
  }

  /** {@code Ones}. */
  public static InitializerSpec ones() {
    return new Builder(Kind.ONES).build();
  }

  /** {@code Constant(value)}. */
  public static InitializerSpec constant(double value) {
    Builder x = new Builder(Kind.CONSTANT);
    x.a = finite(value, "Constant value");
    return x.build();
  }

  /** {@code RandomUniform(minval, maxval, seed)}: U[minval, maxval). */
  public static InitializerSpec randomUniform(double minval, double maxval, Long seed) {
    Builder x = new Builder(Kind.RANDOM_UNIFORM);
    x.a = finite(minval, "RandomUniform minval");
    x.b = finite(maxval, "RandomUniform maxval");
    x.seed = seed;
    return x.build();
  }

  /** {@code RandomNormal(mean, stddev, seed)}: untruncated N(mean, stddev²). */
  public static InitializerSpec randomNormal(double mean, double stddev, Long seed) {
    Builder x = new Builder(Kind.RANDOM_NORMAL);
    x.a = finite(mean, "RandomNormal mean");
    x.b = finite(stddev, "RandomNormal stddev");
    x.seed = seed;
    return x.build();
  }

  /**
   * {@code TruncatedNormal(mean, stddev, seed)}: N(mean, stddev²) re-drawn beyond 2 stddev; {@code
   * stddev} is the pre-truncation value (the result's std is {@code stddev *}
   * {@link #TRUNCATED_STD_FACTOR}).
   */
  public static InitializerSpec truncatedNormal(double mean, double stddev, Long seed) {
    Builder x = new Builder(Kind.TRUNCATED_NORMAL);
    x.a = finite(mean, "TruncatedNormal mean");
    x.b = finite(stddev, "TruncatedNormal stddev");
    x.seed = seed;
    return x.build();
  }

  /**
   * {@code VarianceScaling(scale, mode, distribution, seed)}; a parameter set equal to a preset's is
   * still written as VarianceScaling (use {@link #preset(Preset, Long)} for the named form).
   *
   * @throws IllegalArgumentException if {@code scale <= 0}
   */
  public static InitializerSpec varianceScaling(
      double scale, Mode mode, Distribution distribution, Long seed) {
    Builder x = new Builder(Kind.VARIANCE_SCALING);
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("VarianceScaling scale must be a positive number, not " + scale);
    }
    x.a = scale;
    x.mode = Objects.requireNonNull(mode, "mode");
    x.distribution = Objects.requireNonNull(distribution, "distribution");
    x.seed = seed;
    return x.build();
  }

  /** A named VarianceScaling initializer, e.g. {@code GlorotUniform(seed)}. */
  public static InitializerSpec preset(Preset preset, Long seed) {
    Builder x = new Builder(Kind.VARIANCE_SCALING);
    x.preset = Objects.requireNonNull(preset, "preset");
    x.a = preset.scale;
    x.mode = preset.mode;
    x.distribution = preset.distribution;
    x.seed = seed;
    return x.build();
  }

  /** {@code Orthogonal(gain, seed)}. */
  public static InitializerSpec orthogonal(double gain, Long seed) {
    Builder x = new Builder(Kind.ORTHOGONAL);
    x.a = finite(gain, "Orthogonal gain");
    x.seed = seed;
    return x.build();
  }

  /** {@code Identity(gain)}: {@code gain * eye(rows, cols)}, rank 2 only. */
  public static InitializerSpec identity(double gain) {
    Builder x = new Builder(Kind.IDENTITY);
    x.a = finite(gain, "Identity gain");
    return x.build();
  }

  /** initkit's small random-sign initializer: each value is ±{@code magnitude}. */
  public static InitializerSpec smallSign(double magnitude, Long seed) {
    Builder x = new Builder(Kind.SMALL_SIGN);
    x.a = finite(magnitude, "small magnitude");
    if (!(magnitude > 0)) {
      throw new IllegalArgumentException("small magnitude must be positive, not " + magnitude);
    }
    x.seed = seed;
    return x.build();
  }

  /** initkit's sinusoidal initializer (deterministic, no seed). */
  public static InitializerSpec sinusoidal() {
    return new Builder(Kind.SINUSOIDAL).build();
  }

  /**
   * A custom or unrecognised initializer, kept verbatim.
   *
   * @param json the config as written (copied)
   * @param description a human description, e.g. {@code custom QInitializer}
   */
  public static InitializerSpec unknown(JsonNode json, String description) {
    Builder x = new Builder(Kind.UNKNOWN);
    x.written = Objects.requireNonNull(json, "json");
    x.unknownDescription = Objects.requireNonNull(description, "description");
    JsonNode cn = json.path("class_name");
    x.customName = cn.isTextual() ? cn.asText() : json.isTextual() ? json.asText() : "";
    return x.build();
  }

  // ------------------------------------------------------------------------------------------
  // Parsing

  /**
   * Parses an initializer as a Keras 2 or Keras 3 config holds it: a string ({@code
   * "glorot_uniform"}, {@code "GlorotUniform"}, {@code "uniform"}, tf.keras {@code
   * "GlorotUniformV2"} ...), a {@code {"class_name", "config"}} dict, or a Keras 3 dict with {@code
   * module} and {@code registered_name}. Custom and unrecognised initializers come back as {@link
   * Kind#UNKNOWN} with the JSON verbatim.
   *
   * @throws IllegalArgumentException if a built-in initializer's config is invalid (e.g. {@code
   *     VarianceScaling} with {@code scale <= 0}); the message names the value
   * @throws NullPointerException if {@code node} is null
   */
  public static InitializerSpec parse(JsonNode node) {
    return SpecJson.parse(node, false);
  }

  /**
   * As {@link #parse(JsonNode)}, for configs read from a file: an invalid config becomes a {@link
   * MalformedModelException} naming the file and the location (e.g. a layer and key).
   *
   * @throws MalformedModelException if a built-in initializer's config is invalid
   */
  public static InitializerSpec parse(JsonNode node, Path file, String location)
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
  public static InitializerSpec parseKeras1(JsonNode node) {
    return SpecJson.parse(node, true);
  }

  /**
   * Parses an initializer written as text, e.g. {@code he_normal}, {@code
   * glorot_uniform(seed=7)}, {@code orthogonal(gain=1.0)}, {@code
   * variance_scaling(scale=2,mode=fan_out,distribution=uniform)}, {@code constant(0.1)}, {@code
   * random_normal(stddev=0.02)}, {@code truncated_normal(mean=0,stddev=0.05)}, {@code zeros},
   * {@code ones}, {@code identity}, {@code small}, {@code small_uniform}, {@code sinusoidal}.
   *
   * <p>The text form is the one {@link #toCommandLine} writes; {@link #parse(JsonNode)} reads the
   * Keras config form instead.
   *
   * @throws IllegalArgumentException naming the text and what was expected, for anything else
   */
  public static InitializerSpec parse(String text) {
    return SpecString.parse(text);
  }

  /** The names {@link #parse(String)} accepts, with their parameters, for help texts. */
  public static List<String> commandLineForms() {
    return SpecString.FORMS;
  }

  // ------------------------------------------------------------------------------------------
  // Accessors

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** The seed, or null for none (unseeded, or a kind that takes no seed). */
  public Long seed() {
    return seed;
  }

  /** True for kinds that draw random numbers and so take a seed. */
  public boolean isRandom() {
    switch (kind) {
      case RANDOM_UNIFORM:
      case RANDOM_NORMAL:
      case TRUNCATED_NORMAL:
      case VARIANCE_SCALING:
      case ORTHOGONAL:
      case SMALL_SIGN:
        return true;
      default:
        return false;
    }
  }

  /** The named preset, if this is GlorotUniform, HeNormal, ... */
  public Optional<Preset> preset() {
    return Optional.ofNullable(preset);
  }

  /** Constant's value (0 for Zeros, 1 for Ones). */
  public double value() {
    if (kind == Kind.ZEROS) {
      return 0;
    }
    if (kind == Kind.ONES) {
      return 1;
    }
    require(Kind.CONSTANT);
    return a;
  }

  /** RandomUniform's minval. */
  public double minval() {
    require(Kind.RANDOM_UNIFORM);
    return a;
  }

  /** RandomUniform's maxval (exclusive). */
  public double maxval() {
    require(Kind.RANDOM_UNIFORM);
    return b;
  }

  /** RandomNormal's or TruncatedNormal's mean. */
  public double mean() {
    require(Kind.RANDOM_NORMAL, Kind.TRUNCATED_NORMAL);
    return a;
  }

  /** RandomNormal's or TruncatedNormal's stddev (TruncatedNormal: before truncation). */
  public double stddev() {
    require(Kind.RANDOM_NORMAL, Kind.TRUNCATED_NORMAL);
    return b;
  }

  /** VarianceScaling's scale (also for presets). */
  public double scale() {
    require(Kind.VARIANCE_SCALING);
    return a;
  }

  /** VarianceScaling's mode (also for presets). */
  public Mode mode() {
    require(Kind.VARIANCE_SCALING);
    return mode;
  }

  /** VarianceScaling's distribution (also for presets). */
  public Distribution distribution() {
    require(Kind.VARIANCE_SCALING);
    return distribution;
  }

  /** Orthogonal's or Identity's gain. */
  public double gain() {
    require(Kind.ORTHOGONAL, Kind.IDENTITY);
    return a;
  }

  /** SMALL_SIGN's magnitude. */
  public double magnitude() {
    require(Kind.SMALL_SIGN);
    return a;
  }

  /**
   * The JSON this spec was parsed from (a copy), or empty for a spec built in code or from a
   * command-line string.
   */
  public Optional<JsonNode> asWritten() {
    return Optional.ofNullable(written).map(JsonNode::deepCopy);
  }

  /**
   * True when a preset was written in the standalone Keras 2.0–2.3 form {@code
   * {"class_name": "VarianceScaling", ...}} (e.g. GlorotUniform as {@code scale=1, fan_avg,
   * uniform}).
   */
  public boolean legacyVarianceScalingForm() {
    return legacyVarianceScalingForm;
  }

  /**
   * True when VarianceScaling was written with {@code "distribution": "normal"}: old Keras (2.0–2.1)
   * and tfjs meant a truncated normal <em>without</em> the 0.8796 correction (std about 12% below
   * the target); current Keras reads it as {@code truncated_normal} (corrected), and so does this
   * spec.
   */
  public boolean legacyNormal() {
    return legacyNormal;
  }

  /** True when parsed from a Keras 1 {@code init}-style string. */
  public boolean keras1() {
    return keras1;
  }

  /** Remarks on how the spec was written and what that meant originally; never null. */
  public List<String> notes() {
    return notes;
  }

  /** The class name of a custom/unknown initializer as written ("" when it had none). */
  public String customName() {
    require(Kind.UNKNOWN);
    return customName;
  }

  // ------------------------------------------------------------------------------------------
  // Names and descriptions

  /**
   * The canonical Keras class name: {@code GlorotUniform}, {@code VarianceScaling}, {@code
   * Orthogonal}, {@code Zeros}...; initkit extras are {@code SmallSign} and {@code Sinusoidal};
   * unknown ones give their class name as written.
   */
  public String canonicalName() {
    switch (kind) {
      case ZEROS:
        return "Zeros";
      case ONES:
        return "Ones";
      case CONSTANT:
        return "Constant";
      case RANDOM_UNIFORM:
        return "RandomUniform";
      case RANDOM_NORMAL:
        return "RandomNormal";
      case TRUNCATED_NORMAL:
        return "TruncatedNormal";
      case VARIANCE_SCALING:
        return preset != null ? preset.className : "VarianceScaling";
      case ORTHOGONAL:
        return "Orthogonal";
      case IDENTITY:
        return "Identity";
      case SMALL_SIGN:
        return "SmallSign";
      case SINUSOIDAL:
        return "Sinusoidal";
      default:
        return customName.isEmpty() ? "unknown" : customName;
    }
  }

  /**
   * A one-line human description: {@code GlorotUniform}, {@code GlorotUniform (legacy
   * VarianceScaling form)}, {@code VarianceScaling(scale=2.0, fan_in, truncated_normal)}, {@code
   * RandomNormal(mean=0.0, stddev=0.05, seed=3)}, {@code custom QInitializer (kept verbatim)}.
   */
  public String describe() {
    String seedText = seed == null ? "" : "seed=" + seed;
    StringBuilder s = new StringBuilder();
    switch (kind) {
      case ZEROS:
      case ONES:
      case SINUSOIDAL:
        s.append(canonicalName());
        break;
      case CONSTANT:
        s.append("Constant(value=").append(num(a)).append(')');
        break;
      case RANDOM_UNIFORM:
        s.append("RandomUniform(minval=").append(num(a)).append(", maxval=").append(num(b));
        s.append(seed == null ? "" : ", " + seedText).append(')');
        break;
      case RANDOM_NORMAL:
      case TRUNCATED_NORMAL:
        s.append(canonicalName()).append("(mean=").append(num(a)).append(", stddev=").append(num(b));
        s.append(seed == null ? "" : ", " + seedText).append(')');
        break;
      case VARIANCE_SCALING:
        if (preset != null) {
          s.append(preset.className);
          if (seed != null) {
            s.append('(').append(seedText).append(')');
          }
        } else {
          s.append("VarianceScaling(scale=").append(num(a)).append(", ").append(mode.kerasName());
          s.append(", ").append(distribution.kerasName());
          s.append(seed == null ? "" : ", " + seedText).append(')');
        }
        break;
      case ORTHOGONAL:
        s.append("Orthogonal(gain=").append(num(a)).append(seed == null ? "" : ", " + seedText).append(')');
        break;
      case IDENTITY:
        s.append("Identity(gain=").append(num(a)).append(')');
        break;
      case SMALL_SIGN:
        s.append("SmallSign(±").append(num(a)).append(seed == null ? "" : ", " + seedText).append(')');
        break;
      default:
        return unknownDescription + " (kept verbatim)";
    }
    List<String> form = new ArrayList<>();
    if (legacyVarianceScalingForm) {
      form.add("legacy VarianceScaling form");
    }
    if (legacyNormal) {
      form.add("distribution 'normal': uncorrected truncation when written");
    }
    if (keras1) {
      form.add(written != null && written.isTextual() ? "Keras 1 '" + written.asText() + "'" : "Keras 1 config");
    }
    if (!form.isEmpty()) {
      s.append(" (").append(String.join("; ", form)).append(')');
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  /**
   * The spec as a command-line string that {@link #parse(String)} parses back to an equal spec,
   * e.g. {@code he_normal(seed=3)}, {@code variance_scaling(scale=2.0,mode=fan_in,
   * distribution=uniform)}.
   *
   * @throws IllegalStateException for {@link Kind#UNKNOWN}
   */
  public String toCommandLine() {
    List<String> args = new ArrayList<>();
    String name;
    switch (kind) {
      case ZEROS:
        name = "zeros";
        break;
      case ONES:
        name = "ones";
        break;
      case CONSTANT:
        name = "constant";
        args.add("value=" + num(a));
        break;
      case RANDOM_UNIFORM:
        name = "random_uniform";
        args.add("minval=" + num(a));
        args.add("maxval=" + num(b));
        break;
      case RANDOM_NORMAL:
      case TRUNCATED_NORMAL:
        name = kind == Kind.RANDOM_NORMAL ? "random_normal" : "truncated_normal";
        args.add("mean=" + num(a));
        args.add("stddev=" + num(b));
        break;
      case VARIANCE_SCALING:
        if (preset != null) {
          name = preset.snakeName();
        } else {
          name = "variance_scaling";
          args.add("scale=" + num(a));
          args.add("mode=" + mode.kerasName());
          args.add("distribution=" + distribution.kerasName());
        }
        break;
      case ORTHOGONAL:
        name = "orthogonal";
        args.add("gain=" + num(a));
        break;
      case IDENTITY:
        name = "identity";
        args.add("gain=" + num(a));
        break;
      case SMALL_SIGN:
        name = "small";
        args.add("magnitude=" + num(a));
        break;
      case SINUSOIDAL:
        name = "sinusoidal";
        break;
      default:
        throw new IllegalStateException("a custom initializer (" + describe() + ") has no command-line form");
    }
    if (seed != null) {
      args.add("seed=" + seed);
    }
    return args.isEmpty() ? name : name + "(" + String.join(",", args) + ")";
  }

  // ------------------------------------------------------------------------------------------
  // Serialization

  /**
   * The Keras 2 / tf.keras (and legacy {@code .h5}) form: {@code {"class_name": "GlorotUniform",
   * "config": {"seed": null}}}; presets' config is only the seed, as Keras writes it. initkit
   * extras are written as custom objects {@code "initkit>SmallSign"} / {@code "initkit>Sinusoidal"}
   * (see {@link #kerasLoadable()}); {@link Kind#UNKNOWN} is returned verbatim.
   */
  public JsonNode toKeras2Json() {
    if (kind == Kind.UNKNOWN) {
      return written.deepCopy();
    }
    ObjectNode o = F.objectNode();
    boolean extra = kind == Kind.SMALL_SIGN || kind == Kind.SINUSOIDAL;
    o.put("class_name", extra ? INITKIT_PACKAGE + ">" + canonicalName() : canonicalName());
    o.set("config", config(false));
    return o;
  }

  /**
   * The Keras 3 ({@code .keras} {@code config.json}) form: {@code {"module": "keras.initializers",
   * "class_name": ..., "config": {...}, "registered_name": null}}. Orthogonal is written as {@code
   * OrthogonalInitializer}, the name every Keras 3 release resolves (3.0 registers only that one
   * and {@code orthogonal}). initkit extras get {@code "module": "initkit.initializers"} and {@code
   * "registered_name": "initkit>Name"}; {@link Kind#UNKNOWN} is returned verbatim.
   */
  public JsonNode toKeras3Json() {
    if (kind == Kind.UNKNOWN) {
      return written.deepCopy();
    }
    ObjectNode o = F.objectNode();
    boolean extra = kind == Kind.SMALL_SIGN || kind == Kind.SINUSOIDAL;
    o.put("module", extra ? INITKIT_MODULE : "keras.initializers");
    o.put("class_name", kind == Kind.ORTHOGONAL ? "OrthogonalInitializer" : canonicalName());
    o.set("config", config(true));
    if (extra) {
      o.put("registered_name", INITKIT_PACKAGE + ">" + canonicalName());
    } else {
      o.putNull("registered_name");
    }
    return o;
  }

  private ObjectNode config(boolean keras3) {
    ObjectNode c = F.objectNode();
    if (keras3 && isRandom()) {
      putSeed(c); // Keras 3's get_config puts the seed first
    }
    switch (kind) {
      case CONSTANT:
        c.put("value", a);
        break;
      case RANDOM_UNIFORM:
        c.put("minval", a);
        c.put("maxval", b);
        break;
      case RANDOM_NORMAL:
      case TRUNCATED_NORMAL:
        c.put("mean", a);
        c.put("stddev", b);
        break;
      case VARIANCE_SCALING:
        if (preset == null) {
          c.put("scale", a);
          c.put("mode", mode.kerasName());
          c.put("distribution", distribution.kerasName());
        }
        break;
      case ORTHOGONAL:
      case IDENTITY:
        c.put("gain", a);
        break;
      case SMALL_SIGN:
        c.put("magnitude", a);
        break;
      default:
        break;
    }
    if (!keras3 && isRandom()) {
      putSeed(c);
    }
    return c;
  }

  private void putSeed(ObjectNode c) {
    if (seed == null) {
      c.putNull("seed");
    } else {
      long v = seed;
      if (v == (int) v) {
        c.put("seed", (int) v); // as Python's json writes it, so that parsed JSON compares equal
      } else {
        c.put("seed", v);
      }
    }
  }

  /**
   * True when stock Keras loads {@link #toKeras2Json()} / {@link #toKeras3Json()} without custom
   * objects: false for the initkit extras and for custom/unknown initializers.
   */
  public boolean kerasLoadable() {
    return kind != Kind.SMALL_SIGN && kind != Kind.SINUSOIDAL && kind != Kind.UNKNOWN;
  }

  /**
   * The closest initializer stock Keras loads, for writing into a config whose values initkit
   * draws itself: the spec itself when {@link #kerasLoadable()}; {@code RandomUniform(-m, m)} for
   * SMALL_SIGN (same bound, variance m²/3 instead of m²); {@code GlorotUniform} for SINUSOIDAL (the
   * same variance for Dense kernels); empty for custom ones.
   */
  public Optional<InitializerSpec> kerasFallback() {
    switch (kind) {
      case SMALL_SIGN:
        return Optional.of(randomUniform(-a, a, seed));
      case SINUSOIDAL:
        return Optional.of(preset(Preset.GLOROT_UNIFORM, null));
      case UNKNOWN:
        return Optional.empty();
      default:
        return Optional.of(this);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Derived copies

  /**
   * The fans this initializer computes for {@code shape}: from its axes where it names them
   * (Keras 3.15 and later: {@code input_axes}/{@code output_axes}), else Keras's classic rule.
   */
  public Fans fans(Shape shape) {
    return Fans.of(shape, inputAxes, outputAxes);
  }

  /** The axes of Keras 3.15's fan rule, when set: {@code [input_axes, output_axes]}. */
  public Optional<List<List<Integer>>> fanAxes() {
    return inputAxes == null || outputAxes == null ? Optional.empty() : Optional.of(List.of(inputAxes, outputAxes));
  }

  /** True when the config carries {@code input_axes}/{@code output_axes} keys: Keras 3.15 or later wrote it. */
  public boolean fanAxesKeyed() {
    return fanAxesKeyed;
  }

  /**
   * A copy that computes its fans on these axes, as Keras 3.15's {@code EinsumDense} makes its
   * kernel initializer do (the written config is kept: the axes are not written, as Keras does not).
   */
  public InitializerSpec withFanAxes(List<Integer> in, List<Integer> out) {
    require(Kind.VARIANCE_SCALING);
    Builder x = new Builder(this);
    x.inputAxes = List.copyOf(in);
    x.outputAxes = List.copyOf(out);
    return x.build();
  }

  /**
   * A copy with another seed (null for none).
   *
   * @throws IllegalArgumentException if the kind takes no seed and {@code seed} is not null
   */
  public InitializerSpec withSeed(Long newSeed) {
    if (newSeed != null && !isRandom()) {
      throw new IllegalArgumentException(canonicalName() + " takes no seed");
    }
    if (Objects.equals(newSeed, seed)) {
      return this;
    }
    Builder x = new Builder(this);
    x.seed = newSeed;
    x.written = null;
    return x.build();
  }

  /**
   * The same distribution written as {@code VarianceScaling(scale, mode, distribution)} (the
   * standalone Keras 2.0–2.3 form, loadable by every Keras 2 and 3), for presets; other specs are
   * returned unchanged.
   */
  public InitializerSpec asVarianceScaling() {
    if (kind != Kind.VARIANCE_SCALING || preset == null) {
      return this;
    }
    return varianceScaling(a, mode, distribution, seed);
  }

  /**
   * True when both draw from the same distribution for every shape, whatever the name, seed or
   * written form (GlorotUniform equals VarianceScaling(1, fan_avg, uniform); Zeros equals
   * Constant(0)).
   */
  public boolean sameDistribution(InitializerSpec o) {
    if (kind == Kind.UNKNOWN || o.kind == Kind.UNKNOWN) {
      return kind == o.kind && written.equals(o.written);
    }
    if (isConstantKind() && o.isConstantKind()) {
      return Double.compare(value(), o.value()) == 0;
    }
    return kind == o.kind
        && Double.compare(a, o.a) == 0
        && Double.compare(b, o.b) == 0
        && mode == o.mode
        && distribution == o.distribution;
  }

  private boolean isConstantKind() {
    return kind == Kind.ZEROS || kind == Kind.ONES || kind == Kind.CONSTANT;
  }

  // ------------------------------------------------------------------------------------------
  // Statistics

  /**
   * What one element of a tensor of this shape is drawn from (or computed as).
   *
   * @throws IllegalArgumentException for {@link Kind#UNKNOWN}, or a shape the initializer refuses
   *     (Identity needs rank 2, Orthogonal and Sinusoidal rank >= 2)
   */
  public Sampling sampling(Shape shape) {
    Objects.requireNonNull(shape, "shape");
    switch (kind) {
      case ZEROS:
      case ONES:
      case CONSTANT:
        return new Sampling(Sampling.Type.CONSTANT, value(), 0);
      case RANDOM_UNIFORM:
        return new Sampling(Sampling.Type.UNIFORM, a, b);
      case RANDOM_NORMAL:
        return new Sampling(Sampling.Type.NORMAL, a, b);
      case TRUNCATED_NORMAL:
        return new Sampling(Sampling.Type.TRUNCATED_NORMAL, a, b);
      case VARIANCE_SCALING: {
        double s = scaledVariance(shape);
        switch (distribution) {
          case UNIFORM: {
            double limit = Math.sqrt(3.0 * s);
            return new Sampling(Sampling.Type.UNIFORM, -limit, limit);
          }
          case UNTRUNCATED_NORMAL:
            return new Sampling(Sampling.Type.NORMAL, 0, Math.sqrt(s));
          default:
            return new Sampling(Sampling.Type.TRUNCATED_NORMAL, 0, Math.sqrt(s) / TRUNCATED_STD_FACTOR);
        }
      }
      case ORTHOGONAL:
        if (shape.rank() < 2) {
          throw new IllegalArgumentException(
              "Orthogonal needs a shape of rank >= 2 (Keras raises too), not " + shape);
        }
        return new Sampling(Sampling.Type.ORTHOGONAL, a, 0);
      case IDENTITY:
        if (shape.rank() != 2) {
          throw new IllegalArgumentException(
              "Identity needs a rank-2 shape (Keras raises too), not " + shape);
        }
        return new Sampling(Sampling.Type.IDENTITY, a, 0);
      case SMALL_SIGN:
        return new Sampling(Sampling.Type.RANDOM_SIGN, a, 0);
      case SINUSOIDAL:
        if (shape.rank() < 2) {
          throw new IllegalArgumentException("Sinusoidal needs a shape of rank >= 2, not " + shape);
        }
        return new Sampling(Sampling.Type.SINUSOIDAL, 0, 0);
      default:
        throw new IllegalArgumentException("cannot draw " + describe());
    }
  }

  /**
   * VarianceScaling's {@code scale / max(1, n)} with {@code n} = fan_in, fan_out or (fan_in +
   * fan_out)/2 of {@code shape}: the target variance.
   */
  public double scaledVariance(Shape shape) {
    require(Kind.VARIANCE_SCALING);
    Fans f = fans(shape);
    double n;
    switch (mode) {
      case FAN_IN:
        n = f.fanIn();
        break;
      case FAN_OUT:
        n = f.fanOut();
        break;
      default:
        n = f.fanAvg();
    }
    return a / Math.max(1.0, n);
  }

  /**
   * The expected mean of the elements of a tensor of this shape: exact for deterministic kinds
   * (Identity: {@code gain * min(r, c) / (r * c)}; Sinusoidal computed), the distribution's mean
   * otherwise (0 for VarianceScaling, Orthogonal and SmallSign). NaN for {@link Kind#UNKNOWN}.
   */
  public double expectedMean(Shape shape) {
    return expectedMean(shape, WeightRole.KERNEL);
  }

  /**
   * As {@link #expectedMean(Shape)} for a weight of {@code role}: only Sinusoidal depends on it (a
   * {@link WeightRole#DEPTHWISE_KERNEL} uses PyTorch's grouped layout, see {@link
   * Initializer#of(InitializerSpec, WeightRole)}).
   */
  public double expectedMean(Shape shape, WeightRole role) {
    if (kind == Kind.UNKNOWN) {
      return Double.NaN;
    }
    Sampling d = sampling(shape);
    switch (d.type()) {
      case CONSTANT:
      case NORMAL:
      case TRUNCATED_NORMAL:
        return d.a();
      case UNIFORM:
        return (d.a() + d.b()) / 2;
      case IDENTITY: {
        long r = shape.dim(0);
        long c = shape.dim(1);
        return r * c == 0 ? 0 : a * Math.min(r, c) / ((double) r * c);
      }
      case SINUSOIDAL:
        return Sinusoidal.mean(shape, role == WeightRole.DEPTHWISE_KERNEL);
      default:
        return 0;
    }
  }

  /**
   * The standard deviation the scheme implies for a tensor of this shape (around {@link
   * #expectedMean}), exactly: constants 0; U(a, b) {@code (b-a)/sqrt(12)}; RandomNormal stddev;
   * TruncatedNormal {@code stddev * 0.87962566103423978} (post-truncation); VarianceScaling {@code
   * sqrt(scale / max(1, n))} for every distribution (the truncated one is corrected); Orthogonal
   * {@code gain * sqrt(min(r, c) / (r * c))} with r = prod(shape[:-1]), c = shape[-1] (each
   * orthonormal row or column has unit norm, so E[w²] = gain²·min/(r·c), and E[w] = 0); Identity and
   * Sinusoidal the exact population std of their values; SmallSign its magnitude. NaN for {@link
   * Kind#UNKNOWN}.
   *
   * @throws IllegalArgumentException for a shape the initializer refuses
   */
  public double expectedStd(Shape shape) {
    return expectedStd(shape, WeightRole.KERNEL);
  }

  /**
   * As {@link #expectedStd(Shape)} for a weight of {@code role}: only Sinusoidal depends on it.
   *
   * @throws IllegalArgumentException for a shape the initializer refuses
   */
  public double expectedStd(Shape shape, WeightRole role) {
    if (kind == Kind.UNKNOWN) {
      return Double.NaN;
    }
    Sampling d = sampling(shape);
    switch (d.type()) {
      case CONSTANT:
        return 0;
      case UNIFORM:
        return Math.abs(d.b() - d.a()) / Math.sqrt(12.0);
      case NORMAL:
        return Math.abs(d.b());
      case TRUNCATED_NORMAL:
        return Math.abs(d.b()) * TRUNCATED_STD_FACTOR;
      case RANDOM_SIGN:
        return d.a();
      case ORTHOGONAL: {
        long[] rc = Orthogonal.flatShape(shape);
        double r = rc[0];
        double c = rc[1];
        return r * c == 0 ? 0 : Math.abs(a) * Math.sqrt(Math.min(r, c) / (r * c));
      }
      case IDENTITY: {
        double r = shape.dim(0);
        double c = shape.dim(1);
        double n = r * c;
        if (n == 0) {
          return 0;
        }
        double p = Math.min(r, c) / n; // fraction of elements equal to gain
        return Math.abs(a) * Math.sqrt(p * (1 - p));
      }
      case SINUSOIDAL:
        return Sinusoidal.std(shape, role == WeightRole.DEPTHWISE_KERNEL);
      default:
        return Double.NaN;
    }
  }

  /**
   * The std the config meant when it was written, where that differs from {@link #expectedStd}:
   * {@code distribution: "normal"} (old Keras / tfjs: truncated without correction, so {@code
   * sqrt(scale') * 0.8796}) and Keras 1 {@code orthogonal} (scale 1.1). Otherwise equal to {@link
   * #expectedStd}.
   */
  public double originalExpectedStd(Shape shape) {
    double s = expectedStd(shape, WeightRole.KERNEL);
    if (legacyNormal) {
      return s * TRUNCATED_STD_FACTOR;
    }
    if (keras1 && kind == Kind.ORTHOGONAL) {
      return s * 1.1;
    }
    return s;
  }

  // ------------------------------------------------------------------------------------------

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof InitializerSpec)) {
      return false;
    }
    InitializerSpec s = (InitializerSpec) o;
    if (kind != s.kind) {
      return false;
    }
    if (kind == Kind.UNKNOWN) {
      return written.equals(s.written);
    }
    return Double.compare(a, s.a) == 0
        && Double.compare(b, s.b) == 0
        && mode == s.mode
        && distribution == s.distribution
        && preset == s.preset
        && Objects.equals(seed, s.seed)
        && Objects.equals(inputAxes, s.inputAxes)
        && Objects.equals(outputAxes, s.outputAxes);
  }

  @Override
  public int hashCode() {
    if (kind == Kind.UNKNOWN) {
      return written.hashCode();
    }
    return Objects.hash(kind, a, b, mode, distribution, preset, seed, inputAxes, outputAxes);
  }

  private void require(Kind... kinds) {
    for (Kind k : kinds) {
      if (kind == k) {
        return;
      }
    }
    throw new IllegalStateException(describe() + " has no such parameter");
  }

  private static double finite(double v, String what) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(what + " must be a finite number, not " + v);
    }
    return v;
  }

  /** Python-like text of a double: {@code 2.0}, {@code 0.05}, {@code 1e-05} style exponents. */
  static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e16) {
      return Long.toString((long) v) + ".0";
    }
    return Double.toString(v).replace("E", "e");
  }

  /** Mutable carrier used by the parsers; package-private. */
  static final class Builder {
    Kind kind;
    double a;
    double b;
    Mode mode;
    Distribution distribution;
    Preset preset;
    Long seed;
    JsonNode written;
    String customName = "";
    String unknownDescription;
    boolean legacyVarianceScalingForm;
    boolean legacyNormal;
    boolean keras1;
    final List<String> notes = new ArrayList<>();
    List<Integer> inputAxes;
    List<Integer> outputAxes;
    boolean fanAxesKeyed;

    Builder(Kind kind) {
      this.kind = kind;
    }

    Builder(InitializerSpec s) {
      kind = s.kind;
      a = s.a;
      b = s.b;
      mode = s.mode;
      distribution = s.distribution;
      preset = s.preset;
      seed = s.seed;
      written = s.written;
      customName = s.customName;
      unknownDescription = s.unknownDescription;
      inputAxes = s.inputAxes;
      outputAxes = s.outputAxes;
      fanAxesKeyed = s.fanAxesKeyed;
      legacyVarianceScalingForm = s.legacyVarianceScalingForm;
      legacyNormal = s.legacyNormal;
      keras1 = s.keras1;
      notes.addAll(s.notes);
    }

    InitializerSpec build() {
      return new InitializerSpec(this);
    }
  }

  /** A spec's builder pre-filled with its fields (for the parsers). */
  static Builder builderFrom(InitializerSpec s) {
    return new Builder(s);
  }
}
