package dev.initkit.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * The one JSON mapper initkit uses for model configs. Configs come from untrusted files, so
 * nesting, string and number sizes are capped; duplicate keys are rejected rather than silently
 * merged.
 *
 * <p>{@link #parse} and {@link #write} work on Jackson's streaming parser and generator, and build
 * the same trees and text as {@link ObjectMapper#readTree(String)} and {@link
 * ObjectMapper#writeValueAsString}: creating the first {@code ObjectMapper} in a process costs
 * about 50 ms of CPU (its default date format loads the JDK's locale data), a sixth of a short
 * command's start-up. {@link #mapper()} creates it on first use.
 */
public final class Json {
  /** Largest config initkit parses (characters). Real configs are well under a few MB. */
  public static final int MAX_CONFIG_CHARS = 32 * 1024 * 1024;

  /**
   * Most JSON tokens in one config. A config is parsed into a tree, and a tree of tens of millions
   * of small nodes ({@code [0,0,0,...]} in 32 MB) would exhaust a small heap; the largest real
   * configs (a ResNet-152, a TextVectorization vocabulary) have a few hundred thousand.
   */
  public static final long MAX_TOKENS = 2_000_000;

  /** Deepest nesting accepted; real configs nest a few dozen levels. */
  public static final int MAX_DEPTH = 400;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxStringLength(MAX_CONFIG_CHARS)
                  .maxNumberLength(1000)
                  .maxTokenCount(MAX_TOKENS)
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  /** Jackson's defaults: what a plain {@code new ObjectMapper()} parses with. */
  private static final JsonFactory LENIENT = new JsonFactory();

  /** The mapper, created on first use. */
  private static final class Mapper {
    static final ObjectMapper INSTANCE = new ObjectMapper(FACTORY);
  }

  private Json() {}

  /** The factory {@link #parse} reads with (its limits, duplicate keys rejected). */
  public static JsonFactory factory() {
    return FACTORY;
  }

  /** A JSON object of string values, in the map's order (for {@link #write}; no mapper needed). */
  public static com.fasterxml.jackson.databind.node.ObjectNode object(Map<String, String> values) {
    com.fasterxml.jackson.databind.node.ObjectNode n =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    values.forEach(n::put);
    return n;
  }

  /** The shared mapper (thread-safe once configured), on the same limits as {@link #parse}. */
  public static ObjectMapper mapper() {
    return Mapper.INSTANCE;
  }

  /**
   * Parses a config text.
   *
   * @throws JsonProcessingException with line and column when the text is not valid JSON
   */
  public static JsonNode parse(String text) throws JsonProcessingException {
    if (text.length() > MAX_CONFIG_CHARS) {
      throw new IllegalArgumentException(
          "config of " + text.length() + " characters exceeds the limit of " + MAX_CONFIG_CHARS);
    }
    JsonNode tree = readTree(FACTORY, text);
    checkFinite(tree);
    return tree;
  }

  /**
   * Parses JSON as a plain {@code new ObjectMapper().readTree(text)} does: Jackson's default
   * limits, a repeated key keeps its last value. For text that is not a model's config (metadata
   * shown by the CLI, initkit's own literals).
   *
   * @throws JsonProcessingException when the text is not valid JSON
   */
  public static JsonNode parseLenient(String text) throws JsonProcessingException {
    return readTree(LENIENT, text);
  }

  /**
   * {@link ObjectMapper#readTree(String)} with the default deserialization features: empty text is
   * a missing node, integers are int, long or BigInteger nodes by size, other numbers doubles,
   * anything after the first value is ignored.
   */
  private static JsonNode readTree(JsonFactory factory, String text)
      throws JsonProcessingException {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    try (JsonParser p = factory.createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return nodes.missingNode();
      }
      // containers being filled, innermost first; an object's next key waits beside it
      ArrayDeque<JsonNode> open = new ArrayDeque<>();
      ArrayDeque<String> keys = new ArrayDeque<>();
      String key = null;
      while (true) {
        JsonNode value;
        switch (t) {
          case START_OBJECT:
          case START_ARRAY:
            open.push(t == JsonToken.START_OBJECT ? nodes.objectNode() : nodes.arrayNode());
            keys.push(key == null ? "" : key);
            key = null;
            t = p.nextToken();
            continue;
          case FIELD_NAME:
            key = p.currentName();
            t = p.nextToken();
            continue;
          case END_OBJECT:
          case END_ARRAY:
            value = open.pop();
            key = keys.pop();
            if (open.isEmpty()) {
              return value;
            }
            break;
          default:
            value = scalar(p, t, nodes);
            if (open.isEmpty()) {
              return value;
            }
        }
        JsonNode parent = open.peek();
        if (parent instanceof ObjectNode o) {
          o.replace(key, value);
        } else {
          ((ArrayNode) parent).add(value);
        }
        key = null;
        t = p.nextToken();
      }
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      throw JsonMappingException.fromUnexpectedIOE(e);
    }
  }

  private static JsonNode scalar(JsonParser p, JsonToken t, JsonNodeFactory nodes)
      throws IOException {
    switch (t) {
      case VALUE_STRING:
        return nodes.textNode(p.getText());
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return nodes.numberNode(p.getIntValue());
          case LONG:
            return nodes.numberNode(p.getLongValue());
          default:
            return nodes.numberNode(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return nodes.numberNode(p.getDoubleValue());
      case VALUE_TRUE:
        return nodes.booleanNode(true);
      case VALUE_FALSE:
        return nodes.booleanNode(false);
      case VALUE_NULL:
        return nodes.nullNode();
      default:
        throw new IllegalStateException("unexpected JSON token " + t);
    }
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
        throw new IllegalArgumentException(
            "a number beyond the range of a double (" + n.asText() + "); JSON has no infinities");
      }
    }
  }

  /**
   * Compact JSON text, as {@code ObjectMapper.writeValueAsString} and {@code toString()} write it.
   */
  public static String write(JsonNode node) {
    try {
      StringWriter out = new StringWriter();
      try (JsonGenerator g = FACTORY.createGenerator(out)) {
        if (writeTree(g, node)) {
          g.flush();
          return out.toString();
        }
      }
      // missing, binary or POJO nodes (never in a parsed config): the mapper knows their forms
      return mapper().writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  /**
   * Writes what the mapper's serializers write for a tree with the default features; false, with
   * the text incomplete, at a node that needs the mapper.
   */
  private static boolean writeTree(JsonGenerator g, JsonNode n) throws IOException {
    if (n.isObject()) {
      g.writeStartObject();
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        g.writeFieldName(e.getKey());
        if (!writeTree(g, e.getValue())) {
          return false;
        }
      }
      g.writeEndObject();
    } else if (n.isArray()) {
      g.writeStartArray();
      for (JsonNode c : n) {
        if (!writeTree(g, c)) {
          return false;
        }
      }
      g.writeEndArray();
    } else if (n.isNull()) {
      g.writeNull();
    } else if (n.isValueNode() && !n.isBinary() && !n.isPojo()) {
      // strings, numbers and booleans write themselves without a serializer provider
      ((JsonSerializable) n).serialize(g, null);
    } else {
      return false;
    }
    return true;
  }
}
