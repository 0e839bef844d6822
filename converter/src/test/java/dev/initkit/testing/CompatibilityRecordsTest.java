package dev.initkit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.testing.CompatibilityRecords.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompatibilityRecordsTest {
  @TempDir Path tmp;

  @Test
  void oneJsonLinePerCaseAndARunStartsItsFileAfresh() throws Exception {
    String old = System.getProperty("initkit.compatibility.dir");
    System.setProperty("initkit.compatibility.dir", tmp.toString());
    try {
      try (CompatibilityRecords r =
          CompatibilityRecords.open("suite", "pinned", "keras 3.12.0 / tf-keras 2.20.1")) {
        r.add("stale", "x", "Keras 3", null, "keras3", Verdict.FAILS, Double.NaN, Double.NaN, null);
      }
      try (CompatibilityRecords r =
          CompatibilityRecords.open("suite", "pinned", "keras 3.12.0 / tf-keras 2.20.1")) {
        r.add(
            "mlp",
            "keras3.keras",
            "Keras 3",
            "3.12.0",
            "tf-keras",
            Verdict.LOADS_AND_PREDICTS,
            0,
            1e-5,
            null);
        r.add(
            "gqa",
            "keras3.keras",
            "Keras 3",
            "3.12.0",
            "tf-keras",
            Verdict.REFUSED,
            Double.NaN,
            Double.NaN,
            "gqa: no\nlayer");
      }
      List<String> lines = Files.readAllLines(tmp.resolve("suite-pinned.jsonl"));
      assertEquals(2, lines.size(), String.join("\n", lines));
      JsonNode pass = TestFiles.JSON.readTree(lines.get(0));
      assertEquals("loads-and-predicts", pass.path("verdict").asText());
      assertEquals(0.0, pass.path("max_diff").asDouble(-1));
      assertEquals("keras 3.12.0 / tf-keras 2.20.1", pass.path("stack").asText());
      JsonNode refused = TestFiles.JSON.readTree(lines.get(1));
      assertEquals("refused-before-writing", refused.path("verdict").asText());
      assertEquals("gqa: no layer", refused.path("reason").asText());
      assertFalse(refused.has("max_diff"));
    } finally {
      if (old == null) {
        System.clearProperty("initkit.compatibility.dir");
      } else {
        System.setProperty("initkit.compatibility.dir", old);
      }
    }
  }

  @Test
  void generationsFromKerasVersions() {
    assertEquals("Keras 1", CompatibilityRecords.generation("1.2.2"));
    assertEquals("Keras 2", CompatibilityRecords.generation("2.1.3"));
    assertEquals("tf.keras", CompatibilityRecords.generation("2.2.4-tf"));
    assertEquals("tf.keras", CompatibilityRecords.generation("2.12.0"));
    assertEquals("Keras 3", CompatibilityRecords.generation("3.5.0"));
    assertEquals("unknown", CompatibilityRecords.generation(""));
  }
}
