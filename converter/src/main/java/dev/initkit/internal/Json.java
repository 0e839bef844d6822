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
  public static final int MAX_CONFIG_CHARS = 64 * 1024 * 1024;

  private static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder()
                      .maxNestingDepth(400)
                      .maxStringLength(MAX_CONFIG_CHARS)
                      .maxNumberLength(1000)
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
    return MAPPER.readTree(text);
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
