package dev.initkit.format;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Detection.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FormatDetectorTest {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

  @TempDir Path tmp;

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static Path corpus() {
    String root = System.getProperty("initkit.corpus");
    assumeTrue(root != null && Files.isDirectory(Paths.get(root)), "no keras corpus: " + root);
    return Paths.get(root);
  }

  private static Path corpusFile(String relpath) {
    Path file = corpus().resolve(relpath);
    assumeTrue(Files.isRegularFile(file), "missing corpus file " + file);
    return file;
  }

  private Path write(String name, byte[] content) throws IOException {
    return Files.write(tmp.resolve(name), content);
  }

  private Path write(String name, String content) throws IOException {
    return write(name, content.getBytes(UTF_8));
  }

  private static MalformedModelException malformed(Path path) {
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> FormatDetector.detect(path));
    assertTrue(e.getMessage().startsWith(path.toString() + ": "), e.getMessage());
    assertEquals(path, e.file());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e;
  }

  private static void assertContains(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
    }
  }

  /** A zip whose entries hold their own names (all stored with the given names verbatim). */
  private Path zip(String name, String... entries) throws IOException {
    Path file = tmp.resolve(name);
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
      for (String entry : entries) {
        out.putNextEntry(new ZipEntry(entry));
        out.write(entry.getBytes(UTF_8));
        out.closeEntry();
      }
    }
    return file;
  }

  /** A minimal HDF5 file: superblock version 2/3 (48 bytes with 8-byte addresses), padded. */
  private static byte[] hdf5V2(int version, long declaredEof, long actualSize, long root) {
    ByteBuffer b = ByteBuffer.allocate((int) actualSize).order(ByteOrder.LITTLE_ENDIAN);
    b.put(SIGNATURE).put((byte) version).put((byte) 8).put((byte) 8).put((byte) 0);
    b.putLong(0).putLong(-1L).putLong(declaredEof).putLong(root).putInt(0);
    return b.array();
  }

  private static byte[] head(Path file, int length) throws IOException {
    byte[] all = Files.readAllBytes(file);
    return Arrays.copyOf(all, Math.min(length, all.length));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // placeholders: empty, Git LFS, HTML

  @Test
  void emptyFile() throws IOException {
    Path file = write("model.h5", new byte[0]);
    assertEquals("empty file", malformed(file).detail());
  }

  @Test
  void gitLfsPointer() throws IOException {
    Path file =
        write(
            "model.h5",
            "version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                + "size 132654\n");
    assertContains(
        malformed(file).getMessage(),
        "is a Git LFS pointer (oid sha256:4d7a214614ab2935...",
        "size 132654)",
        "git lfs pull");
  }

  @Test
  void htmlPageWithBomAndWhitespace() throws IOException {
    Path file =
        write(
            "model.keras",
            concat(
                new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf},
                "\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>"
                    .getBytes(UTF_8)));
    assertContains(malformed(file).detail(), "is an HTML page, not a model file");
  }

  @Test
  void htmlWithoutDoctype() throws IOException {
    Path file = write("weights.h5", "<html lang=\"en\"><body>404 Not Found</body></html>");
    assertContains(malformed(file).detail(), "HTML page");
  }

  // ---------------------------------------------------------------------------------------------
  // zip

  @Test
  void kerasZip() throws IOException {
    Path file = zip("m.keras", "metadata.json", "config.json", "model.weights.h5");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.KERAS_ZIP, d.kind());
    assertEquals(Format.KERAS, d.format());
    assertEquals("model.weights.h5", d.weightsName());
    assertFalse(d.hdf5());
    assertNull(d.superblock());
  }

  @Test
  void kerasZipWithNpzWeightsNamedH5IsStillDetectedByContent() throws IOException {
    Path file = zip("m.h5", "config.json", "model.weights.npz");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.KERAS_ZIP, d.kind());
    assertEquals("model.weights.npz", d.weightsName());
  }

  @Test
  void kerasZipWithoutWeights() throws IOException {
    Path file = zip("m.keras", "metadata.json", "config.json");
    assertContains(malformed(file).detail(), "config.json but no model.weights.h5");
  }

  @Test
  void zipWithoutConfigListsEntries() throws IOException {
    Path file = zip("stuff.zip", "a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt");
    assertEquals(
        "zip archive without config.json: not a Keras 3 .keras archive"
            + " (entries: a.txt, b.txt, c.txt, d.txt, e.txt, ...)",
        malformed(file).detail());
  }

  @Test
  void zipNamedH5IsToldItIsNotHdf5() throws IOException {
    Path file = zip("model.h5", "a.txt");
    assertContains(malformed(file).detail(), "is a zip archive, not HDF5: ", "(entries: a.txt)");
  }

  @Test
  void emptyZip() throws IOException {
    Path file = zip("empty.keras");
    assertEquals(22, Files.size(file)); // only the end record: PK\5\6
    assertContains(malformed(file).detail(), "empty zip archive");
  }

  @Test
  void npzArchive() throws IOException {
    Path file = zip("arrays.npz", "arr_0.npy", "arr_1.npy");
    assertContains(malformed(file).detail(), "NumPy .npz archive (arrays: arr_0.npy, arr_1.npy)");
  }

  @Test
  void zippedFolderInsteadOfContents() throws IOException {
    Path file = zip("m.keras", "m/", "m/config.json", "m/model.weights.h5");
    assertContains(malformed(file).detail(), "top level", "m/config.json");
  }

  @Test
  void zippedSavedModel() throws IOException {
    Path file = zip("sm.zip", "sm/saved_model.pb", "sm/variables/variables.index");
    assertContains(malformed(file).detail(), "SavedModel (sm/saved_model.pb)", "unzip it");
  }

  @Test
  void zipSlipParentEntry() throws IOException {
    Path file = zip("m.keras", "config.json", "model.weights.h5", "assets/../../evil.sh");
    MalformedModelException e = malformed(file);
    assertEquals("assets/../../evil.sh", e.location());
    assertContains(e.detail(), "unsafe zip entry path (contains ..)");
  }

  @Test
  void zipSlipAbsoluteEntry() throws IOException {
    Path file = zip("m.keras", "config.json", "/etc/cron.d/evil");
    MalformedModelException e = malformed(file);
    assertEquals("/etc/cron.d/evil", e.location());
    assertContains(e.detail(), "absolute");
  }

  @Test
  void tooManyZipEntries() throws IOException {
    String[] names = new String[12];
    for (int i = 0; i < names.length; i++) {
      names[i] = "f" + i;
    }
    Path file = zip("many.keras", names);
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> FormatDetector.detect(file, 10));
    assertContains(e.detail(), "12 entries (more than 10)");
  }

  @Test
  void truncatedZip() throws IOException {
    Path whole = tmp.resolve("whole.keras");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(whole))) {
      out.putNextEntry(new ZipEntry("config.json"));
      out.write("{}".getBytes(UTF_8));
      out.putNextEntry(new ZipEntry("model.weights.h5"));
      out.write(new byte[100_000]);
    }
    Path cut = write("cut.keras", head(whole, (int) Files.size(whole) / 2));
    assertContains(
        malformed(cut).detail(), "truncated or corrupt zip archive", "incomplete download");
  }

  // ---------------------------------------------------------------------------------------------
  // HDF5

  @Test
  void hdf5FromCorpus() throws IOException {
    Path file = corpusFile("h5-full/k2-dense-tf.h5");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.HDF5, d.kind());
    assertEquals(Format.H5, d.format());
    assertTrue(d.hdf5());
    assertEquals(0, d.superblock().offset());
    assertEquals(0, d.superblock().version());
    assertEquals(8, d.superblock().sizeOfOffsets());
    assertEquals(Files.size(file), d.superblock().declaredEof());
    assertEquals(Files.size(file), d.superblock().fileSize());
  }

  @Test
  void emptyHdf5IsLeftToTheReader() throws IOException {
    Path file = corpusFile("h5-other/empty-hdf5-named-like-model.h5");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.HDF5, d.kind());
    assertEquals(800, d.superblock().declaredEof());
  }

  @Test
  void truncatedHdf5() throws IOException {
    Path source = corpusFile("h5-full/k2-lstm-tf.h5");
    long size = Files.size(source);
    Path cut = write("lstm.h5", head(source, (int) size / 2));
    assertEquals(
        "truncated HDF5 file: "
            + size / 2
            + " bytes, the superblock says "
            + size
            + " (incomplete download or copy?)",
        malformed(cut).detail());
  }

  @Test
  void hdf5TruncatedOneByteShort() throws IOException {
    Path source = corpusFile("h5-full/k2-lstm-tf.h5");
    long size = Files.size(source);
    Path cut = write("lstm.h5", head(source, (int) size - 1));
    assertContains(malformed(cut).detail(), "the superblock says " + size);
  }

  @Test
  void hdf5TruncatedInsideSuperblock() throws IOException {
    Path cut = write("x.h5", head(corpusFile("h5-full/k2-lstm-tf.h5"), 50));
    assertEquals(
        "truncated HDF5 file: 50 bytes, it ends inside the superblock"
            + " (incomplete download or copy?)",
        malformed(cut).detail());
  }

  @Test
  void hdf5TruncatedInsideSignature() throws IOException {
    Path cut = write("x.h5", Arrays.copyOf(SIGNATURE, 5));
    assertContains(malformed(cut).detail(), "truncated HDF5 file: 5 bytes", "signature");
  }

  @Test
  void hdf5SignatureOnly() throws IOException {
    Path cut = write("x.h5", SIGNATURE);
    assertContains(malformed(cut).detail(), "ends inside the superblock");
  }

  @Test
  void hdf5BehindUserBlock() throws IOException {
    byte[] original = Files.readAllBytes(corpusFile("h5-full/k2-dense-tf.h5"));
    Path file = write("ub.h5", concat(new byte[512], original));
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.HDF5, d.kind());
    assertEquals(512, d.superblock().offset());
    assertEquals(original.length + 512L, d.superblock().declaredEof());

    Path cut = write("ubcut.h5", head(file, 4096));
    assertContains(malformed(cut).detail(), "truncated HDF5 file: 4096 bytes");
  }

  @Test
  void hdf5UserBlockOf2048() throws IOException {
    byte[] sb = hdf5V2(2, 2048 + 100, 100, 48);
    // base address field says 2048, as HDF5 writes it for a real user block
    ByteBuffer.wrap(sb).order(ByteOrder.LITTLE_ENDIAN).putLong(12, 2048);
    Path file = write("ub2048.h5", concat(new byte[2048], sb));
    Detection d = FormatDetector.detect(file);
    assertEquals(2048, d.superblock().offset());
    assertEquals(2048, d.superblock().baseAddress());
    assertEquals(2148, d.superblock().declaredEof());
  }

  @ParameterizedTest
  @CsvSource({"2", "3"})
  void hdf5SuperblockV2AndV3(int version) throws IOException {
    Path ok = write("v" + version + ".h5", hdf5V2(version, 96, 96, 48));
    Detection d = FormatDetector.detect(ok);
    assertEquals(version, d.superblock().version());
    assertEquals(96, d.superblock().declaredEof());

    Path cut = write("v" + version + "cut.h5", hdf5V2(version, 4000, 96, 48));
    assertEquals(
        "truncated HDF5 file: 96 bytes, the superblock says 4000 (incomplete download or copy?)",
        malformed(cut).detail());
  }

  @Test
  void hdf5UndefinedEofIsNotChecked() throws IOException {
    Path file = write("undef.h5", hdf5V2(2, -1L, 64, 48));
    assertEquals(-1, FormatDetector.detect(file).superblock().declaredEof());
  }

  @Test
  void hdf5RootPastEof() throws IOException {
    Path file = write("root.h5", hdf5V2(2, 96, 96, 5000));
    assertContains(
        malformed(file).detail(), "corrupt HDF5 superblock: the root group address 5000");
  }

  @Test
  void hdf5UnknownSuperblockVersion() throws IOException {
    Path file = write("v9.h5", hdf5V2(9, 96, 96, 48));
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> FormatDetector.detect(file));
    assertContains(e.getMessage(), file.toString(), "superblock version 9 is unknown");
  }

  @Test
  void hdf5BadSizeOfOffsets() throws IOException {
    byte[] sb = hdf5V2(2, 96, 96, 48);
    sb[9] = 3;
    Path file = write("bad.h5", sb);
    assertContains(malformed(file).detail(), "size of offsets is 3");
  }

  // ---------------------------------------------------------------------------------------------
  // JSON

  @Test
  void kerasConfigJson() throws IOException {
    Path file =
        write(
            "model.json",
            "{\"class_name\": \"Sequential\","
                + " \"config\": {\"layers\": [{\"class_name\": \"Dense\"}]},"
                + " \"keras_version\": \"2.1.3\"}");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.KERAS_JSON_CONFIG, d.kind());
    assertNull(d.format());
  }

  @Test
  void kerasConfigJsonWithLateKeys() throws IOException {
    StringBuilder big = new StringBuilder("{\"backend\": \"tensorflow\", \"notes\": [");
    for (int i = 0; i < 5000; i++) {
      big.append(i == 0 ? "" : ",").append("{\"x\": ").append(i).append('}');
    }
    big.append("], \"class_name\": \"Model\", \"config\": {}}");
    Detection d = FormatDetector.detect(write("late.json", big.toString()));
    assertEquals(Kind.KERAS_JSON_CONFIG, d.kind());
  }

  @Test
  void shardedWeightsManifest() throws IOException {
    Path file =
        write(
            "model.weights.json",
            "{\"metadata\": {\"total_size\": 123}, \"weight_map\":"
                + " {\"layers/dense/vars\": \"model_00000.weights.h5\"}}");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.SHARDED_WEIGHTS_JSON, d.kind());
    assertEquals(Format.KERAS3_WEIGHTS, d.format());
  }

  @Test
  void safetensorsIndexNamesSafetensorsShards() throws IOException {
    Path file =
        write(
            "model.safetensors.index.json",
            "{\"metadata\": {\"total_size\": 8}, \"weight_map\":"
                + " {\"fc.weight\": \"model-00001-of-00001.safetensors\"}}");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.SAFETENSORS_INDEX, d.kind());
    assertEquals(Format.SAFETENSORS, d.format());
  }

  @Test
  void safetensorsByContentAndItsHeaderLengthCheckedAgainstTheSize() throws IOException {
    byte[] json = "{}      ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putLong(8).put(json);
    Path ok = tmp.resolve("weights.bin");
    Files.write(ok, b.array());
    assertEquals(Kind.SAFETENSORS, FormatDetector.detect(ok).kind());
    b.putLong(0, 9);
    Path cut = tmp.resolve("cut.bin");
    Files.write(cut, b.array());
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> FormatDetector.detect(cut));
    assertTrue(e.getMessage().contains("header length 9 exceeds the 8 bytes"), e.getMessage());
  }

  @Test
  void otherJsonObject() throws IOException {
    Path file = write("data.json", "{\"name\": \"x\", \"values\": [1, 2, 3]}");
    assertEquals(
        "JSON file that is not a Keras model config (top-level keys: name, values;"
            + " expected class_name and config)",
        malformed(file).detail());
  }

  @Test
  void jsonArray() throws IOException {
    Path file = write("a.json", "  [1, 2]");
    assertContains(malformed(file).detail(), "JSON array, not a Keras model config");
  }

  @Test
  void invalidJson() throws IOException {
    Path file = write("bad.json", "{\"class_name\": \"Sequential\",\n \"config\": {\"layers\": [}");
    assertContains(malformed(file).detail(), "invalid JSON at line 2");
  }

  @Test
  void tensorflowJsModel() throws IOException {
    Path file =
        write(
            "model.json",
            "{\"format\": \"layers-model\", \"generatedBy\": \"keras v2.4\","
                + " \"modelTopology\": {}, \"weightsManifest\": []}");
    assertContains(malformed(file).detail(), "TensorFlow.js");
  }

  // ---------------------------------------------------------------------------------------------
  // other files

  @Test
  void unknownBinaryShowsBytes() throws IOException {
    Path file = write("x.bin", new byte[] {0, 1, 2, 3, (byte) 0xfe, 5, 6, 7, 8, 9});
    assertEquals(
        "not a Keras or TensorFlow model file"
            + " (starts with bytes 0x00 0x01 0x02 0x03 0xfe 0x05 0x06 0x07 ...)",
        malformed(file).detail());
  }

  @Test
  void unknownTextShowsFirstLine() throws IOException {
    Path file = write("notes.h5", "hello, this is not a model\nsecond line\n");
    assertEquals(
        "not a Keras or TensorFlow model file (starts with \"hello, this is not a model\")",
        malformed(file).detail());
  }

  @ParameterizedTest
  @CsvSource({
    "93 4e 55 4d 50 59 01 00 76 00, NumPy .npy array",
    "1f 8b 08 00 00 00 00 00 00 03, gzip-compressed",
    "1c 00 00 00 54 46 4c 33 00 00, TensorFlow Lite",
    "80 04 95 10 00 00 00 00 00 00, Python pickle"
  })
  void recognizedNonKerasFormats(String hex, String expected) throws IOException {
    String[] parts = hex.trim().split(" ");
    byte[] content = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      content[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    assertContains(malformed(write("model.h5", content)).detail(), expected);
  }

  @Test
  void savedModelPbGivenDirectly() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("sm"));
    Path pb = Files.write(dir.resolve("saved_model.pb"), new byte[] {0x08, 0x01, 0x12, 0x05});
    assertEquals(
        "is the graph file of a TensorFlow SavedModel: pass its directory (" + dir + ") instead",
        malformed(pb).detail());
  }

  @Test
  void savedModelVariablesIndexGivenDirectly() throws IOException {
    Path file = write("variables.index", new byte[] {0, 0, 0, 1, 2, 3});
    assertContains(malformed(file).detail(), "one file of a TensorFlow SavedModel");
  }

  // ---------------------------------------------------------------------------------------------
  // directories

  @Test
  void savedModelDirectory() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("sm"));
    Files.write(dir.resolve("saved_model.pb"), new byte[] {0x08, 0x01});
    Files.createDirectory(dir.resolve("variables"));
    Detection d = FormatDetector.detect(dir);
    assertEquals(Kind.SAVED_MODEL_DIR, d.kind());
    assertEquals(Format.SAVED_MODEL, d.format());
    assertTrue(d.directory());
  }

  @Test
  void savedModelPbtxtDirectory() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("sm"));
    Files.writeString(dir.resolve("saved_model.pbtxt"), "saved_model_schema_version: 1\n");
    assertEquals(Kind.SAVED_MODEL_DIR, FormatDetector.detect(dir).kind());
  }

  @Test
  void savedModelWhoseGraphIsAnLfsPointer() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("sm"));
    Path pb =
        Files.writeString(
            dir.resolve("saved_model.pb"),
            "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 10\n");
    MalformedModelException e = malformed(pb);
    MalformedModelException fromDir =
        assertThrows(MalformedModelException.class, () -> FormatDetector.detect(dir));
    assertEquals(e.getMessage(), fromDir.getMessage());
    assertContains(fromDir.getMessage(), "saved_model.pb: is a Git LFS pointer");
  }

  @Test
  void unzippedKerasDirectory() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Files.writeString(
        dir.resolve("config.json"), "{\"class_name\": \"Sequential\", \"config\": {}}");
    Files.writeString(dir.resolve("metadata.json"), "{\"keras_version\": \"3.5.0\"}");
    Files.write(dir.resolve("model.weights.h5"), hdf5V2(2, 96, 96, 48));
    Detection d = FormatDetector.detect(dir);
    assertEquals(Kind.KERAS_DIR, d.kind());
    assertEquals(Format.KERAS, d.format());
    assertEquals("model.weights.h5", d.weightsName());
  }

  @Test
  void unzippedKerasDirectoryWithShardedWeights() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Files.writeString(dir.resolve("config.json"), "{}");
    Files.writeString(dir.resolve("model.weights.json"), "{\"weight_map\": {}}");
    assertEquals("model.weights.json", FormatDetector.detect(dir).weightsName());
  }

  @Test
  void unzippedKerasDirectoryWithTruncatedWeights() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Files.writeString(dir.resolve("config.json"), "{}");
    Path weights = Files.write(dir.resolve("model.weights.h5"), hdf5V2(2, 5000, 96, 48));
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> FormatDetector.detect(dir));
    assertEquals(weights, e.file());
    assertContains(e.detail(), "truncated HDF5 file");
  }

  @Test
  void unzippedKerasDirectoryWithZipWeights() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Files.writeString(dir.resolve("config.json"), "{}");
    Path inner = zip("inner.keras", "config.json", "model.weights.h5");
    Files.copy(inner, dir.resolve("model.weights.h5"));
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> FormatDetector.detect(dir));
    assertContains(e.detail(), "expected HDF5 weights, found a .keras zip archive");
  }

  @Test
  void unzippedKerasDirectoryWithoutWeights() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Files.writeString(dir.resolve("config.json"), "{}");
    assertContains(malformed(dir).detail(), "config.json but no model.weights.h5");
  }

  @Test
  void emptyDirectory() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("d"));
    assertEquals(
        "directory is neither a SavedModel (no saved_model.pb) nor an unzipped .keras archive"
            + " (no config.json); it is empty",
        malformed(dir).detail());
  }

  @Test
  void directoryOfOtherFiles() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("d"));
    Files.writeString(dir.resolve("b.txt"), "b");
    Files.writeString(dir.resolve("a.h5"), "a");
    assertContains(malformed(dir).detail(), "neither a SavedModel", "it holds: a.h5, b.txt");
  }

  @Test
  void savedModelDirectoryWithoutGraph() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("sm"));
    Files.createDirectory(dir.resolve("variables"));
    assertContains(malformed(dir).detail(), "saved_model.pb is missing");
  }

  // ---------------------------------------------------------------------------------------------
  // access

  @Test
  void missingPath() {
    Path missing = tmp.resolve("nope.h5");
    assertThrows(NoSuchFileException.class, () -> FormatDetector.detect(missing));
  }

  @Test
  void danglingSymlink() throws IOException {
    Path link;
    try {
      link = Files.createSymbolicLink(tmp.resolve("link.h5"), tmp.resolve("gone.h5"));
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "no symbolic links here");
      return;
    }
    assertThrows(NoSuchFileException.class, () -> FormatDetector.detect(link));
  }

  @Test
  void unreadableFile() throws IOException {
    Path file = write("secret.h5", SIGNATURE);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    } catch (UnsupportedOperationException e) {
      assumeTrue(false, "no POSIX permissions");
    }
    assumeFalse(Files.isReadable(file), "running as a user that reads anything (root)");
    assertThrows(AccessDeniedException.class, () -> FormatDetector.detect(file));
  }

  // ---------------------------------------------------------------------------------------------
  // the real corpus

  /** Every file and SavedModel in the corpus is recognized as its kind, or rejected by name. */
  @TestFactory
  Stream<DynamicTest> everyCorpusItem() throws IOException {
    Path root = corpus();
    Map<String, Kind> expected = new TreeMap<>();
    for (String dir : List.of("h5-full", "h5-weights", "h5-other", "keras-v3", "configs")) {
      try (Stream<Path> files = Files.list(root.resolve(dir))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String name = f.getFileName().toString();
          Kind kind =
              name.endsWith(".json")
                  ? Kind.KERAS_JSON_CONFIG
                  : dir.equals("keras-v3") ? Kind.KERAS_ZIP : Kind.HDF5;
          expected.put(dir + "/" + name, kind);
        }
      }
    }
    try (Stream<Path> dirs = Files.list(root.resolve("savedmodel"))) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        expected.put("savedmodel/" + d.getFileName() + "/", Kind.SAVED_MODEL_DIR);
      }
    }
    Set<String> invalid = manifestRows(root, "invalid-input");
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, Kind> item : expected.entrySet()) {
      Path path = root.resolve(item.getKey());
      tests.add(
          DynamicTest.dynamicTest(
              item.getKey(),
              () -> {
                try {
                  Detection d = FormatDetector.detect(path);
                  assertEquals(item.getValue(), d.kind(), item.getKey());
                  assertEquals(path, d.path());
                } catch (MalformedModelException e) {
                  assertTrue(invalid.contains(item.getKey()), "rejected: " + e.getMessage());
                  assertContains(e.getMessage(), path.getFileName().toString());
                }
              }));
      if (item.getValue() == Kind.SAVED_MODEL_DIR) {
        Path pb = path.resolve("saved_model.pb");
        tests.add(
            DynamicTest.dynamicTest(
                item.getKey() + "saved_model.pb",
                () -> assertContains(malformed(pb).detail(), "pass its directory")));
      }
    }
    return tests.stream();
  }

  @Test
  void manifestRowsAreAllOnDisk() throws IOException {
    Path root = corpus();
    Set<String> rows = manifestRows(root, "");
    assertFalse(rows.isEmpty());
    for (String relpath : rows) {
      assertTrue(Files.exists(root.resolve(relpath)), relpath);
    }
  }

  @Test
  void truncatedCorpusKerasArchive() throws IOException {
    Path source = corpusFile("keras-v3/k3-gru-functional-3.10.keras");
    Path cut = write("gru.keras", head(source, (int) Files.size(source) - 100));
    assertContains(malformed(cut).detail(), "truncated or corrupt zip archive");
  }

  @Test
  void corpusConfigWritesNoFormat() throws IOException {
    Path file = corpusFile("configs/kotlindl-initializer-identity.config.json");
    Detection d = FormatDetector.detect(file);
    assertEquals(Kind.KERAS_JSON_CONFIG, d.kind());
    assertNull(d.format());
    assertNotNull(d.path());
  }

  /** Relpaths of manifest rows whose category contains {@code tag} ("" for all). */
  private static Set<String> manifestRows(Path root, String tag) throws IOException {
    Path manifest = root.resolve("MANIFEST.tsv");
    if (!Files.isRegularFile(manifest)) {
      return Set.of();
    }
    try (Stream<String> lines = Files.lines(manifest, UTF_8)) {
      return lines
          .skip(1)
          .map(line -> line.split("\t", -1))
          .filter(cols -> cols.length > 1 && cols[1].contains(tag))
          .map(cols -> cols[0])
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }
}
