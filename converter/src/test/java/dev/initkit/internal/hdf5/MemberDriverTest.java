package dev.initkit.internal.hdf5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.model.DType;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link H5File#openMember}: an HDF5 file read where it lies inside another file (a stored zip
 * member) reads exactly as the same bytes extracted to a file of their own.
 */
class MemberDriverTest {
  @TempDir Path dir;

  private static Path models() {
    return TestFiles.testdata().resolve("models");
  }

  /** The generated archives, and the corpus's when it is there. */
  private static List<Path> kerasArchives() throws IOException {
    List<Path> roots = new ArrayList<>(List.of(models()));
    String corpus = System.getProperty("initkit.corpus");
    if (corpus != null && Files.isDirectory(Path.of(corpus, "keras-v3"))) {
      roots.add(Path.of(corpus, "keras-v3"));
    }
    List<Path> out = new ArrayList<>();
    for (Path root : roots) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> p.toString().endsWith(".keras") && Files.isRegularFile(p))
            .sorted()
            .forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void weightsOfEveryKerasWrittenArchiveReadInPlaceAsExtracted() throws IOException {
    List<Path> archives = kerasArchives();
    assertTrue(archives.size() >= 20, "testdata has the Keras archives: " + archives.size());
    int unaligned = 0;
    int read = 0;
    for (Path archive : archives) {
      byte[] member;
      try (ZipFile zip = new ZipFile(archive.toFile())) {
        ZipEntry e = zip.getEntry("model.weights.h5");
        if (e == null || e.getMethod() != ZipEntry.STORED) {
          continue; // a damaged corpus file, or one without HDF5 weights: the reader's tests cover
          // those
        }
        try (InputStream in = zip.getInputStream(e)) {
          member = in.readAllBytes();
        }
      }
      long at = indexOf(Files.readAllBytes(archive), member);
      assertTrue(at > 0, archive + ": member bytes found in the archive");
      unaligned += at % 512 != 0 ? 1 : 0;
      Path extracted = dir.resolve("extracted.h5");
      Files.write(extracted, member);
      Map<String, String> expected;
      try (H5File copy = H5File.openReadOnly(extracted)) {
        expected = contents(copy.root());
      } catch (H5Exception damaged) {
        continue; // not readable extracted either
      }
      try (H5File inPlace = H5File.openMember(archive, at, member.length, archive)) {
        assertEquals(expected, contents(inPlace.root()), archive.toString());
      }
      read++;
      assertEquals(0, MemberDriver.openCount(), "closed files leave the driver");
    }
    assertTrue(read >= 20, "archives read: " + read);
    // HDF5 alone could not open these where they lie: its superblock search looks at 0, 512, 1024,
    // ...
    assertTrue(unaligned > 0, "some members start off HDF5's superblock positions");
  }

  @Test
  void largeDatasetsOfAMemberAreCopiedKernelSideFromTheirPlaceInTheContainer() throws IOException {
    Path src = dir.resolve("src.h5");
    byte[] data = new byte[3000 * 1024 * 4];
    new Random(11).nextBytes(data);
    try (H5File f = H5File.create(src);
        H5Dataset ds = f.root().createDataset("w/kernel", DType.FLOAT32, new long[] {3000, 1024})) {
      ds.writeRows(0, ds.rows(), ByteBuffer.allocateDirect(data.length).put(data).flip());
    }
    byte[] file = Files.readAllBytes(src);
    Path container = dir.resolve("container.bin");
    byte[] head = new byte[777];
    byte[] tail = new byte[333];
    new Random(12).nextBytes(head);
    new Random(13).nextBytes(tail);
    Files.write(container, concat(head, file, tail));

    Path fromPlain = dir.resolve("plain-copy.h5");
    try (H5File in = H5File.openReadOnly(src);
        H5File out = H5File.create(fromPlain)) {
      out.root().copyFrom(in.root(), "w/kernel", "w/kernel", true);
    }
    long before = H5Group.RAW_COPIED_BYTES.get();
    Path fromMember = dir.resolve("member-copy.h5");
    try (H5File in = H5File.openMember(container, head.length, file.length, container);
        H5File out = H5File.create(fromMember)) {
      out.root().copyFrom(in.root(), "w/kernel", "w/kernel", true);
    }
    assertNotEquals(before, H5Group.RAW_COPIED_BYTES.get(), "the kernel-side copy was taken");
    assertEquals(
        -1,
        Files.mismatch(fromPlain, fromMember),
        "copies from the file and from the member differ");
    try (H5File f = H5File.openReadOnly(fromMember);
        H5Dataset ds = f.root().openDataset("w/kernel")) {
      ByteBuffer back = ByteBuffer.allocateDirect(data.length);
      ds.readRows(0, ds.rows(), back);
      assertEquals(ByteBuffer.wrap(data), back.flip());
    }
  }

  @Test
  void aCutOrMisplacedMemberIsAnErrorAndLeavesNothingOpen() throws IOException {
    Path archive = models().resolve("mlp/keras3.keras");
    byte[] member;
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      try (InputStream in = zip.getInputStream(zip.getEntry("model.weights.h5"))) {
        member = in.readAllBytes();
      }
    }
    long at = indexOf(Files.readAllBytes(archive), member);
    // cut short: HDF5 finds its data past the end (the driver reads zeros there, as past a file's
    // end)
    assertThrows(H5Exception.class, () -> openAndRead(archive, at, member.length / 2));
    assertThrows(H5Exception.class, () -> openAndRead(archive, at, 100));
    // one byte off: no superblock where the member should start
    H5Exception e =
        assertThrows(H5Exception.class, () -> openAndRead(archive, at + 1, member.length - 1));
    assertTrue(e.getMessage().contains("open HDF5 file"), e.getMessage());
    assertEquals(0, MemberDriver.openCount());
  }

  @Test
  void theMemberStaysReadableWhenTheContainerIsUnlinked() throws IOException {
    Path archive = dir.resolve("copy.keras");
    Files.copy(models().resolve("conv2d/keras3.keras"), archive);
    byte[] member;
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      try (InputStream in = zip.getInputStream(zip.getEntry("model.weights.h5"))) {
        member = in.readAllBytes();
      }
    }
    long at = indexOf(Files.readAllBytes(archive), member);
    Path extracted = dir.resolve("extracted.h5");
    Files.write(extracted, member);
    try (H5File inPlace = H5File.openMember(archive, at, member.length, archive);
        H5File copy = H5File.openReadOnly(extracted)) {
      Files.delete(archive);
      assertEquals(contents(copy.root()), contents(inPlace.root()));
    }
  }

  private static void openAndRead(Path archive, long at, long length) throws H5Exception {
    try (H5File f = H5File.openMember(archive, at, length, archive)) {
      contents(f.root());
    }
  }

  /** Every dataset under {@code g}: path -> its attributes and raw bytes, as text. */
  private static Map<String, String> contents(H5Group g) throws H5Exception {
    Map<String, String> out = new TreeMap<>();
    collect(g, out);
    return out;
  }

  private static void collect(H5Group g, Map<String, String> out) throws H5Exception {
    out.put(g.path() + " (group)", String.valueOf(g.attributes()));
    for (String name : g.childNames()) {
      if (g.kind(name) == H5Group.Kind.GROUP) {
        try (H5Group c = g.openGroup(name)) {
          collect(c, out);
        }
      } else if (g.kind(name) == H5Group.Kind.DATASET) {
        try (H5Dataset ds = g.openDataset(name)) {
          ByteBuffer b =
              ByteBuffer.allocateDirect((int) ds.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
          ds.readRows(0, ds.rows(), b);
          b.flip();
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          out.put(
              ds.path(),
              ds.attributes() + " " + java.util.Arrays.hashCode(bytes) + " " + bytes.length);
        }
      }
    }
  }

  private static long indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < Math.min(needle.length, 64); j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      if (java.util.Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] concat(byte[]... parts) {
    List<byte[]> list = new ArrayList<>(List.of(parts));
    int n = list.stream().mapToInt(p -> p.length).sum();
    ByteBuffer b = ByteBuffer.allocate(n);
    list.forEach(b::put);
    return b.array();
  }
}
