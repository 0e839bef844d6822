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
 * The headers {@link ZipOutputStream} writes for stored entries (size and CRC set, the given
 * time), taken from an archive of the same entries with no data. The zip writers here fill in only
 * the CRC, size and offset fields (fixed positions of the zip format) instead of hand-formatting
 * headers, so their archives are {@code ZipOutputStream}'s bytes.
 */
final class ZipProbe {
  static final int LOC_FIXED = 30;
  static final long ZIP32_LIMIT = 0xFFFFFFFFL;

  private static final int LOC_CRC = 14;
  private static final int LOC_EXTRA_LENGTH = 28;
  private static final int CEN_CRC = 16;
  private static final int CEN_OFFSET = 42;
  private static final int END_CEN_OFFSET = 16;
  private static final int END_LENGTH = 22;

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
      locLength[i] = LOC_FIXED + bytes.getShort(pos + 26) + bytes.getShort(pos + LOC_EXTRA_LENGTH);
      pos += locLength[i]; // empty entries: the next header follows at once
    }
    cenStart = pos;
    endStart = bytes.limit() - END_LENGTH;
    if (bytes.getInt(endStart) != 0x06054b50 || bytes.getInt(cenStart) != 0x02014b50) {
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
    if (b.length > 0 && (b[6] & 0x08) != 0) {
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
    ByteBuffer loc = ByteBuffer.allocate(locLength[i] + extra.length).order(ByteOrder.LITTLE_ENDIAN);
    loc.put(plain).put(extra).flip();
    loc.putShort(LOC_EXTRA_LENGTH, (short) (localExtraLength(i) + extra.length));
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
      p += 46 + cen.getShort(p + 28) + cen.getShort(p + 30) + cen.getShort(p + 32);
    }
    return cen;
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
