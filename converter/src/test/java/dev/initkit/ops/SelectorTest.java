package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Selector grammar on a real model (mlp: dense_relu, dense_tanh, dense_sigmoid, dense_const,
 * dense_softmax).
 */
class SelectorTest {

  private static List<String> select(String selector) throws Exception {
    try (LoadedModel m =
        ModelIO.open(OpsFixtures.file("mlp", OpsFixtures.Flavor.KERAS3_KERAS).path())) {
      Selector s = Selector.parse(selector);
      return WeightSite.of(m.model()).stream()
          .filter(s::matches)
          .map(w -> w.layerPath() + "/" + w.weight().shortName())
          .toList();
    }
  }

  @Test
  void terms() throws Exception {
    assertEquals(List.of("dense_relu/kernel", "dense_relu/bias"), select("dense_relu"));
    assertEquals(List.of("dense_tanh/kernel"), select("name:dense_t*,role:kernel"));
    assertEquals(10, select("all").size());
    assertEquals(10, select("class:Dense").size());
    assertEquals(List.of(), select("class:Conv*"));
    assertEquals(
        List.of("dense_sigmoid/kernel", "dense_sigmoid/bias"), select("activation:SIGMOID"));
    assertEquals(List.of("dense_softmax/kernel", "dense_softmax/bias"), select("head"));
    assertEquals(8, select("!head").size());
    assertEquals(List.of("dense_tanh/bias", "dense_sigmoid/bias"), select("depth:2-3,role:bias"));
    assertEquals(10, select("trainable:true").size());
    assertEquals(List.of(), select("trainable:false"));
  }

  @Test
  void namesRoles() {
    assertTrue(Selector.parse("dense*,role:bias").namesRoles());
    assertFalse(Selector.parse("dense*").namesRoles());
    assertTrue(
        Selector.anyOf(List.of(Selector.parse("head"), Selector.parse("role:gamma"))).namesRoles());
  }

  @Test
  void errorsNameTheTerm() {
    for (String bad :
        List.of(
            "",
            "a,,b",
            "role:kernal",
            "depth:x",
            "depth:3-1",
            "trainable:maybe",
            "colour:red",
            "name:")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Selector.parse(bad), bad);
      assertFalse(e.getMessage().isBlank());
    }
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Selector.parse("role:kernal"))
            .getMessage()
            .contains("recurrent_kernel"));
  }

  @Test
  void nestedPathsAndWrappers() throws Exception {
    try (LoadedModel m =
        ModelIO.open(
            OpsFixtures.file("nested_functional", OpsFixtures.Flavor.KERAS3_KERAS).path())) {
      List<WeightSite> sites = WeightSite.of(m.model());
      Predicate<WeightSite> nested = s -> s.layerPath().contains("/");
      assertTrue(sites.stream().anyMatch(nested), sites::toString);
      String inner = sites.stream().filter(nested).findFirst().orElseThrow().layerPath();
      Selector byPath = Selector.parse("name:" + inner);
      assertTrue(sites.stream().filter(byPath::matches).allMatch(s -> s.layerPath().equals(inner)));
    }
    try (LoadedModel m =
        ModelIO.open(OpsFixtures.file("timedistributed", OpsFixtures.Flavor.KERAS3_KERAS).path())) {
      // activation: looks through TimeDistributed to the wrapped Dense
      String act =
          LayerConfigs.effective(
                  m.model().layers().stream()
                      .filter(l -> l.className().equals("TimeDistributed"))
                      .findFirst()
                      .orElseThrow(),
                  0,
                  dev.initkit.model.WeightRole.KERNEL)
              .activation();
      Selector s = Selector.parse("activation:" + act + ",class:TimeDistributed");
      assertEquals(2, WeightSite.of(m.model()).stream().filter(s::matches).count());
    }
  }

  /** One Dense kernel of a layer with this name and class, outside any model. */
  private static WeightSite site(String name, String className) {
    Weight w =
        new Weight("kernel", Shape.of(1, 1), DType.FLOAT32, WeightRole.KERNEL, name + "/kernel");
    return new WeightSite(
        new Layer(name, className, null, List.of(w), List.of()), name, 1, true, w, "kernel#0");
  }

  /**
   * Issue 18 item 9: java.nio's glob recursed once per star; 50,000 of them overflowed the stack.
   */
  @Test
  void fiftyThousandStarsParseAndMatch() {
    String stars = "*".repeat(50_000);
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          assertTrue(Selector.parse("class:" + stars).matches(site("dense", "Dense")));
          assertTrue(Selector.parse(stars).matches(site("x".repeat(70_000), "Dense")));
          assertFalse(
              Selector.parse("class:" + stars + "?" + stars + "Conv")
                  .matches(site("dense", "Dense")));
        });
  }

  /**
   * Issue 18 item 9: a few hundred stars against a 70,000-character name backtracked for minutes.
   */
  @Test
  void manyStarsAgainstALongNameFinishQuickly() {
    String name = "a".repeat(70_000);
    String pattern = "*a".repeat(300) + "*b";
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          assertFalse(Selector.parse(pattern).matches(site(name, "Dense")));
          assertFalse(Selector.parse("class:" + pattern).matches(site("dense", name)));
          assertTrue(Selector.parse("*a".repeat(300) + "*").matches(site(name, "Dense")));
        });
  }
}
