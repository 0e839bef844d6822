package dev.initkit.format.keras3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The headers {@link ZipOutputStream} writes for stored entries (size and CRC set, the given time),
 * taken from an archive of the same entries with no data. The zip writers here fill in only the
 * CRC, size and offset fields (fixed positions of the zip format) instead of hand-formatting
 * headers, so their archives are {@code ZipOutputStream}'s bytes. Signatures and field positions
 * are {@link ZipDirectory}'s, which reads what these write.
 */
final class ZipProbe {
  static final int LOC_FIXED = ZipDirectory.LOC_FIXED;
  static final long ZIP32_LIMIT = ZipDirectory.UNSET;

  /** A local header's zip64 extended information record: id, length, size, compressed size. */
  static final int ZIP64_LOCAL_EXTRA = 20;

  private static final int ZIP64_ID = ZipDirectory.ZIP64_EXTRA_ID;
  private static final int ZIP64_VERSION = 45;
  private static final int LOC_VERSION = ZipDirectory.LOC_VERSION;
  private static final int CEN_VERSION_MADE = ZipDirectory.CEN_VERSION_MADE;
  private static final int CEN_VERSION = ZipDirectory.CEN_VERSION;
  private static final int CEN_EXTRA_LENGTH = ZipDirectory.CEN_EXTRA_LENGTH;
  private static final int END_ENTRIES_DISK = ZipDirectory.END_ENTRIES_DISK;
  private static final int END_ENTRIES = ZipDirectory.END_ENTRIES;
  private static final int END_CEN_LENGTH = ZipDirectory.END_DIRECTORY_SIZE;
  private static final int ZIP64_END_LENGTH = ZipDirectory.ZIP64_END_LENGTH;
  private static final int ZIP64_LOCATOR_LENGTH = ZipDirectory.ZIP64_LOCATOR_LENGTH;

  private static final int LOC_CRC = ZipDirectory.LOC_CRC;
  private static final int LOC_EXTRA_LENGTH = ZipDirectory.LOC_EXTRA_LENGTH;
  private static final int CEN_CRC = ZipDirectory.CEN_CRC;
  private static final int CEN_OFFSET = ZipDirectory.CEN_LOCAL_OFFSET;
  private static final int END_CEN_OFFSET = ZipDirectory.END_DIRECTORY_OFFSET;
  private static final int END_LENGTH = ZipDirectory.END_LENGTH;

  private final ByteBuffer bytes;
  private final int[] locStart;
  private final int[] locLength;
  private final int cenStart;
  private final int endStart;

  private ZipProbe(ByteBuffer bytes, int entries) throws IOException {
    this.bytes = bytes;
    locStart = new int[entries];
    locLength = new int[entries];
    int pos = 0;
    for (int i = 0; i < entries; i++) {
      locStart[i] = pos;
      locLength[i] =
          LOC_FIXED
              + bytes.getShort(pos + ZipDirectory.LOC_NAME_LENGTH)
              + bytes.getShort(pos + LOC_EXTRA_LENGTH);
      pos += locLength[i]; // empty entries: the next header follows at once
    }
    cenStart = pos;
    endStart = bytes.limit() - END_LENGTH;
    if (bytes.getInt(endStart) != ZipDirectory.END_SIG
        || bytes.getInt(cenStart) != ZipDirectory.CEN_SIG) {
      throw new IOException("unexpected zip layout from ZipOutputStream");
    }
  }

  /** The headers of stored entries named {@code names}, in that order. */
  static ZipProbe of(List<String> names, long entryTime) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (String name : names) {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(0);
        e.setCompressedSize(0);
        e.setCrc(0);
        e.setTime(entryTime);
        zip.putNextEntry(e);
        zip.closeEntry();
      }
    }
    byte[] b = out.toByteArray();
    if (b.length > 0 && (b[ZipDirectory.LOC_FLAGS] & 0x08) != 0) {
      throw new IOException("unexpected data descriptor from ZipOutputStream");
    }
    return new ZipProbe(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN), names.size());
  }

  /** Length of entry {@code i}'s local header. */
  int localHeaderLength(int i) {
    return locLength[i];
  }

  /** Length of the extra field already in entry {@code i}'s local header. */
  int localExtraLength(int i) {
    return Short.toUnsignedInt(bytes.getShort(locStart[i] + LOC_EXTRA_LENGTH));
  }

  /** Entry {@code i}'s local header with its CRC and sizes. */
  ByteBuffer localHeader(int i, long crc, long size) {
    ByteBuffer loc = copy(locStart[i], locLength[i]);
    putSizes(loc, LOC_CRC, crc, size);
    return loc;
  }

  /**
   * Entry {@code i}'s local header with {@code extra} appended to its extra field (the central
   * directory's copy stays as it is: the two need not match).
   */
  ByteBuffer localHeader(int i, long crc, long size, byte[] extra) {
    ByteBuffer plain = localHeader(i, crc, size);
    ByteBuffer loc =
        ByteBuffer.allocate(locLength[i] + extra.length).order(ByteOrder.LITTLE_ENDIAN);
    loc.put(plain).put(extra).flip();
    loc.putShort(LOC_EXTRA_LENGTH, (short) (localExtraLength(i) + extra.length));
    return loc;
  }

  /**
   * Entry {@code i}'s local header in zip64 form, for a member of {@code size} bytes (stored):
   * version needed 4.5, both 32-bit sizes 0xFFFFFFFF, and a zip64 record with the sizes ahead of
   * {@code extra} (APPNOTE 4.5.3: a local header's zip64 record holds both sizes).
   */
  ByteBuffer localHeader64(int i, long crc, long size, byte[] extra) {
    ByteBuffer ext =
        ByteBuffer.allocate(ZIP64_LOCAL_EXTRA + extra.length).order(ByteOrder.LITTLE_ENDIAN);
    ext.putShort((short) ZIP64_ID).putShort((short) 16).putLong(size).putLong(size).put(extra);
    ByteBuffer loc = localHeader(i, crc, ZIP32_LIMIT, ext.array());
    loc.putShort(LOC_VERSION, (short) ZIP64_VERSION);
    return loc;
  }

  /** Length of the central directory. */
  int centralDirectoryLength() {
    return endStart - cenStart;
  }

  /** The central directory with every entry's CRC, sizes and local header offset. */
  ByteBuffer centralDirectory(long[] crc, long[] size, long[] offset) {
    ByteBuffer cen = copy(cenStart, endStart - cenStart);
    int p = 0;
    for (int i = 0; i < locStart.length; i++) {
      putSizes(cen, p + CEN_CRC, crc[i], size[i]);
      cen.putInt(p + CEN_OFFSET, (int) offset[i]);
      p += cenEntryLength(cen, p);
    }
    return cen;
  }

  /**
   * The central directory as {@link #centralDirectory}, but entry {@code zip64Entry}'s sizes in a
   * zip64 record appended to its extra field (32-bit sizes 0xFFFFFFFF, versions 4.5). Local header
   * offsets must fit in 32 bits.
   */
  ByteBuffer centralDirectory64(long[] crc, long[] size, long[] offset, int zip64Entry) {
    ByteBuffer plain = centralDirectory(crc, size, offset);
    ByteBuffer cen =
        ByteBuffer.allocate(plain.capacity() + ZIP64_LOCAL_EXTRA).order(ByteOrder.LITTLE_ENDIAN);
    int p = 0;
    for (int i = 0; i < locStart.length; i++) {
      if (offset[i] >= ZIP32_LIMIT) {
        throw new IllegalArgumentException("local header offset needs zip64: " + offset[i]);
      }
      int len = cenEntryLength(plain, p);
      if (i != zip64Entry) {
        cen.put(plain.slice(p, len));
      } else {
        int at = cen.position();
        int extraEnd =
            p
                + ZipDirectory.CEN_FIXED
                + Short.toUnsignedInt(plain.getShort(p + ZipDirectory.CEN_NAME_LENGTH))
                + Short.toUnsignedInt(plain.getShort(p + CEN_EXTRA_LENGTH));
        cen.put(plain.slice(p, extraEnd - p));
        cen.putShort((short) ZIP64_ID).putShort((short) 16).putLong(size[i]).putLong(size[i]);
        cen.put(plain.slice(extraEnd, p + len - extraEnd)); // the comment
        cen.putShort(at + CEN_VERSION_MADE, (short) ZIP64_VERSION);
        cen.putShort(at + CEN_VERSION, (short) ZIP64_VERSION);
        cen.putInt(at + CEN_CRC + 4, (int) ZIP32_LIMIT);
        cen.putInt(at + CEN_CRC + 8, (int) ZIP32_LIMIT);
        cen.putShort(
            at + CEN_EXTRA_LENGTH,
            (short) (plain.getShort(p + CEN_EXTRA_LENGTH) + ZIP64_LOCAL_EXTRA));
      }
      p += len;
    }
    return cen.flip();
  }

  /**
   * The zip64 end of central directory record, its locator and the end record, for a central
   * directory of {@code cenLength} bytes at {@code cenOffset} (4 GiB or more): the end record keeps
   * its exact entry counts and length, its offset is 0xFFFFFFFF (APPNOTE 4.4.1.4).
   */
  ByteBuffer endRecords64(long cenOffset, long cenLength) {
    int entries = locStart.length;
    ByteBuffer b =
        ByteBuffer.allocate(ZIP64_END_LENGTH + ZIP64_LOCATOR_LENGTH + END_LENGTH)
            .order(ByteOrder.LITTLE_ENDIAN);
    long zip64End = cenOffset + cenLength;
    b.putInt(ZipDirectory.ZIP64_END_SIG)
        .putLong(ZIP64_END_LENGTH - 12) // size of the rest of the record
        .putShort((short) ZIP64_VERSION)
        .putShort((short) ZIP64_VERSION)
        .putInt(0)
        .putInt(0) // this disk, the central directory's disk
        .putLong(entries)
        .putLong(entries)
        .putLong(cenLength)
        .putLong(cenOffset);
    b.putInt(ZipDirectory.ZIP64_LOCATOR_SIG)
        .putInt(0)
        .putLong(zip64End)
        .putInt(1); // disk of the zip64 end, offset, disks
    ByteBuffer end = copy(endStart, END_LENGTH);
    end.putShort(END_ENTRIES_DISK, (short) entries).putShort(END_ENTRIES, (short) entries);
    end.putInt(END_CEN_LENGTH, (int) cenLength);
    end.putInt(END_CEN_OFFSET, cenOffset >= ZIP32_LIMIT ? (int) ZIP32_LIMIT : (int) cenOffset);
    b.put(end);
    return b.flip();
  }

  private static int cenEntryLength(ByteBuffer cen, int p) {
    return ZipDirectory.CEN_FIXED
        + Short.toUnsignedInt(cen.getShort(p + ZipDirectory.CEN_NAME_LENGTH))
        + Short.toUnsignedInt(cen.getShort(p + CEN_EXTRA_LENGTH))
        + Short.toUnsignedInt(cen.getShort(p + ZipDirectory.CEN_COMMENT_LENGTH));
  }

  /** The end record, for a central directory at {@code cenOffset}. */
  ByteBuffer endRecord(long cenOffset) {
    ByteBuffer end = copy(endStart, END_LENGTH);
    end.putInt(END_CEN_OFFSET, (int) cenOffset);
    return end;
  }

  private ByteBuffer copy(int from, int len) {
    byte[] c = new byte[len];
    bytes.get(from, c);
    return ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** CRC, compressed size and size: consecutive 4-byte fields in both header kinds. */
  private static void putSizes(ByteBuffer header, int crcAt, long crc, long size) {
    header.putInt(crcAt, (int) crc);
    header.putInt(crcAt + 4, (int) size);
    header.putInt(crcAt + 8, (int) size);
  }

  static void writeFully(FileChannel ch, ByteBuffer b, long at) throws java.io.IOException {
    long p = at;
    while (b.hasRemaining()) {
      p += ch.write(b, p);
    }
  }
}
