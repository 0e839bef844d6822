package dev.initkit.init;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.init.InitializerSpec.Constant;
import dev.initkit.init.InitializerSpec.Custom;
import dev.initkit.init.InitializerSpec.Identity;
import dev.initkit.init.InitializerSpec.RandomNormal;
import dev.initkit.init.InitializerSpec.RandomUniform;
import dev.initkit.init.InitializerSpec.SmallSign;
import dev.initkit.init.InitializerSpec.TruncatedNormal;
import dev.initkit.init.InitializerSpec.VarianceScaling;

/**
 * Writes specs in the Keras 2 and Keras 3 JSON forms ({@link SpecJson} reads them). Not API: see
 * {@link InitializerSpec#toKeras2Json()} and {@link InitializerSpec#toKeras3Json()}.
 */
final class SpecJsonForms {
  private SpecJsonForms() {}

  /** The package of initkit's own initializers in Keras 2 names ({@code initkit>SmallSign}). */
  static final String INITKIT_PACKAGE = "initkit";

  /** The Keras 3 module of initkit's own initializers. */
  static final String INITKIT_MODULE = "initkit.initializers";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** See {@link InitializerSpec#toKeras2Json()}. */
  static JsonNode keras2(InitializerSpec spec) {
    if (spec instanceof Custom c) {
      return c.origin().written();
    }
    ObjectNode o = F.objectNode();
    o.put(
        "class_name",
        isExtra(spec) ? INITKIT_PACKAGE + ">" + spec.canonicalName() : spec.canonicalName());
    o.set("config", config(spec, false));
    return o;
  }

  /** See {@link InitializerSpec#toKeras3Json()}. */
  static JsonNode keras3(InitializerSpec spec) {
    if (spec instanceof Custom c) {
      return c.origin().written();
    }
    ObjectNode o = F.objectNode();
    boolean extra = isExtra(spec);
    o.put("module", extra ? INITKIT_MODULE : "keras.initializers");
    o.put(
        "class_name",
        spec instanceof InitializerSpec.Orthogonal
            ? "OrthogonalInitializer"
            : spec.canonicalName());
    o.set("config", config(spec, true));
    if (extra) {
      o.put("registered_name", INITKIT_PACKAGE + ">" + spec.canonicalName());
    } else {
      o.putNull("registered_name");
    }
    return o;
  }

  private static boolean isExtra(InitializerSpec spec) {
    return spec instanceof SmallSign || spec instanceof InitializerSpec.Sinusoidal;
  }

  private static ObjectNode config(InitializerSpec spec, boolean keras3) {
    ObjectNode c = F.objectNode();
    if (keras3 && spec.isRandom()) {
      putSeed(c, spec.seed()); // Keras 3's get_config puts the seed first
    }
    if (spec instanceof Constant k) {
      c.put("value", k.value());
    } else if (spec instanceof RandomUniform u) {
      c.put("minval", u.minval());
      c.put("maxval", u.maxval());
    } else if (spec instanceof RandomNormal n) {
      c.put("mean", n.mean());
      c.put("stddev", n.stddev());
    } else if (spec instanceof TruncatedNormal n) {
      c.put("mean", n.mean());
      c.put("stddev", n.stddev());
    } else if (spec instanceof VarianceScaling v) {
      if (v.preset() == null) {
        c.put("scale", v.scale());
        c.put("mode", v.mode().kerasName());
        c.put("distribution", v.distribution().kerasName());
      }
    } else if (spec instanceof InitializerSpec.Orthogonal g) {
      c.put("gain", g.gain());
    } else if (spec instanceof Identity i) {
      c.put("gain", i.gain());
    } else if (spec instanceof SmallSign m) {
      c.put("magnitude", m.magnitude());
    }
    if (!keras3 && spec.isRandom()) {
      putSeed(c, spec.seed());
    }
    return c;
  }

  private static void putSeed(ObjectNode c, Long seed) {
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
}
