package dev.initkit.internal.hdf5;

import static org.bytedeco.hdf5.global.hdf5.H5F_OBJ_ALL;
import static org.bytedeco.hdf5.global.hdf5.H5F_OBJ_FILE;
import static org.bytedeco.hdf5.global.hdf5.H5Fget_obj_count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.model.DType;
import dev.initkit.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files are opened with the default (weak) close degree, so that other HDF5 users in the process
 * can share them; {@link H5File#close()} still closes what was left open through its handle, and
 * initkit's readers and writers leave nothing open.
 */
class H5FileHandlesTest {
  @TempDir Path dir;

  @Test
  void closeClosesAForgottenChildHandleAndTheFile() throws IOException {
    Path p = dir.resolve("f.h5");
    long files = openFiles();
    long stray = H5File.strayHandlesClosed();
    try (H5File f = H5File.create(p)) {
      f.root().createGroup("a/b").close();
      f.root().createDataset("a/b/c", DType.FLOAT32, new long[] {2}).close();
    }
    H5File f = H5File.openReadOnly(p);
    f.root().openGroup("a"); // never closed
    f.root().openDataset("a/b/c"); // never closed
    f.close();
    assertEquals(stray + 2, H5File.strayHandlesClosed());
    assertEquals(files, openFiles(), "the file stayed open");
  }

  @Test
  void readingAndWritingTheBundledModelsLeavesNoHandleOpen() throws IOException {
    Path models = Path.of(System.getProperty("initkit.testdata", "../testdata")).resolve("models");
    List<Path> originals;
    try (Stream<Path> s = Files.walk(models, 2)) {
      originals =
          s.filter(f -> f.getFileName().toString().matches("keras3\\.(h5|keras)|tfkeras\\.h5"))
              .sorted()
              .toList();
    }
    assertTrue(
        originals.size() >= 30, "found only " + originals.size() + " models under " + models);
    long files = openFiles();
    long stray = H5File.strayHandlesClosed();
    int i = 0;
    for (Path in : originals) {
      String name = in.getFileName().toString();
      try (LoadedModel lm = ModelIO.open(in)) {
        ModelIO.verifyStoredBytes(lm);
        ModelIO.write(
            lm,
            dir.resolve((i++) + name.substring(name.indexOf('.'))),
            ModelIO.WriteOptions.defaults());
      } catch (ModelFormatException e) {
        // refused (a quantized model to .h5, say): the handles count all the same
      }
    }
    assertEquals(stray, H5File.strayHandlesClosed(), "a reader or writer left object handles open");
    assertEquals(files, openFiles(), "a reader or writer left a file open");
  }

  private static long openFiles() {
    return Hdf5.withLock(() -> H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE));
  }
}
