package dev.initkit.format.keras3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-pass zip writer gives the bytes {@link ZipOutputStream} gives, the user-block layout puts
 * an HDF5 member exactly at the end of HDF5's user block, and the stored-member locator finds a
 * member's bytes where the writers put them.
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
      List<StoredZipWriter.Member> members =
          List.of(
              new StoredZipWriter.Member(
                  "metadata.json",
                  "{\"keras_version\": \"3.12.0\"}".getBytes(StandardCharsets.UTF_8),
                  null),
              new StoredZipWriter.Member(
                  "config.json", "{}".getBytes(StandardCharsets.UTF_8), null),
              new StoredZipWriter.Member("model.weights.h5", null, weights));
      Path fast = dir.resolve("fast" + size + ".zip");
      Path slow = dir.resolve("slow" + size + ".zip");
      StoredZipWriter.write(fast, members, TIME);
      try (OutputStream os = Files.newOutputStream(slow);
          ZipOutputStream zip = new ZipOutputStream(os)) {
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
      assertEquals(
          -1, Files.mismatch(fast, slow), "archives with a " + size + "-byte member differ");

      try (FileChannel ch = FileChannel.open(fast, StandardOpenOption.READ)) {
        long at =
            StoredMemberLocator.dataOffset(ch, "model.weights.h5", size, Path.of("test.keras"));
        ByteBuffer got = ByteBuffer.allocate(size);
        ch.read(got, at);
        assertArrayEquals(data, got.array());
        assertEquals(
            -1,
            StoredMemberLocator.dataOffset(
                ch, "model.weights.h5", size + 1L, Path.of("test.keras")),
            "a size the directory does not declare");
        assertEquals(
            -1, StoredMemberLocator.dataOffset(ch, "absent.h5", size, Path.of("test.keras")));
      }
    }
  }

  @Test
  void userBlockArchiveHoldsTheHdf5FileWhereHdf5WroteIt() throws Exception {
    byte[] metadata = "{\"keras_version\": \"3.12.0\"}".getBytes(StandardCharsets.UTF_8);
    int headers =
        3 * 30 + "metadata.json".length() + "config.json".length() + "model.weights.h5".length();
    int fills4k = 4096 - headers - metadata.length;
    // config sizes: a tiny one; one filling 4 KiB exactly (no padding); 3 bytes short of it (too
    // little room for a padding record: 8 KiB); ResNet50's (170 KB: padding in two headers); and
    // one no padding can take to a power of two (224 KB to pad, three headers hold 196 KB)
    Map<Integer, Long> blocks = new LinkedHashMap<>();
    blocks.put(2, 512L);
    blocks.put(fills4k, 4096L);
    blocks.put(fills4k - 3, 8192L);
    blocks.put(169_849, 256L << 10);
    blocks.put(300_000, -1L);
    for (Map.Entry<Integer, Long> c : blocks.entrySet()) {
      int configSize = c.getKey();
      byte[] config = new byte[configSize];
      java.util.Arrays.fill(config, (byte) ' ');
      java.util.Optional<UserBlockZip> plan =
          UserBlockZip.plan(
              List.of("metadata.json", "config.json"),
              List.of(metadata, config),
              "model.weights.h5",
              TIME);
      if (c.getValue() < 0) {
        assertTrue(plan.isEmpty(), configSize + " bytes of config");
        continue;
      }
      long block = plan.orElseThrow().userBlockBytes();
      assertEquals(c.getValue(), block, configSize + " bytes of config");
      Path z = dir.resolve("ub" + configSize + ".keras");
      try (H5File f = H5File.create(z, block);
          H5Group g = f.root().createGroup("layers/dense/vars")) {
        g.setAttribute("name", AttrValue.Str.vlenUtf8("dense"));
      }
      assertTrue(finish(plan.get(), z));

      try (ZipFile zip = new ZipFile(z.toFile())) {
        assertArrayEquals(
            metadata, zip.getInputStream(zip.getEntry("metadata.json")).readAllBytes());
        assertArrayEquals(config, zip.getInputStream(zip.getEntry("config.json")).readAllBytes());
        ZipEntry w = zip.getEntry("model.weights.h5");
        assertEquals(
            centralDirectoryOffset(z) - block,
            w.getSize(),
            "the member runs from the block's end to the directory");
        byte[] member = zip.getInputStream(w).readAllBytes(); // checks the CRC
        Path alone = dir.resolve("alone" + configSize + ".h5");
        Files.write(alone, member);
        try (H5File f = H5File.openReadOnly(alone)) {
          assertEquals(
              List.of("layers"), f.root().childNames(), "HDF5 rebases the superblock found at 0");
        }
        try (H5File f = H5File.openReadOnly(z)) {
          assertEquals(
              List.of("layers"),
              f.root().childNames(),
              "the archive is an HDF5 file with a user block");
        }
        try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
          assertEquals(
              block,
              StoredMemberLocator.dataOffset(
                  ch, "model.weights.h5", member.length, Path.of("test.keras")),
              "the member starts at the user block's end");
        }
      }
      // a streaming reader walks header to header: the padding leaves no gap
      try (java.util.zip.ZipInputStream in =
          new java.util.zip.ZipInputStream(Files.newInputStream(z))) {
        List<String> names = new java.util.ArrayList<>();
        for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
          names.add(e.getName());
          in.readAllBytes();
        }
        assertEquals(List.of("metadata.json", "config.json", "model.weights.h5"), names);
      }
    }
  }

  @Test
  void userBlockArchiveOf4GiBGetsZip64FieldsInPlace() throws Exception {
    byte[] metadata = "{\"keras_version\": \"3.12.0\"}".getBytes(StandardCharsets.UTF_8);
    byte[] config = "{\"class_name\": \"Sequential\"}".getBytes(StandardCharsets.UTF_8);
    UserBlockZip plan =
        UserBlockZip.plan(
                List.of("metadata.json", "config.json"),
                List.of(metadata, config),
                "model.weights.h5",
                TIME)
            .orElseThrow();
    long block = plan.userBlockBytes();
    Path z = dir.resolve("big.keras");
    try (H5File f = H5File.create(z, block)) {
      f.root();
    }
    byte[] superblock = new byte[8];
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      ch.read(ByteBuffer.wrap(superblock), block);
    }
    long hdf5 = Files.size(z) - block;
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(z.toFile(), "rw")) {
      raf.setLength(
          ZipProbe.ZIP32_LIMIT + 4096); // sparse: a member of 4 GiB, zeros after the HDF5 file
    }
    long member = ZipProbe.ZIP32_LIMIT + 4096 - block;
    CRC32 crc = new CRC32();
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate((int) hdf5);
      ch.read(head, block);
      crc.update(head.array());
    }
    byte[] zeros = new byte[1 << 20];
    for (long left = member - hdf5; left > 0; left -= zeros.length) {
      crc.update(zeros, 0, (int) Math.min(left, zeros.length));
    }

    assertTrue(finish(plan, z));

    assertEquals(
        ZipProbe.ZIP32_LIMIT + 4096,
        centralDirectoryOffset64(z),
        "the directory follows the member");
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      byte[] at = new byte[8];
      ch.read(ByteBuffer.wrap(at), block);
      assertArrayEquals(superblock, at, "the member's data still starts at the user block's end");
    }
    try (ZipFile zip = new ZipFile(z.toFile())) {
      assertArrayEquals(metadata, zip.getInputStream(zip.getEntry("metadata.json")).readAllBytes());
      assertArrayEquals(config, zip.getInputStream(zip.getEntry("config.json")).readAllBytes());
      ZipEntry w = zip.getEntry("model.weights.h5");
      assertEquals(member, w.getSize());
      assertEquals(member, w.getCompressedSize());
      assertEquals(crc.getValue(), w.getCrc());
      try (java.io.InputStream in = zip.getInputStream(w)) {
        assertArrayEquals(
            superblock, in.readNBytes(8), "ZipFile finds the data at the block's end");
      }
    }
    // a streaming reader takes the member's sizes from the zip64 record of its local header
    try (java.util.zip.ZipInputStream in =
        new java.util.zip.ZipInputStream(Files.newInputStream(z))) {
      assertEquals("metadata.json", in.getNextEntry().getName());
      assertArrayEquals(metadata, in.readAllBytes());
      assertEquals("config.json", in.getNextEntry().getName());
      assertArrayEquals(config, in.readAllBytes());
      ZipEntry w = in.getNextEntry();
      assertEquals("model.weights.h5", w.getName());
      assertEquals(member, w.getSize());
      assertEquals(member, w.getCompressedSize());
      assertArrayEquals(superblock, in.readNBytes(8));
    }
    try (H5File f = H5File.openReadOnly(z)) {
      f.root(); // the archive is still an HDF5 file with a user block
    }
  }

  @Test
  void userBlockArchiveWithNoRoomForAZip64RecordIsLeftToTheCaller() throws Exception {
    byte[] metadata = "{\"keras_version\": \"3.12.0\"}".getBytes(StandardCharsets.UTF_8);
    int headers =
        3 * 30 + "metadata.json".length() + "config.json".length() + "model.weights.h5".length();
    byte[] config = new byte[4096 - headers - metadata.length]; // fills 4 KiB: no padding to trade
    UserBlockZip plan =
        UserBlockZip.plan(
                List.of("metadata.json", "config.json"),
                List.of(metadata, config),
                "model.weights.h5",
                TIME)
            .orElseThrow();
    assertEquals(4096, plan.userBlockBytes());
    Path z = dir.resolve("full.keras");
    try (H5File f = H5File.create(z, plan.userBlockBytes())) {
      f.root();
    }
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(z.toFile(), "rw")) {
      raf.setLength(ZipProbe.ZIP32_LIMIT); // sparse
    }
    assertFalse(finish(plan, z));
    assertEquals(ZipProbe.ZIP32_LIMIT, Files.size(z), "nothing appended");
  }

  /** The central directory offset from the zip64 end record, found through its locator. */
  private static long centralDirectoryOffset64(Path z) throws IOException {
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer end = ByteBuffer.allocate(22).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(end, size - 22);
      assertEquals(0x06054b50, end.getInt(0));
      assertEquals(0xFFFFFFFF, end.getInt(16), "the end record's offset does not fit");
      assertEquals(3, end.getShort(10));
      ByteBuffer loc = ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(loc, size - 22 - 20);
      assertEquals(0x07064b50, loc.getInt(0));
      assertEquals(1, loc.getInt(16));
      long zip64End = loc.getLong(8);
      assertEquals(size - 22 - 20 - 56, zip64End);
      ByteBuffer rec = ByteBuffer.allocate(56).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(rec, zip64End);
      assertEquals(0x06064b50, rec.getInt(0));
      assertEquals(44, rec.getLong(4));
      assertEquals(3, rec.getLong(24));
      assertEquals(3, rec.getLong(32));
      assertEquals(
          zip64End - rec.getLong(48),
          rec.getLong(40),
          "the directory runs to the zip64 end record");
      assertEquals(Integer.toUnsignedLong(end.getInt(12)), rec.getLong(40));
      return rec.getLong(48);
    }
  }

  private static long centralDirectoryOffset(Path z) throws IOException {
    byte[] b = Files.readAllBytes(z);
    return ByteBuffer.wrap(b, b.length - 22, 22)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .getInt(b.length - 22 + 16);
  }

  @Test
  void deflatedMembersAreNotLocated() throws IOException {
    Path z = dir.resolve("deflated.zip");
    byte[] b = new byte[10_000];
    try (OutputStream os = Files.newOutputStream(z);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry("model.weights.h5"));
      zip.write(b);
      zip.closeEntry();
    }
    try (FileChannel ch = FileChannel.open(z, StandardOpenOption.READ)) {
      assertEquals(
          -1,
          StoredMemberLocator.dataOffset(ch, "model.weights.h5", b.length, Path.of("test.keras")));
    }
  }

  /**
   * Finishes an archive whose datasets reported no regions: the member's CRC comes from one read.
   */
  private static boolean finish(UserBlockZip plan, Path z) throws IOException {
    try (RegionCrc crc = new RegionCrc(z)) {
      return plan.finish(z, crc);
    }
  }
}
