package dev.initkit.format.keras3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-pass zip writer gives the bytes {@link ZipOutputStream} gives, and the stored-member
 * locator finds a member's bytes where {@link ZipOutputStream} put them.
 */
class StoredZipTest {
  @TempDir Path dir;

  private static final long TIME = 315532800000L + 86400000L;

  @Test
  void onePassWriterMatchesZipOutputStream() throws IOException {
    for (int size : new int[] {0, 1, (3 << 20) + 17}) {
      Path weights = dir.resolve("w" + size + ".h5");
      byte[] data = new byte[size];
      new Random(size).nextBytes(data);
      Files.write(weights, data);
      List<StoredZipWriter.Member> members = List.of(
          new StoredZipWriter.Member("metadata.json", "{\"keras_version\": \"3.12.0\"}".getBytes(StandardCharsets.UTF_8), null),
          new StoredZipWriter.Member("config.json", "{}".getBytes(StandardCharsets.UTF_8), null),
          new StoredZipWriter.Member("model.weights.h5", null, weights));
      Path fast = dir.resolve("fast" + size + ".zip");
      Path slow = dir.resolve("slow" + size + ".zip");
      StoredZipWriter.write(fast, members, TIME);
      try (OutputStream os = Files.newOutputStream(slow); ZipOutputStream zip = new ZipOutputStream(os)) {
        for (StoredZipWriter.Member m : members) {
          byte[] b = m.bytes() != null ? m.bytes() : Files.readAllBytes(m.file());
          CRC32 crc = new CRC32();
          crc.update(b);
          ZipEntry e = new ZipEntry(m.name());
          e.setMethod(ZipEntry.STORED);
          e.setSize(b.length);
          e.setCompressedSize(b.length);
          e.setCrc(crc.getValue());
          e.setTime(TIME);
          zip.putNextEntry(e);
          zip.write(b);
          zip.closeEntry();
        }
      }
      assertEquals(-1, Files.mismatch(fast, slow), "archives with a " + size + "-byte member differ");

      try (FileChannel ch = FileChannel.open(fast, StandardOpenOption.READ)) {
        long at = StoredMemberLocator.dataOffset(ch, "model.weights.h5", size);
        ByteBuffer got = ByteBuffer.allocate(size);
        ch.read(got, at);
        assertArrayEquals(data, got.array());
        assertEquals(-1, StoredMemberLocator.dataOffset(ch, "model.weights.h5", size + 1L), "a size the directory does not declare");
        assertEquals(-1, StoredMemberLocator.dataOffset(ch, "absent.h5", size));
      }
    }
  }

  @Test
  void deflatedMembersAreNotLocated() throws IOException {
    Path z = dir.resolve("deflated.zip");
    byte[] b = new byte[10_000];
    try (OutputStream os = Files.newOutputStream(z); ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry("model.weights.h5"));
      zip.write(b);
      zip.closeEntry();
    }
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      assertEquals(-1, StoredMemberLocator.dataOffset(ch, "model.weights.h5", b.length));
    }
  }
}
