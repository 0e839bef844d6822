package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;

/**
 * JSON equality that treats 1, 1.0 and 1e0 as one value, because Python writes an int or a float
 * for the same default depending on how the user spelled it.
 */
final class SameValue {
  private SameValue() {}

  private static final Comparator<JsonNode> NUMBERS =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1;
        }
        return a.equals(b) ? 0 : 1;
      };

  /** True when both are equal as JSON, with numbers compared by value. Null-safe. */
  static boolean of(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == null && b == null;
    }
    return a.equals(NUMBERS, b);
  }
}
