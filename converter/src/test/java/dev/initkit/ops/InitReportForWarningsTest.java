package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
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
 * {@link InitReport#forWarnings} (the scan's health audit: the depth estimates forward only) gives
 * the same warnings and weight entries as the full report, on every model there is here: the shared
 * corpus, the bundled and catalogue models and the scan's test files. Its depth estimates agree on
 * what the warnings read: the status when out of range, the first layer out of range, and the final
 * value then.
 */
class InitReportForWarningsTest {
  private static final long SAMPLE = 1L << 20;

  @Test
  void warningsAndEntriesAreTheFullReports() throws IOException {
    List<Path> files = new ArrayList<>(TestFiles.corpusModels());
    List<Path> dirs = new ArrayList<>(TestFiles.modelDirs());
    dirs.add(TestFiles.testdata().resolve("scan"));
    for (Path dir : dirs) {
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(f -> f.toString().endsWith(".keras") || f.toString().endsWith(".h5"))
            .sorted()
            .forEach(files::add);
      }
    }
    for (Path dir : TestFiles.catalogueModelDirs()) {
      files.add(dir.resolve("keras3.keras"));
      files.add(dir.resolve("tfkeras.h5"));
    }
    int compared = 0;
    int flagged = 0;
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        continue;
      }
      InitReport full;
      InitReport fast;
      try (LoadedModel m = ModelIO.open(f)) {
        full = InitReport.of(m, ProgressListener.NONE, SAMPLE);
      } catch (IOException | RuntimeException e) {
        continue; // files the readers refuse are pinned elsewhere (CorpusOutcomes, ScannerTest)
      }
      try (LoadedModel m = ModelIO.open(f)) {
        fast = InitReport.forWarnings(m, SAMPLE);
      }
      assertEquals(full.warnings(), fast.warnings(), f::toString);
      assertEquals(full.weights().size(), fast.weights().size(), f::toString);
      for (int i = 0; i < full.weights().size(); i++) {
        InitReport.WeightEntry a = full.weights().get(i);
        InitReport.WeightEntry b = fast.weights().get(i);
        assertEquals(a.warnings(), b.warnings(), f::toString);
        assertEquals(a.stdRatio(), b.stdRatio(), f::toString);
        assertEquals(a.expectedStd(), b.expectedStd(), f::toString);
        assertEquals(a.observed(), b.observed(), f::toString);
      }
      for (boolean observed : new boolean[] {false, true}) {
        InitReport.DepthEstimate a = observed ? full.observedDepth() : full.configuredDepth();
        InitReport.DepthEstimate b = observed ? fast.observedDepth() : fast.configuredDepth();
        assertEquals(a.firstOutOfRange(), b.firstOutOfRange(), f::toString);
        if (a.status().equals("vanishing") || a.status().equals("exploding")) {
          flagged++;
          assertEquals(a.status(), b.status(), f::toString);
          assertEquals(a.finalVariance(), b.finalVariance(), f::toString);
        } else {
          assertTrue(
              !b.status().equals("vanishing") && !b.status().equals("exploding"), f::toString);
        }
      }
      compared++;
    }
    assertTrue(compared > 300, "models compared: " + compared);
    assertTrue(flagged > 0, "no model with a depth warning among " + compared);
  }
}
