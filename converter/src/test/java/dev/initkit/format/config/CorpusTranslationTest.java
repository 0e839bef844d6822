package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every model config of the shared corpus translates, or is refused with {@link
 * UnsupportedModelException}. The corpus directory comes from system property {@code
 * initkit.corpus}; the {@code model_config} attributes of its h5-full files were extracted into
 * {@code config/corpus-h5-model-configs.json.gz} by {@code extract_corpus_configs.py}.
 */
class CorpusTranslationTest {

  /** Refusals the corpus is known to need, by file and direction. */
  private static final Set<String> EXPECTED_REFUSALS =
      Set.of(
          // Keras 3 removed LocallyConnected layers.
          "h5-full/tfk1-locallyconnected2d.h5 toKeras3",
          // A raw TF op layer.
          "h5-full/tfk1-tensorflowoplayer-reshape.h5 toKeras3",
          // x[:, 0] recorded as a keras.ops GetItem layer.
          "keras-v3/k3-transformer-mha-layernorm-3.8.keras toKeras2");

  private static Map<String, JsonNode> corpus() throws IOException {
    Map<String, JsonNode> configs = new TreeMap<>();
    try (InputStream in =
        new GZIPInputStream(
            CorpusTranslationTest.class.getResourceAsStream(
                "/config/corpus-h5-model-configs.json.gz"))) {
      JsonNode all = Examples.JSON.readTree(in);
      for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        configs.put("h5-full/" + e.getKey(), e.getValue());
      }
    }
    String dir = System.getProperty("initkit.corpus");
    if (dir != null && Files.isDirectory(Path.of(dir))) {
      Path root = Path.of(dir);
      for (String sub : List.of("configs", "h5-weights")) {
        try (Stream<Path> files = Files.list(root.resolve(sub))) {
          for (Path p : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
            configs.put(sub + "/" + p.getFileName(), Examples.JSON.readTree(p.toFile()));
          }
        }
      }
      try (Stream<Path> files = Files.list(root.resolve("keras-v3"))) {
        for (Path p : files.filter(f -> f.toString().endsWith(".keras")).sorted().toList()) {
          try (ZipFile zip = new ZipFile(p.toFile())) {
            ZipEntry entry = zip.getEntry("config.json");
            try (InputStream in = zip.getInputStream(entry)) {
              configs.put("keras-v3/" + p.getFileName(), Examples.JSON.readTree(in));
            }
          }
        }
      }
    }
    return configs;
  }

  @Test
  void everyCorpusConfigTranslatesOrIsRefused() throws IOException {
    Map<String, JsonNode> configs = corpus();
    String dir = System.getProperty("initkit.corpus");
    Assumptions.assumeTrue(
        dir != null && Files.isDirectory(Path.of(dir)),
        "system property initkit.corpus names no directory; only h5-full configs checked");
    List<String> refused = new ArrayList<>();
    int translated = 0;
    for (Map.Entry<String, JsonNode> e : configs.entrySet()) {
      String name = e.getKey();
      JsonNode config = e.getValue();
      JsonNode copy = config.deepCopy();
      ConfigGeneration gen = ConfigGeneration.detect(config);
      if (gen == ConfigGeneration.KERAS1) {
        for (boolean up : new boolean[] {true, false}) {
          try {
            translate(config, up);
            fail(name + ": a Keras 1 config was translated");
          } catch (UnsupportedModelException ex) {
            assertFalse(ex.location().isEmpty(), name + ": the error names no layer");
            assertTrue(ex.detail().contains("Keras 1"), ex.detail());
          }
        }
        continue;
      }
      for (boolean up : new boolean[] {true, false}) {
        String key = name + (up ? " toKeras3" : " toKeras2");
        try {
          JsonNode out = translate(config, up);
          translated++;
          assertFalse(EXPECTED_REFUSALS.contains(key), key + " was expected to be refused");
          if (up) {
            assertEquals(ConfigGeneration.KERAS3, ConfigGeneration.detect(out), key);
            roundTripIsStable(key, out);
          } else if (ConfigGeneration.detect(out) != ConfigGeneration.KERAS2) {
            // Only user-code layers, carried verbatim, may keep Keras 3 forms.
            assertTrue(out.toString().contains("\"registered_name\":\""), key);
          }
        } catch (UnsupportedModelException ex) {
          assertFalse(ex.location().isEmpty(), key + ": the error names no layer");
          refused.add(key);
        } catch (MalformedModelException ex) {
          fail(key + ": real config reported malformed: " + ex.getMessage());
        }
      }
      assertEquals(copy, config, name + " was modified");
    }
    assertEquals(EXPECTED_REFUSALS, Set.copyOf(refused), "refusals: " + refused);
    assertTrue(translated > 150, "only " + translated + " translations ran");
  }

  @Test
  void extractedH5ConfigsCoverEveryGeneration() throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : corpus().entrySet()) {
      if (e.getKey().startsWith("h5-full/")) {
        counts.merge(ConfigGeneration.detect(e.getValue()).name(), 1, Integer::sum);
      }
    }
    assertEquals(Map.of("KERAS1", 9, "KERAS2", 54, "KERAS3", 6), counts);
  }

  /** The Keras 3 form is stable over a round trip through Keras 2, where one is possible. */
  private static void roundTripIsStable(String key, JsonNode keras3)
      throws UnsupportedModelException, MalformedModelException {
    JsonNode keras2;
    try {
      keras2 = ConfigTranslator.toKeras2(keras3);
    } catch (UnsupportedModelException refusedDown) {
      return;
    }
    JsonNode again = ConfigTranslator.toKeras3(keras2);
    JsonNode a = ConfigComparison.keras3(keras3);
    JsonNode b = ConfigComparison.keras3(again);
    assertEquals(a, b, key + " round trip: " + ConfigComparison.differences(a, b, 5));
  }

  private static JsonNode translate(JsonNode config, boolean up)
      throws UnsupportedModelException, MalformedModelException {
    return up ? ConfigTranslator.toKeras3(config) : ConfigTranslator.toKeras2(config);
  }
}
