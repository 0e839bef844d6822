package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.model.OwnedModel;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.SavedModelGraphReader;
import dev.initkit.scan.Scanner;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code scan --no-health} reads a tf-keras SavedModel's Keras config from {@code
 * keras_metadata.pb} alone ({@link TfSavedModelGraphReader#kerasConfig}): on every SavedModel of
 * the test data and the corpus that config is the one the full reader gives the model, and the
 * scan's findings are the same with the health rules on and off, but for the health rules'.
 */
class KerasConfigOnlyTest {
  private static List<Path> savedModels() throws Exception {
    List<Path> out = new ArrayList<>();
    for (Path root :
        List.of(
            TestFiles.testdata().resolve("scan"),
            TestFiles.testdata().resolve("models"),
            TestFiles.corpus())) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> Files.isRegularFile(p.resolve("saved_model.pb"))).sorted().forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void theMetadataAloneGivesTheFullReadersConfig() throws Exception {
    SavedModelGraphReader reader = new TfSavedModelGraphReader();
    int compared = 0;
    for (Path dir : savedModels()) {
      Optional<SavedModelGraphReader.KerasConfig> light = reader.kerasConfig(dir);
      if (light.isEmpty()) {
        // no keras_metadata.pb: the scan opens the model as before
        assertTrue(!Files.exists(dir.resolve("keras_metadata.pb")), dir.toString());
        continue;
      }
      JsonNode full;
      try (OwnedModel m = ModelIO.open(dir)) {
        full = m.model().config().orElse(null);
      }
      assertEquals(full, light.get().config(), dir.toString());
      compared++;
    }
    assertTrue(compared >= 10, "SavedModels with keras_metadata.pb compared: " + compared);
  }

  @Test
  void noHealthFindingsAreTheFullScansSecurityFindings() throws Exception {
    List<Path> dirs = savedModels();
    List<String> full = new ArrayList<>();
    List<String> light = new ArrayList<>();
    new Scanner(Scanner.Options.defaults().withThreads(2))
        .scan(dirs, r -> full.addAll(security(r)));
    new Scanner(Scanner.Options.defaults().withThreads(2).withHealth(false))
        .scan(dirs, r -> light.addAll(security(r)));
    assertEquals(full, light);
  }

  /** The findings but the health rules' (which need the weights), and the error. */
  private static List<String> security(FileScan r) {
    List<String> out = new ArrayList<>();
    out.add(r.path() + " error=" + r.error());
    r.findings().stream().filter(f -> !HEALTH.contains(f.rule())).forEach(f -> out.add("  " + f));
    return out;
  }

  private static final java.util.Set<String> HEALTH =
      java.util.Set.of(
          "non-finite-weights",
          "zero-kernel",
          "constant-kernel",
          "weight-spread",
          "depth-vanishing",
          "depth-exploding");
}
