package dev.initkit.format.keras3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Finds where a stored (uncompressed) zip member's bytes start in the archive file, so that they can
 * be read in place or copied file to file by the kernel instead of through {@code ZipFile}'s stream
 * (which reads into a Java array and writes from it: two more copies of every byte). The plain zip
 * layout and its zip64 extension (archives from 4 GiB on) are handled, without a search for an
 * archive comment beyond the format's 64 KiB; anything else answers -1 and the caller streams the
 * member as before.
 */
final class StoredMemberLocator {
  private static final int END_SIG = 0x06054b50;
  private static final int ZIP64_END_SIG = 0x06064b50;
  private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  private static final int CEN_SIG = 0x02014b50;
  private static final int LOC_SIG = 0x04034b50;
  private static final int ZIP64_EXTRA_ID = 0x0001;
  private static final long UNSET = 0xFFFFFFFFL;

  private StoredMemberLocator() {}

  /** One member as the central directory describes it; {@code local} already includes the prefix. */
  record Member(String name, byte[] rawName, int method, long size, long compressedSize, long crc, long local) {}

  /**
   * The members of the archive's central directory, with local header offsets moved by the bytes
   * prepended to the archive (a self-extractor's stub) as java.util.zip and Python's zipfile move
   * them; null when the directory cannot be told from a plain or zip64 end record.
   */
  static java.util.List<Member> directory(FileChannel ch) throws IOException {
    long fileSize = ch.size();
    int tail = (int) Math.min(fileSize, 22 + 0xFFFF);
    long tailStart = fileSize - tail;
    ByteBuffer end = read(ch, tailStart, tail);
    int e = -1;
    for (int i = tail - 22; i >= 0; i--) {
      if (end.getInt(i) == END_SIG && i + 22 + Short.toUnsignedInt(end.getShort(i + 20)) == tail) {
        e = i;
        break;
      }
    }
    if (e < 0) {
      return null;
    }
    long cenSize = Integer.toUnsignedLong(end.getInt(e + 12));
    long cenOffset = Integer.toUnsignedLong(end.getInt(e + 16));
    long endAt = tailStart + e;
    long cenEnd = endAt; // where the directory must end: the end record, or the zip64 one
    if (endAt >= 20) {
      // zip64: a locator just before the classic end record points to the zip64 end record
      ByteBuffer loc = read(ch, endAt - 20, 20);
      if (loc.getInt(0) == ZIP64_LOCATOR_SIG) {
        long at = loc.getLong(8);
        if (at < 0 || at > endAt - 20 - 56) {
          return null;
        }
        ByteBuffer z = read(ch, at, 56);
        if (z.getInt(0) != ZIP64_END_SIG) {
          return null;
        }
        cenSize = z.getLong(40);
        cenOffset = z.getLong(48);
        cenEnd = at;
      }
    }
    if (cenSize < 0 || cenOffset < 0 || cenSize == UNSET || cenOffset == UNSET || cenSize > 64L << 20
        || cenOffset > cenEnd - cenSize) {
      return null;
    }
    // The directory ends where the end record begins; its offsets count from the archive's start,
    // which prepended bytes move: the difference is added to every offset, as other readers do.
    long cenStart = cenEnd - cenSize;
    long prefix = cenStart - cenOffset;
    ByteBuffer cen = read(ch, cenStart, (int) cenSize);
    java.util.List<Member> out = new java.util.ArrayList<>();
    for (int p = 0; p + 46 <= cenSize; ) {
      if (cen.getInt(p) != CEN_SIG) {
        return null;
      }
      int n = Short.toUnsignedInt(cen.getShort(p + 28));
      int x = Short.toUnsignedInt(cen.getShort(p + 30));
      int c = Short.toUnsignedInt(cen.getShort(p + 32));
      if (p + 46L + n + x > cenSize) {
        return null;
      }
      byte[] raw = new byte[n];
      cen.get(p + 46, raw);
      long[] sizes = {
        Integer.toUnsignedLong(cen.getInt(p + 24)), // uncompressed
        Integer.toUnsignedLong(cen.getInt(p + 20)), // compressed
        Integer.toUnsignedLong(cen.getInt(p + 42)), // local header offset
      };
      if (!zip64Sizes(cen.slice(p + 46 + n, x).order(ByteOrder.LITTLE_ENDIAN), sizes) || sizes[2] < 0) {
        return null;
      }
      out.add(new Member(new String(raw, StandardCharsets.UTF_8), raw, Short.toUnsignedInt(cen.getShort(p + 10)),
          sizes[0], sizes[1], Integer.toUnsignedLong(cen.getInt(p + 16)), sizes[2] + prefix));
      p += 46 + n + x + c;
    }
    return out;
  }

  /**
   * Every member's local header must name what the directory names: Python's zipfile, and so
   * Keras, refuses an archive where they differ, while java.util.zip never looks.
   *
   * @throws dev.initkit.MalformedModelException naming the member
   */
  static void checkLocalHeaders(FileChannel ch, java.util.List<Member> members, java.nio.file.Path shown) throws IOException {
    long fileSize = ch.size();
    for (Member m : members) {
      if (m.local() > fileSize - 30) {
        throw new dev.initkit.MalformedModelException(shown, m.name(), "its local header lies beyond the archive's end");
      }
      ByteBuffer h = read(ch, m.local(), 30);
      int ln = Short.toUnsignedInt(h.getShort(26));
      if (h.getInt(0) != LOC_SIG || ln != m.rawName().length || m.local() + 30 + ln > fileSize
          || !read(ch, m.local() + 30, ln).equals(ByteBuffer.wrap(m.rawName()))) {
        throw new dev.initkit.MalformedModelException(shown, m.name(),
            "its local header does not match the zip directory (another name, or no header): tampered?");
      }
    }
  }

  /**
   * The file offset of member {@code name}'s data, when it is stored with exactly {@code size}
   * bytes inside the file; -1 when that cannot be told from the zip directory.
   *
   * @throws dev.initkit.MalformedModelException when the member's local header disagrees with
   *     the directory: readers would not agree on which bytes it holds
   */
  static long dataOffset(FileChannel ch, String name, long size, java.nio.file.Path shown) throws IOException {
    return dataOffset(ch, directory(ch), name, size, shown);
  }

  /** {@link #dataOffset(FileChannel, String, long, java.nio.file.Path)} in a directory already read (null: none). */
  static long dataOffset(FileChannel ch, java.util.List<Member> members, String name, long size, java.nio.file.Path shown) throws IOException {
    if (members == null) {
      return -1;
    }
    byte[] want = name.getBytes(StandardCharsets.UTF_8);
    for (Member m : members) {
      if (!Arrays.equals(m.rawName(), want)) {
        continue;
      }
      if (m.method() != 0 || m.size() != size || m.compressedSize() != size) {
        return -1;
      }
      checkLocalHeaders(ch, java.util.List.of(m), shown);
      ByteBuffer h = read(ch, m.local(), 30);
      if (Short.toUnsignedInt(h.getShort(8)) != 0) {
        return -1;
      }
      long data = m.local() + 30 + Short.toUnsignedInt(h.getShort(26)) + Short.toUnsignedInt(h.getShort(28));
      return size <= ch.size() - data ? data : -1;
    }
    return -1;
  }

  /**
   * Replaces the fields of {@code sizes} (uncompressed, compressed, local header offset) that are
   * all ones by their values from the zip64 extra record, in that order; false if one is missing.
   */
  private static boolean zip64Sizes(ByteBuffer extra, long[] sizes) {
    if (sizes[0] != UNSET && sizes[1] != UNSET && sizes[2] != UNSET) {
      return true;
    }
    for (int q = 0; q + 4 <= extra.limit(); ) {
      int id = Short.toUnsignedInt(extra.getShort(q));
      int len = Short.toUnsignedInt(extra.getShort(q + 2));
      if (q + 4 + len > extra.limit()) {
        return false;
      }
      if (id == ZIP64_EXTRA_ID) {
        int at = q + 4;
        for (int i = 0; i < 3; i++) {
          if (sizes[i] == UNSET) {
            if (at + 8 > q + 4 + len) {
              return false;
            }
            sizes[i] = extra.getLong(at);
            at += 8;
          }
        }
        return sizes[0] >= 0 && sizes[1] >= 0 && sizes[2] >= 0;
      }
      q += 4 + len;
    }
    return false;
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
