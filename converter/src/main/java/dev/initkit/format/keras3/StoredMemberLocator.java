package dev.initkit.format.keras3;

import dev.initkit.ModelFormatException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds where a stored (uncompressed) zip member's bytes start in the archive file, so that they
 * can be read in place or copied file to file by the kernel instead of through {@code ZipFile}'s
 * stream (which reads into a Java array and writes from it: two more copies of every byte). The
 * plain zip layout and its zip64 extension (archives from 4 GiB on) are handled, without a search
 * for an archive comment beyond the format's 64 KiB; anything else answers -1 and the caller
 * streams the member as before. The zip structures are {@link ZipDirectory}'s.
 */
final class StoredMemberLocator {
  private StoredMemberLocator() {}

  /**
   * The members of the archive's central directory ({@link ZipDirectory#read}); null when the
   * directory cannot be told from a plain or zip64 end record, or is inconsistent: the caller then
   * leaves the archive to java.util.zip.
   */
  static List<ZipDirectory.Entry> directory(FileChannel ch, Path shown) throws IOException {
    try {
      return ZipDirectory.read(shown, ch).entries();
    } catch (ModelFormatException e) {
      return null;
    }
  }

  /**
   * Every member's local header must name what the directory names: Python's zipfile, and so Keras,
   * refuses an archive where they differ, while java.util.zip never looks.
   *
   * @throws dev.initkit.MalformedModelException naming the member
   */
  static void checkLocalHeaders(FileChannel ch, List<ZipDirectory.Entry> members, Path shown)
      throws IOException {
    for (ZipDirectory.Entry m : members) {
      ZipDirectory.localHeader(shown, ch, m);
    }
  }

  /**
   * The file offset of member {@code name}'s data, when it is stored with exactly {@code size}
   * bytes inside the file; -1 when that cannot be told from the zip directory.
   *
   * @throws dev.initkit.MalformedModelException when the member's local header disagrees with the
   *     directory: readers would not agree on which bytes it holds
   */
  static long dataOffset(FileChannel ch, String name, long size, Path shown) throws IOException {
    return dataOffset(ch, directory(ch, shown), name, size, shown);
  }

  /**
   * {@link #dataOffset(FileChannel, String, long, Path)} in a directory already read (null: none).
   */
  static long dataOffset(
      FileChannel ch, List<ZipDirectory.Entry> members, String name, long size, Path shown)
      throws IOException {
    if (members == null) {
      return -1;
    }
    byte[] want = name.getBytes(StandardCharsets.UTF_8);
    for (ZipDirectory.Entry m : members) {
      if (!m.named(want)) {
        continue;
      }
      if (m.method() != 0 || m.size() != size || m.compressedSize() != size) {
        return -1;
      }
      ZipDirectory.LocalHeader h = ZipDirectory.localHeader(shown, ch, m);
      if (h.method() != 0) {
        return -1;
      }
      long data = h.dataStart();
      return size <= ch.size() - data ? data : -1;
    }
    return -1;
  }
}
