package dev.initkit.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/** Positional reads of a few bytes from a file, for the parsers of file structures. */
public final class FileBytes {
  private FileBytes() {}

  /** Reads up to {@code length} bytes at {@code position}; fewer only at the end of the file. */
  public static byte[] readUpTo(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, position + buf.position()) < 0) {
        break;
      }
    }
    return buf.hasRemaining() ? Arrays.copyOf(buf.array(), buf.position()) : buf.array();
  }

  /**
   * Exactly {@code length} bytes at {@code position}, little-endian, ready to read.
   *
   * @throws EOFException when the file ends first (it shrank since its size was checked)
   */
  public static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        throw new EOFException(
            "file ends at " + (position + b.position()) + ", before " + (position + length));
      }
    }
    return b.flip();
  }
}
