package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.internal.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonSpliceTest {

  @Test
  void replacesOnlyTheValues() throws Exception {
    String text =
        "{\"a\": {\"k\": \"glorot_uniform\", \"n\": 1e-05}, \"b\": [1, {\"k\": null}, \"x\\\"y\"], \"c\": 3.5}";
    Map<String, JsonNode> r = new LinkedHashMap<>();
    r.put("/a/k", Json.parse("{\"class_name\":\"HeNormal\",\"config\":{\"seed\":3,\"v\":0.1}}"));
    r.put("/b/1/k", Json.parse("[1.5e-7, \"é\"]"));
    r.put("/c", Json.parse("2"));
    r.put("/a/n", Json.parse("true"));
    String out = JsonSplice.replace(text, r);
    assertEquals(
        "{\"a\": {\"k\": {\"class_name\": \"HeNormal\", \"config\": {\"seed\": 3, \"v\": 0.1}}, \"n\": true},"
            + " \"b\": [1, {\"k\": [1.5e-07, \"\\u00e9\"]}, \"x\\\"y\"], \"c\": 2}",
        out);
  }

  @Test
  void compactTextGetsCompactValues() throws Exception {
    String text = "{\"a\":{\"k\":\"x\"},\"s\":\"q\"}";
    assertEquals(
        "{\"a\":{\"k\":{\"b\":[1,2]}},\"s\":\"q\"}",
        JsonSplice.replace(text, Map.of("/a/k", Json.parse("{\"b\":[1,2]}"))));
    assertEquals(
        "{\"a\":{\"k\":\"x\"},\"s\":7}", JsonSplice.replace(text, Map.of("/s", Json.parse("7"))));
  }

  @Test
  void missingPointerIsAnError() {
    assertThrows(
        IllegalArgumentException.class,
        () -> JsonSplice.replace("{\"a\": 1}", Map.of("/b", Json.parse("1"))));
  }

  @Test
  void pythonFloats() {
    assertEquals("0.05", JsonSplice.pythonFloat(0.05));
    assertEquals("1.0", JsonSplice.pythonFloat(1));
    assertEquals("-2.5", JsonSplice.pythonFloat(-2.5));
    assertEquals("1e-05", JsonSplice.pythonFloat(1e-5));
    assertEquals("0.0001", JsonSplice.pythonFloat(1e-4));
    assertEquals("1e+16", JsonSplice.pythonFloat(1e16));
    assertEquals("1234567890123456.0", JsonSplice.pythonFloat(1234567890123456.0));
    assertEquals("0.8796256610342398", JsonSplice.pythonFloat(0.87962566103423978)); // Python repr
    for (double v : new double[] {0.1, 1.0 / 3, 6.02e23, -1e-300, 5e-324, Double.MAX_VALUE}) {
      assertEquals(v, Double.parseDouble(JsonSplice.pythonFloat(v)), "round trip of " + v);
    }
    assertEquals("NaN", JsonSplice.pythonFloat(Double.NaN));
    assertEquals("-Infinity", JsonSplice.pythonFloat(Double.NEGATIVE_INFINITY));
  }
}
