package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mapping globs: what the target's stars take fills the source's, each as short as it can be. */
class LayerMappingTest {

  private static String source(String rules, String target, List<String> sources) {
    LayerMapping.Resolution r =
        LayerMapping.parse(rules, "m").resolve(target, sources).orElseThrow();
    return r.found() ? r.sourcePath() : r.problem();
  }

  @Test
  void starsFillInOrderShortestFirst() {
    // the first * takes as little as it can: "x" of "x_y_z", the second the rest
    assertTrue(source("s/*/* -> t/*_*", "t/x_y_z", List.of()).contains("'s/x/y_z'"));
    assertEquals("s/x/y_z", source("s/*/* -> t/*_*", "t/x_y_z", List.of("s/x/y_z")));
    assertEquals("s/ab", source("s/* -> *", "ab", List.of("s/ab")));
    // '*' crosses '/', and no other character is special
    assertEquals("e/a/b", source("e/* -> d/*", "d/a/b", List.of("e/a/b")));
    assertEquals("e?[x]", source("e?[x] -> d?[x]", "d?[x]", List.of("e?[x]")));
    assertTrue(LayerMapping.parse("e -> d?", "m").resolve("dx", List.of("e")).isEmpty());
    // extra source stars match among the source layers
    assertEquals(
        "enc/x_conv", source("enc/*_* -> dec/*", "dec/x", List.of("enc/x_conv", "enc/y_conv")));
  }

  /** Issue 18 item 9: the regex the mapping compiled to backtracked for minutes on a long path. */
  @Test
  void manyStarsAgainstALongPathFinishQuickly() {
    String target = "a".repeat(70_000);
    String glob = "*a".repeat(300) + "*b";
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          assertTrue(LayerMapping.parse("- -> " + glob, "m").resolve(target, List.of()).isEmpty());
          assertFalse(
              LayerMapping.parse("s" + glob + " -> t", "m")
                  .resolve("t", List.of(target))
                  .orElseThrow()
                  .found());
          assertTrue(
              LayerMapping.parse("- -> " + "*".repeat(50_000), "m")
                  .resolve(target, List.of())
                  .isPresent());
        });
  }
}
