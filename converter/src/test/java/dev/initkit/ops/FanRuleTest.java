package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.init.Fans;
import dev.initkit.init.InitializerSpec;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code reinit --as-keras}: a model drawn as another Keras would draw it. The truth is Keras
 * itself: the same catalogue layer built by Keras 3.12.0 and by Keras 3.15.1 ({@code
 * testdata/catalogue}), each with the fans its own compute_fans returned. Drawn as 3.15, a
 * 3.12-written file takes 3.15.1's fans; drawn as 3.12, a 3.15.1-written one takes 3.12.0's.
 */
class FanRuleTest {
  @Test
  void versionsMapToTheirRule() {
    assertEquals(FanRule.EINSUM_AXES, FanRule.ofKeras("3.15"));
    assertEquals(FanRule.EINSUM_AXES, FanRule.ofKeras("3.15.1"));
    assertEquals(FanRule.EINSUM_AXES, FanRule.ofKeras("3.16.0rc1"));
    assertEquals(FanRule.CLASSIC, FanRule.ofKeras("3.14.1"));
    assertEquals(FanRule.CLASSIC, FanRule.ofKeras("3.12"));
    assertEquals(FanRule.CLASSIC, FanRule.ofKeras("2.21.0"));
    assertEquals(FanRule.CLASSIC, FanRule.ofKeras("1"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FanRule.ofKeras("latest"));
    assertTrue(e.getMessage().contains("'latest'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FanRule.ofKeras("4.0"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"MultiHeadAttention", "GroupQueryAttention", "EinsumDense"})
  void drawnAsAnotherKerasTakesThatKerasFans(String layer) throws IOException {
    Path old = TestFiles.testdata().resolve("catalogue/keras-3.12.0").resolve(layer);
    Path neu = TestFiles.testdata().resolve("catalogue/keras-3.15.1").resolve(layer);
    List<Fans> fans312 = kerasFans(old);
    List<Fans> fans315 = kerasFans(neu);
    assertTrue(
        !fans312.equals(fans315), layer + ": the two Kerases' fans should differ: " + fans312);
    assertEquals(
        fans315,
        planned(old.resolve("keras3.keras"), FanRule.ofKeras("3.15")),
        layer + " (3.12 file) as Keras 3.15");
    assertEquals(
        fans312,
        planned(neu.resolve("keras3.keras"), FanRule.ofKeras("3.12")),
        layer + " (3.15.1 file) as Keras 3.12");
    // and each file as written draws its own Keras's
    assertEquals(fans312, planned(old.resolve("keras3.keras"), FanRule.AS_WRITTEN));
    assertEquals(fans315, planned(neu.resolve("keras3.keras"), FanRule.AS_WRITTEN));
  }

  /**
   * Keras's fans of the layer's kernels, in weight order ({@code generate_catalogue.py}'s facts).
   */
  private static List<Fans> kerasFans(Path dir) throws IOException {
    JsonNode manifest = Json.mapper().readTree(dir.getParent().resolve("MANIFEST.json").toFile());
    List<Fans> out = new ArrayList<>();
    for (JsonNode m : manifest.path("models")) {
      if (m.path("name").asText().equals(dir.getFileName().toString())) {
        for (JsonNode f : m.path("facts")) {
          if (f.has("fans")) {
            out.add(new Fans(f.path("fans").get(0).asLong(), f.path("fans").get(1).asLong()));
          }
        }
      }
    }
    assertTrue(!out.isEmpty(), "no fans recorded for " + dir);
    return out;
  }

  /** The fans of the VarianceScaling kernels reinit would draw, in weight order. */
  private static List<Fans> planned(Path file, FanRule rule) throws IOException {
    try (LoadedModel m = ModelIO.open(file)) {
      Reinitializer.Plan plan =
          Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(rule), Selector.all(), 1);
      List<Fans> out = new ArrayList<>();
      for (Reinitializer.Entry e : plan.entries()) {
        if (e.drawn() && e.spec() instanceof InitializerSpec.VarianceScaling) {
          out.add(e.spec().fans(e.site().weight().shape()));
        }
      }
      return out;
    }
  }
}
