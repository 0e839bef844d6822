package dev.initkit.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.MalformedModelException;
import dev.initkit.ModelIO;
import dev.initkit.testing.TestFiles;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A read past a weight's last row is the caller's mistake, reported as such before the file is
 * touched; a file that stores fewer rows than its weight's shape says is the file's.
 */
class RowReadMisuseTest {

  private static Path file(String name) {
    return TestFiles.testdata().resolve("models/conv2d").resolve(name);
  }

  private static Weight kernel(LoadedModel m) {
    return m.model().allLayers().stream()
        .flatMap(l -> l.allWeights().stream())
        .filter(w -> w.shape().rank() >= 2)
        .findFirst()
        .orElseThrow();
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3.keras", "keras3.h5", "tfkeras.h5"})
  void readingPastTheLastRowIsIndexOutOfBoundsNamingWeightAndRows(String name) throws Exception {
    TensorSource tensors;
    Weight w;
    long rows;
    try (LoadedModel m = ModelIO.open(file(name))) {
      w = kernel(m);
      rows = w.shape().dim(0);
      tensors = m.tensors();
      ByteBuffer buf = ByteBuffer.allocateDirect((int) (2 * w.byteSize() / rows));
      IndexOutOfBoundsException e =
          assertThrows(
              IndexOutOfBoundsException.class, () -> tensors.readRows(w, rows - 1, 2, buf));
      assertTrue(e.getMessage().contains(w.name()), e.getMessage());
      assertTrue(
          e.getMessage().contains("[" + (rows - 1) + ", " + (rows + 1) + ")"), e.getMessage());
      assertTrue(e.getMessage().contains("it has " + rows + " rows"), e.getMessage());
      assertEquals(0, buf.position(), "nothing read");
      assertThrows(IndexOutOfBoundsException.class, () -> tensors.readRows(w, -1, 1, buf));
      assertThrows(IndexOutOfBoundsException.class, () -> tensors.readRows(w, 0, -1, buf));
      assertDoesNotThrow(() -> tensors.readRows(w, rows - 1, 1, buf)); // the last row is there
    }
    // checked before the file is touched: the same answer once its file is closed
    ByteBuffer buf = ByteBuffer.allocateDirect((int) w.byteSize());
    IndexOutOfBoundsException e =
        assertThrows(IndexOutOfBoundsException.class, () -> tensors.readRows(w, rows, 1, buf));
    assertTrue(e.getMessage().contains(w.name()), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3.keras", "keras3.h5"})
  void storedRowsFewerThanTheShapeSaysIsTheFilesFault(String name) throws Exception {
    try (LoadedModel m = ModelIO.open(file(name))) {
      Weight w = kernel(m);
      long[] dims = w.shape().dims();
      dims[0]++;
      // a weight whose shape claims one row more than its dataset stores
      Weight claimed = new Weight(w.name(), Shape.of(dims), w.dtype(), w.role(), w.key());
      ByteBuffer buf = ByteBuffer.allocateDirect((int) claimed.byteSize());
      MalformedModelException e =
          assertThrows(
              MalformedModelException.class, () -> m.tensors().readRows(claimed, 0, dims[0], buf));
      assertEquals(w.key(), e.location());
      assertTrue(e.file().toString().endsWith(name), String.valueOf(e.file()));
      assertTrue(e.detail().contains("stores " + (dims[0] - 1) + " rows"), e.detail());
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
  }
}
