package dev.initkit.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Shape;

/**
 * The values the JSON renderers share: finite numbers, initializers, shapes. Thread-safe
 * (stateless).
 */
public final class JsonValues {
  private JsonValues() {}

  /** The node factory the renderers build with. */
  public static JsonNodeFactory nodes() {
    return JsonNodeFactory.instance;
  }

  /** A finite number, or null for NaN and infinities (JSON has neither). */
  public static void put(ObjectNode o, String key, double x) {
    if (Double.isFinite(x)) {
      o.put(key, x);
    } else {
      o.putNull(key);
    }
  }

  /** {@code {"className", "describe", "commandLine", "kerasLoadable"}}, or null. */
  public static JsonNode spec(InitializerSpec s) {
    if (s == null) {
      return NullNode.getInstance();
    }
    ObjectNode o = nodes().objectNode();
    o.put("className", s.canonicalName());
    o.put("describe", s.describe());
    o.put("commandLine", s instanceof InitializerSpec.Custom ? null : s.toSpecString());
    o.put("kerasLoadable", s.kerasLoadable());
    return o;
  }

  /** A shape as a JSON array. */
  public static ArrayNode shape(Shape s) {
    ArrayNode a = nodes().arrayNode();
    for (long d : s.dims()) {
      a.add(d);
    }
    return a;
  }
}
