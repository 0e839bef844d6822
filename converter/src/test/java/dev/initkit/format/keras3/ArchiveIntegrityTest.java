package dev.initkit.format.keras3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.MalformedModelException;
import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.ops.InitReport;
import dev.initkit.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, items 5 and 6: initkit reads a .keras archive as Keras's zipfile does. A damaged member
 * (its CRC-32 is not the recorded one) is refused before any output made from it is kept; a local
 * header that names another member is refused; bytes prepended to the archive move every offset, as
 * java.util.zip and Python move them.
 */
class ArchiveIntegrityTest {
  @TempDir Path tmp;

  private static Path original() {
    return TestFiles.testdata().resolve("models/mlp/keras3.keras");
  }

  /** One flipped bit in a kernel's stored bytes: the member's CRC no longer holds. */
  @Test
  void aFlippedBitInWeightDataLeavesNoOutput() throws IOException {
    byte[] archive = Files.readAllBytes(original());
    byte[] kernel;
    try (LoadedModel m = ModelIO.open(original())) {
      Weight w = m.model().layerWeights().get(0);
      ByteBuffer b = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      m.tensors().readRows(w, 0, w.shape().dim(0), b);
      kernel = new byte[b.flip().remaining()];
      b.get(kernel);
    }
    int at = indexOf(archive, kernel);
    assertTrue(at > 0, "the kernel's bytes lie in the archive as stored");
    archive[at + kernel.length / 2] ^= 0x10;
    Path damaged = Files.write(tmp.resolve("damaged.keras"), archive);
    Path out = tmp.resolve("out.h5");
    try (LoadedModel m = ModelIO.open(damaged)) { // metadata only: no weight byte read yet
      MalformedModelException e =
          assertThrows(
              MalformedModelException.class,
              () -> ModelIO.write(m, out, ModelIO.WriteOptions.defaults()));
      assertTrue(
          e.getMessage().contains("model.weights.h5") && e.getMessage().contains("Bad CRC-32"),
          e.getMessage());
      assertThrows(MalformedModelException.class, () -> InitReport.of(m));
    }
    assertFalse(Files.exists(out), "no output from damaged bytes");
    try (var s = Files.list(tmp)) {
      assertEquals(1, s.count(), "no temporary left");
    }
  }

  @Test
  void aWrongCrcOnTheConfigIsRefused() throws IOException {
    byte[] archive = Files.readAllBytes(original());
    int at = indexOf(archive, "\"name\"".getBytes(StandardCharsets.UTF_8));
    archive[at + 1] = 'N';
    Path damaged = Files.write(tmp.resolve("config.keras"), archive);
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> ModelIO.open(damaged).close());
    assertTrue(
        e.getMessage().contains("config.json") && e.getMessage().contains("Bad CRC-32"),
        e.getMessage());
  }

  /** A local header named ../../evil.json (of the same length): Python's zipfile refuses it. */
  @Test
  void aLocalHeaderNamingAnotherMemberIsRefused() throws IOException {
    byte[] archive = Files.readAllBytes(original());
    byte[] name = "model.weights.h5".getBytes(StandardCharsets.UTF_8);
    int at = indexOf(archive, name); // the first occurrence: the local header's name
    System.arraycopy(
        "../../evil.jsonX".getBytes(StandardCharsets.UTF_8), 0, archive, at, name.length);
    Path tampered = Files.write(tmp.resolve("evil.keras"), archive);
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> ModelIO.open(tampered).close());
    assertTrue(e.getMessage().contains("local header"), e.getMessage());
  }

  /**
   * Bytes before the archive (here another zip): the member is read where java.util.zip reads it.
   */
  @Test
  void prependedBytesMoveEveryOffsetAsOtherReadersMoveThem() throws IOException {
    ByteArrayOutputStream prefix = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(prefix)) {
      z.putNextEntry(new ZipEntry("other.txt"));
      z.write(new byte[300]);
    }
    byte[] original = Files.readAllBytes(original());
    byte[] both = new byte[prefix.size() + original.length];
    System.arraycopy(prefix.toByteArray(), 0, both, 0, prefix.size());
    System.arraycopy(original, 0, both, prefix.size(), original.length);
    Path prefixed = Files.write(tmp.resolve("prefixed.keras"), both);
    byte[] viaJavaZip;
    long size;
    try (ZipFile z = new ZipFile(prefixed.toFile())) {
      ZipEntry w = z.getEntry("model.weights.h5");
      size = w.getSize();
      viaJavaZip = z.getInputStream(w).readAllBytes();
    }
    try (FileChannel ch = FileChannel.open(prefixed, StandardOpenOption.READ)) {
      long at = StoredMemberLocator.dataOffset(ch, "model.weights.h5", size, prefixed);
      assertTrue(at > prefix.size(), "found in place, after the prefix: " + at);
      ByteBuffer b = ByteBuffer.allocate((int) size);
      ch.read(b, at);
      assertArrayEquals(viaJavaZip, b.array(), "the bytes java.util.zip reads");
    }
    Path a = tmp.resolve("a.h5");
    Path b = tmp.resolve("b.h5");
    try (LoadedModel m = ModelIO.open(original())) {
      ModelIO.write(m, a, ModelIO.WriteOptions.defaults());
    }
    try (LoadedModel m = ModelIO.open(prefixed)) {
      ModelIO.write(m, b, ModelIO.WriteOptions.defaults());
    }
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
