package dev.initkit.format.h5;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Detection.Hdf5Superblock;
import dev.initkit.internal.FileBytes;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Tells an HDF5 file from its signature and superblock, in pure Java: it runs before the native
 * library opens the file, so a truncated download gets a clear message instead of a native HDF5
 * error stack. It reads the signature and the fixed part of the superblock, never more.
 */
public final class KerasH5Probe {
  private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

  private KerasH5Probe() {}

  /**
   * The superblock of a file whose first bytes are {@code head}, when they are the HDF5 signature;
   * null when they are not.
   *
   * @param file the file, for messages
   * @param size the file's size
   * @throws MalformedModelException for a file that ends inside the signature or the superblock, or
   *     whose superblock is inconsistent
   * @throws UnsupportedModelException for a superblock version newer than 3
   */
  public static Hdf5Superblock atStart(Path file, FileChannel ch, byte[] head, long size)
      throws IOException {
    if (startsWith(head, HDF5_SIGNATURE)) {
      return superblock(file, ch, 0, size);
    }
    if (head.length >= 4
        && head.length < HDF5_SIGNATURE.length
        && startsWith(HDF5_SIGNATURE, head)) {
      throw new MalformedModelException(
          file,
          null,
          "truncated HDF5 file: "
              + size
              + " bytes, it ends inside the HDF5 signature"
              + " (incomplete download or copy?)");
    }
    return null;
  }

  /**
   * The superblock after a user block (HDF5 allows 512, 1024, 2048... bytes before it), or null
   * when there is no HDF5 signature at any of those offsets.
   *
   * @throws MalformedModelException see {@link #atStart}
   * @throws UnsupportedModelException see {@link #atStart}
   */
  public static Hdf5Superblock afterUserBlock(Path file, FileChannel ch, long size)
      throws IOException {
    for (long offset = 512; offset > 0 && offset <= size - HDF5_SIGNATURE.length; offset *= 2) {
      if (Arrays.equals(FileBytes.readUpTo(ch, offset, HDF5_SIGNATURE.length), HDF5_SIGNATURE)) {
        return superblock(file, ch, offset, size);
      }
    }
    return null;
  }

  private static Hdf5Superblock superblock(Path file, FileChannel ch, long offset, long size)
      throws IOException {
    // the largest fixed superblock: version 1 with 32-byte offsets is 28 + 6 * 32 + 24 = 244 bytes
    byte[] sb = FileBytes.readUpTo(ch, offset, (int) Math.min(size - offset, 256));
    if (sb.length < 9) {
      throw truncatedInSuperblock(file, size);
    }
    int version = sb[8] & 0xff;
    int sizeOfOffsets;
    int sizeOfLengths;
    int length; // bytes of the superblock this parser needs
    int basePos;
    int eofPos;
    int rootPos;
    switch (version) {
      case 0:
      case 1:
        if (sb.length < 16) {
          throw truncatedInSuperblock(file, size);
        }
        sizeOfOffsets = sb[13] & 0xff;
        sizeOfLengths = sb[14] & 0xff;
        checkFieldSize(file, "offsets", sizeOfOffsets);
        checkFieldSize(file, "lengths", sizeOfLengths);
        // version 1 adds the indexed storage K (2 bytes) and 2 reserved bytes
        basePos = version == 0 ? 24 : 28;
        eofPos = basePos + 2 * sizeOfOffsets;
        // root group symbol table entry: link name offset, then object header address
        rootPos = basePos + 5 * sizeOfOffsets;
        // the entry ends with cache type (4), reserved (4) and scratch pad (16)
        length = basePos + 6 * sizeOfOffsets + 24;
        break;
      case 2:
      case 3:
        if (sb.length < 11) {
          throw truncatedInSuperblock(file, size);
        }
        sizeOfOffsets = sb[9] & 0xff;
        sizeOfLengths = sb[10] & 0xff;
        checkFieldSize(file, "offsets", sizeOfOffsets);
        checkFieldSize(file, "lengths", sizeOfLengths);
        // base, extension, end of file, root object header addresses, then a 4-byte checksum
        basePos = 12;
        eofPos = basePos + 2 * sizeOfOffsets;
        rootPos = basePos + 3 * sizeOfOffsets;
        length = basePos + 4 * sizeOfOffsets + 4;
        break;
      default:
        throw new UnsupportedModelException(
            file,
            null,
            "HDF5 superblock version "
                + version
                + " is unknown (known: 0 to 3): a corrupt file or one written by a newer HDF5");
    }
    if (sb.length < length) {
      throw truncatedInSuperblock(file, size);
    }
    long base = address(sb, basePos, sizeOfOffsets);
    long storedEof = address(sb, eofPos, sizeOfOffsets);
    long root = address(sb, rootPos, sizeOfOffsets);
    if (base < 0) {
      base = offset;
    }
    // The end-of-file address is stored absolute. When the base address does not match where the
    // superblock really is (a user block added afterwards), HDF5 shifts it by the difference.
    long eof = storedEof < 0 ? -1 : saturatedAdd(storedEof, offset - base);
    if (eof >= 0 && size < eof) {
      throw new MalformedModelException(
          file,
          null,
          "truncated HDF5 file: "
              + size
              + " bytes, the superblock says "
              + eof
              + " (incomplete download or copy?)");
    }
    if (eof >= 0 && root >= 0 && saturatedAdd(offset, root) >= eof) {
      throw new MalformedModelException(
          file,
          null,
          "corrupt HDF5 superblock: the root group address "
              + root
              + " is past the end-of-file address "
              + eof);
    }
    return new Hdf5Superblock(offset, version, sizeOfOffsets, sizeOfLengths, base, eof, size);
  }

  private static void checkFieldSize(Path file, String what, int bytes)
      throws MalformedModelException {
    if (bytes != 2 && bytes != 4 && bytes != 8 && bytes != 16 && bytes != 32) {
      throw new MalformedModelException(
          file,
          null,
          "corrupt HDF5 superblock: size of "
              + what
              + " is "
              + bytes
              + " (expected 2, 4, 8, 16 or 32)");
    }
  }

  private static MalformedModelException truncatedInSuperblock(Path file, long size) {
    return new MalformedModelException(
        file,
        null,
        "truncated HDF5 file: "
            + size
            + " bytes, it ends inside the superblock"
            + " (incomplete download or copy?)");
  }

  /**
   * A little-endian address of {@code width} bytes: -1 when undefined (all bits set), {@link
   * Long#MAX_VALUE} when it does not fit a long.
   */
  private static long address(byte[] b, int pos, int width) {
    boolean allOnes = true;
    for (int i = 0; i < width; i++) {
      allOnes &= b[pos + i] == (byte) 0xff;
    }
    if (allOnes) {
      return -1;
    }
    for (int i = 8; i < width; i++) {
      if (b[pos + i] != 0) {
        return Long.MAX_VALUE;
      }
    }
    long value = 0;
    for (int i = Math.min(width, 8) - 1; i >= 0; i--) {
      value = (value << 8) | (b[pos + i] & 0xff);
    }
    return value < 0 ? Long.MAX_VALUE : value;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return a > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return r;
  }

  /** True if {@code data} starts with all of {@code prefix}. */
  private static boolean startsWith(byte[] data, byte[] prefix) {
    if (data.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (data[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
