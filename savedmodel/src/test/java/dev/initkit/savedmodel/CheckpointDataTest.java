package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.MalformedModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;

/** The plain-Java checkpoint reader against TensorFlow's own RestoreV2, byte for byte. */
class CheckpointDataTest {
  /**
   * Every SavedModel with a checkpoint: the corpus's and those testdata/generate_savedmodel.py
   * wrote.
   */
  static List<Path> savedModels() throws IOException {
    List<Path> out = new ArrayList<>();
    Path corpus =
        Path.of(System.getProperty("initkit.corpus", "../../shared/keras-corpus"))
            .resolve("savedmodel");
    Path testdata =
        Path.of(System.getProperty("initkit.testdata", "../testdata")).resolve("models");
    for (Path root : List.of(corpus, testdata)) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> p.getFileName().toString().equals("saved_model.pb"))
            .map(Path::getParent)
            .filter(d -> Files.isRegularFile(d.resolve("variables/variables.index")))
            .sorted()
            .forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void everyEntryMatchesRestoreV2() throws IOException {
    List<Path> dirs = savedModels();
    assertTrue(dirs.size() >= 12, "SavedModels found: " + dirs);
    int compared = 0;
    int graphs = 0;
    for (Path dir : dirs) {
      BundleIndex index = BundleIndex.read(dir.resolve("variables/variables.index"), dir);
      CheckpointData data = new CheckpointData(dir, index);
      List<String> keys = new ArrayList<>();
      List<DataType> types = new ArrayList<>();
      for (Map.Entry<String, BundleEntryProto> e : index.entries().entrySet()) {
        if (Checkpoint.typeOf(e.getValue().getDtype()) != null) {
          keys.add(e.getKey());
          types.add(e.getValue().getDtype());
        }
      }
      assertEquals(
          index.entries().size(), keys.size(), dir + ": dtypes TensorFlow Java cannot restore");
      List<byte[]> expected =
          TfRestore.restore(dir.resolve("variables/variables").toString(), keys, types);
      for (int i = 0; i < keys.size(); i++) {
        String where = dir + " " + keys.get(i);
        if (types.get(i) == DataType.DT_STRING) {
          byte[][] strings = data.strings(keys.get(i));
          assertEquals(1, strings.length, where); // TfRestore returns the first element only
          assertArrayEquals(expected.get(i), strings[0], where);
          graphs++;
        } else {
          assertArrayEquals(expected.get(i), data.numeric(keys.get(i)), where);
        }
        compared++;
      }
    }
    assertTrue(compared > 100, "entries compared: " + compared);
    assertEquals(dirs.size(), graphs, "every SavedModel has one object graph");
  }

  @Test
  void aFlippedByteIsAChecksumErrorNamingFileAndVariable(@TempDir Path tmp) throws IOException {
    Path dir = copyOfMlp(tmp);
    BundleIndex index = BundleIndex.read(dir.resolve("variables/variables.index"), dir);
    String key = largestNumeric(index);
    BundleEntryProto e = index.entries().get(key);
    Path shard = dir.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(shard);
    b[(int) (e.getOffset() + e.getSize() / 2)] ^= 0x10;
    Files.write(shard, b);
    MalformedModelException ex =
        assertThrows(
            MalformedModelException.class, () -> new CheckpointData(dir, index).numeric(key));
    assertTrue(ex.getMessage().contains("variables.data-00000-of-00001"), ex.getMessage());
    assertTrue(ex.getMessage().contains(key), ex.getMessage());
    assertTrue(ex.getMessage().contains("checksum"), ex.getMessage());
  }

  @Test
  void aTruncatedShardNamesFileAndVariable(@TempDir Path tmp) throws IOException {
    Path dir = copyOfMlp(tmp);
    BundleIndex index = BundleIndex.read(dir.resolve("variables/variables.index"), dir);
    Path shard = dir.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(shard);
    Files.write(shard, java.util.Arrays.copyOf(b, b.length / 2));
    CheckpointData data = new CheckpointData(dir, index);
    int failed = 0;
    for (Map.Entry<String, BundleEntryProto> e : index.entries().entrySet()) {
      if (e.getValue().getOffset() + e.getValue().getSize() <= b.length / 2) {
        continue;
      }
      MalformedModelException ex =
          assertThrows(MalformedModelException.class, () -> read(data, e.getKey(), e.getValue()));
      assertTrue(ex.getMessage().contains("variables.data-00000-of-00001"), ex.getMessage());
      assertTrue(ex.getMessage().contains(e.getKey()), ex.getMessage());
      assertTrue(ex.getMessage().contains("truncated"), ex.getMessage());
      failed++;
    }
    assertTrue(failed > 0);
  }

  @Test
  void aCorruptObjectGraphIsAChecksumError(@TempDir Path tmp) throws IOException {
    Path dir = copyOfMlp(tmp);
    BundleIndex index = BundleIndex.read(dir.resolve("variables/variables.index"), dir);
    BundleEntryProto e = index.entries().get(SavedModelReader.OBJECT_GRAPH_KEY);
    Path shard = dir.resolve("variables/variables.data-00000-of-00001");
    for (long at : new long[] {e.getOffset(), e.getOffset() + e.getSize() - 1}) {
      byte[] b = Files.readAllBytes(shard);
      b[(int) at] ^= 0x01;
      Path broken = tmp.resolve("at" + at);
      Files.createDirectories(broken.resolve("variables"));
      Files.copy(
          dir.resolve("variables/variables.index"), broken.resolve("variables/variables.index"));
      Files.write(broken.resolve("variables/variables.data-00000-of-00001"), b);
      MalformedModelException ex =
          assertThrows(
              MalformedModelException.class,
              () -> new CheckpointData(broken, index).strings(SavedModelReader.OBJECT_GRAPH_KEY));
      assertTrue(ex.getMessage().contains(SavedModelReader.OBJECT_GRAPH_KEY), ex.getMessage());
    }
  }

  private static Object read(CheckpointData data, String key, BundleEntryProto e)
      throws IOException {
    return e.getDtype() == DataType.DT_STRING ? data.strings(key) : data.numeric(key);
  }

  private static String largestNumeric(BundleIndex index) {
    String best = null;
    long size = -1;
    for (Map.Entry<String, BundleEntryProto> e : index.entries().entrySet()) {
      if (e.getValue().getDtype() != DataType.DT_STRING && e.getValue().getSize() > size) {
        best = e.getKey();
        size = e.getValue().getSize();
      }
    }
    return best;
  }

  private static Path copyOfMlp(Path tmp) throws IOException {
    return SavedModelReadTest.copyTree(
        SavedModelReadTest.testdata().resolve("mlp/tfkeras"), tmp.resolve("mlp"));
  }
}
