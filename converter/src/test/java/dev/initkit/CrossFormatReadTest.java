package dev.initkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The same Keras 3 model saved as {@code .keras} and as legacy {@code .h5} by real Keras reads into
 * the same layers with the same weights in the same order: the archive reader's class-path mapping
 * agrees with Keras's own positional weight order.
 */
class CrossFormatReadTest {
  @TestFactory
  Stream<DynamicTest> kerasArchiveAndLegacyH5Agree() throws IOException {
    List<Path> dirs =
        TestFiles.modelDirs().stream()
            .filter(
                d ->
                    Files.exists(d.resolve("keras3.keras")) && Files.exists(d.resolve("keras3.h5")))
            .toList();
    assertTrue(dirs.size() >= 15, "generated models: " + dirs.size());
    return dirs.stream()
        .map(
            d ->
                DynamicTest.dynamicTest(
                    d.getFileName().toString(),
                    () -> {
                      try (LoadedModel k = ModelIO.open(d.resolve("keras3.keras"));
                          LoadedModel h = ModelIO.open(d.resolve("keras3.h5"))) {
                        ModelRoundTripTest.assertSameWeights(h, k);
                        List<Layer> lk = k.model().allLayers();
                        List<Layer> lh = h.model().allLayers();
                        assertEquals(
                            lh.stream().map(Layer::name).toList(),
                            lk.stream().map(Layer::name).toList());
                        for (int i = 0; i < lk.size(); i++) {
                          assertEquals(
                              lh.get(i).weights().stream().map(w -> w.role()).toList(),
                              lk.get(i).weights().stream().map(w -> w.role()).toList(),
                              "roles of " + lk.get(i).name());
                        }
                      }
                    }));
  }
}
