package dev.initkit.format.keras3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32;
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
 * headers are {@link ZipProbe}'s. Archives that would need zip64 fields (a member or offset of 4
 * GiB or more) are left to {@code ZipOutputStream} ({@link #fits}).
 *
 * <p>{@code .keras} archives use it only when {@link UserBlockZip} cannot lay them out (a config
 * too large for the padding), since that writes the weights once instead of twice.
 */
final class StoredZipWriter {
  /** A member: its name and either its bytes or a file holding them. */
  record Member(String name, byte[] bytes, Path file) {
    long size() throws IOException {
      return bytes != null ? bytes.length : Files.size(file);
    }
  }

  private static final int BLOCK = 1 << 20;

  private StoredZipWriter() {}

  /**
   * Whether the archive stays below every zip64 threshold (headers included, with a wide margin).
   */
  static boolean fits(List<Member> members) throws IOException {
    long total = 0;
    for (Member m : members) {
      total += m.size() + 1024 + 2L * m.name().length();
    }
    return total < ZipProbe.ZIP32_LIMIT - (1L << 20) && members.size() < 0xFFFF;
  }

  /** Writes {@code members} as a zip to {@code out} (created or truncated). */
  static void write(Path out, List<Member> members, long entryTime) throws IOException {
    if (!fits(members)) {
      throw new IllegalArgumentException("archive needs zip64: use ZipOutputStream");
    }
    ZipProbe probe = ZipProbe.of(members.stream().map(Member::name).toList(), entryTime);
    long[] offset = new long[members.size()];
    long[] crc = new long[members.size()];
    long[] size = new long[members.size()];
    try (FileChannel ch =
        FileChannel.open(
            out,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      long at = 0;
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        offset[i] = at;
        long data = at + probe.localHeaderLength(i);
        CRC32 c = new CRC32();
        size[i] =
            m.bytes() != null
                ? writeBytes(ch, data, m.bytes(), c)
                : copyFile(ch, data, m.file(), c);
        crc[i] = c.getValue();
        writeFully(ch, probe.localHeader(i, crc[i], size[i]), at);
        at = data + size[i];
      }
      ByteBuffer cen = probe.centralDirectory(crc, size, offset);
      writeFully(ch, cen, at);
      writeFully(ch, probe.endRecord(at), at + cen.capacity());
    }
  }

  private static long writeBytes(FileChannel ch, long at, byte[] data, CRC32 crc)
      throws IOException {
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
    ZipProbe.writeFully(ch, b, at);
  }
}
