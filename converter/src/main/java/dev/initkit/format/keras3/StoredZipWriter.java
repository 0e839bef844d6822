package dev.initkit.format.keras3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a zip of stored (uncompressed) members in one pass over each member's bytes, producing
 * exactly the bytes {@link ZipOutputStream} writes for the same entries (stored, size and CRC set,
 * the given time).
 *
 * <p>{@code ZipOutputStream} needs a stored member's CRC before its data, so a large member costs a
 * read for the CRC, then a read, two user-space copies and a write: for the 1 GiB weights of a
 * {@code .keras} archive, about half of a convert's time. Here a member's data is written first,
 * after room for its local header, the CRC computed on the way, and the header written last. The
 * headers are not hand-formatted: {@code ZipOutputStream} writes a probe archive of the same
 * entries, empty, and only the CRC, size and offset fields of its headers are filled in (fixed
 * positions of the zip format). Archives that would need zip64 fields (a member or offset of 4 GiB
 * or more) are left to {@code ZipOutputStream} ({@link #fits}).
 */
final class StoredZipWriter {
  /** A member: its name and either its bytes or a file holding them. */
  record Member(String name, byte[] bytes, Path file) {
    long size() throws IOException {
      return bytes != null ? bytes.length : Files.size(file);
    }
  }

  private static final int LOC_CRC = 14;
  private static final int CEN_CRC = 16;
  private static final int CEN_OFFSET = 42;
  private static final int END_CEN_OFFSET = 16;
  private static final long ZIP32_LIMIT = 0xFFFFFFFFL;
  private static final int BLOCK = 1 << 20;

  private StoredZipWriter() {}

  /** Whether the archive stays below every zip64 threshold (headers included, with a wide margin). */
  static boolean fits(List<Member> members) throws IOException {
    long total = 0;
    for (Member m : members) {
      total += m.size() + 1024 + 2L * m.name().length();
    }
    return total < ZIP32_LIMIT - (1L << 20) && members.size() < 0xFFFF;
  }

  /** Writes {@code members} as a zip to {@code out} (created or truncated). */
  static void write(Path out, List<Member> members, long entryTime) throws IOException {
    if (!fits(members)) {
      throw new IllegalArgumentException("archive needs zip64: use ZipOutputStream");
    }
    ByteBuffer probe = probe(members, entryTime);
    int[] locStart = new int[members.size()];
    int[] locLen = new int[members.size()];
    int pos = 0;
    for (int i = 0; i < members.size(); i++) {
      locStart[i] = pos;
      locLen[i] = 30 + probe.getShort(pos + 26) + probe.getShort(pos + 28);
      pos += locLen[i]; // empty members: the next header follows at once
    }
    int cenStart = pos;
    int endStart = probe.limit() - 22;
    if (probe.getInt(endStart) != 0x06054b50 || probe.getInt(cenStart) != 0x02014b50) {
      throw new IOException("unexpected zip layout from ZipOutputStream");
    }
    long[] offset = new long[members.size()];
    long[] crc = new long[members.size()];
    long[] size = new long[members.size()];
    try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      long at = 0;
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        offset[i] = at;
        long data = at + locLen[i];
        CRC32 c = new CRC32();
        size[i] = m.bytes() != null ? writeBytes(ch, data, m.bytes(), c) : copyFile(ch, data, m.file(), c);
        crc[i] = c.getValue();
        ByteBuffer loc = slice(probe, locStart[i], locLen[i]);
        putSizes(loc, LOC_CRC, crc[i], size[i]);
        writeFully(ch, loc, at);
        at = data + size[i];
      }
      ByteBuffer cen = slice(probe, cenStart, endStart - cenStart);
      int p = 0;
      for (int i = 0; i < members.size(); i++) {
        putSizes(cen, p + CEN_CRC, crc[i], size[i]);
        cen.putInt(p + CEN_OFFSET, (int) offset[i]);
        p += 46 + cen.getShort(p + 28) + cen.getShort(p + 30) + cen.getShort(p + 32);
      }
      ByteBuffer end = slice(probe, endStart, 22);
      end.putInt(END_CEN_OFFSET, (int) at);
      writeFully(ch, cen, at);
      writeFully(ch, end, at + cen.capacity());
    }
  }

  /** The archive ZipOutputStream writes for the same entries with no data (sizes and CRCs 0). */
  private static ByteBuffer probe(List<Member> members, long entryTime) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Member m : members) {
        ZipEntry e = new ZipEntry(m.name());
        e.setMethod(ZipEntry.STORED);
        e.setSize(0);
        e.setCompressedSize(0);
        e.setCrc(0);
        e.setTime(entryTime);
        zip.putNextEntry(e);
        zip.closeEntry();
      }
    }
    byte[] b = bytes.toByteArray();
    if (b.length > 0 && (b[6] & 0x08) != 0) {
      throw new IOException("unexpected data descriptor from ZipOutputStream");
    }
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer slice(ByteBuffer b, int from, int len) {
    byte[] copy = new byte[len];
    b.get(from, copy);
    return ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** CRC, compressed size and size: consecutive 4-byte fields in both header kinds. */
  private static void putSizes(ByteBuffer header, int crcAt, long crc, long size) {
    header.putInt(crcAt, (int) crc);
    header.putInt(crcAt + 4, (int) size);
    header.putInt(crcAt + 8, (int) size);
  }

  private static long writeBytes(FileChannel ch, long at, byte[] data, CRC32 crc) throws IOException {
    crc.update(data);
    writeFully(ch, ByteBuffer.wrap(data), at);
    return data.length;
  }

  /** Copies a file's bytes to {@code at} through one direct buffer, updating the CRC on the way. */
  private static long copyFile(FileChannel ch, long at, Path file, CRC32 crc) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
    long n = 0;
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (true) {
        buf.clear();
        int r = in.read(buf);
        if (r < 0) {
          break;
        }
        buf.flip();
        crc.update(buf.duplicate());
        writeFully(ch, buf, at + n);
        n += r;
      }
    }
    return n;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
    long p = at;
    while (b.hasRemaining()) {
      p += ch.write(b, p);
    }
  }
}
