package dev.initkit.scan;

import dev.initkit.format.keras3.ZipDirectory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The zip structure rules of a {@code .keras} archive, from its central directory alone (read by
 * {@link ZipDirectory}, which checks every size and offset against the file before using it):
 * member names, duplicates, declared sizes and ratios, and the first bytes of the members Keras
 * reads.
 */
final class ZipRules {
  /** Members inflating to less than this are never bombs, whatever their ratio. */
  static final long BOMB_MIN_BYTES = 32L << 20;

  /** An inflated member more than this many times its compressed size is a bomb. */
  static final long BOMB_RATIO = 100;

  static final byte[] HDF5_MAGIC = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};

  private ZipRules() {}

  /**
   * Checks the archive's members.
   *
   * @return the directory read, for the caller to find members in
   */
  static ZipDirectory check(Path file, FileChannel ch, Location base, List<Finding> out)
      throws IOException {
    ZipDirectory dir = ZipDirectory.read(file, ch);
    long fileSize = ch.size();
    Set<String> seen = new HashSet<>();
    for (ZipDirectory.Entry e : dir.entries()) {
      String name = e.name();
      Location at = base.withMember(name);
      if (traverses(name)) {
        out.add(
            Rules.ZIP_PATH_TRAVERSAL.at(
                at, "member name leaves the extraction directory when extracted"));
      }
      if (!seen.add(name)) {
        out.add(
            Rules.ZIP_DUPLICATE.at(
                at,
                "a second member of this name: Python's zipfile reads the last, others the first"));
      }
      long ratio = e.size() / Math.max(1, e.compressedSize());
      if (e.size() > BOMB_MIN_BYTES && (ratio > BOMB_RATIO || e.size() > 1000 * fileSize)) {
        out.add(
            Rules.ZIP_BOMB.at(
                at,
                "declares "
                    + e.size()
                    + " bytes inflated from "
                    + e.compressedSize()
                    + " (ratio "
                    + ratio
                    + ", archive "
                    + fileSize
                    + " bytes)"));
      }
      if (e.method() == 0 && e.size() >= 8) {
        checkContent(file, ch, e, at, out);
      }
    }
    return dir;
  }

  static boolean traverses(String name) {
    String n = name.replace('\\', '/');
    if (n.startsWith("/") || (n.length() > 1 && n.charAt(1) == ':')) {
      return true;
    }
    for (String part : n.split("/")) {
      if (part.equals("..")) {
        return true;
      }
    }
    return false;
  }

  /** A stored member's first bytes must be what its name says Keras will read it as. */
  private static void checkContent(
      Path file, FileChannel ch, ZipDirectory.Entry e, Location at, List<Finding> out)
      throws IOException {
    String lower = e.name().toLowerCase(Locale.ROOT);
    String expected =
        lower.endsWith(".h5")
            ? "HDF5"
            : lower.endsWith(".npz") ? "npz (zip)" : lower.endsWith(".json") ? "JSON" : null;
    if (expected == null) {
      return;
    }
    ByteBuffer head = ByteBuffer.allocate(8);
    long start = ZipDirectory.dataStart(file, ch, e);
    while (head.hasRemaining() && ch.read(head, start + head.position()) > 0) {
      // read the 8 bytes the directory says are there
    }
    byte[] b = head.array();
    boolean ok;
    switch (expected) {
      case "HDF5":
        ok = startsWith(b, HDF5_MAGIC);
        break;
      case "npz (zip)":
        ok = startsWith(b, ZIP_MAGIC);
        break;
      default:
        ok = firstNonSpace(b) == '{' || firstNonSpace(b) == '[';
        break;
    }
    if (!ok) {
      out.add(
          Rules.ZIP_MEMBER_MISMATCH.at(at, "named as " + expected + " but does not start as one"));
    }
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static int firstNonSpace(byte[] b) {
    for (byte x : b) {
      if (x != ' ' && x != '\n' && x != '\r' && x != '\t') {
        return x;
      }
    }
    return -1;
  }
}
