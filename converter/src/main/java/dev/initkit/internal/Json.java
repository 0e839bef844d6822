package dev.initkit.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one JSON mapper initkit uses for model configs. Configs come from untrusted files, so nesting,
 * string and number sizes are capped; duplicate keys are rejected rather than silently merged.
 */
public final class Json {
  /** Largest config initkit parses (characters). Real configs are well under a few MB. */
  public static final int MAX_CONFIG_CHARS = 32 * 1024 * 1024;
  /**
   * Most JSON tokens in one config. A config is parsed into a tree, and a tree of tens of
   * millions of small nodes ({@code [0,0,0,...]} in 32 MB) would exhaust a small heap; the largest
   * real configs (a ResNet-152, a TextVectorization vocabulary) have a few hundred thousand.
   */
  public static final long MAX_TOKENS = 2_000_000;
  /** Deepest nesting accepted; real configs nest a few dozen levels. */
  public static final int MAX_DEPTH = 400;

  private static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder()
                      .maxNestingDepth(MAX_DEPTH)
                      .maxStringLength(MAX_CONFIG_CHARS)
                      .maxNumberLength(1000)
                      .maxTokenCount(MAX_TOKENS)
                      .build())
              .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              .build());

  private Json() {}

  /** The shared mapper (thread-safe once configured). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Parses a config text.
   *
   * @throws JsonProcessingException with line and column when the text is not valid JSON
   */
  public static JsonNode parse(String text) throws JsonProcessingException {
    if (text.length() > MAX_CONFIG_CHARS) {
      throw new IllegalArgumentException("config of " + text.length() + " characters exceeds the limit of " + MAX_CONFIG_CHARS);
    }
    JsonNode tree = MAPPER.readTree(text);
    checkFinite(tree);
    return tree;
  }

  /**
   * Refuses numbers that overflow a double ({@code 1e400} parses as infinity): JSON has no
   * infinities, and code comparing config values exactly (as BigDecimal) cannot take one.
   */
  private static void checkFinite(JsonNode root) {
    java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>();
    if (root != null) {
      todo.push(root);
    }
    while (!todo.isEmpty()) {
      JsonNode n = todo.pop();
      if (n.isContainerNode()) {
        n.forEach(todo::push);
      } else if ((n.isDouble() || n.isFloat()) && !Double.isFinite(n.doubleValue())) {
        throw new IllegalArgumentException("a number beyond the range of a double (" + n.asText() + "); JSON has no infinities");
      }
    }
  }

  /** Compact JSON text. */
  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }
}
