package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.Test;

/**
 * Every initializer config in the shared corpus ({@code initkit.corpus}: configs/*.json,
 * h5-weights/*.json, h5-full/*.json, the config.json of keras-v3/*.keras, and the h5-full
 * model_configs extracted to the test resource {@code config/corpus-h5-model-configs.json.gz})
 * parses to a known kind, except genuinely custom ones, which come back as UNKNOWN with their JSON
 * verbatim; and every parsed spec is a fixed point of parse(serialize(x)) in both Keras forms.
 */
class CorpusInitializersTest {

  /** Initializer classes in the corpus that are genuinely custom (QKeras). */
  private static final Set<String> CUSTOM = Set.of("QInitializer");

  private record Found(String source, String key, JsonNode value) {}

  @Test
  void everyCorpusInitializerParsesAndRoundTrips() throws IOException {
    String root = System.getProperty("initkit.corpus");
    assumeTrue(root != null && Files.isDirectory(Path.of(root)), "corpus not found: " + root);
    Path corpus = Path.of(root);
    List<Found> found = new ArrayList<>();
    int documents = 0;
    for (String dir : List.of("configs", "h5-weights", "h5-full")) {
      Path d = corpus.resolve(dir);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> s = Files.list(d)) {
        for (Path p : s.filter(x -> x.toString().endsWith(".json")).sorted().toList()) {
          walk(p.getFileName().toString(), Json.MAPPER.readTree(p.toFile()), found);
          documents++;
        }
      }
    }
    Path k3 = corpus.resolve("keras-v3");
    if (Files.isDirectory(k3)) {
      try (Stream<Path> s = Files.list(k3)) {
        for (Path p : s.filter(x -> x.toString().endsWith(".keras")).sorted().toList()) {
          try (ZipFile z = new ZipFile(p.toFile())) {
            ZipEntry e = z.getEntry("config.json");
            if (e != null) {
              try (InputStream in = z.getInputStream(e)) {
                walk(p.getFileName().toString(), Json.MAPPER.readTree(in), found);
                documents++;
              }
            }
          }
        }
      }
    }
    try (InputStream gz =
        CorpusInitializersTest.class.getResourceAsStream(
            "/config/corpus-h5-model-configs.json.gz")) {
      if (gz != null) {
        JsonNode all = Json.MAPPER.readTree(new GZIPInputStream(gz));
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          walk(e.getKey(), e.getValue(), found);
          documents++;
        }
      }
    }
    assertTrue(documents >= 30, "documents read: " + documents);
    assertTrue(found.size() >= 300, "initializer configs found: " + found.size());

    Map<String, Integer> byDescription = new TreeMap<>();
    int legacyForm = 0;
    int legacyNormal = 0;
    int keras1 = 0;
    int custom = 0;
    for (Found f : found) {
      String where = f.source() + " " + f.key() + " = " + f.value();
      boolean k1 = !f.key().endsWith("_initializer");
      InitializerSpec s =
          k1 ? InitializerSpec.parseKeras1(f.value()) : InitializerSpec.parse(f.value());
      byDescription.merge(s.describe(), 1, Integer::sum);
      if (s instanceof InitializerSpec.Custom) {
        assertTrue(
            CUSTOM.contains(((InitializerSpec.Custom) s).name()),
            "not recognised: " + where + " -> " + s.describe());
        assertEquals(f.value(), s.asWritten().orElseThrow(), "verbatim");
        assertEquals(f.value(), s.toKeras2Json(), "verbatim");
        assertEquals(f.value(), s.toKeras3Json(), "verbatim");
        custom++;
        continue;
      }
      legacyForm += s.legacyVarianceScalingForm() ? 1 : 0;
      legacyNormal += s.legacyNormal() ? 1 : 0;
      keras1 += s.keras1() ? 1 : 0;
      JsonNode j2 = s.toKeras2Json();
      JsonNode j3 = s.toKeras3Json();
      InitializerSpec p2 = InitializerSpec.parse(j2);
      InitializerSpec p3 = InitializerSpec.parse(j3);
      assertEquals(s, p2, where);
      assertEquals(s, p3, where);
      assertEquals(j2, p2.toKeras2Json(), where);
      assertEquals(j3, p3.toKeras3Json(), where);
      assertTrue(!(p2 instanceof InitializerSpec.Custom), where);
    }
    // The corpus holds each legacy form; they must be recognised as such.
    assertTrue(legacyForm > 0, "legacy VarianceScaling forms recognised");
    assertTrue(legacyNormal > 0, "distribution 'normal' recognised");
    assertTrue(keras1 > 0, "Keras 1 init strings recognised");
    assertTrue(custom > 0, "custom QInitializer kept");
    System.out.println(
        "corpus initializers: "
            + found.size()
            + " in "
            + documents
            + " documents; "
            + byDescription);
  }

  /** Collects values of keys ending in _initializer, and Keras 1 init-style strings. */
  private static void walk(String source, JsonNode n, List<Found> out) {
    if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String k = e.getKey();
        JsonNode v = e.getValue();
        if (k.endsWith("_initializer") && !v.isNull()) {
          out.add(new Found(source, k, v));
          continue; // an initializer's own config is not walked
        }
        if ((k.equals("init") || k.equals("inner_init") || k.endsWith("_init")) && v.isTextual()) {
          out.add(new Found(source, k, v));
          continue;
        }
        walk(source, v, out);
      }
    } else if (n.isArray()) {
      for (JsonNode x : n) {
        walk(source, x, out);
      }
    }
  }
}
