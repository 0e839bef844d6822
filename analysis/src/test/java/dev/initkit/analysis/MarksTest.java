package dev.initkit.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarksTest {
  private static LayerStats layer(String name, double std, double grad) {
    return new LayerStats(name, "Dense", "relu", 0, std, 0, Double.NaN, grad, null, List.of());
  }

  @Test
  void marksVanishingAndExplodingRelativeToTheInputAndTheGradients() {
    List<LayerStats> out =
        Marks.apply(
            1.0,
            List.of(
                layer("weakGradient", 0.9, 0.001),
                layer("steady", 0.9, 1.0),
                layer("tiny", 0.005, 0.5),
                layer("huge", 500, 0.5),
                layer("noWeights", 0.9, Double.NaN),
                layer("last", 0.9, 0.5)));
    assertEquals("vanishing", out.get(0).mark());
    assertNull(out.get(1).mark());
    assertEquals("vanishing", out.get(2).mark());
    assertEquals("exploding", out.get(3).mark());
    assertNull(out.get(4).mark());
    assertNull(out.get(5).mark());
  }

  @Test
  void gradientsGrowingTowardsTheInputExplode() {
    List<LayerStats> out = Marks.apply(1.0, List.of(layer("first", 1, 5000), layer("last", 1, 1)));
    assertEquals("exploding", out.get(0).mark());
    assertNull(out.get(1).mark());
  }

  @Test
  void allZeroGradientsVanish() {
    assertEquals("vanishing", Marks.apply(1.0, List.of(layer("z", 1, 0))).get(0).mark());
  }
}
