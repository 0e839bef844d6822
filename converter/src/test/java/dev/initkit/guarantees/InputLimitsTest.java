package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Node;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import dev.initkit.transplant.LayerMapping;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 8 and the UTF-8 part of item 5: every limit docs/guarantees.md states holds before
 * anything is allocated, whatever the file system says of a file's size, and text that is not UTF-8
 * is a malformed file, as it is for Python's json.
 */
class InputLimitsTest {
  @TempDir Path tmp;

  private static Path weights() {
    return TestFiles.testdata().resolve("models/mlp/tfkeras_weights.h5");
  }

  /** /dev/zero reports 0 bytes and never ends: --config and --map used to exhaust the heap. */
  @Test
  void endlessConfigAndMappingFilesAreRefused() {
    Path zero = Path.of("/dev/zero");
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          MalformedModelException e =
              assertThrows(
                  MalformedModelException.class,
                  () ->
                      ModelIO.open(weights(), ModelIO.ReadOptions.defaults().withConfig(zero))
                          .close());
          assertTrue(
              e.getMessage().contains("/dev/zero") && e.getMessage().contains("not a regular file"),
              e.getMessage());
          e = assertThrows(MalformedModelException.class, () -> LayerMapping.read(zero));
          assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        });
  }

  @Test
  void oversizedMappingFileIsRefusedUnread() throws IOException {
    Path big = tmp.resolve("big.map");
    Files.write(big, new byte[5 << 20]);
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> LayerMapping.read(big));
    assertTrue(e.getMessage().contains("larger than"), e.getMessage());
  }

  /** Invalid UTF-8 in a config was decoded to U+FFFD and accepted. */
  @Test
  void configThatIsNotUtf8IsMalformed() throws IOException {
    Path config = tmp.resolve("arch.json");
    byte[] json = Files.readAllBytes(TestFiles.testdata().resolve("models/mlp/tfkeras.json"));
    byte[] bad = new byte[json.length + 2];
    System.arraycopy(json, 0, bad, 0, json.length);
    int at =
        new String(json, StandardCharsets.UTF_8).indexOf("\"name\"") + 1; // inside a JSON string
    System.arraycopy(json, at, bad, at + 2, json.length - at);
    bad[at] = (byte) 0xC3;
    bad[at + 1] = (byte) 0x28; // a lead byte followed by an ASCII byte: invalid
    Files.write(config, bad);
    MalformedModelException e =
        assertThrows(
            MalformedModelException.class,
            () ->
                ModelIO.open(weights(), ModelIO.ReadOptions.defaults().withConfig(config)).close());
    assertTrue(e.getMessage().contains("not valid UTF-8 (at byte " + at + ")"), e.getMessage());
  }

  /** A sharded manifest whose shard is a FIFO hung in HDF5's open. */
  @Test
  void shardThatIsAFifoIsRefused() throws Exception {
    Path src = TestFiles.testdata().resolve("models/conv1d");
    for (String n :
        new String[] {
          "keras3_sharded.weights.json",
          "keras3_sharded_00000.weights.h5",
          "keras3_sharded_00002.weights.h5"
        }) {
      Files.copy(src.resolve(n), tmp.resolve(n));
    }
    assertEquals(
        0,
        new ProcessBuilder("mkfifo", tmp.resolve("keras3_sharded_00001.weights.h5").toString())
            .start()
            .waitFor());
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          MalformedModelException e =
              assertThrows(
                  MalformedModelException.class,
                  () ->
                      ModelIO.open(
                              tmp.resolve("keras3_sharded.weights.json"),
                              ModelIO.ReadOptions.defaults().withConfig(null))
                          .close());
          assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        });
  }

  /**
   * docs/guarantees.md caps attributes at 64 MiB; a variable-length string attribute of more was
   * read.
   */
  @Test
  void attributeOverTheCapIsRefused() throws IOException {
    Path h5 = tmp.resolve("big-attr.h5");
    String huge = "x".repeat((int) H5Node.MAX_ATTRIBUTE_BYTES + 16);
    try (H5File f = H5File.create(h5)) {
      f.root().setAttribute("model_config", AttrValue.Str.vlenUtf8(huge));
      f.root().setAttribute("keras_version", AttrValue.Str.vlenUtf8("2.20.1"));
    }
    ModelFormatException e =
        assertThrows(
            ModelFormatException.class,
            () -> {
              try (LoadedModel m = ModelIO.open(h5)) {
                assertEquals(-1, m.model().allLayers().size(), "read");
              }
            });
    assertTrue(
        e.getMessage().contains("more than the " + H5Node.MAX_ATTRIBUTE_BYTES), e.getMessage());
  }
}
