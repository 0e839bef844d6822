package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.init.Fans;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: Keras 3.15 computes an EinsumDense kernel's fans on the axes its equation gives (so
 * every MultiHeadAttention projection), where earlier Keras used the classic rule. On a model
 * written by Keras 3.15.1 ({@code testdata/generate_newest.py}), initkit's fans are the ones Keras
 * itself computed when it built each layer ({@code facts.json}), and reinit draws with them.
 */
class KerasFanAxesTest {
  private static Path dir() {
    return TestFiles.testdata().resolve("models-newest/mha_einsum");
  }

  @Test
  void reportedFansAreTheOnesKeras315Computed() throws IOException {
    JsonNode facts = Json.mapper().readTree(dir().resolve("facts.json").toFile()).path("kernels");
    assertTrue(facts.size() >= 6, facts.toString());
    try (LoadedModel m = ModelIO.open(dir().resolve("keras3.keras"))) {
      Map<String, Fans> reported = new HashMap<>();
      for (InitReport.WeightEntry e : InitReport.of(m).weights()) {
        reported.put(e.site().weight().name(), e.fans());
      }
      int differFromClassic = 0;
      for (var it = facts.fields(); it.hasNext(); ) {
        var k = it.next();
        Fans f = reported.get(k.getKey());
        assertTrue(f != null, "no report entry for " + k.getKey() + " in " + reported.keySet());
        assertEquals(
            new Fans(k.getValue().path("fan_in").asLong(), k.getValue().path("fan_out").asLong()),
            f,
            k.getKey());
        Weight w =
            m.model().layerWeights().stream()
                .filter(x -> x.name().equals(k.getKey()))
                .findFirst()
                .orElseThrow();
        differFromClassic += Fans.of(w.shape()).equals(f) ? 0 : 1;
      }
      assertEquals(
          4,
          differFromClassic,
          "the four attention projections: Keras 3.15's rule is not the classic one");
    }
  }

  /** Glorot uniform on (16, 3, 8) with fans 16/24: variance 2/40; the classic rule gave 2/176. */
  @Test
  void reinitDrawsWithKeras315Fans() throws IOException {
    try (LoadedModel m = ModelIO.open(dir().resolve("keras3.keras"))) {
      Reinitializer.Plan plan =
          Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), 11);
      LoadedModel drawn = Reinitializer.apply(m, plan);
      for (String name : new String[] {"mha/query/kernel", "mha/attention_output/kernel"}) {
        Weight w =
            m.model().layerWeights().stream()
                .filter(x -> x.name().equals(name))
                .findFirst()
                .orElseThrow();
        ByteBuffer b = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        drawn.tensors().readRows(w, 0, w.shape().dim(0), b);
        b.flip();
        double sum = 0;
        double sq = 0;
        int n = 0;
        while (b.hasRemaining()) {
          double v = b.getFloat();
          sum += v;
          sq += v * v;
          n++;
        }
        double var = sq / n - (sum / n) * (sum / n);
        double want = 2.0 / 40;
        // a uniform's sample variance has relative standard error sqrt(0.8 / n): 5 of them
        assertEquals(want, var, 5 * Math.sqrt(0.8 / n) * want, name + ": variance " + var);
      }
    }
  }
}
