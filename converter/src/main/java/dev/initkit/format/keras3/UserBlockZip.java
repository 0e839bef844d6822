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
 * the header into the block, computes the member's CRC in one read and appends the central
 * directory.
 *
 * <p>The member alone is a valid HDF5 file: HDF5 stores addresses relative to the superblock and
 * rebases a superblock found at another offset than the one it was written at (h5py opens it
 * extracted, from memory and through {@code zipfile}'s stream). The block's size is a power of two
 * of at least 512 (HDF5's rule); the local headers' extra fields pad the block's content to it,
 * one well-formed record each ({@link #PADDING_ID}), so that streaming zip readers, which walk from
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
  private static final int BLOCK = 1 << 20;

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
  static Optional<UserBlockZip> plan(List<String> leadingNames, List<byte[]> leading, String lastName, long entryTime) throws IOException {
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
    int[] padding = spread(probe, names.size(), block - content);
    return padding == null ? Optional.empty() : Optional.of(new UserBlockZip(probe, List.copyOf(leading), block, padding));
  }

  /**
   * Padding per local header, the last member's first: each 0 or a record of {@link #PADDING_MIN}
   * to what its 16-bit extra length allows; null when they cannot hold {@code total}.
   */
  private static int[] spread(ZipProbe probe, int entries, long total) {
    int[] padding = new int[entries];
    long left = total;
    for (int i = entries - 1; i >= 0 && left > 0; i--) {
      int take = (int) Math.min(left, EXTRA_MAX - probe.localExtraLength(i));
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
   * Completes the archive once HDF5 has closed {@code file}; false, the file untouched, when the
   * archive would need zip64 fields (4 GiB or more).
   */
  boolean finish(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long end = ch.size();
      if (end < userBlock) {
        throw new IOException(file + ": HDF5 wrote " + end + " bytes, less than its " + userBlock + "-byte user block");
      }
      int last = leading.size();
      long memberSize = end - userBlock;
      if (end + probe.centralDirectoryLength() + 22 >= ZipProbe.ZIP32_LIMIT) {
        return false;
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
        block.put(probe.localHeader(i, crc[i], size[i], padding(i, 1))).put(data);
      }
      crc[last] = crc(ch, userBlock, memberSize);
      size[last] = memberSize;
      offset[last] = block.position();
      block.put(probe.localHeader(last, crc[last], size[last], padding(last, (int) Math.min(userBlock, 1 << 15))));
      if (block.hasRemaining()) {
        throw new IllegalStateException("user block layout: " + block.remaining() + " bytes left");
      }
      ZipProbe.writeFully(ch, block.flip(), 0);
      ByteBuffer cen = probe.centralDirectory(crc, size, offset);
      ZipProbe.writeFully(ch, cen, end);
      ZipProbe.writeFully(ch, probe.endRecord(end), end + cen.capacity());
    }
    return true;
  }

  /** Header {@code i}'s padding record (none when its share is 0). */
  private byte[] padding(int i, int alignment) {
    if (padding[i] == 0) {
      return new byte[0];
    }
    ByteBuffer b = ByteBuffer.allocate(padding[i]).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) PADDING_ID).putShort((short) (padding[i] - 4)).putShort((short) alignment);
    return b.array();
  }

  /** CRC-32 of {@code size} bytes from {@code at}: one read of the member, through a direct buffer. */
  private static long crc(FileChannel ch, long at, long size) throws IOException {
    CRC32 c = new CRC32();
    ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
    for (long done = 0; done < size; ) {
      buf.clear().limit((int) Math.min(BLOCK, size - done));
      int n = ch.read(buf, at + done);
      if (n < 0) {
        throw new IOException("file ends " + (size - done) + " bytes early");
      }
      c.update(buf.flip());
      done += n;
    }
    return c.getValue();
  }
}
