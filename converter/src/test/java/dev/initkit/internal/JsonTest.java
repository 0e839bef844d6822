package dev.initkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Json} parses and writes without an {@code ObjectMapper} (start-up): its trees and text
 * must be exactly the mapper's, node classes and key order included.
 */
class JsonTest {
  private static final ObjectMapper PLAIN = new ObjectMapper();

  static Stream<String> texts() throws IOException {
    List<String> t =
        new ArrayList<>(
            List.of(
                "",
                "  ",
                "null",
                "1",
                "-0",
                "0.1",
                "-1.0",
                "1.5e3",
                "1E-7",
                "12345678901",
                "123456789012345678901234567890",
                "1.0000000000000000000001",
                "\"s\"",
                "[]",
                "{}",
                "[1,[2,{\"a\":[]}],{}]",
                "{\"a\":1} trailing",
                "{\"a\":{\"b\":{\"c\":null}}}",
                "[true,false,null]",
                "{\"k\":\"\\u00e9\\n\\\"\\t\"}",
                "{\"x\":[1.5,2,\"3\",{\"y\":[]}]}"));
    // every config and metadata document of the generated models
    for (Path dir : TestFiles.modelDirs()) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.sorted().toList()) {
          String name = f.getFileName().toString();
          if (name.endsWith(".json")) {
            t.add(Files.readString(f));
          } else if (name.endsWith(".keras") && Files.isRegularFile(f)) {
            try (ZipFile z = new ZipFile(f.toFile())) {
              for (String entry : List.of("config.json", "metadata.json")) {
                ZipEntry e = z.getEntry(entry);
                if (e != null) {
                  try (InputStream in = z.getInputStream(e)) {
                    t.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                  }
                }
              }
            }
          }
        }
      }
    }
    return t.stream();
  }

  @ParameterizedTest
  @MethodSource("texts")
  void parseAndWriteAreTheMappers(String text) throws JsonProcessingException {
    JsonNode theirs = Json.mapper().readTree(text);
    JsonNode ours = Json.parse(text);
    assertSameTree(theirs, ours);
    assertEquals(Json.mapper().writeValueAsString(theirs), Json.write(ours));
    if (!theirs.isMissingNode()) { // whose toString() is empty, not the mapper's null
      assertEquals(theirs.toString(), Json.write(ours));
    }
    assertSameTree(PLAIN.readTree(text), Json.parseLenient(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "[1,]", "{'a':1}", "]", "{\"a\" 1}", "[1 2]", "nul", "\"open"})
  void malformedTextFailsWithTheMappersMessage(String text) {
    JsonProcessingException theirs =
        assertThrows(JsonProcessingException.class, () -> Json.mapper().readTree(text));
    JsonProcessingException ours =
        assertThrows(JsonProcessingException.class, () -> Json.parse(text));
    assertEquals(theirs.getMessage(), ours.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1},\"c\":[],\"a\":[3]}"})
  void repeatedKeysFailStrictlyAndKeepTheLastLeniently(String text) throws IOException {
    JsonProcessingException theirs =
        assertThrows(JsonProcessingException.class, () -> Json.mapper().readTree(text));
    JsonProcessingException ours =
        assertThrows(JsonProcessingException.class, () -> Json.parse(text));
    assertEquals(theirs.getMessage(), ours.getMessage());
    assertSameTree(PLAIN.readTree(text), Json.parseLenient(text));
  }

  @ParameterizedTest
  @ValueSource(ints = {Json.MAX_DEPTH, Json.MAX_DEPTH + 1})
  void theNestingLimitIsTheMappers(int depth) {
    String text = "[".repeat(depth) + "]".repeat(depth);
    String theirs = outcome(() -> Json.mapper().readTree(text));
    assertEquals(theirs, outcome(() -> Json.parse(text)));
  }

  private interface Parse {
    JsonNode run() throws IOException;
  }

  private static String outcome(Parse p) {
    try {
      return Json.write(p.run());
    } catch (IOException e) {
      return e.getClass().getName() + ": " + e.getMessage();
    }
  }

  /** Equal values of the same node classes, object keys in the same order. */
  private static void assertSameTree(JsonNode expected, JsonNode actual) {
    assertEquals(expected.getClass(), actual.getClass(), expected::toString);
    assertEquals(expected, actual);
    if (expected.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> a = actual.properties().iterator();
      for (Map.Entry<String, JsonNode> e : expected.properties()) {
        Map.Entry<String, JsonNode> o = a.next();
        assertEquals(e.getKey(), o.getKey());
        assertSameTree(e.getValue(), o.getValue());
      }
    } else if (expected.isArray()) {
      for (int i = 0; i < expected.size(); i++) {
        assertSameTree(expected.get(i), actual.get(i));
      }
    }
  }
}
