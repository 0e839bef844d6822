package dev.initkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.init.DTypeCodec;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** The value API: weights found by layer and variable name in every format, values read whole. */
class WeightValuesTest {

  @Test
  void everyWeightOfEveryBundledFileIsFoundAndReadAsStored() throws IOException {
    int checked = 0;
    for (Path dir : TestFiles.modelDirs()) {
      for (String file : List.of("keras3.h5", "keras3.keras", "tfkeras.h5")) {
        Path f = dir.resolve(file);
        if (Files.isRegularFile(f)) {
          checked += checkAll(f);
        }
      }
    }
    assertTrue(checked > 500, "weights checked: " + checked);
  }

  @Test
  void kerasOneWeightsAreFoundByTheirSuffix() throws IOException {
    Path f = TestFiles.corpus().resolve("h5-full/k1-cnn-conv2d-maxpool-tf.h5");
    try (LoadedModel m = ModelIO.open(f)) {
      int suffixed = 0;
      for (Layer l : m.model().allLayers()) {
        for (Weight w : l.allWeights()) {
          if (w.shortName().startsWith(l.name() + "_")) {
            assertSame(w, m.weight(l.name(), w.shortName().substring(l.name().length() + 1)));
            suffixed++;
          }
        }
      }
      assertTrue(suffixed >= 4, "Keras 1 W/b weights found: " + suffixed);
    }
    assertTrue(checkAll(f) >= 4);
  }

  /**
   * Finds each weight by the shortest name that is unique in its layer, and compares its values.
   */
  private static int checkAll(Path f) throws IOException {
    int n = 0;
    try (LoadedModel m = ModelIO.open(f)) {
      for (Layer l : m.model().allLayers()) {
        for (Weight w : l.weights()) {
          Weight found;
          try {
            found = m.weight(l.name(), w.shortName());
          } catch (NoSuchElementException several) {
            assertTrue(
                several.getMessage().contains("several weights '" + w.shortName() + "'"),
                several.getMessage());
            String path = w.name().replaceFirst(":0$", "");
            found = m.weight(l.name(), path.substring(path.indexOf('/') + 1));
          }
          assertSame(w, found, f + " " + w.name());
          double[] expected = decode(TestFiles.bytes(m, w), w.dtype());
          assertArrayEquals(expected, m.readDoubles(w), f + " " + w.name());
          float[] floats = m.readFloats(w);
          for (int i = 0; i < expected.length; i++) {
            assertEquals((float) expected[i], floats[i], f + " " + w.name() + "[" + i + "]");
          }
          n++;
        }
      }
    }
    return n;
  }

  private static double[] decode(byte[] raw, DType dtype) {
    ByteBuffer le = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype.isFloating()) {
      return DTypeCodec.decodeAll(le, dtype);
    }
    double[] out = new double[raw.length / dtype.size()];
    for (int i = 0; i < out.length; i++) {
      switch (dtype.size()) {
        case 1 -> out[i] = dtype == DType.INT8 ? le.get() : le.get() & 0xff;
        case 2 -> out[i] = dtype == DType.INT16 ? le.getShort() : le.getShort() & 0xffff;
        case 4 -> out[i] = dtype == DType.INT32 ? le.getInt() : le.getInt() & 0xffffffffL;
        default -> out[i] = le.getLong();
      }
    }
    return out;
  }

  @Test
  void valuesGoIntoHeapBuffersInTheirByteOrder() throws IOException {
    Path f = TestFiles.testdata().resolve("models/float64/keras3.keras");
    try (LoadedModel m = ModelIO.open(f)) {
      Weight w = m.model().layerWeights().get(0);
      assertEquals(DType.FLOAT64, w.dtype());
      double[] expected = m.readDoubles(w);
      for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
        ByteBuffer heap = ByteBuffer.allocate((int) w.byteSize() + 3).order(order);
        heap.position(3);
        m.read(w, heap);
        assertEquals(heap.capacity(), heap.position());
        heap.position(3);
        double[] got = new double[expected.length];
        heap.asDoubleBuffer().get(got);
        assertArrayEquals(expected, got, order.toString());
      }
      ByteBuffer small = ByteBuffer.allocate((int) w.byteSize() - 1);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> m.read(w, small));
      assertTrue(e.getMessage().contains(w.name()), e.getMessage());
    }
  }

  @Test
  void aTensorLargerThanOneBlockIsReadInBlocks() throws IOException {
    // 3M rows of one float32: 12 MB, read in 8 MB blocks; each row holds its own index
    Weight w =
        new Weight("big/kernel", Shape.of(3_000_000, 1), DType.FLOAT32, WeightRole.KERNEL, "k");
    TensorSource rows =
        (weight, first, count, dst) -> {
          ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
          for (long r = first; r < first + count; r++) {
            le.putFloat(r);
          }
          dst.position(le.position());
        };
    float[] v = WeightValues.readFloats(rows, w);
    assertEquals(3_000_000, v.length);
    for (int i = 0; i < v.length; i += 99_991) {
      assertEquals((float) i, v[i]);
    }
    assertEquals(2_999_999f, v[v.length - 1]);
  }

  @Test
  void missingLayersAndWeightsAreNamedWithWhatThereIs() throws IOException {
    Path f = TestFiles.testdata().resolve("models/mlp/keras3.keras");
    try (LoadedModel m = ModelIO.open(f)) {
      NoSuchElementException layer =
          assertThrows(NoSuchElementException.class, () -> m.weight("nope", "kernel"));
      assertTrue(
          layer.getMessage().contains("no layer 'nope'")
              && layer.getMessage().contains(f.toString()),
          layer.getMessage());
      Layer first =
          m.model().layers().stream().filter(l -> !l.weights().isEmpty()).findFirst().orElseThrow();
      NoSuchElementException weight =
          assertThrows(NoSuchElementException.class, () -> m.weight(first.name(), "kernl"));
      assertTrue(
          weight.getMessage().contains("no weight 'kernl'")
              && weight.getMessage().contains("kernel"),
          weight.getMessage());
    }
  }
}
