package dev.initkit.savedmodel;

import java.io.IOException;

/**
 * Decompresses a raw Snappy block (the format LevelDB tables use; TensorFlow writes some checkpoint
 * indexes with it). Written from the format description in google/snappy's format_description.txt:
 * a varint length, then literals and back-references.
 */
final class Snappy {
  private static final int MAX_LENGTH = 256 << 20;

  private Snappy() {}

  static byte[] decompress(byte[] in, int start, int end) throws IOException {
    int pos = start;
    long length = 0;
    for (int shift = 0; ; shift += 7) {
      if (pos >= end || shift > 28) {
        throw new IOException("corrupt snappy length");
      }
      int b = in[pos++] & 0xff;
      length |= (long) (b & 0x7f) << shift;
      if (b < 0x80) {
        break;
      }
    }
    if (length > MAX_LENGTH) {
      throw new IOException("snappy block of " + length + " bytes is too large");
    }
    byte[] out = new byte[(int) length];
    int o = 0;
    while (pos < end) {
      int tag = in[pos++] & 0xff;
      int kind = tag & 3;
      if (kind == 0) {
        int len = tag >>> 2;
        if (len >= 60) {
          int extra = len - 59;
          if (pos + extra > end) {
            throw new IOException("corrupt snappy literal");
          }
          len = 0;
          for (int i = 0; i < extra; i++) {
            len |= (in[pos++] & 0xff) << (8 * i);
          }
        }
        len += 1;
        if (len <= 0 || pos + len > end || o + len > out.length) {
          throw new IOException("corrupt snappy literal");
        }
        System.arraycopy(in, pos, out, o, len);
        pos += len;
        o += len;
        continue;
      }
      int len;
      int offset;
      if (kind == 1) {
        if (pos + 1 > end) {
          throw new IOException("corrupt snappy copy");
        }
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | (in[pos++] & 0xff);
      } else {
        int width = kind == 2 ? 2 : 4;
        if (pos + width > end) {
          throw new IOException("corrupt snappy copy");
        }
        len = (tag >>> 2) + 1;
        offset = 0;
        for (int i = 0; i < width; i++) {
          offset |= (in[pos++] & 0xff) << (8 * i);
        }
      }
      if (offset <= 0 || offset > o || o + len > out.length) {
        throw new IOException("corrupt snappy copy");
      }
      for (int i = 0; i < len; i++) { // byte by byte: copies may overlap their own output
        out[o + i] = out[o - offset + i];
      }
      o += len;
    }
    if (o != out.length) {
      throw new IOException("snappy block ends early");
    }
    return out;
  }
}
