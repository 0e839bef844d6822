package dev.initkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.format.config.MeaningChange;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes across Keras generations through the library: the changes of meaning reach the caller in
 * {@link ModelIO.WriteResult}, and strict options refuse them before anything is written. The model
 * is tf-keras's own (testdata/models/hard_sigmoid).
 */
class CrossGenerationWriteTest {
  private static final Path HARD_SIGMOID =
      TestFiles.testdata().resolve("models/hard_sigmoid/tfkeras.h5");

  @Test
  void changesReachTheCaller(@TempDir Path dir) throws Exception {
    try (LoadedModel m = ModelIO.open(HARD_SIGMOID)) {
      ModelIO.WriteResult r =
          ModelIO.write(m, dir.resolve("m.keras"), ModelIO.WriteOptions.defaults());
      assertEquals(
          List.of("lstm_hs recurrent_activation", "dense_hs activation"),
          r.changes().stream().map(c -> c.layerPath() + " " + c.key()).toList());
      assertTrue(r.changes().stream().allMatch(MeaningChange::toKeras3));
      assertEquals(r.changes().stream().map(MeaningChange::message).toList(), r.warnings());
      // the same generation: nothing changes meaning
      assertEquals(
          List.of(),
          ModelIO.write(m, dir.resolve("m.h5"), ModelIO.WriteOptions.defaults()).changes());
    }
  }

  @Test
  void strictRefusesBeforeWriting(@TempDir Path dir) throws Exception {
    try (LoadedModel m = ModelIO.open(HARD_SIGMOID)) {
      UnsupportedModelException e =
          assertThrows(
              UnsupportedModelException.class,
              () ->
                  ModelIO.write(
                      m, dir.resolve("m.keras"), ModelIO.WriteOptions.defaults().withStrict(true)));
      assertEquals("lstm_hs", e.location());
      assertTrue(
          e.detail().contains("recurrent_activation hard_sigmoid")
              && e.detail().contains("(and 1 more)")
              && e.detail().contains("strict"),
          e.detail());
      try (Stream<Path> left = Files.list(dir)) {
        assertEquals(List.of(), left.toList(), "no output, no temporary");
      }
      // strict still writes what keeps its meaning
      ModelIO.write(m, dir.resolve("m.h5"), ModelIO.WriteOptions.defaults().withStrict(true));
      assertFalse(Files.exists(dir.resolve("m.keras")));
    }
  }
}
