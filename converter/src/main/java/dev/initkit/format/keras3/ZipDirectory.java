package dev.initkit.format.keras3;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.internal.FileBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one reader of zip structures (APPNOTE 4.3): the end-of-central-directory record and its zip64
 * locator and record ({@link #readEnd}), the central directory ({@link #read}) and local headers
 * ({@link #localHeader}). Every size and offset is checked against the file's length before
 * anything is allocated or read for it; an inconsistency is a {@link MalformedModelException}
 * naming the file and the field. The field positions are also those the zip writers here fill in
 * ({@link ZipProbe}).
 *
 * @param end the end record the directory was found through
 * @param entries the central directory's entries, in order
 */
public record ZipDirectory(ZipEndRecord end, List<Entry> entries) {
  static final int END_SIG = 0x06054b50;
  static final int ZIP64_END_SIG = 0x06064b50;
  static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  static final int CEN_SIG = 0x02014b50;
  static final int LOC_SIG = 0x04034b50;

  /** The end record: fixed part, then the comment. */
  static final int END_LENGTH = 22;

  static final int END_ENTRIES_DISK = 8;
  static final int END_ENTRIES = 10;
  static final int END_DIRECTORY_SIZE = 12;
  static final int END_DIRECTORY_OFFSET = 16;
  static final int END_COMMENT_LENGTH = 20;
  static final int MAX_COMMENT = 0xFFFF;

  /** The zip64 end locator, just before the end record. */
  static final int ZIP64_LOCATOR_LENGTH = 20;

  static final int ZIP64_LOCATOR_OFFSET = 8;

  /** The zip64 end record (without extensible data). */
  static final int ZIP64_END_LENGTH = 56;

  static final int ZIP64_END_ENTRIES = 32;
  static final int ZIP64_END_DIRECTORY_SIZE = 40;
  static final int ZIP64_END_DIRECTORY_OFFSET = 48;

  /** A central directory entry: fixed part, then name, extra field and comment. */
  static final int CEN_FIXED = 46;

  static final int CEN_VERSION_MADE = 4;
  static final int CEN_VERSION = 6;
  static final int CEN_METHOD = 10;
  static final int CEN_CRC = 16;
  static final int CEN_COMPRESSED_SIZE = 20;
  static final int CEN_SIZE = 24;
  static final int CEN_NAME_LENGTH = 28;
  static final int CEN_EXTRA_LENGTH = 30;
  static final int CEN_COMMENT_LENGTH = 32;
  static final int CEN_LOCAL_OFFSET = 42;

  /** A local header: fixed part, then name and extra field. */
  static final int LOC_FIXED = 30;

  static final int LOC_VERSION = 4;
  static final int LOC_FLAGS = 6;
  static final int LOC_METHOD = 8;
  static final int LOC_CRC = 14;
  static final int LOC_NAME_LENGTH = 26;
  static final int LOC_EXTRA_LENGTH = 28;

  /** The zip64 extended information extra field's id. */
  static final int ZIP64_EXTRA_ID = 0x0001;

  /** A 32-bit size or offset whose value is in the zip64 record. */
  static final long UNSET = 0xFFFFFFFFL;

  /** The largest central directory read into memory (a Keras archive's is a few hundred bytes). */
  static final long MAX_DIRECTORY_BYTES = 64L << 20;

  public ZipDirectory {
    entries = List.copyOf(entries);
  }

  /**
   * One central directory entry.
   *
   * @param name the name decoded as UTF-8
   * @param rawName the name's bytes as stored (read-only)
   * @param method the compression method (0: stored)
   * @param size the uncompressed size
   * @param compressedSize the compressed size
   * @param crc the CRC-32 of the uncompressed data
   * @param localHeader where the local header starts in the file: the stored offset moved by the
   *     bytes prepended to the archive (a self-extractor's stub), as java.util.zip and Python's
   *     zipfile move it
   */
  public record Entry(
      String name,
      ByteBuffer rawName,
      int method,
      long size,
      long compressedSize,
      long crc,
      long localHeader) {
    public Entry {
      ByteBuffer copy = ByteBuffer.allocate(rawName.remaining());
      copy.put(rawName.duplicate()).flip();
      rawName = copy.asReadOnlyBuffer();
    }

    /** The name's bytes as stored (a read-only view of its own). */
    @Override
    public ByteBuffer rawName() {
      return rawName.duplicate();
    }

    /** Whether the stored name is exactly {@code bytes}. */
    boolean named(byte[] bytes) {
      return rawName.equals(ByteBuffer.wrap(bytes));
    }
  }

  /**
   * The fixed part of a local header that names what the directory names.
   *
   * @param at where it starts in the file
   * @param method the compression method it gives
   * @param nameLength its name's length
   * @param extraLength its extra field's length
   */
  record LocalHeader(long at, int method, int nameLength, int extraLength) {
    /** Where the member's data starts. */
    long dataStart() {
      return at + LOC_FIXED + nameLength + extraLength;
    }
  }

  /**
   * Whether a file's first bytes are a zip's: a local header, or the end record of an empty zip.
   */
  public static boolean hasSignature(byte[] head) {
    if (head.length < 4) {
      return false;
    }
    int sig = ByteBuffer.wrap(head, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    return sig == LOC_SIG || sig == END_SIG;
  }

  /**
   * The end record: the last one, within the 64 KiB a comment can take from the file's end, whose
   * comment fits in the file (bytes after the comment are tolerated here, as java.util.zip
   * tolerates them; {@link #read} refuses them). When a zip64 locator precedes it and points to a
   * zip64 end record before the locator, the counts, size and offset are that record's; a locator
   * that points elsewhere is reported ({@link ZipEndRecord#zip64Locator}) and its values ignored,
   * as java.util.zip and Python's zipfile ignore them.
   *
   * @param file the file, for messages
   * @throws MalformedModelException when there is no end record: a truncated file, or not a zip
   */
  public static ZipEndRecord readEnd(Path file, FileChannel ch) throws IOException {
    long fileSize = ch.size();
    int tailLength = (int) Math.min(fileSize, END_LENGTH + MAX_COMMENT + ZIP64_LOCATOR_LENGTH);
    long tailStart = fileSize - tailLength;
    ByteBuffer tail = FileBytes.readFully(ch, tailStart, tailLength);
    int e = -1;
    for (int i = tailLength - END_LENGTH; i >= 0; i--) {
      if (tail.getInt(i) == END_SIG
          && i + END_LENGTH + u16(tail, i + END_COMMENT_LENGTH) <= tailLength) {
        e = i;
        break;
      }
    }
    if (e < 0) {
      throw new MalformedModelException(
          file,
          null,
          "truncated or corrupt zip archive: no end-of-central-directory record (incomplete download or copy?)");
    }
    long position = tailStart + e;
    long entries = u16(tail, e + END_ENTRIES);
    long directorySize = u32(tail, e + END_DIRECTORY_SIZE);
    long directoryOffset = u32(tail, e + END_DIRECTORY_OFFSET);
    long locator = -1;
    long zip64 = -1;
    if (position >= ZIP64_LOCATOR_LENGTH) {
      ByteBuffer loc =
          e >= ZIP64_LOCATOR_LENGTH
              ? tail.slice(e - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH)
                  .order(ByteOrder.LITTLE_ENDIAN)
              : FileBytes.readFully(ch, position - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH);
      if (loc.getInt(0) == ZIP64_LOCATOR_SIG) {
        long at = loc.getLong(ZIP64_LOCATOR_OFFSET);
        locator = at < 0 ? Long.MAX_VALUE : at;
        if (locator <= position - ZIP64_LOCATOR_LENGTH - ZIP64_END_LENGTH) {
          ByteBuffer z = FileBytes.readFully(ch, locator, ZIP64_END_LENGTH);
          if (z.getInt(0) == ZIP64_END_SIG) {
            zip64 = locator;
            entries = z.getLong(ZIP64_END_ENTRIES);
            directorySize = z.getLong(ZIP64_END_DIRECTORY_SIZE);
            directoryOffset = z.getLong(ZIP64_END_DIRECTORY_OFFSET);
          }
        }
      }
    }
    return new ZipEndRecord(
        position,
        u16(tail, e + END_COMMENT_LENGTH),
        fileSize,
        entries < 0 ? Long.MAX_VALUE : entries,
        directorySize,
        directoryOffset,
        locator,
        zip64);
  }

  /**
   * The end record and the central directory it describes, all checked: the comment ends the file,
   * a zip64 locator points to a zip64 end record, the directory lies between the archive's start
   * and the end record (bytes prepended to the archive move every offset, as other readers take
   * it), every entry has its signature, its name and extra field inside the directory, and the
   * zip64 values its 32-bit fields call for.
   *
   * @param file the file, for messages
   * @throws MalformedModelException naming the field that is inconsistent
   * @throws UnsupportedModelException for a directory larger than {@link #MAX_DIRECTORY_BYTES}
   */
  public static ZipDirectory read(Path file, FileChannel ch) throws IOException {
    ZipEndRecord end = readEnd(file, ch);
    if (end.trailingBytes() != 0) {
      throw corrupt(
          file,
          "the end record's comment length "
              + end.commentLength()
              + " does not reach the file's end ("
              + end.trailingBytes()
              + " more bytes follow)");
    }
    if (end.zip64Locator() >= 0 && !end.zip64()) {
      throw corrupt(
          file,
          "the zip64 locator's end record offset "
              + end.zip64Locator()
              + " points to no zip64 end record before it (the locator is at "
              + (end.position() - ZIP64_LOCATOR_LENGTH)
              + ")");
    }
    String record = end.zip64() ? "zip64 end record" : "end record";
    long directoryEnd = end.directoryEnd();
    long size = end.directorySize();
    long offset = end.directoryOffset();
    if (!end.zip64() && (size == UNSET || offset == UNSET)) {
      throw corrupt(
          file,
          "the end record's central directory "
              + (size == UNSET ? "size" : "offset")
              + " is 0xFFFFFFFF, which defers to a zip64 end record, and there is none");
    }
    if (size < 0 || size > directoryEnd) {
      throw corrupt(
          file,
          "the "
              + record
              + "'s central directory size "
              + Long.toUnsignedString(size)
              + " is more than the "
              + directoryEnd
              + " bytes before the "
              + record);
    }
    if (offset < 0 || offset > directoryEnd - size) {
      throw corrupt(
          file,
          "the "
              + record
              + "'s central directory offset "
              + Long.toUnsignedString(offset)
              + " plus its size "
              + size
              + " is past the "
              + record
              + " at "
              + directoryEnd
              + " (a truncated or tampered archive)");
    }
    if (size > MAX_DIRECTORY_BYTES) {
      throw new UnsupportedModelException(
          file,
          null,
          "a zip central directory of "
              + size
              + " bytes, more than the "
              + MAX_DIRECTORY_BYTES
              + " initkit reads");
    }
    long start = directoryEnd - size;
    long prefix = start - offset;
    ByteBuffer cen = FileBytes.readFully(ch, start, (int) size);
    List<Entry> out = new ArrayList<>();
    for (int p = 0; p + CEN_FIXED <= size; ) {
      int index = out.size();
      if (cen.getInt(p) != CEN_SIG) {
        throw corrupt(
            file,
            "central directory entry " + index + " at " + (start + p) + " has no entry signature");
      }
      int n = u16(cen, p + CEN_NAME_LENGTH);
      int x = u16(cen, p + CEN_EXTRA_LENGTH);
      int c = u16(cen, p + CEN_COMMENT_LENGTH);
      if (p + (long) CEN_FIXED + n + x > size) {
        throw corrupt(
            file,
            "central directory entry "
                + index
                + "'s name length "
                + n
                + " and extra field length "
                + x
                + " run past the directory's end");
      }
      byte[] raw = new byte[n];
      cen.get(p + CEN_FIXED, raw);
      String name = new String(raw, StandardCharsets.UTF_8);
      long[] sizes = {
        u32(cen, p + CEN_SIZE), u32(cen, p + CEN_COMPRESSED_SIZE), u32(cen, p + CEN_LOCAL_OFFSET),
      };
      if (!zip64Sizes(cen.slice(p + CEN_FIXED + n, x).order(ByteOrder.LITTLE_ENDIAN), sizes)) {
        throw new MalformedModelException(
            file,
            name,
            "corrupt zip archive: its central directory"
                + " entry lacks the zip64 extra field values its 0xFFFFFFFF sizes or local header offset"
                + " call for");
      }
      long local = sizes[2] > Long.MAX_VALUE - prefix ? Long.MAX_VALUE : sizes[2] + prefix;
      out.add(
          new Entry(
              name,
              ByteBuffer.wrap(raw),
              u16(cen, p + CEN_METHOD),
              sizes[0],
              sizes[1],
              u32(cen, p + CEN_CRC),
              local));
      p += CEN_FIXED + n + x + c;
    }
    return new ZipDirectory(end, out);
  }

  /**
   * Entry {@code e}'s local header, which must name what the directory names: Python's zipfile, and
   * so Keras, refuses an archive where they differ, while java.util.zip never looks.
   *
   * @throws MalformedModelException naming the member
   */
  /**
   * Where member {@code e}'s data starts in the file, read from its local header (which must agree
   * with the directory).
   *
   * @throws MalformedModelException when the local header is beyond the file or disagrees with the
   *     directory
   * @throws IOException when the file cannot be read
   */
  public static long dataStart(Path file, FileChannel ch, Entry e) throws IOException {
    return localHeader(file, ch, e).dataStart();
  }

  static LocalHeader localHeader(Path file, FileChannel ch, Entry e) throws IOException {
    long fileSize = ch.size();
    long at = e.localHeader();
    if (at > fileSize - LOC_FIXED) {
      throw new MalformedModelException(
          file, e.name(), "its local header lies beyond the archive's end");
    }
    ByteBuffer h = FileBytes.readFully(ch, at, LOC_FIXED);
    int n = u16(h, LOC_NAME_LENGTH);
    if (h.getInt(0) != LOC_SIG
        || n != e.rawName().remaining()
        || at + LOC_FIXED + n > fileSize
        || !FileBytes.readFully(ch, at + LOC_FIXED, n).equals(e.rawName())) {
      throw new MalformedModelException(
          file,
          e.name(),
          "its local header does not match the zip directory (another name, or no header): tampered?");
    }
    return new LocalHeader(at, u16(h, LOC_METHOD), n, u16(h, LOC_EXTRA_LENGTH));
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
      int id = u16(extra, q);
      int len = u16(extra, q + 2);
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

  private static MalformedModelException corrupt(Path file, String detail) {
    return new MalformedModelException(file, null, "corrupt zip archive: " + detail);
  }

  private static int u16(ByteBuffer b, int at) {
    return Short.toUnsignedInt(b.getShort(at));
  }

  private static long u32(ByteBuffer b, int at) {
    return Integer.toUnsignedLong(b.getInt(at));
  }
}
