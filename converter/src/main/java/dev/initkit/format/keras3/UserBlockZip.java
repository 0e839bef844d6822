package dev.initkit.format.keras3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * A zip of stored members whose last member, an HDF5 file, is written once, in place: HDF5 creates
 * the archive file itself with a user block ({@code H5Pset_userblock}) that holds the leading
 * members and the last member's local header, so the member's data starts exactly where HDF5's
 * superblock does. After HDF5 has closed the file, {@link #finish} writes the leading members and
 * the header into the block, completes the member's CRC (most of it computed while HDF5 wrote,
 * {@link RegionCrc}) and appends the central directory.
 *
 * <p>The member alone is a valid HDF5 file: HDF5 stores addresses relative to the superblock and
 * rebases a superblock found at another offset than the one it was written at (h5py opens it
 * extracted, from memory and through {@code zipfile}'s stream). The block's size is a power of two
 * of at least 512 (HDF5's rule); the local headers' extra fields pad the block's content to it, one
 * well-formed record each ({@link #PADDING_ID}), so that streaming zip readers, which walk from
 * header to header, see no gap. Headers are {@link ZipProbe}'s, i.e. {@code ZipOutputStream}'s
 * apart from that padding.
 */
final class UserBlockZip {
  /**
   * Extra field id of the padding: Android's zipalign record (a 2-byte alignment the data start is
   * a multiple of, then zeros), which zip readers skip as any unknown record.
   */
  static final int PADDING_ID = 0xD935;

  private static final int MIN_USER_BLOCK = 512;
  private static final int PADDING_MIN = 6; // id, length, alignment
  private static final int EXTRA_MAX = 0xFFFF;

  private final ZipProbe probe;
  private final List<byte[]> leading;
  private final long userBlock;
  private final int[] padding;

  private UserBlockZip(ZipProbe probe, List<byte[]> leading, long userBlock, int[] padding) {
    this.probe = probe;
    this.leading = leading;
    this.userBlock = userBlock;
    this.padding = padding;
  }

  /**
   * The layout for members {@code leading} (name, bytes) followed by the HDF5 member {@code
   * lastName}; empty when the leading members are too large for the extra fields to pad them to a
   * power of two (a config of a few hundred KB, by bad luck of its size), and the caller zips as
   * before.
   */
  static Optional<UserBlockZip> plan(
      List<String> leadingNames, List<byte[]> leading, String lastName, long entryTime)
      throws IOException {
    List<String> names = new ArrayList<>(leadingNames);
    names.add(lastName);
    ZipProbe probe = ZipProbe.of(names, entryTime);
    long content = probe.localHeaderLength(leading.size());
    for (int i = 0; i < leading.size(); i++) {
      content += probe.localHeaderLength(i) + leading.get(i).length;
    }
    long block = MIN_USER_BLOCK;
    while (block < content || (block > content && block - content < PADDING_MIN)) {
      block *= 2;
    }
    int[] padding = spread(probe, names.size(), block - content, 0);
    return padding == null
        ? Optional.empty()
        : Optional.of(new UserBlockZip(probe, List.copyOf(leading), block, padding));
  }

  /**
   * Padding per local header, the last member's first: each 0 or a record of {@link #PADDING_MIN}
   * to what its 16-bit extra length allows, the last member's less {@code lastReserve} bytes of
   * other records; null when they cannot hold {@code total}.
   */
  private static int[] spread(ZipProbe probe, int entries, long total, int lastReserve) {
    int[] padding = new int[entries];
    long left = total;
    for (int i = entries - 1; i >= 0 && left > 0; i--) {
      int take =
          (int)
              Math.min(
                  left,
                  EXTRA_MAX - probe.localExtraLength(i) - (i == entries - 1 ? lastReserve : 0));
      if (left - take > 0 && left - take < PADDING_MIN) {
        take -= PADDING_MIN; // leave the next header room for a whole record
      }
      if (take < PADDING_MIN) {
        return null;
      }
      padding[i] = take;
      left -= take;
    }
    return left == 0 ? padding : null;
  }

  /** The user block to create the HDF5 file with: the member's data starts at this offset. */
  long userBlockBytes() {
    return userBlock;
  }

  /**
   * Completes the archive once HDF5 has closed {@code file}. An archive of 4 GiB or more gets zip64
   * fields: the last member's local header trades {@link ZipProbe#ZIP64_LOCAL_EXTRA} bytes of
   * padding for a zip64 record with its sizes (the data start stays where HDF5 put the superblock),
   * its central directory entry gets a zip64 record, and a zip64 end record and locator precede the
   * end record. False, the file untouched, only when the padding cannot make that room (a block
   * filled to within a few bytes by the leading members).
   */
  boolean finish(Path file, RegionCrc memberCrc) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long end = ch.size();
      if (end < userBlock) {
        throw new IOException(
            file
                + ": HDF5 wrote "
                + end
                + " bytes, less than its "
                + userBlock
                + "-byte user block");
      }
      int last = leading.size();
      long memberSize = end - userBlock;
      boolean zip64 =
          end + probe.centralDirectoryLength() + ZipDirectory.END_LENGTH >= ZipProbe.ZIP32_LIMIT;
      int[] pads = padding;
      if (zip64) {
        pads =
            spread(
                probe,
                last + 1,
                java.util.Arrays.stream(padding).sum() - ZipProbe.ZIP64_LOCAL_EXTRA,
                ZipProbe.ZIP64_LOCAL_EXTRA);
        if (pads == null) {
          return false;
        }
      }
      long[] crc = new long[last + 1];
      long[] size = new long[last + 1];
      long[] offset = new long[last + 1];
      ByteBuffer block = ByteBuffer.allocate((int) userBlock);
      for (int i = 0; i < last; i++) {
        byte[] data = leading.get(i);
        CRC32 c = new CRC32();
        c.update(data);
        crc[i] = c.getValue();
        size[i] = data.length;
        offset[i] = block.position();
        block.put(probe.localHeader(i, crc[i], size[i], padding(pads[i], 1))).put(data);
      }
      crc[last] = memberCrc.of(ch, userBlock, end);
      size[last] = memberSize;
      offset[last] = block.position();
      byte[] lastPadding = padding(pads[last], (int) Math.min(userBlock, 1 << 15));
      block.put(
          zip64
              ? probe.localHeader64(last, crc[last], size[last], lastPadding)
              : probe.localHeader(last, crc[last], size[last], lastPadding));
      if (block.hasRemaining()) {
        throw new IllegalStateException("user block layout: " + block.remaining() + " bytes left");
      }
      ZipProbe.writeFully(ch, block.flip(), 0);
      ByteBuffer cen =
          zip64
              ? probe.centralDirectory64(crc, size, offset, last)
              : probe.centralDirectory(crc, size, offset);
      int cenLength = cen.remaining();
      ZipProbe.writeFully(ch, cen, end);
      ZipProbe.writeFully(
          ch, zip64 ? probe.endRecords64(end, cenLength) : probe.endRecord(end), end + cenLength);
    }
    return true;
  }

  /** A padding record of {@code length} bytes (none when 0). */
  private static byte[] padding(int length, int alignment) {
    if (length == 0) {
      return new byte[0];
    }
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) PADDING_ID).putShort((short) (length - 4)).putShort((short) alignment);
    return b.array();
  }
}
