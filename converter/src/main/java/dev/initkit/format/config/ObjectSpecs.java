package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.UnsupportedModelException;
import java.util.Locale;
import java.util.Set;

/**
 * Translation of the small objects a layer config holds: initializers, regularizers, constraints
 * and dtype policies.
 *
 * <p>Keras 3 writes each as {@code {"module", "class_name", "config", "registered_name"}}; Keras 2
 * wrote {@code {"class_name", "config"}} (tf-keras 2.13+ also adds module and registered_name,
 * which Keras 2 loaders ignore). A string shorthand such as {@code "glorot_uniform"} is valid in
 * both and passes through unchanged.
 */
final class ObjectSpecs {
  private ObjectSpecs() {}

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** The families of objects a layer config refers to, with the Keras 3 module of each. */
  enum Kind {
    INITIALIZER("keras.initializers", KerasCatalog.INITIALIZERS),
    REGULARIZER("keras.regularizers", KerasCatalog.REGULARIZERS),
    CONSTRAINT("keras.constraints", KerasCatalog.CONSTRAINTS);

    final String module;
    final Set<String> known;

    Kind(String module, Set<String> known) {
      this.module = module;
      this.known = known;
    }

    /** The family a layer config key refers to, or null when the key names no such object. */
    static Kind ofKey(String key) {
      if (key.endsWith("_initializer")) {
        return INITIALIZER;
      }
      if (key.endsWith("_regularizer")) {
        return REGULARIZER;
      }
      if (key.endsWith("_constraint")) {
        return CONSTRAINT;
      }
      return null;
    }
  }

  /**
   * True when an object dict names user code: a module outside Keras, a registered name of a custom
   * class, or a class this family does not have.
   */
  static boolean isCustom(JsonNode spec, Set<String> known) {
    String module = spec.path("module").asText(null);
    if (module != null && !isKerasModule(module)) {
      return true;
    }
    String className = spec.path("class_name").asText("");
    JsonNode registered = spec.get("registered_name");
    if (registered != null && !registered.isNull() && !registered.asText().equals(className)) {
      return true;
    }
    return !known.contains(className);
  }

  /**
   * Modules Keras writes for its own classes: {@code keras...} and tf-keras's {@code tf_keras...}.
   */
  static boolean isKerasModule(String module) {
    return module.equals("keras")
        || module.startsWith("keras.")
        || module.equals("tf_keras")
        || module.startsWith("tf_keras.");
  }

  /**
   * A Keras 2 object spec in Keras 3 form; custom objects and shorthands are copied as they are.
   */
  static JsonNode toKeras3(Kind kind, JsonNode spec, Where where, String field)
      throws UnsupportedModelException {
    if (spec == null || !spec.isObject() || !spec.has("class_name")) {
      return spec == null ? null : spec.deepCopy();
    }
    String className = spec.path("class_name").asText();
    if (kind == Kind.CONSTRAINT && KerasCatalog.KERAS2_ONLY_CONSTRAINTS.contains(className)) {
      throw where.unsupported(className, field, "Keras 3 has no " + className);
    }
    if (isCustom(spec, kind.known)) {
      return spec.deepCopy();
    }
    ObjectNode config = objectOrEmpty(spec.get("config"));
    // TF1-era tf.keras wrote the weight dtype into initializer configs; Keras 3 initializers take
    // the dtype from the variable they fill and reject the argument.
    if (kind == Kind.INITIALIZER) {
      config.remove("dtype");
    }
    return keras3Object(kind.module, className, config, spec);
  }

  /**
   * A Keras 3 object spec in Keras 2 form; custom objects and shorthands are copied as they are.
   */
  static JsonNode toKeras2(Kind kind, JsonNode spec, Where where, String field)
      throws UnsupportedModelException {
    if (spec == null) {
      return null;
    }
    if (spec.isTextual() && kind == Kind.INITIALIZER) {
      String name = spec.asText();
      if (KerasCatalog.KERAS3_ONLY_INITIALIZERS.contains(name)) {
        throw where.unsupported(name, field, "tf-keras has no STFT initializer");
      }
      return F.textNode(KerasCatalog.KERAS3_INITIALIZER_RENAMES.getOrDefault(name, name));
    }
    if (!spec.isObject() || !spec.has("class_name")) {
      return spec.deepCopy();
    }
    String className = spec.path("class_name").asText();
    if (kind == Kind.INITIALIZER) {
      if (KerasCatalog.KERAS3_ONLY_INITIALIZERS.contains(className)) {
        throw where.unsupported(className, field, "tf-keras has no STFT initializer");
      }
      String renamed = KerasCatalog.KERAS3_INITIALIZER_RENAMES.get(className);
      if (renamed != null) {
        ObjectNode copy = spec.deepCopy();
        copy.put("class_name", renamed);
        spec = copy;
        className = renamed;
      }
    }
    if (isCustom(spec, kind.known)) {
      return spec.deepCopy();
    }
    ObjectNode config = objectOrEmpty(spec.get("config"));
    JsonNode seed = config.get("seed");
    if (seed != null && seed.isObject()) {
      // A Keras 3 SeedGenerator object: tf-keras seeds are plain integers.
      throw where.unsupported(className, field, "seed is a Keras 3 SeedGenerator, not an integer");
    }
    if (kind == Kind.INITIALIZER && (config.has("input_axes") || config.has("output_axes"))) {
      // Keras 3.15's fan axes: tf-keras rejects the keys. Null is the classic rule tf-keras has
      // (EinsumDense's derived axes are not written, and tf-keras draws its own way); explicit
      // axes change the fans, which tf-keras cannot express.
      for (String k : new String[] {"input_axes", "output_axes"}) {
        JsonNode v = config.get(k);
        if (v != null && !v.isNull()) {
          throw where.unsupported(
              className,
              field,
              k + " = " + v + " (Keras 3.15's fan axes) has no tf-keras equivalent");
        }
      }
      config = config.deepCopy();
      config.remove("input_axes");
      config.remove("output_axes");
    }
    return keras2Object(className, config);
  }

  // ---- dtype policies ------------------------------------------------------------------------

  /**
   * A Keras 2 layer {@code dtype} (a dtype name or a mixed-precision Policy) as a Keras 3 policy.
   */
  static JsonNode dtypeToKeras3(JsonNode dtype) {
    if (dtype == null || dtype.isNull()) {
      return dtype == null ? null : NullNode.getInstance();
    }
    if (dtype.isTextual()) {
      return keras3Policy(dtype.asText());
    }
    if (dtype.isObject()) {
      String cls = dtype.path("class_name").asText("");
      if (KerasCatalog.KERAS2_POLICIES.contains(cls)
          || KerasCatalog.KERAS3_FLOAT_POLICIES.contains(cls)) {
        String name = dtype.path("config").path("name").asText(null);
        if (name != null) {
          return keras3Policy(name);
        }
      }
    }
    return dtype.deepCopy();
  }

  /**
   * The dtype name of a layer {@code dtype} in either form, for the few layers Keras 3 writes a
   * plain name for: the variable dtype, so {@code float32} for a mixed policy.
   */
  static JsonNode dtypeName(JsonNode dtype) {
    if (dtype == null || !dtype.isObject()) {
      return dtype == null ? null : dtype.deepCopy();
    }
    String name = dtype.path("config").path("name").asText(null);
    if (name == null) {
      return dtype.deepCopy();
    }
    return F.textNode(name.startsWith("mixed_") ? "float32" : name);
  }

  /**
   * A layer dtype policy (Keras 3 {@code DTypePolicy} or Keras 2 {@code Policy}) in the portable
   * Keras 2 form: its name, {@code "float32"} or {@code "mixed_float16"}. tf-keras writes a mixed
   * policy as a {@code Policy} object, which Keras 3's legacy loader cannot read (it looks the
   * class up among its own dtype policies, and has no {@code Policy}); both generations build the
   * same policy from the name alone ({@code tf_keras.mixed_precision.get_policy} accepts {@code
   * "mixed_float16"}/{@code "mixed_bfloat16"}, Keras 3's {@code DTypePolicy} any name).
   */
  static JsonNode dtypeToKeras2(JsonNode dtype, Where where, String className)
      throws UnsupportedModelException {
    if (dtype == null || !dtype.isObject()) {
      return dtype == null ? null : dtype.deepCopy();
    }
    String cls = dtype.path("class_name").asText("");
    if (KerasCatalog.KERAS3_QUANTIZED_POLICIES.contains(cls)) {
      throw where.unsupported(
          className,
          "dtype",
          cls
              + " marks a quantised layer; tf-keras has no quantised layers (.keras and .weights.h5 keep it for Keras 3)");
    }
    if (KerasCatalog.KERAS3_FLOAT_POLICIES.contains(cls)
        || KerasCatalog.KERAS2_POLICIES.contains(cls)) {
      String name = dtype.path("config").path("name").asText(null);
      if (name == null) {
        return dtype.deepCopy();
      }
      return F.textNode(name);
    }
    return dtype.deepCopy();
  }

  /**
   * The dtype a layer computes in, from its {@code dtype} entry in either form: the tensors it
   * outputs have this dtype. Mixed policies compute in their low-precision half.
   */
  static String computeDtype(JsonNode dtype) {
    String name = null;
    if (dtype != null && dtype.isTextual()) {
      name = dtype.asText();
    } else if (dtype != null && dtype.isObject()) {
      name = dtype.path("config").path("name").asText(null);
    }
    if (name == null || name.isEmpty()) {
      return "float32";
    }
    if (name.startsWith("mixed_")) {
      return name.substring("mixed_".length());
    }
    // Quantised policies are spelled like "int8_from_float32": the layer computes in the source.
    int from = name.indexOf("_from_");
    return from >= 0 ? name.substring(from + "_from_".length()) : name.toLowerCase(Locale.ROOT);
  }

  // ---- builders ------------------------------------------------------------------------------

  private static ObjectNode keras3Policy(String name) {
    return keras3Object("keras", "DTypePolicy", F.objectNode().put("name", name), null);
  }

  /** {@code {"module", "class_name", "config", "registered_name": null}}, keeping a sharing id. */
  static ObjectNode keras3Object(
      String module, String className, ObjectNode config, JsonNode original) {
    ObjectNode out = F.objectNode();
    out.put("module", module);
    out.put("class_name", className);
    out.set("config", config);
    out.putNull("registered_name");
    if (original != null && original.has("shared_object_id")) {
      out.set("shared_object_id", original.get("shared_object_id").deepCopy());
    }
    return out;
  }

  /** {@code {"class_name", "config"}}, the form every Keras 2 loader reads. */
  static ObjectNode keras2Object(String className, ObjectNode config) {
    ObjectNode out = F.objectNode();
    out.put("class_name", className);
    out.set("config", config);
    return out;
  }

  private static ObjectNode objectOrEmpty(JsonNode config) {
    return config != null && config.isObject() ? ((ObjectNode) config).deepCopy() : F.objectNode();
  }
}
