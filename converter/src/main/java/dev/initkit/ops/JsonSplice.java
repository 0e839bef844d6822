package dev.initkit.ops;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.internal.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Replaces values inside a JSON text without touching anything else: every byte outside the
 * replaced values stays as it was, so a rewritten config differs from the original exactly where an
 * initializer changed. New values are written in the text's own style: Python's {@code json.dumps}
 * separators ({@code ", "}, {@code ": "}) when the text uses them, as Keras writes configs, compact
 * otherwise; floats as Python's {@code repr} spells them ({@code 0.05}, {@code 1e-05}).
 */
final class JsonSplice {
  private JsonSplice() {}

  /**
   * The text with the values at the given JSON pointers replaced.
   *
   * @param replacements new values by JSON pointer ({@code
   *     /config/layers/1/config/kernel_initializer}); each pointer must name an existing value
   * @throws IllegalArgumentException if a pointer names no value in the text
   * @throws IOException if the text is not valid JSON
   */
  static String replace(String text, Map<String, JsonNode> replacements) throws IOException {
    Map<String, long[]> spans = spans(text, replacements.keySet());
    boolean python = pythonStyle(text);
    List<Map.Entry<String, long[]>> ordered = new ArrayList<>(spans.entrySet());
    ordered.sort(
        Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0]).reversed());
    for (String ptr : replacements.keySet()) {
      if (!spans.containsKey(ptr)) {
        throw new IllegalArgumentException("no value at " + ptr);
      }
    }
    StringBuilder sb = new StringBuilder(text);
    long lastStart = Long.MAX_VALUE;
    for (Map.Entry<String, long[]> e : ordered) {
      long[] span = e.getValue();
      if (span[1] > lastStart) {
        throw new IllegalArgumentException("overlapping replacements at " + e.getKey());
      }
      sb.replace((int) span[0], (int) span[1], write(replacements.get(e.getKey()), python));
      lastStart = span[0];
    }
    return sb.toString();
  }

  /**
   * Where the values at the given pointers are in the text: {@code [start, end)} character offsets
   * by pointer (pointers naming no value are absent).
   *
   * @throws IOException if the text is not valid JSON
   */
  static Map<String, long[]> spans(String text, java.util.Set<String> pointers) throws IOException {
    Map<String, long[]> spans = new HashMap<>();
    JsonFactory f = Json.factory();
    try (JsonParser p = f.createParser(text)) {
      p.nextToken();
      walk(p, "", pointers, spans);
    }
    return spans;
  }

  private static void walk(
      JsonParser p, String ptr, java.util.Set<String> targets, Map<String, long[]> spans)
      throws IOException {
    JsonToken t = p.currentToken();
    long start = p.currentTokenLocation().getCharOffset();
    if (t == JsonToken.START_OBJECT) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        walk(p, ptr + "/" + escape(name), targets, spans);
      }
    } else if (t == JsonToken.START_ARRAY) {
      int i = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        walk(p, ptr + "/" + i++, targets, spans);
      }
    } else if (t == JsonToken.VALUE_STRING) {
      p.getText(); // completes the lazily read string, so the location is after its closing quote
    }
    if (targets.contains(ptr)) {
      long end = p.currentLocation().getCharOffset();
      spans.put(ptr, new long[] {start, end});
    }
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  /** True when the text separates keys and values as Python's {@code json.dumps} does. */
  static boolean pythonStyle(String text) {
    return text.contains("\": ");
  }

  /** A value in Python's {@code json.dumps} style or compact. */
  static String write(JsonNode n, boolean python) {
    StringBuilder sb = new StringBuilder();
    write(n, python, sb);
    return sb.toString();
  }

  private static void write(JsonNode n, boolean python, StringBuilder sb) {
    if (n.isObject()) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        if (!first) {
          sb.append(python ? ", " : ",");
        }
        first = false;
        string(e.getKey(), sb);
        sb.append(python ? ": " : ":");
        write(e.getValue(), python, sb);
      }
      sb.append('}');
    } else if (n.isArray()) {
      sb.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          sb.append(python ? ", " : ",");
        }
        write(n.get(i), python, sb);
      }
      sb.append(']');
    } else if (n.isTextual()) {
      string(n.asText(), sb);
    } else if (n.isIntegralNumber()) {
      sb.append(n.bigIntegerValue().toString());
    } else if (n.isNumber()) {
      sb.append(pythonFloat(n.doubleValue()));
    } else {
      sb.append(n.toString()); // true, false, null
    }
  }

  /** A string as Python's {@code json.dumps} writes it ({@code ensure_ascii}). */
  private static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '\b':
          sb.append("\\b");
          break;
        case '\f':
          sb.append("\\f");
          break;
        default:
          if (c < 0x20 || c > 0x7e) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  /**
   * A double as Python's {@code repr} writes it: the shortest digits that read back to the same
   * value, positional for decimal exponents -4 to 15 ({@code 0.05}, {@code 2.0}), else scientific
   * with a signed two-digit exponent ({@code 1e-05}, {@code 1.5e+16}); {@code NaN}, {@code
   * Infinity}, {@code -Infinity} as {@code json.dumps} writes them.
   */
  static String pythonFloat(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    if (v == 0) {
      return (1 / v < 0) ? "-0.0" : "0.0";
    }
    BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
    String digits = d.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - d.scale(); // decimal exponent of the first digit
    String sign = v < 0 ? "-" : "";
    if (exp >= -4 && exp < 16) {
      String plain = d.abs().toPlainString();
      return sign + (plain.contains(".") ? plain : plain + ".0");
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return sign
        + mantissa
        + "e"
        + (exp < 0 ? "-" : "+")
        + String.format(Locale.ROOT, "%02d", Math.abs(exp));
  }

  /** The JSON pointer of a {@code /}-joined key path relative to a layer config pointer. */
  static String pointer(String layerConfigPointer, String keyPath) {
    StringBuilder sb = new StringBuilder(layerConfigPointer);
    for (String part : keyPath.split("/")) {
      sb.append('/').append(escape(part));
    }
    JsonPointer.compile(sb.toString()); // validates
    return sb.toString();
  }
}
