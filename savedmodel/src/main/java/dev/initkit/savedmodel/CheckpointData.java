package dev.initkit.savedmodel;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;
import org.tensorflow.proto.DataType;

/**
 * Reads the values of a checkpoint's entries from its data shards ({@code
 * variables.data-NNNNN-of-MMMMM}) in plain Java, so reading a SavedModel never starts TensorFlow's
 * native runtime. Every value is checked against the masked CRC-32C its index entry holds, as
 * TensorFlow's {@code BundleReader} does.
 *
 * <p>Numeric tensors are their raw little-endian bytes; string tensors are {@code [varint64
 * length]... [masked crc32c of the lengths] [bytes]...} (TensorFlow's tensor_bundle). Stateless:
 * each call opens the shard it reads.
 */
final class CheckpointData {
  private final Path dir;
  private final Path variables;
  private final BundleIndex index;

  /**
   * @param dir the SavedModel directory, which errors name
   * @param index its {@code variables/variables.index}
   */
  CheckpointData(Path dir, BundleIndex index) throws UnsupportedModelException {
    this.dir = dir;
    this.variables = dir.resolve("variables");
    this.index = index;
    if (index.header().getEndianness() != BundleHeaderProto.Endianness.LITTLE) {
      throw new UnsupportedModelException(
          dir,
          "variables/variables.index",
          "a big-endian checkpoint (written on a big-endian machine)");
    }
  }

  /** The raw little-endian bytes of a numeric entry. */
  byte[] numeric(String key) throws IOException {
    BundleEntryProto e = entry(key);
    if (e.getDtype() == DataType.DT_STRING || e.getDtype() == DataType.DT_VARIANT) {
      throw new UnsupportedModelException(
          dir, "variables/" + key, "not a numeric tensor: " + e.getDtype());
    }
    byte[] bytes = bytesOf(key, e);
    int actual = Crc32c.of(bytes, 0, bytes.length);
    if (actual != Crc32c.unmask(e.getCrc32C())) {
      throw checksum(key, e);
    }
    return bytes;
  }

  /** The elements of a string entry, in row-major order. */
  byte[][] strings(String key) throws IOException {
    BundleEntryProto e = entry(key);
    if (e.getDtype() != DataType.DT_STRING) {
      throw new UnsupportedModelException(
          dir, "variables/" + key, "not a string tensor: " + e.getDtype());
    }
    long count = elementCount(key, e);
    byte[] all = bytesOf(key, e);
    if (count > all.length) { // every length takes at least one byte
      throw truncated(key, e, count + " strings cannot fit in " + all.length + " bytes");
    }
    int pos = 0;
    long[] lengths = new long[(int) count];
    CRC32C crc = new CRC32C();
    for (int i = 0; i < count; i++) {
      long length = 0;
      for (int shift = 0; ; shift += 7) {
        if (pos >= all.length || shift >= 64) {
          throw truncated(key, e, "string length " + i + " is cut off or too long");
        }
        int b = all[pos++] & 0xff;
        length |= (long) (b & 0x7f) << shift;
        if (b < 0x80) {
          break;
        }
      }
      lengths[i] = length;
      // the checksum covers each length as a little-endian uint32 (uint64 past 4 GiB), not as
      // varint
      boolean wide = Long.compareUnsigned(length, 0xffffffffL) > 0;
      ByteBuffer le = ByteBuffer.allocate(wide ? 8 : 4).order(ByteOrder.LITTLE_ENDIAN);
      if (wide) {
        le.putLong(length);
      } else {
        le.putInt((int) length);
      }
      crc.update(le.array());
    }
    if (pos + 4 > all.length) {
      throw truncated(key, e, "the lengths' checksum is cut off");
    }
    int stored = ByteBuffer.wrap(all, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (Crc32c.unmask(stored) != (int) crc.getValue()) {
      throw checksum(key, e);
    }
    crc.update(all, pos, 4);
    pos += 4;
    byte[][] out = new byte[(int) count][];
    for (int i = 0; i < count; i++) {
      if (lengths[i] > all.length - pos) {
        throw truncated(key, e, "string " + i + " of " + lengths[i] + " bytes runs past the entry");
      }
      out[i] = Arrays.copyOfRange(all, pos, pos + (int) lengths[i]);
      crc.update(all, pos, (int) lengths[i]);
      pos += (int) lengths[i];
    }
    if (pos != all.length) {
      throw truncated(key, e, (all.length - pos) + " bytes left over after the strings");
    }
    if ((int) crc.getValue() != Crc32c.unmask(e.getCrc32C())) {
      throw checksum(key, e);
    }
    return out;
  }

  private BundleEntryProto entry(String key)
      throws MalformedModelException, UnsupportedModelException {
    BundleEntryProto e = index.entries().get(key);
    if (e == null) {
      throw new MalformedModelException(dir, key, "not in the checkpoint");
    }
    if (e.getSlicesCount() > 0) {
      throw new UnsupportedModelException(
          dir,
          "variables/" + key,
          "a partitioned (sliced) variable: its slices are separate checkpoint entries");
    }
    return e;
  }

  /** The entry's bytes, after checking they are as many as its shape and dtype need. */
  private byte[] bytesOf(String key, BundleEntryProto e) throws IOException {
    long size = e.getSize();
    int width = widthOf(e.getDtype());
    long count = elementCount(key, e);
    if (width > 0 && size != count * width) {
      throw new MalformedModelException(
          dir,
          "variables/variables.index: " + key,
          "entry of " + size + " bytes for " + count + " elements of " + e.getDtype());
    }
    if (size < 0 || size > Integer.MAX_VALUE - 16 || e.getOffset() < 0) {
      throw new UnsupportedModelException(
          dir, "variables/" + key, "an entry of " + size + " bytes at " + e.getOffset());
    }
    int shards = index.header().getNumShards();
    if (e.getShardId() < 0 || e.getShardId() >= shards) {
      throw new MalformedModelException(
          dir, "variables/variables.index: " + key, "shard " + e.getShardId() + " of " + shards);
    }
    Path shard =
        variables.resolve(String.format("variables.data-%05d-of-%05d", e.getShardId(), shards));
    byte[] out = new byte[(int) size];
    try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.wrap(out);
      long at = e.getOffset();
      while (buf.hasRemaining()) {
        int n = ch.read(buf, at);
        if (n < 0) {
          throw new EOFException();
        }
        at += n;
      }
    } catch (NoSuchFileException ex) {
      throw new MalformedModelException(
          dir, "variables/" + shard.getFileName(), "missing (it holds " + key + ")");
    } catch (EOFException ex) {
      throw new MalformedModelException(
          dir,
          "variables/" + shard.getFileName(),
          "truncated: " + key + " needs bytes " + e.getOffset() + ".." + (e.getOffset() + size));
    }
    return out;
  }

  private long elementCount(String key, BundleEntryProto e) throws MalformedModelException {
    long n = 1;
    for (var d : e.getShape().getDimList()) {
      if (d.getSize() < 0 || (d.getSize() > 0 && n > Long.MAX_VALUE / d.getSize())) {
        throw new MalformedModelException(
            dir,
            "variables/variables.index: " + key,
            "invalid shape " + e.getShape().getDimList().stream().map(x -> x.getSize()).toList());
      }
      n *= d.getSize();
    }
    return n;
  }

  /** Bytes per element, or 0 when TensorFlow stores the dtype in another form (strings). */
  private static int widthOf(DataType dt) {
    switch (dt) {
      case DT_DOUBLE:
      case DT_INT64:
      case DT_UINT64:
      case DT_COMPLEX64:
        return 8;
      case DT_FLOAT:
      case DT_INT32:
      case DT_UINT32:
        return 4;
      case DT_HALF:
      case DT_BFLOAT16:
      case DT_INT16:
      case DT_UINT16:
        return 2;
      case DT_INT8:
      case DT_UINT8:
      case DT_BOOL:
        return 1;
      case DT_COMPLEX128:
        return 16;
      default:
        return 0;
    }
  }

  private MalformedModelException checksum(String key, BundleEntryProto e) {
    return new MalformedModelException(
        dir,
        "variables/" + shardName(e),
        "checksum mismatch in "
            + key
            + " (bytes "
            + e.getOffset()
            + ".."
            + (e.getOffset() + e.getSize())
            + "): the file is corrupt");
  }

  private MalformedModelException truncated(String key, BundleEntryProto e, String why) {
    return new MalformedModelException(
        dir, "variables/" + shardName(e), "corrupt string tensor " + key + ": " + why);
  }

  private String shardName(BundleEntryProto e) {
    return String.format(
        "variables.data-%05d-of-%05d", e.getShardId(), index.header().getNumShards());
  }
}
