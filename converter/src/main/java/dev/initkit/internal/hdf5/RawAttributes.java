package dev.initkit.internal.hdf5;

import java.nio.channels.FileChannel;
import java.util.List;

/**
 * Variable-length string attributes read the way initkit's HDF5 reading reads them ({@link H5Raw}:
 * pure Java, every global heap reference checked), for code that parses a file's structure without
 * the native library: the scanner's Java walk takes a Keras {@code model_config} from here, so it
 * sees the bytes the native path would see. Touches no native code.
 */
public final class RawAttributes {
  private RawAttributes() {}

  /**
   * The {@code count} strings of the variable-length string attribute {@code name} of the object
   * whose header is at {@code headerAddress}, in the HDF5 file held in bytes {@code [start, start +
   * length)} of {@code ch}; null when the object keeps its attributes in dense storage.
   *
   * @param userBlock bytes before the superblock (addresses count from there)
   * @param sizeOfOffsets the superblock's size of offsets
   * @param sizeOfLengths the superblock's size of lengths
   * @throws H5Exception when the header, the attribute or a heap reference is damaged
   */
  public static List<String> vlenStrings(
      FileChannel ch,
      long start,
      long length,
      long userBlock,
      int sizeOfOffsets,
      int sizeOfLengths,
      long headerAddress,
      String name,
      long count)
      throws H5Exception {
    List<String> v =
        new H5Raw(ch, start, length, userBlock, sizeOfOffsets, sizeOfLengths)
            .vlenStrings(headerAddress, name, count);
    return v == H5Raw.DENSE ? null : v;
  }
}
