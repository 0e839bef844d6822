package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.format.ConfigLayers;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The graph estimate follows every real model config there is here: each file of the shared corpus,
 * the bundled models and the catalogue whose config is a model gets the graph-aware estimate, never
 * the chain fallback.
 */
class SignalEstimateTest {

  @Test
  void everyModelConfigIsFollowedAsAGraph() throws IOException {
    List<Path> files = new ArrayList<>(TestFiles.corpusModels());
    for (Path dir : TestFiles.modelDirs()) {
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(f -> f.toString().endsWith(".keras") || f.toString().endsWith(".h5"))
            .forEach(files::add);
      }
    }
    for (Path dir : TestFiles.catalogueModelDirs()) {
      files.add(dir.resolve("keras3.keras"));
      files.add(dir.resolve("tfkeras.h5"));
    }
    int graphs = 0;
    List<String> fallbacks = new ArrayList<>();
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        continue;
      }
      try (LoadedModel m = ModelIO.open(f)) {
        JsonNode c = m.model().config().orElse(null);
        if (c == null
            || !List.of("Sequential", "Functional", "Model").contains(ConfigLayers.modelClass(c))) {
          continue;
        }
        InitReport r = InitReport.of(m);
        if (SignalEstimate.of(m.model(), r.weights(), false) == null) {
          fallbacks.add(f.toString());
        } else {
          graphs++;
        }
      } catch (ModelFormatException e) {
        // files the readers refuse are pinned elsewhere (CorpusOutcomes)
      }
    }
    assertTrue(fallbacks.isEmpty(), "chain fallback for " + fallbacks);
    assertTrue(graphs > 300, "graphs followed: " + graphs);
  }
}
