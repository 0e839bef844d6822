package dev.initkit.init;

import dev.initkit.init.InitializerSpec.Constant;
import dev.initkit.init.InitializerSpec.Custom;
import dev.initkit.init.InitializerSpec.Distribution;
import dev.initkit.init.InitializerSpec.Identity;
import dev.initkit.init.InitializerSpec.Mode;
import dev.initkit.init.InitializerSpec.Ones;
import dev.initkit.init.InitializerSpec.Orthogonal;
import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.init.InitializerSpec.RandomNormal;
import dev.initkit.init.InitializerSpec.RandomUniform;
import dev.initkit.init.InitializerSpec.SmallSign;
import dev.initkit.init.InitializerSpec.TruncatedNormal;
import dev.initkit.init.InitializerSpec.VarianceScaling;
import dev.initkit.init.InitializerSpec.Zeros;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and writes spec strings, initializers written as text. Not API: see {@link
 * InitializerSpec#parse(String)} and {@link InitializerSpec#toSpecString()}.
 */
final class SpecString {
  private SpecString() {}

  static final List<String> FORMS =
      List.of(
          "zeros",
          "ones",
          "constant(value)",
          "random_uniform(minval=-0.05,maxval=0.05)",
          "random_normal(mean=0,stddev=0.05)",
          "truncated_normal(mean=0,stddev=0.05)",
          "variance_scaling(scale=1,mode=fan_in|fan_out|fan_avg,"
              + "distribution=truncated_normal|untruncated_normal|uniform)",
          "glorot_uniform",
          "glorot_normal",
          "he_uniform",
          "he_normal",
          "lecun_uniform",
          "lecun_normal",
          "orthogonal(gain=1.0)",
          "identity(gain=1.0)",
          "small(magnitude=0.01)",
          "small_uniform(limit=0.01)",
          "sinusoidal");

  private static final String EXPECTED =
      "expected one of " + String.join(", ", FORMS) + " (random ones also take seed=N)";

  /** Parameter names, in positional order, by canonical spec string name. */
  private static final Map<String, List<String>> PARAMS = new LinkedHashMap<>();

  static {
    PARAMS.put("zeros", List.of());
    PARAMS.put("ones", List.of());
    PARAMS.put("constant", List.of("value"));
    PARAMS.put("random_uniform", List.of("minval", "maxval", "seed"));
    PARAMS.put("random_normal", List.of("mean", "stddev", "seed"));
    PARAMS.put("truncated_normal", List.of("mean", "stddev", "seed"));
    PARAMS.put("variance_scaling", List.of("scale", "mode", "distribution", "seed"));
    for (Preset p : Preset.values()) {
      PARAMS.put(p.snakeName(), List.of("seed"));
    }
    PARAMS.put("orthogonal", List.of("gain", "seed"));
    PARAMS.put("identity", List.of("gain"));
    PARAMS.put("small", List.of("magnitude", "seed"));
    PARAMS.put("small_uniform", List.of("limit", "seed"));
    PARAMS.put("sinusoidal", List.of());
  }

  private static final Map<String, String> ALIASES =
      Map.ofEntries(
          Map.entry("zero", "zeros"),
          Map.entry("one", "ones"),
          Map.entry("uniform", "random_uniform"),
          Map.entry("normal", "random_normal"),
          Map.entry("plain_normal", "random_normal"),
          Map.entry("small_sign", "small"),
          Map.entry("orthogonal_initializer", "orthogonal"),
          Map.entry("identity_initializer", "identity"));

  static InitializerSpec parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty initializer: " + EXPECTED);
    }
    String t = text.trim();
    int open = t.indexOf('(');
    String rawName = (open < 0 ? t : t.substring(0, open)).trim();
    String argText = null;
    if (open >= 0) {
      if (!t.endsWith(")")) {
        throw new IllegalArgumentException("initializer '" + text + "': missing ')' at the end");
      }
      argText = t.substring(open + 1, t.length() - 1);
      if (argText.indexOf('(') >= 0 || argText.indexOf(')') >= 0) {
        throw new IllegalArgumentException("initializer '" + text + "': nested parentheses");
      }
    }
    String name = canonical(rawName);
    if (name == null) {
      throw new IllegalArgumentException("unknown initializer '" + rawName + "': " + EXPECTED);
    }
    List<String> params = PARAMS.get(name);
    Map<String, String> args = new LinkedHashMap<>();
    if (argText != null && !argText.isBlank()) {
      int positional = 0;
      for (String part : argText.split(",", -1)) {
        String p = part.trim();
        if (p.isEmpty()) {
          throw new IllegalArgumentException("initializer '" + text + "': empty argument");
        }
        int eq = p.indexOf('=');
        String key;
        String value;
        if (eq < 0) {
          if (positional >= params.size() || (!args.isEmpty() && positional != args.size())) {
            throw new IllegalArgumentException(
                "initializer '"
                    + text
                    + "': unexpected argument '"
                    + p
                    + "'; "
                    + name
                    + " takes "
                    + describeParams(params));
          }
          key = params.get(positional++);
          value = p;
        } else {
          key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
          value = p.substring(eq + 1).trim();
          if (!params.contains(key)) {
            throw new IllegalArgumentException(
                "unknown parameter '"
                    + key
                    + "' for "
                    + name
                    + ": expected "
                    + describeParams(params));
          }
        }
        if (args.put(key, value) != null) {
          throw new IllegalArgumentException("initializer '" + text + "': " + key + " given twice");
        }
      }
    }
    Long seed = args.containsKey("seed") ? parseSeed(args.get("seed"), name) : null;
    switch (name) {
      case "zeros":
        return InitializerSpec.zeros();
      case "ones":
        return InitializerSpec.ones();
      case "constant":
        if (!args.containsKey("value")) {
          throw new IllegalArgumentException("constant needs a value, e.g. constant(0.1)");
        }
        return InitializerSpec.constant(number(args, "value", 0, name));
      case "random_uniform":
        {
          double lo = number(args, "minval", -0.05, name);
          double hi = number(args, "maxval", 0.05, name);
          if (!(lo < hi)) {
            throw new IllegalArgumentException(
                "random_uniform needs minval < maxval, got " + lo + " and " + hi);
          }
          return InitializerSpec.randomUniform(lo, hi, seed);
        }
      case "random_normal":
      case "truncated_normal":
        {
          double mean = number(args, "mean", 0, name);
          double sd = positive(number(args, "stddev", 0.05, name), name + " stddev");
          return name.equals("random_normal")
              ? InitializerSpec.randomNormal(mean, sd, seed)
              : InitializerSpec.truncatedNormal(mean, sd, seed);
        }
      case "variance_scaling":
        {
          double scale = positive(number(args, "scale", 1.0, name), "variance_scaling scale");
          Mode mode = Mode.fromKerasName(args.getOrDefault("mode", "fan_in"));
          Distribution dist = distribution(args.getOrDefault("distribution", "truncated_normal"));
          return InitializerSpec.varianceScaling(scale, mode, dist, seed);
        }
      case "orthogonal":
        return InitializerSpec.orthogonal(number(args, "gain", 1.0, name), seed);
      case "identity":
        return InitializerSpec.identity(number(args, "gain", 1.0, name));
      case "small":
        return InitializerSpec.smallSign(
            positive(
                number(args, "magnitude", InitializerSpec.SMALL_MAGNITUDE, name),
                "small magnitude"),
            seed);
      case "small_uniform":
        {
          double limit =
              positive(
                  number(args, "limit", InitializerSpec.SMALL_MAGNITUDE, name),
                  "small_uniform limit");
          return InitializerSpec.randomUniform(-limit, limit, seed);
        }
      case "sinusoidal":
        return InitializerSpec.sinusoidal();
      default:
        for (Preset p : Preset.values()) {
          if (p.snakeName().equals(name)) {
            return InitializerSpec.preset(p, seed);
          }
        }
        throw new IllegalStateException(name);
    }
  }

  /** The spec string of a spec: see {@link InitializerSpec#toSpecString()}. */
  static String format(InitializerSpec spec) {
    List<String> args = new ArrayList<>();
    String name;
    if (spec instanceof Zeros) {
      name = "zeros";
    } else if (spec instanceof Ones) {
      name = "ones";
    } else if (spec instanceof Constant c) {
      name = "constant";
      args.add("value=" + num(c.value()));
    } else if (spec instanceof RandomUniform u) {
      name = "random_uniform";
      args.add("minval=" + num(u.minval()));
      args.add("maxval=" + num(u.maxval()));
    } else if (spec instanceof RandomNormal n) {
      name = "random_normal";
      args.add("mean=" + num(n.mean()));
      args.add("stddev=" + num(n.stddev()));
    } else if (spec instanceof TruncatedNormal n) {
      name = "truncated_normal";
      args.add("mean=" + num(n.mean()));
      args.add("stddev=" + num(n.stddev()));
    } else if (spec instanceof VarianceScaling v) {
      if (v.preset() != null) {
        name = v.preset().snakeName();
      } else {
        name = "variance_scaling";
        args.add("scale=" + num(v.scale()));
        args.add("mode=" + v.mode().kerasName());
        args.add("distribution=" + v.distribution().kerasName());
      }
    } else if (spec instanceof Orthogonal o) {
      name = "orthogonal";
      args.add("gain=" + num(o.gain()));
    } else if (spec instanceof Identity i) {
      name = "identity";
      args.add("gain=" + num(i.gain()));
    } else if (spec instanceof SmallSign m) {
      name = "small";
      args.add("magnitude=" + num(m.magnitude()));
    } else if (spec instanceof InitializerSpec.Sinusoidal) {
      name = "sinusoidal";
    } else {
      throw new IllegalStateException(
          "a custom initializer (" + ((Custom) spec).describe() + ") has no command-line form");
    }
    if (spec.seed() != null) {
      args.add("seed=" + spec.seed());
    }
    return args.isEmpty() ? name : name + "(" + String.join(",", args) + ")";
  }

  /** Python-like text of a double: {@code 2.0}, {@code 0.05}, {@code 1e-05} style exponents. */
  static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e16) {
      return Long.toString((long) v) + ".0";
    }
    return Double.toString(v).replace("E", "e");
  }

  /** The canonical spec string name of a user's spelling, or null. */
  private static String canonical(String raw) {
    String n = raw.toLowerCase(Locale.ROOT).replace('-', '_');
    if (PARAMS.containsKey(n)) {
      return n;
    }
    if (ALIASES.containsKey(n)) {
      return ALIASES.get(n);
    }
    // Keras class names: GlorotUniform, VarianceScaling, RandomNormal, Orthogonal ...
    String squashed = n.replace("_", "");
    for (String k : PARAMS.keySet()) {
      if (k.replace("_", "").equals(squashed)) {
        return k;
      }
    }
    for (Map.Entry<String, String> e : ALIASES.entrySet()) {
      if (e.getKey().replace("_", "").equals(squashed)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String describeParams(List<String> params) {
    List<String> ps = new ArrayList<>(params);
    return ps.isEmpty() ? "no parameters" : String.join(", ", ps);
  }

  private static Distribution distribution(String s) {
    switch (s.toLowerCase(Locale.ROOT)) {
      case "truncated_normal":
        return Distribution.TRUNCATED_NORMAL;
      case "untruncated_normal":
        return Distribution.UNTRUNCATED_NORMAL;
      case "uniform":
        return Distribution.UNIFORM;
      case "normal":
        throw new IllegalArgumentException(
            "variance_scaling distribution 'normal' is ambiguous (old Keras:"
                + " uncorrected truncated normal; current Keras: truncated_normal): write truncated_normal or"
                + " untruncated_normal");
      default:
        throw new IllegalArgumentException(
            "variance_scaling distribution must be one of truncated_normal,"
                + " untruncated_normal, uniform, not '"
                + s
                + "'");
    }
  }

  private static double number(Map<String, String> args, String key, double dflt, String name) {
    String v = args.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      double d = Double.parseDouble(v);
      if (!Double.isFinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + ": " + key + " must be a finite number, not '" + v + "'");
    }
  }

  private static double positive(double v, String what) {
    if (!(v > 0)) {
      throw new IllegalArgumentException(what + " must be positive, not " + v);
    }
    return v;
  }

  private static Long parseSeed(String v, String name) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": seed must be an integer, not '" + v + "'");
    }
  }
}
