package dev.initkit.init;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.init.InitializerSpec.Distribution;
import dev.initkit.init.InitializerSpec.Mode;
import dev.initkit.init.InitializerSpec.Origin;
import dev.initkit.init.InitializerSpec.Preset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Parses initializer configs as Keras 1, 2 and 3 write them ({@link SpecJsonForms} writes them).
 * Not API: see InitializerSpec.parse.
 */
final class SpecJson {
  private SpecJson() {}

  /** The initializer kinds a config can name. */
  private enum Kind {
    ZEROS,
    ONES,
    CONSTANT,
    RANDOM_UNIFORM,
    RANDOM_NORMAL,
    TRUNCATED_NORMAL,
    VARIANCE_SCALING,
    ORTHOGONAL,
    IDENTITY,
    SMALL_SIGN,
    SINUSOIDAL,
    UNKNOWN
  }

  /** A spec being read: its parameters (by the kind's names) and how it was written. */
  private static final class Builder {
    Kind kind;
    double value;
    double min;
    double max;
    double mean;
    double stddev;
    double scale;
    double gain;
    double magnitude;
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

    InitializerSpec build() {
      Origin o =
          new Origin(written, legacyVarianceScalingForm, legacyNormal, keras1, notes, fanAxesKeyed);
      switch (kind) {
        case ZEROS:
          return new InitializerSpec.Zeros(o);
        case ONES:
          return new InitializerSpec.Ones(o);
        case CONSTANT:
          return new InitializerSpec.Constant(value, o);
        case RANDOM_UNIFORM:
          return new InitializerSpec.RandomUniform(min, max, seed, o);
        case RANDOM_NORMAL:
          return new InitializerSpec.RandomNormal(mean, stddev, seed, o);
        case TRUNCATED_NORMAL:
          return new InitializerSpec.TruncatedNormal(mean, stddev, seed, o);
        case VARIANCE_SCALING:
          return new InitializerSpec.VarianceScaling(
              scale, mode, distribution, preset, seed, inputAxes, outputAxes, o);
        case ORTHOGONAL:
          return new InitializerSpec.Orthogonal(gain, seed, o);
        case IDENTITY:
          return new InitializerSpec.Identity(gain, o);
        case SMALL_SIGN:
          return new InitializerSpec.SmallSign(magnitude, seed, o);
        case SINUSOIDAL:
          return new InitializerSpec.Sinusoidal(o);
        default:
          return new InitializerSpec.Custom(customName, unknownDescription, o);
      }
    }
  }

  /** A built-in name: its kind, or a preset. */
  private record Builtin(Kind kind, Preset preset) {}

  private static final Map<String, Builtin> BUILTINS =
      Map.ofEntries(
          Map.entry("zeros", new Builtin(Kind.ZEROS, null)),
          Map.entry("zero", new Builtin(Kind.ZEROS, null)),
          Map.entry("ones", new Builtin(Kind.ONES, null)),
          Map.entry("one", new Builtin(Kind.ONES, null)),
          Map.entry("constant", new Builtin(Kind.CONSTANT, null)),
          Map.entry("randomuniform", new Builtin(Kind.RANDOM_UNIFORM, null)),
          Map.entry("uniform", new Builtin(Kind.RANDOM_UNIFORM, null)),
          Map.entry("randomnormal", new Builtin(Kind.RANDOM_NORMAL, null)),
          Map.entry("normal", new Builtin(Kind.RANDOM_NORMAL, null)),
          Map.entry("truncatednormal", new Builtin(Kind.TRUNCATED_NORMAL, null)),
          Map.entry("variancescaling", new Builtin(Kind.VARIANCE_SCALING, null)),
          Map.entry("glorotuniform", new Builtin(Kind.VARIANCE_SCALING, Preset.GLOROT_UNIFORM)),
          Map.entry("glorotnormal", new Builtin(Kind.VARIANCE_SCALING, Preset.GLOROT_NORMAL)),
          Map.entry("heuniform", new Builtin(Kind.VARIANCE_SCALING, Preset.HE_UNIFORM)),
          Map.entry("henormal", new Builtin(Kind.VARIANCE_SCALING, Preset.HE_NORMAL)),
          Map.entry("lecununiform", new Builtin(Kind.VARIANCE_SCALING, Preset.LECUN_UNIFORM)),
          Map.entry("lecunnormal", new Builtin(Kind.VARIANCE_SCALING, Preset.LECUN_NORMAL)),
          Map.entry("orthogonal", new Builtin(Kind.ORTHOGONAL, null)),
          Map.entry("orthogonalinitializer", new Builtin(Kind.ORTHOGONAL, null)),
          Map.entry("identity", new Builtin(Kind.IDENTITY, null)),
          Map.entry("identityinitializer", new Builtin(Kind.IDENTITY, null)));

  private static final Set<String> COMMON_KEYS = Set.of("dtype");

  static InitializerSpec parse(JsonNode node, boolean keras1) {
    Objects.requireNonNull(node, "node");
    if (node.isTextual()) {
      return fromString(node, keras1);
    }
    if (!node.isObject()) {
      return InitializerSpec.unknown(node, "not an initializer config: " + abbreviate(node));
    }
    JsonNode cn = node.get("class_name");
    if (cn == null || !cn.isTextual()) {
      return InitializerSpec.unknown(
          node, "initializer config without class_name: " + abbreviate(node));
    }
    String className = cn.asText();
    String module = text(node.get("module"));
    String registered = text(node.get("registered_name"));

    // initkit's own extras, in either written form
    String ours = initkitName(className, module, registered);
    if (ours != null) {
      return initkitExtra(ours, node);
    }
    if (className.contains(">")) {
      return custom(node, "custom " + className);
    }
    if (registered != null && !registered.equals(className)) {
      return custom(node, "custom " + className + " (registered as " + registered + ")");
    }
    if (module != null && !isKerasModule(module)) {
      return custom(node, "custom " + className + " from module " + module);
    }
    Builtin builtin = lookup(className);
    if (builtin == null && className.replace("Initializer", "").equalsIgnoreCase("stft")) {
      return custom(node, "Keras 3 STFT initializer (initkit does not draw it)");
    }
    if (builtin == null) {
      return custom(node, (module == null ? "custom " : "unknown Keras initializer ") + className);
    }
    JsonNode config = node.get("config");
    if (config == null || config.isNull()) {
      config = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    }
    if (!config.isObject()) {
      throw new IllegalArgumentException(
          className + " config must be an object, not " + abbreviate(config));
    }
    Builder x = fromConfig(builtin, className, config, module != null);
    x.written = node;
    if (keras1) {
      x.keras1 = true;
    }
    if (module == null && className.endsWith("Initializer")) {
      x.notes.add(
          className
              + " is Keras 3's class name; written without a module (as here) it may also be"
              + " a user's custom class of that name");
    }
    return x.build();
  }

  private static InitializerSpec fromString(JsonNode node, boolean keras1) {
    String name = node.asText();
    Builtin builtin = lookup(name);
    if (builtin == null) {
      return InitializerSpec.unknown(node, "unknown initializer '" + name + "'");
    }
    Builder x =
        fromConfig(
            builtin,
            name,
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
            false);
    x.written = node;
    if (keras1) {
      x.keras1 = true;
      keras1Notes(x, builtin, name);
    }
    return x.build();
  }

  private static void keras1Notes(Builder x, Builtin builtin, String name) {
    if (builtin.preset() == Preset.GLOROT_NORMAL || builtin.preset() == Preset.HE_NORMAL) {
      x.notes.add(
          "Keras 1 '"
              + name
              + "' drew an untruncated normal with this std; current Keras reads it"
              + " as a truncated normal with the same variance");
    }
    if (builtin.preset() != null) {
      x.notes.add(
          "Keras 1 computed fans by dim_ordering for 4-D/5-D kernels (Theano order: (out, in, k...))"
              + " and as sqrt(prod(shape)) for ranks other than 2, 4 and 5");
    }
    if (builtin.kind() == Kind.ORTHOGONAL) {
      x.notes.add(
          "Keras 1 'orthogonal' used scale 1.1 and the SVD of a (shape[0], prod(shape[1:])) Gaussian;"
              + " current Keras reads it as Orthogonal(gain=1.0)");
    }
    if (builtin.kind() == Kind.IDENTITY) {
      x.notes.add("Keras 1 'identity' required a square matrix");
    }
  }

  private static Builder fromConfig(
      Builtin builtin, String className, JsonNode config, boolean keras3Dict) {
    Builder x = new Builder(builtin.kind());
    x.preset = builtin.preset();
    Set<String> known;
    switch (builtin.kind()) {
      case ZEROS:
      case ONES:
        known = Set.of();
        break;
      case CONSTANT:
        known = Set.of("value");
        constantValue(x, className, config.get("value"));
        break;
      case RANDOM_UNIFORM:
        known = Set.of("minval", "maxval", "seed");
        x.min = number(config, "minval", -0.05, className);
        x.max = number(config, "maxval", 0.05, className);
        break;
      case RANDOM_NORMAL:
      case TRUNCATED_NORMAL:
        known = Set.of("mean", "stddev", "seed");
        x.mean = number(config, "mean", 0.0, className);
        x.stddev = number(config, "stddev", 0.05, className);
        break;
      case VARIANCE_SCALING:
        if (x.preset != null) {
          known = Set.of("seed", "input_axes", "output_axes");
          x.scale = x.preset.scale();
          x.mode = x.preset.mode();
          x.distribution = x.preset.distribution();
        } else {
          known = Set.of("scale", "mode", "distribution", "seed", "input_axes", "output_axes");
          varianceScaling(x, className, config);
        }
        // Keras 3.15.0 added the fan axes (keras pull request 22789): their keys, even null, tell
        // which Keras wrote the config; lists replace the classic fan rule
        x.fanAxesKeyed = config.has("input_axes") || config.has("output_axes");
        x.inputAxes = axes(config.get("input_axes"), className, "input_axes");
        x.outputAxes = axes(config.get("output_axes"), className, "output_axes");
        break;
      case ORTHOGONAL:
        known = Set.of("gain", "seed");
        x.gain = number(config, "gain", 1.0, className);
        break;
      case IDENTITY:
        known = Set.of("gain");
        x.gain = number(config, "gain", 1.0, className);
        if (keras3Dict && !config.has("gain")) {
          x.notes.add(
              "Keras 3 (through 3.12 at least) does not save Identity's gain, so a gain other than"
                  + " 1.0 was lost when this file was written; it loads as gain 1.0");
        }
        break;
      default:
        throw new IllegalStateException(builtin.kind().name());
    }
    if (known.contains("seed")) {
      x.seed = seed(config.get("seed"), className, x);
    }
    for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (known.contains(k)) {
        continue;
      }
      if (k.equals("dtype")) {
        x.notes.add(
            "config carries dtype "
                + config.get(k)
                + " (tf.compat.v1 initializer form): tf.keras ignores"
                + " it, Keras 3 refuses to load it; the serialised forms leave it out");
      } else if (!COMMON_KEYS.contains(k)) {
        x.notes.add("ignored unexpected config key '" + k + "' = " + abbreviate(config.get(k)));
      }
    }
    return x;
  }

  /** A list of axis indices, or null for null or absent. */
  private static List<Integer> axes(JsonNode n, String className, String key) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isArray() || n.size() > 64) {
      throw new IllegalArgumentException(
          className + " " + key + " must be a list of axis indices or null, not " + abbreviate(n));
    }
    List<Integer> out = new java.util.ArrayList<>();
    for (JsonNode a : n) {
      if (!a.isIntegralNumber() || !a.canConvertToInt() || Math.abs(a.intValue()) > 64) {
        throw new IllegalArgumentException(
            className + " " + key + " must hold small integers, not " + abbreviate(n));
      }
      out.add(a.intValue());
    }
    return out;
  }

  private static void varianceScaling(Builder x, String className, JsonNode config) {
    double scale = number(config, "scale", 1.0, className);
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException(
          "VarianceScaling scale must be a positive number, not " + config.get("scale"));
    }
    x.scale = scale;
    JsonNode m = config.get("mode");
    x.mode =
        m == null || m.isNull()
            ? Mode.FAN_IN
            : Mode.fromKerasName(requireText(m, "mode", className));
    JsonNode d = config.get("distribution");
    String dist =
        d == null || d.isNull()
            ? "truncated_normal"
            : requireText(d, "distribution", className).toLowerCase(Locale.ROOT);
    switch (dist) {
      case "truncated_normal":
        x.distribution = Distribution.TRUNCATED_NORMAL;
        break;
      case "untruncated_normal":
        x.distribution = Distribution.UNTRUNCATED_NORMAL;
        break;
      case "uniform":
        x.distribution = Distribution.UNIFORM;
        break;
      case "normal":
        x.distribution = Distribution.TRUNCATED_NORMAL;
        x.legacyNormal = true;
        x.notes.add(
            "\"distribution\": \"normal\" was written by old Keras (2.0-2.1) or tfjs, where it meant a"
                + " normal truncated at 2 stddev WITHOUT the 0.8796 correction (std 12% below the target);"
                + " current Keras reads it as truncated_normal (corrected), as initkit does");
        break;
      default:
        throw new IllegalArgumentException(
            "VarianceScaling distribution must be one of truncated_normal,"
                + " untruncated_normal, uniform (or legacy normal), not '"
                + dist
                + "'");
    }
    Preset p = Preset.matching(x.scale, x.mode, x.distribution).orElse(null);
    if (p != null) {
      x.preset = p;
      x.legacyVarianceScalingForm = true;
      x.notes.add(
          p.className() + " written in the legacy VarianceScaling form (standalone Keras 2.0-2.3)");
    }
  }

  private static void constantValue(Builder x, String className, JsonNode v) {
    if (v == null || v.isNull()) {
      x.value = 0.0;
      return;
    }
    JsonNode scalar = v;
    if (v.isObject() && v.path("class_name").isTextual()) {
      // Keras 3 serialises numpy scalars and tensors: {"class_name": "__numpy__"|"__tensor__",
      // "config": {"value": ..., "dtype": ...}}
      scalar = v.path("config").path("value");
    }
    if (scalar.isNumber()) {
      x.value = scalar.asDouble();
      if (!Double.isFinite(x.value)) {
        throw new IllegalArgumentException(className + " value must be finite, not " + scalar);
      }
      return;
    }
    // A non-scalar or odd value: keep the whole thing verbatim rather than guess.
    x.kind = Kind.UNKNOWN;
    x.unknownDescription = "Constant with a non-scalar value " + abbreviate(v);
    x.customName = className;
  }

  private static Long seed(JsonNode s, String className, Builder x) {
    if (s == null || s.isNull()) {
      return null;
    }
    if (s.isIntegralNumber() && s.canConvertToLong()) {
      return s.asLong();
    }
    if (s.isNumber() && s.asDouble() == Math.rint(s.asDouble())) {
      return (long) s.asDouble();
    }
    if (s.isObject()) {
      // Keras 3 SeedGenerator: {"class_name": "SeedGenerator", "config": {"seed": 1337, ...}}
      JsonNode inner = s.path("config").path("seed");
      if (inner.isIntegralNumber() && inner.canConvertToLong()) {
        x.notes.add(
            "seed given as a serialised "
                + s.path("class_name").asText("object")
                + "; using its seed "
                + inner.asLong());
        return inner.asLong();
      }
    }
    throw new IllegalArgumentException(
        className + " seed must be an integer or null, not " + abbreviate(s));
  }

  private static double number(JsonNode config, String key, double dflt, String className) {
    JsonNode v = config.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    double d;
    if (v.isNumber()) {
      d = v.asDouble();
    } else if (v.isTextual()) {
      try {
        d = Double.parseDouble(v.asText().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(className + " " + key + " must be a number, not " + v);
      }
    } else {
      throw new IllegalArgumentException(
          className + " " + key + " must be a number, not " + abbreviate(v));
    }
    if (!Double.isFinite(d)) {
      throw new IllegalArgumentException(className + " " + key + " must be finite, not " + v);
    }
    return d;
  }

  private static String requireText(JsonNode v, String key, String className) {
    if (!v.isTextual()) {
      throw new IllegalArgumentException(
          className + " " + key + " must be a string, not " + abbreviate(v));
    }
    return v.asText();
  }

  private static InitializerSpec initkitExtra(String name, JsonNode node) {
    JsonNode config = node.path("config");
    Builder x;
    switch (name) {
      case "SmallSign":
        {
          x = new Builder(Kind.SMALL_SIGN);
          x.magnitude = number(config, "magnitude", InitializerSpec.SMALL_MAGNITUDE, name);
          if (!(x.magnitude > 0)) {
            throw new IllegalArgumentException(
                "SmallSign magnitude must be positive, not " + x.magnitude);
          }
          x.seed = seed(config.get("seed"), name, x);
          break;
        }
      case "Sinusoidal":
        x = new Builder(Kind.SINUSOIDAL);
        break;
      default:
        return custom(node, "unknown initkit initializer " + name);
    }
    x.written = node;
    return x.build();
  }

  /** "SmallSign" when the node is one of initkit's own classes, else null. */
  private static String initkitName(String className, String module, String registered) {
    String prefix = SpecJsonForms.INITKIT_PACKAGE + ">";
    if (className.startsWith(prefix)) {
      return className.substring(prefix.length());
    }
    if (registered != null && registered.startsWith(prefix)) {
      return registered.substring(prefix.length());
    }
    if (module != null && module.equals(SpecJsonForms.INITKIT_MODULE)) {
      return className;
    }
    return null;
  }

  private static InitializerSpec custom(JsonNode node, String description) {
    JsonNode inner = node.path("config").path("initializer");
    if (inner.isObject() || inner.isTextual()) {
      InitializerSpec wrapped = parse(inner, false);
      if (!(wrapped instanceof InitializerSpec.Custom)) {
        description += " wrapping " + wrapped.describe();
      }
    }
    return InitializerSpec.unknown(node, description);
  }

  static Builtin lookup(String name) {
    String n = name;
    if (n.endsWith("V2")) {
      n =
          n.substring(
              0, n.length() - 2); // tf.keras compat aliases: GlorotUniformV2, glorot_uniformV2
    }
    return BUILTINS.get(n.replace("_", "").toLowerCase(Locale.ROOT));
  }

  static boolean isKerasModule(String module) {
    return module.equals("keras")
        || module.startsWith("keras.")
        || module.startsWith("keras_core")
        || module.startsWith("tf_keras")
        || module.startsWith("tensorflow");
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : null;
  }

  static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() > 120 ? s.substring(0, 117) + "..." : s;
  }
}
