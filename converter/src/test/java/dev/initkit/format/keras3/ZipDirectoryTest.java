package dev.initkit.format.keras3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.MalformedModelException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ZipDirectory} reads what java.util.zip writes (plain, zip64, with a comment) to the byte,
 * and names the file and the field of archives it cannot read: truncated, trailing bytes, a central
 * directory offset or size past the end record, a zip64 locator pointing nowhere.
 */
class ZipDirectoryTest {
  @TempDir Path dir;

  private static final byte[] CONFIG =
      "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\"}}"
          .getBytes(StandardCharsets.UTF_8);
  private static final byte[] WEIGHTS = new byte[100];

  static {
    for (int i = 0; i < WEIGHTS.length; i++) {
      WEIGHTS[i] = (byte) i;
    }
  }

  /** config.json deflated, then model.weights.h5 stored; an optional archive comment. */
  private Path archive(String name, String comment) throws IOException {
    Path z = dir.resolve(name);
    try (OutputStream os = Files.newOutputStream(z);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry("config.json"));
      zip.write(CONFIG);
      zip.closeEntry();
      ZipEntry w = new ZipEntry("model.weights.h5");
      w.setMethod(ZipEntry.STORED);
      w.setSize(WEIGHTS.length);
      w.setCompressedSize(WEIGHTS.length);
      w.setCrc(crc(WEIGHTS));
      zip.putNextEntry(w);
      zip.write(WEIGHTS);
      zip.closeEntry();
      if (comment != null) {
        zip.setComment(comment);
      }
    }
    return z;
  }

  @Test
  void plainArchive() throws IOException {
    Path z = archive("plain.keras", null);
    long size = Files.size(z);
    long compressed;
    try (ZipFile zf = new ZipFile(z.toFile())) {
      compressed = zf.getEntry("config.json").getCompressedSize();
    }
    // two local headers (the deflated one followed by a 16-byte data descriptor), then the
    // directory: 46 + 11 and 46 + 16 bytes, no extra fields
    long second = 30 + 11 + compressed + 16;
    long directoryOffset = second + 30 + 16 + WEIGHTS.length;
    long directorySize = 46 + 11 + 46 + 16;
    assertEquals(directoryOffset + directorySize + 22, size);

    ZipDirectory d = read(z);
    assertEquals(
        new ZipEndRecord(size - 22, 0, size, 2, directorySize, directoryOffset, -1, -1), d.end());
    assertFalse(d.end().zip64());
    assertEquals(0, d.end().trailingBytes());
    assertEquals(size - 22, d.end().directoryEnd());
    List<ZipDirectory.Entry> e = d.entries();
    assertEquals(2, e.size());
    assertEntry(
        e.get(0), "config.json", ZipEntry.DEFLATED, CONFIG.length, compressed, crc(CONFIG), 0);
    assertEntry(
        e.get(1),
        "model.weights.h5",
        ZipEntry.STORED,
        WEIGHTS.length,
        WEIGHTS.length,
        crc(WEIGHTS),
        second);
    sameAsZipFile(z, e);

    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      ZipDirectory.LocalHeader h = ZipDirectory.localHeader(z, ch, e.get(1));
      assertEquals(new ZipDirectory.LocalHeader(second, ZipEntry.STORED, 16, 0), h);
      ByteBuffer data = ByteBuffer.allocate(WEIGHTS.length);
      ch.read(data, h.dataStart());
      assertArrayEquals(
          WEIGHTS, data.array(), "the stored member's bytes start where its local header ends");
    }
  }

  @Test
  void zip64ArchiveOfMoreThan65535Entries() throws IOException {
    int count = 70_000;
    Path z = dir.resolve("many.zip");
    try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(z), 1 << 20);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      for (int i = 0; i < count; i++) {
        ZipEntry e = new ZipEntry(String.format("%05d", i));
        e.setMethod(ZipEntry.STORED);
        e.setSize(0);
        e.setCompressedSize(0);
        e.setCrc(0);
        zip.putNextEntry(e);
        zip.closeEntry();
      }
    }
    long size = Files.size(z);
    long directoryOffset = count * (30L + 5);
    long directorySize = count * (46L + 5);
    long zip64End = directoryOffset + directorySize;
    long end = zip64End + 56 + 20;
    assertEquals(end + 22, size);
    // the end record itself only says "look in the zip64 record" for the count
    assertEquals(0xFFFF, littleEndian(z, end + 10, 2));

    ZipEndRecord r = readEnd(z);
    assertEquals(
        new ZipEndRecord(end, 0, size, count, directorySize, directoryOffset, zip64End, zip64End),
        r);
    assertTrue(r.zip64());
    assertEquals(zip64End, r.directoryEnd());
    ZipDirectory d = read(z);
    assertEquals(count, d.entries().size());
    assertEntry(d.entries().get(0), "00000", ZipEntry.STORED, 0, 0, 0, 0);
    assertEntry(
        d.entries().get(count - 1),
        String.format("%05d", count - 1),
        ZipEntry.STORED,
        0,
        0,
        0,
        (count - 1) * 35L);

    // a locator that points to no zip64 end record: its values are ignored, as other readers do,
    // and the directory is not read from the 16-bit count alone
    patch(z, end - 20 + 8, 8, 12_345);
    r = readEnd(z);
    assertEquals(
        new ZipEndRecord(end, 0, size, 0xFFFF, directorySize, directoryOffset, 12_345, -1), r);
    assertFalse(r.zip64());
    assertEquals(
        "corrupt zip archive: the zip64 locator's end record offset 12345 points to no zip64 end"
            + " record before it (the locator is at "
            + (end - 20)
            + ")",
        refused(z).detail());
  }

  @Test
  void truncatedArchive() throws IOException {
    Path z = archive("whole.keras", null);
    byte[] b = Files.readAllBytes(z);
    for (int length : new int[] {b.length / 2, b.length - 1, 21, 3}) {
      Path cut = dir.resolve("cut" + length + ".keras");
      Files.write(cut, Arrays.copyOf(b, length));
      MalformedModelException e = assertThrows(MalformedModelException.class, () -> readEnd(cut));
      assertEquals(cut, e.file());
      assertEquals("", e.location());
      assertEquals(
          "truncated or corrupt zip archive: no end-of-central-directory record (incomplete download or copy?)",
          e.detail());
      assertEquals(e.detail(), refused(cut).detail());
    }
  }

  @Test
  void archiveWithComment() throws IOException {
    String comment = "made by initkit's tests; PK is not a signature here";
    Path z = archive("commented.keras", comment);
    Path plain = archive("plain.keras", null);
    long size = Files.size(z);
    assertEquals(Files.size(plain) + comment.length(), size);

    ZipDirectory d = read(z);
    ZipDirectory p = read(plain);
    assertEquals(
        new ZipEndRecord(
            size - 22 - comment.length(),
            comment.length(),
            size,
            2,
            p.end().directorySize(),
            p.end().directoryOffset(),
            -1,
            -1),
        d.end());
    assertEquals(0, d.end().trailingBytes());
    assertEquals(p.entries().size(), d.entries().size());
    for (int i = 0; i < p.entries().size(); i++) {
      ZipDirectory.Entry a = p.entries().get(i);
      assertEntry(
          d.entries().get(i),
          a.name(),
          a.method(),
          a.size(),
          a.compressedSize(),
          a.crc(),
          a.localHeader());
    }

    // bytes after the comment: the end record is found (java.util.zip reads such a file), but the
    // directory reader refuses to guess
    try (OutputStream os = Files.newOutputStream(z, StandardOpenOption.APPEND)) {
      os.write(new byte[] {1, 2, 3});
    }
    ZipEndRecord r = readEnd(z);
    assertEquals(size - 22 - comment.length(), r.position());
    assertEquals(3, r.trailingBytes());
    assertEquals(
        "corrupt zip archive: the end record's comment length "
            + comment.length()
            + " does not reach the file's end (3 more bytes follow)",
        refused(z).detail());
  }

  @Test
  void centralDirectoryOffsetPastTheEnd() throws IOException {
    Path z = archive("offset.keras", null);
    long size = Files.size(z);
    long end = size - 22;
    long directorySize = read(z).end().directorySize();
    patch(z, end + 16, 4, size + 1000);

    ZipEndRecord r = readEnd(z);
    assertEquals(size + 1000, r.directoryOffset(), "the end record's values as stored");
    MalformedModelException e = refused(z);
    assertEquals(z, e.file());
    assertEquals(
        z
            + ": corrupt zip archive: the end record's central directory offset "
            + (size + 1000)
            + " plus its size "
            + directorySize
            + " is past the end record at "
            + end
            + " (a truncated or tampered archive)",
        e.getMessage());
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      assertNull(
          StoredMemberLocator.directory(ch, z), "the in-place reader leaves it to java.util.zip");
    }
  }

  @Test
  void centralDirectorySizePastTheEndAndDeferredToAMissingZip64Record() throws IOException {
    Path z = archive("size.keras", null);
    long end = Files.size(z) - 22;
    patch(z, end + 12, 4, end + 1);
    assertEquals(
        "corrupt zip archive: the end record's central directory size "
            + (end + 1)
            + " is more than the "
            + end
            + " bytes before the end record",
        refused(z).detail());
    patch(z, end + 12, 4, 0xFFFFFFFFL);
    assertEquals(
        "corrupt zip archive: the end record's central directory size is 0xFFFFFFFF,"
            + " which defers to a zip64 end record, and there is none",
        refused(z).detail());
  }

  @Test
  void signatures() {
    assertTrue(ZipDirectory.hasSignature(new byte[] {'P', 'K', 3, 4, 0}));
    assertTrue(ZipDirectory.hasSignature(new byte[] {'P', 'K', 5, 6}));
    assertFalse(ZipDirectory.hasSignature(new byte[] {'P', 'K', 1, 2}));
    assertFalse(ZipDirectory.hasSignature(new byte[] {'P', 'K', 3}));
  }

  private static void assertEntry(
      ZipDirectory.Entry e,
      String name,
      int method,
      long size,
      long compressedSize,
      long crc,
      long localHeader) {
    assertEquals(name, e.name());
    assertEquals(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8)), e.rawName());
    assertTrue(e.named(name.getBytes(StandardCharsets.UTF_8)));
    assertEquals(method, e.method(), name);
    assertEquals(size, e.size(), name);
    assertEquals(compressedSize, e.compressedSize(), name);
    assertEquals(crc, e.crc(), name);
    assertEquals(localHeader, e.localHeader(), name);
  }

  /** java.util.zip sees the same entries. */
  private static void sameAsZipFile(Path z, List<ZipDirectory.Entry> entries) throws IOException {
    try (ZipFile zf = new ZipFile(z.toFile())) {
      Enumeration<? extends ZipEntry> en = zf.entries();
      for (ZipDirectory.Entry e : entries) {
        ZipEntry j = en.nextElement();
        assertEquals(j.getName(), e.name());
        assertEquals(j.getMethod(), e.method());
        assertEquals(j.getSize(), e.size());
        assertEquals(j.getCompressedSize(), e.compressedSize());
        assertEquals(j.getCrc(), e.crc());
      }
      assertFalse(en.hasMoreElements());
    }
  }

  private static ZipEndRecord readEnd(Path z) throws IOException {
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      return ZipDirectory.readEnd(z, ch);
    }
  }

  private static ZipDirectory read(Path z) throws IOException {
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      return ZipDirectory.read(z, ch);
    }
  }

  private static MalformedModelException refused(Path z) {
    MalformedModelException e = assertThrows(MalformedModelException.class, () -> read(z));
    assertEquals(z, e.file(), "the error names the file");
    return e;
  }

  private static long crc(byte[] b) {
    CRC32 c = new CRC32();
    c.update(b);
    return c.getValue();
  }

  private static long littleEndian(Path z, long at, int width) throws IOException {
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      b.limit(width);
      ch.read(b, at);
      return b.limit(8).getLong(0);
    }
  }

  private static void patch(Path z, long at, int width, long value) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
    b.limit(width);
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.WRITE)) {
      ch.write(b, at);
    }
  }
}
