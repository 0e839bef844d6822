package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.proto.FingerprintDef;

/**
 * Reading SavedModels written by real TensorFlow: structure and values against the same model's
 * .h5.
 */
class SavedModelReadTest {
  static Path testdata() {
    return Path.of(System.getProperty("initkit.testdata", "../testdata"))
        .resolve("models/savedmodel");
  }

  static byte[] values(LoadedModel m, Weight w) throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    if (rows > 0) {
      m.tensors().readRows(w, 0, rows, b);
    }
    byte[] out = new byte[(int) w.byteSize()];
    b.flip().get(out);
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "cnn", "lstm", "embed_gru", "compiled", "residual"})
  void tfKerasSavedModelMatchesItsH5(String name) throws IOException {
    Path dir = testdata().resolve(name);
    try (LoadedModel sm = ModelIO.open(dir.resolve("tfkeras"));
        LoadedModel h5 = ModelIO.open(dir.resolve("tfkeras.h5"))) {
      Model a = sm.model();
      Model b = h5.model();
      assertEquals("savedmodel", a.sourceFormat());
      assertEquals("keras_metadata.pb", a.metadata().get(SavedModelReader.META_SOURCE));
      assertTrue(a.config().isPresent(), "the Keras config comes from keras_metadata.pb");
      assertEquals(b.config().get().path("class_name"), a.config().get().path("class_name"));
      List<Layer> la = a.allLayers();
      List<Layer> lb = b.allLayers();
      assertEquals(lb.stream().map(Layer::name).toList(), la.stream().map(Layer::name).toList());
      assertEquals(
          lb.stream().map(Layer::className).toList(), la.stream().map(Layer::className).toList());
      for (int i = 0; i < la.size(); i++) {
        List<Weight> wa = la.get(i).weights();
        List<Weight> wb = lb.get(i).weights();
        assertEquals(wb.size(), wa.size(), la.get(i).name());
        for (int j = 0; j < wa.size(); j++) {
          assertEquals(wb.get(j).shape(), wa.get(j).shape(), wa.get(j).name());
          assertEquals(wb.get(j).role(), wa.get(j).role(), wa.get(j).name());
          assertEquals(wb.get(j).dtype(), wa.get(j).dtype());
          assertArrayEquals(
              values(h5, wb.get(j)), values(sm, wa.get(j)), "values of " + wa.get(j).name());
        }
      }
    }
  }

  @Test
  void compiledModelListsItsOptimizerState() throws IOException {
    try (LoadedModel sm = ModelIO.open(testdata().resolve("compiled/tfkeras"))) {
      List<String> keys = sm.model().optimizerWeights().stream().map(Weight::key).toList();
      // Adam: m and v for 4 layer weights, the step counter and the learning rate
      assertEquals(10, keys.size(), keys.toString());
      assertEquals(
          9, keys.stream().filter(SavedModelReader::isOptimizerState).count(), keys.toString());
      assertTrue(sm.model().trainingConfigText().isPresent());
    }
  }

  @Test
  void subclassedModelHasLayersFromMetadataButNoModelConfig() throws IOException {
    try (LoadedModel sm = ModelIO.open(testdata().resolve("subclassed/tfkeras"))) {
      Model m = sm.model();
      assertTrue(m.config().isEmpty(), "a subclassed model's config is not a layer graph");
      assertEquals(
          List.of("a:Dense:relu", "b:Dense:linear"),
          m.layers().stream()
              .map(l -> l.name() + ":" + l.className() + ":" + l.activation())
              .toList());
      assertEquals(
          List.of("kernel", "bias", "kernel", "bias"),
          m.layerWeights().stream().map(w -> w.role().label()).toList());
    }
  }

  @Test
  void keras3ExportHasVariablesButNoConfig() throws IOException {
    Path dir = testdata().resolve("k3_mlp_export");
    try (LoadedModel sm = ModelIO.open(dir.resolve("keras3_export"));
        LoadedModel k3 = ModelIO.open(dir.resolve("keras3.keras"))) {
      Model m = sm.model();
      assertTrue(m.config().isEmpty());
      assertEquals("none", m.metadata().get(SavedModelReader.META_SOURCE));
      // export tracks each variable twice (variables and _all_variables): listed once
      assertEquals(4, m.layerWeights().size(), m.layerWeights().toString());
      for (Weight w : m.layerWeights()) {
        Weight same =
            k3.model().layerWeights().stream()
                .filter(x -> w.name().endsWith("/" + x.name()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no .keras weight for " + w.name()));
        assertEquals(same.shape(), w.shape());
        assertArrayEquals(values(k3, same), values(sm, w), w.name());
      }
    }
  }

  @Test
  void fingerprintCheckpointHashIsFarmHashOfTheIndex() throws IOException {
    int checked = 0;
    try (Stream<Path> s = Files.walk(testdata())) {
      for (Path fp : s.filter(p -> p.getFileName().toString().equals("fingerprint.pb")).toList()) {
        FingerprintDef def = FingerprintDef.parseFrom(Files.readAllBytes(fp));
        Path index = fp.resolveSibling("variables").resolve("variables.index");
        assertEquals(def.getCheckpointHash(), Fingerprints.checkpointHash(index), fp.toString());
        checked++;
      }
    }
    assertTrue(checked >= 4, "fingerprints checked: " + checked);
  }

  /** Every corpus SavedModel is read with all its values, or rejected with a message naming it. */
  @Test
  void corpusSavedModelsReadOrFailClearly() throws IOException {
    Path corpus =
        Path.of(System.getProperty("initkit.corpus", "../../shared/keras-corpus"))
            .resolve("savedmodel");
    assumeTrue(Files.isDirectory(corpus), "no corpus at " + corpus);
    List<String> read = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(corpus)) {
      for (Path d : dirs.sorted().toList()) {
        try (LoadedModel m = ModelIO.open(d)) {
          for (Weight w : m.model().layerWeights()) {
            ByteBuffer b = ByteBuffer.wrap(values(m, w)).order(ByteOrder.LITTLE_ENDIAN);
            if (w.dtype() == dev.initkit.model.DType.FLOAT32) {
              while (b.hasRemaining()) {
                assertTrue(Float.isFinite(b.getFloat()), w.name());
              }
            }
          }
          read.add(d.getFileName() + ":" + m.model().layerWeights().size());
        } catch (ModelFormatException e) {
          assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
          assertFalse(e.getMessage().contains("Exception"), e.getMessage());
          read.add(d.getFileName() + ":rejected");
        }
      }
    }
    assertEquals(
        List.of(
            "tf1.13-graph-only-no-variables:0",
            "tf2.11-keras-functional-dense:4",
            "tf2.12-keras-lstm-sequential:5",
            "tf2.14-nonkeras-half-plus-two:3",
            "tf2.5-keras-nested-preprocessing-cnn:16"),
        read);
  }

  @Test
  void halfPlusTwoValues() throws IOException {
    Path d =
        Path.of(System.getProperty("initkit.corpus", "../../shared/keras-corpus"))
            .resolve("savedmodel/tf2.14-nonkeras-half-plus-two");
    assumeTrue(Files.isDirectory(d));
    try (LoadedModel m = ModelIO.open(d)) {
      List<Float> vals = new ArrayList<>();
      for (Weight w : m.model().layerWeights()) {
        vals.add(ByteBuffer.wrap(values(m, w)).order(ByteOrder.LITTLE_ENDIAN).getFloat());
      }
      // y = a * x + b (half plus two), c = 3 for the x2 -> y3 signature
      assertEquals(List.of(0.5f, 2.0f, 3.0f), vals);
    }
  }

  @Test
  void damagedIndexIsOneClearError(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    Path src = testdata().resolve("mlp/tfkeras");
    Path copy = copyTree(src, tmp.resolve("broken"));
    Path index = copy.resolve("variables/variables.index");
    byte[] b = Files.readAllBytes(index);
    Files.write(index, java.util.Arrays.copyOf(b, b.length - 10));
    try (LoadedModel m = ModelIO.open(copy)) {
      fail("read a truncated index");
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage().contains("variables.index"), e.getMessage());
    }
  }

  /** Copies the directory tree {@code src} to {@code dst} (created) and returns {@code dst}. */
  static Path copyTree(Path src, Path dst) throws IOException {
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : s.toList()) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return dst;
  }
}
