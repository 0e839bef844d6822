package dev.initkit.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class WrappersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void unwrapsNestedWrappers() throws Exception {
    JsonNode cfg =
        JSON.readTree(
            "{\"layer\": {\"class_name\": \"Bidirectional\", \"config\": {\"merge_mode\": \"sum\","
                + " \"layer\": {\"class_name\": \"GRU\", \"config\": {\"units\": 7}}}}}");
    Wrappers.Wrapped w = Wrappers.unwrap("TimeDistributed", cfg);
    assertEquals("GRU", w.className());
    assertEquals(7, w.config().path("units").asInt());
  }

  @Test
  void stopsWhereNoLayerIsHeld() throws Exception {
    Wrappers.Wrapped w =
        Wrappers.unwrap("Bidirectional", JSON.readTree("{\"layer\": {\"config\": {}}}"));
    assertEquals("Bidirectional", w.className());
    Wrappers.Wrapped d = Wrappers.unwrap("Dense", JSON.readTree("{\"units\": 3}"));
    assertEquals("Dense", d.className());
    assertEquals(3, d.config().path("units").asInt());
    Wrappers.Wrapped n = Wrappers.unwrap("TimeDistributed", null);
    assertEquals("TimeDistributed", n.className());
    assertTrue(n.config().isNull());
  }

  @Test
  void innerAndBackwardLayers() throws Exception {
    JsonNode cfg =
        JSON.readTree(
            "{\"layer\": {\"class_name\": \"LSTM\", \"config\": {}},"
                + " \"backward_layer\": {\"class_name\": \"LSTM\", \"config\": {\"go_backwards\": true}}}");
    assertEquals("LSTM", Wrappers.inner(cfg, Wrappers.LAYER).path("class_name").asText());
    assertTrue(
        Wrappers.inner(cfg, Wrappers.BACKWARD_LAYER)
            .path("config")
            .path("go_backwards")
            .asBoolean());
    assertNull(Wrappers.inner(JSON.readTree("{}"), Wrappers.LAYER));
    assertTrue(Wrappers.isWrapper("Bidirectional"));
    assertTrue(Wrappers.isWrapper("TimeDistributed"));
    assertFalse(Wrappers.isWrapper("LSTM"));
  }
}
