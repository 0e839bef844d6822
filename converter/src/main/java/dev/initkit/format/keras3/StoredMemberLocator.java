package dev.initkit.format.keras3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Finds where a stored (uncompressed) zip member's bytes start in the archive file, so that they can
 * be copied file to file by the kernel instead of through {@code ZipFile}'s stream (which reads
 * into a Java array and writes from it: two more copies of every byte). Only the plain zip layout
 * is handled (no zip64 fields, no archive comment search beyond the format's 64 KiB); anything
 * else answers -1 and the caller streams the member as before.
 */
final class StoredMemberLocator {
  private static final int END_SIG = 0x06054b50;
  private static final int CEN_SIG = 0x02014b50;
  private static final int LOC_SIG = 0x04034b50;
  private static final long UNSET = 0xFFFFFFFFL;

  private StoredMemberLocator() {}

  /**
   * The file offset of member {@code name}'s data, when it is stored with exactly {@code size}
   * bytes inside the file; -1 when that cannot be told from a plain zip32 directory.
   */
  static long dataOffset(FileChannel ch, String name, long size) throws IOException {
    long fileSize = ch.size();
    int tail = (int) Math.min(fileSize, 22 + 0xFFFF);
    ByteBuffer end = read(ch, fileSize - tail, tail);
    int e = -1;
    for (int i = tail - 22; i >= 0; i--) {
      if (end.getInt(i) == END_SIG && i + 22 + Short.toUnsignedInt(end.getShort(i + 20)) == tail) {
        e = i;
        break;
      }
    }
    if (e < 0) {
      return -1;
    }
    long cenSize = Integer.toUnsignedLong(end.getInt(e + 12));
    long cenOffset = Integer.toUnsignedLong(end.getInt(e + 16));
    if (cenSize == UNSET || cenOffset == UNSET || cenOffset + cenSize > fileSize - tail + e || cenSize > 64L << 20) {
      return -1;
    }
    ByteBuffer cen = read(ch, cenOffset, (int) cenSize);
    byte[] want = name.getBytes(StandardCharsets.UTF_8);
    for (int p = 0; p + 46 <= cenSize; ) {
      if (cen.getInt(p) != CEN_SIG) {
        return -1;
      }
      int n = Short.toUnsignedInt(cen.getShort(p + 28));
      int x = Short.toUnsignedInt(cen.getShort(p + 30));
      int c = Short.toUnsignedInt(cen.getShort(p + 32));
      if (p + 46 + n > cenSize) {
        return -1;
      }
      byte[] got = new byte[n];
      cen.get(p + 46, got);
      if (Arrays.equals(got, want)) {
        int method = Short.toUnsignedInt(cen.getShort(p + 10));
        long csize = Integer.toUnsignedLong(cen.getInt(p + 20));
        long usize = Integer.toUnsignedLong(cen.getInt(p + 24));
        long loc = Integer.toUnsignedLong(cen.getInt(p + 42));
        if (method != 0 || csize != size || usize != size || loc == UNSET || loc + 30 > fileSize) {
          return -1;
        }
        ByteBuffer h = read(ch, loc, 30);
        if (h.getInt(0) != LOC_SIG || Short.toUnsignedInt(h.getShort(8)) != 0) {
          return -1;
        }
        long data = loc + 30 + Short.toUnsignedInt(h.getShort(26)) + Short.toUnsignedInt(h.getShort(28));
        return data + size <= fileSize ? data : -1;
      }
      p += 46 + n + x + c;
    }
    return -1;
  }

  private static ByteBuffer read(FileChannel ch, long at, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        throw new java.io.EOFException("zip ends early");
      }
    }
    return b.flip();
  }
}
