package dev.initkit.format.keras3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RegionCrc on a model Keras generated (needs the testdata venv's python). */
class RegionCrcKerasIT {
  @TempDir Path dir;

  /**
   * A real Keras model with MiB-sized kernels written as .keras: the member's CRC is right and
   * mostly overlapped.
   */
  @Test
  void archiveWeightsAreChecksummedAsHdf5ClosesEachDataset() throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "needs -Dinitkit.python to generate the model with Keras");
    Path h5 = dir.resolve("stack.h5");
    Process p =
        new ProcessBuilder(
                python,
                TestFiles.testdata().resolve("make_large.py").toString(),
                h5.toString(),
                "12",
                "--width",
                "1024")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("make.log").toFile())
            .start();
    assertTrue(
        p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0,
        () -> "make_large.py failed: " + read(dir.resolve("make.log")));

    Path out = dir.resolve("stack.keras");
    long before = RegionCrc.BACKGROUND_BYTES.get();
    try (LoadedModel m = ModelIO.open(h5)) {
      ModelIO.write(m, out, ModelIO.WriteOptions.defaults());
    }
    long overlapped = RegionCrc.BACKGROUND_BYTES.get() - before;
    try (ZipFile zip = new ZipFile(out.toFile())) {
      ZipEntry w = zip.getEntry("model.weights.h5");
      CRC32 c = new CRC32();
      try (InputStream in = zip.getInputStream(w)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          c.update(buf, 0, n);
        }
      }
      assertEquals(c.getValue(), w.getCrc(), "the member's recorded CRC is the CRC of its bytes");
      // 3 kernels of 4 MiB: all of them from the background, the rest (metadata, biases) read at
      // the end
      assertEquals(
          3L * 1024 * 1024 * 4,
          overlapped,
          "bytes checksummed while HDF5 wrote, of " + w.getSize());
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
