package dev.initkit.format.h5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.initkit.MalformedModelException;
import dev.initkit.format.Format;
import dev.initkit.internal.h5.H5Input;
import dev.initkit.internal.hdf5.H5File;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KerasH5Input} tells the layouts apart and refuses HDF5 files that hold no Keras model. */
class KerasH5InputTest {
  @TempDir Path dir;

  @Test
  void emptyHdf5File() throws IOException {
    Path p = dir.resolve("empty.h5");
    try (H5File f = H5File.create(p)) {
      f.root();
    }
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> KerasH5Input.open(p));
    assertEquals(p, e.file());
    assertEquals("/", e.location());
    assertEquals(
        "empty HDF5 file: no Keras model_config, layer_names or Keras 3 layers group", e.detail());
  }

  @Test
  void hdf5FileOfOtherGroups() throws IOException {
    Path p = dir.resolve("other.h5");
    try (H5File f = H5File.create(p)) {
      for (String g : new String[] {"a", "b", "c", "d", "e", "f"}) {
        f.root().createGroup(g).close();
      }
    }
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> KerasH5Input.open(p));
    assertEquals(
        "HDF5 file that is not a Keras model: no model_config or layer_names attribute and no Keras 3"
            + " layers group (it holds groups a, b, c, d, e, ...)",
        e.detail());
  }

  @Test
  void keras3WeightsLayoutIsHandedOverOnce() throws IOException {
    Path p = dir.resolve("w.weights.h5");
    try (H5File f = H5File.create(p)) {
      f.root().createGroup("layers").close();
    }
    try (KerasH5Input in = KerasH5Input.open(p)) {
      assertEquals(Format.KERAS3_WEIGHTS, in.layout());
      assertEquals(p, in.path());
      assertEquals(
          null,
          H5Input.of(in)
              .readWith(
                  (path, file) -> {
                    file.close();
                    return null;
                  }));
      assertThrows(
          IllegalStateException.class, () -> H5Input.of(in).readWith((path, file) -> null));
    }
  }
}
