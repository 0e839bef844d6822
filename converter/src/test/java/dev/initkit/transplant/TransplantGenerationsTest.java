package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.ops.WeightSite;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Across Keras generations, for every generated model ({@code testdata/models/NAME}): the weights
 * of its tf-keras {@code .h5} (names with {@code :0}, {@code top_level_model_weights}) and, where
 * present, of its Keras 3 weights file (class-derived paths, nested models flattened) transplanted
 * by name into a reinitialized copy of its Keras 3 {@code .keras} give back that file's weights
 * byte for byte: every layer kind, wrappers and nested models included.
 */
class TransplantGenerationsTest {
  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> everyGeneratedModelAcrossGenerations() throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    java.util.Set<String> quantized = TestFiles.quantizedModels();
    List<Path> dirs = new ArrayList<>(TestFiles.modelDirs());
    dirs.addAll(
        TestFiles.catalogueModelDirs()); // every weighted layer class of keras.layers, per Keras
    for (Path d : dirs) {
      Path keras = d.resolve("keras3.keras");
      // a quantized model's codes are not redrawn (reinit refuses them): QuantizedModelTest
      // transplants them
      if (!Files.exists(keras) || quantized.contains(d.getFileName().toString())) {
        continue;
      }
      for (String src : List.of("tfkeras.h5", "keras3.weights.h5", "keras3.h5")) {
        Path from = d.resolve(src);
        // Keras saves SpectralNormalization's kernel twice in .keras, once in .h5 (docs/testing.md,
        // the catalogue: SpectralNormalization across formats)
        boolean spectral =
            d.getFileName().toString().equals("SpectralNormalization") && src.endsWith("keras3.h5");
        if (Files.exists(from) && !spectral) {
          tests.add(
              DynamicTest.dynamicTest(
                  d.getParent().getFileName() + "/" + d.getFileName() + "/" + src,
                  () -> restores(from, keras)));
        }
      }
    }
    assertTrue(tests.size() >= 50, "expected the generated models, found " + tests.size());
    return tests.stream();
  }

  private void restores(Path from, Path keras) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "gen");
    Path copy = dir.resolve("copy.keras");
    try (LoadedModel m = ModelIO.open(keras)) {
      ModelIO.write(
          Reinitializer.apply(
              m,
              Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), 1)),
          copy,
          ModelIO.WriteOptions.defaults());
    }
    Path out = dir.resolve("out.keras");
    Transplanter.Result r =
        Transplanter.transplant(
            from, copy, out, TransplantOptions.defaults(), true, ModelIO.WriteOptions.defaults());
    assertEquals(
        r.plan().entries().size(),
        r.plan().count(Action.LOADED),
        () -> r.plan().unmatched().toString());
    assertEquals(List.of(), r.plan().unused());
    try (LoadedModel want = ModelIO.open(keras);
        LoadedModel got = ModelIO.open(out)) {
      List<WeightSite> a = WeightSite.of(want.model());
      List<WeightSite> b = WeightSite.of(got.model());
      assertEquals(a.size(), b.size());
      for (int i = 0; i < a.size(); i++) {
        assertArrayEquals(
            TestFiles.bytes(want, a.get(i).weight()),
            TestFiles.bytes(got, b.get(i).weight()),
            a.get(i).layerPath() + " " + a.get(i).seedName());
      }
    }
  }
}
