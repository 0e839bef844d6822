package dev.initkit.savedmodel;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;

/**
 * The entries of a TensorFlow checkpoint's {@code variables.index}: every key with its dtype and
 * shape, in key order.
 *
 * <p>TensorFlow Java has no checkpoint reader, so the index (a LevelDB table of {@code
 * BundleEntryProto} values, written uncompressed by TensorFlow's tensor bundle) is read here in
 * plain Java. Values are read from the data shards by {@link CheckpointData}.
 */
final class BundleIndex {
  private static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER = 48;
  private static final int MAX_INDEX_BYTES = 256 << 20;

  private final BundleHeaderProto header;
  private final Map<String, BundleEntryProto> entries;

  private BundleIndex(BundleHeaderProto header, Map<String, BundleEntryProto> entries) {
    this.header = header;
    this.entries = Collections.unmodifiableMap(entries);
  }

  /** The header entry (key ""): number of data shards and byte order. */
  BundleHeaderProto header() {
    return header;
  }

  /** Every entry except the header (key ""), in key order. */
  Map<String, BundleEntryProto> entries() {
    return entries;
  }

  /**
   * Reads an index file.
   *
   * @param file {@code variables/variables.index}
   * @param shown the path errors name
   * @throws MalformedModelException when it is not a valid table
   * @throws UnsupportedModelException when its blocks are compressed
   */
  static BundleIndex read(Path file, Path shown) throws IOException {
    long size = Files.size(file);
    if (size < FOOTER || size > MAX_INDEX_BYTES) {
      throw new MalformedModelException(
          shown,
          "variables/variables.index",
          "expected a checkpoint index, found " + size + " bytes");
    }
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    Reader footer = new Reader(all, (int) size - FOOTER, (int) size, shown);
    footer.varint(); // metaindex handle: unused
    footer.varint();
    long indexOffset = footer.varint();
    long indexSize = footer.varint();
    if (all.getLong((int) size - 8) != TABLE_MAGIC) {
      throw new MalformedModelException(
          shown, "variables/variables.index", "not a checkpoint index (bad table magic number)");
    }
    Map<String, BundleEntryProto> out = new LinkedHashMap<>();
    BundleHeaderProto header = null;
    Map<String, byte[]> index = block(all, indexOffset, indexSize, shown);
    for (byte[] handle : index.values()) {
      Reader h = new Reader(ByteBuffer.wrap(handle), 0, handle.length, shown);
      long offset = h.varint();
      long length = h.varint();
      for (Map.Entry<String, byte[]> e : block(all, offset, length, shown).entrySet()) {
        try {
          if (e.getKey().isEmpty()) {
            header = BundleHeaderProto.parseFrom(e.getValue());
            continue;
          }
          out.put(e.getKey(), BundleEntryProto.parseFrom(e.getValue()));
        } catch (InvalidProtocolBufferException ex) {
          throw new MalformedModelException(
              shown,
              "variables/variables.index: " + e.getKey(),
              "invalid "
                  + (e.getKey().isEmpty() ? "BundleHeaderProto: " : "BundleEntryProto: ")
                  + ex.getMessage());
        }
      }
    }
    if (header == null) {
      throw new MalformedModelException(
          shown, "variables/variables.index", "no header entry (key \"\")");
    }
    return new BundleIndex(header, out);
  }

  /** The key-value pairs of one table block, keys decoded as UTF-8. */
  private static Map<String, byte[]> block(ByteBuffer all, long offset, long length, Path shown)
      throws IOException {
    if (offset < 0 || length < 4 || offset + length + 5 > all.limit()) {
      throw new MalformedModelException(
          shown,
          "variables/variables.index",
          "block at " + offset + " of " + length + " bytes lies outside the file (truncated?)");
    }
    int compression = all.get((int) (offset + length)) & 0xff;
    if (compression == 1) { // Snappy, as LevelDB tables allow
      byte[] raw;
      try {
        raw = Snappy.decompress(all.array(), (int) offset, (int) (offset + length));
      } catch (IOException e) {
        throw new MalformedModelException(shown, "variables/variables.index", e.getMessage(), e);
      }
      all = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      offset = 0;
      length = raw.length;
    } else if (compression != 0) {
      throw new UnsupportedModelException(
          shown,
          "variables/variables.index",
          "checkpoint index block compressed with type " + compression);
    }
    int start = (int) offset;
    int end = (int) (offset + length);
    int restarts = all.getInt(end - 4);
    int dataEnd = end - 4 - 4 * restarts;
    if (restarts < 0 || dataEnd < start) {
      throw new MalformedModelException(
          shown, "variables/variables.index", "corrupt block restart array");
    }
    Reader r = new Reader(all, start, dataEnd, shown);
    Map<String, byte[]> out = new LinkedHashMap<>();
    byte[] key = new byte[0];
    while (r.pos < dataEnd) {
      int shared = (int) r.varint();
      int nonShared = (int) r.varint();
      int valueLength = (int) r.varint();
      if (shared > key.length
          || nonShared < 0
          || valueLength < 0
          || r.pos + nonShared + valueLength > dataEnd) {
        throw new MalformedModelException(
            shown, "variables/variables.index", "corrupt block entry");
      }
      byte[] next = new byte[shared + nonShared];
      System.arraycopy(key, 0, next, 0, shared);
      all.get(r.pos, next, shared, nonShared);
      r.pos += nonShared;
      byte[] value = new byte[valueLength];
      all.get(r.pos, value);
      r.pos += valueLength;
      key = next;
      out.put(new String(key, java.nio.charset.StandardCharsets.UTF_8), value);
    }
    return out;
  }

  /** Varint decoding over a bounded region of a buffer. */
  private static final class Reader {
    private final ByteBuffer buf;
    private final int end;
    private final Path shown;
    private int pos;

    Reader(ByteBuffer buf, int pos, int end, Path shown) {
      this.buf = buf;
      this.shown = shown;
      this.pos = pos;
      this.end = end;
    }

    long varint() throws MalformedModelException {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new MalformedModelException(shown, "variables/variables.index", "truncated varint");
        }
        int b = buf.get(pos++) & 0xff;
        value |= (long) (b & 0x7f) << shift;
        if (b < 0x80) {
          return value;
        }
      }
      throw new MalformedModelException(shown, "variables/variables.index", "varint too long");
    }
  }
}
