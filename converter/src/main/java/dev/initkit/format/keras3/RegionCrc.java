package dev.initkit.format.keras3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

/**
 * The zip CRC-32 of a span of a file being written, most of it computed while the file is still
 * being written: a region whose bytes are final ({@link #written}, a dataset HDF5 has closed) is
 * read back and checksummed by a background thread, from the page cache, while the writer moves on;
 * at the end ({@link #of}) only the gaps between regions (HDF5's metadata, small datasets) are
 * read, and the parts are joined by {@link #combine}. Before, the whole member was read once more
 * after HDF5 closed it (0.2-0.3 s per GiB on the critical path).
 */
final class RegionCrc implements AutoCloseable {
  /** The zip polynomial, bit-reversed (CRC-32 as zip and {@link CRC32} compute it). */
  private static final int POLY = 0xEDB88320;

  /** 256 KiB reads: the CRC runs on bytes still in the core's cache. */
  private static final int READ_BYTES = 256 * 1024;

  /** Regions below this are left to the final pass (cheaper than a task each). */
  static final long MIN_REGION = 1L << 20;

  /** Bytes whose CRC was taken from the background so far (tests check the overlap happens). */
  static final java.util.concurrent.atomic.AtomicLong BACKGROUND_BYTES =
      new java.util.concurrent.atomic.AtomicLong();

  private record Part(long offset, long length, Future<Long> crc) {}

  private final Path file;
  private final List<Part> parts = new ArrayList<>();
  private ExecutorService worker;
  private FileChannel channel;

  RegionCrc(Path file) {
    this.file = file;
  }

  /**
   * Bytes {@code [offset, offset + length)} of the file are final: nothing will write them again.
   * Checksummed in the background; a failure there only costs the read at the end.
   */
  synchronized void written(long offset, long length) {
    if (length < MIN_REGION || offset < 0) {
      return;
    }
    try {
      if (worker == null) {
        channel = FileChannel.open(file, StandardOpenOption.READ);
        worker =
            Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "initkit-crc");
                  t.setDaemon(true);
                  return t;
                });
      }
      FileChannel ch = channel;
      parts.add(new Part(offset, length, worker.submit(() -> crc(ch, offset, length))));
    } catch (IOException | RuntimeException e) {
      // the region is read at the end like any gap
    }
  }

  /**
   * CRC-32 of bytes {@code [from, to)} of {@code ch} (the file this collects for): regions
   * checksummed in the background are taken as they are (waiting for the ones still running),
   * everything else is read now. Regions outside the span or overlapping another are ignored.
   */
  synchronized long of(FileChannel ch, long from, long to) throws IOException {
    List<Part> sorted = new ArrayList<>(parts);
    sorted.sort(Comparator.comparingLong(Part::offset));
    long crc = 0;
    long at = from;
    for (Part p : sorted) {
      if (p.offset() < at || p.offset() + p.length() > to) {
        continue;
      }
      Long part = result(p);
      if (part == null) {
        continue;
      }
      crc = combine(crc, crc(ch, at, p.offset() - at), p.offset() - at);
      crc = combine(crc, part, p.length());
      BACKGROUND_BYTES.addAndGet(p.length());
      at = p.offset() + p.length();
    }
    return combine(crc, crc(ch, at, to - at), to - at);
  }

  private static Long result(Part p) throws IOException {
    try {
      return p.crc().get();
    } catch (ExecutionException e) {
      return null; // read again with the gaps
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while checksumming");
    }
  }

  /** CRC-32 of {@code size} bytes of {@code ch} from {@code at}, read through a direct buffer. */
  static long crc(FileChannel ch, long at, long size) throws IOException {
    CRC32 c = new CRC32();
    ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(READ_BYTES, Math.max(1, size)));
    for (long done = 0; done < size; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), size - done));
      int n = ch.read(buf, at + done);
      if (n < 0) {
        throw new IOException("file ends " + (size - done) + " bytes early");
      }
      c.update(buf.flip());
      done += n;
    }
    return c.getValue();
  }

  /**
   * The CRC-32 of {@code A} followed by {@code B} from the CRC-32s of both and {@code B}'s length:
   * the CRC of {@code A} shifted past {@code lengthB} zero bytes (a multiplication by {@code x^(8
   * lengthB)} modulo the polynomial) xor the CRC of {@code B}. The pre- and post-conditioning (the
   * inverted registers) cancel in that xor.
   */
  static long combine(long crcA, long crcB, long lengthB) {
    if (lengthB == 0) {
      return crcA;
    }
    return (multiply(xPower8(lengthB), (int) crcA) ^ (int) crcB) & 0xFFFFFFFFL;
  }

  /** {@code a * b} modulo the polynomial, in the bit-reversed form (bit 31 is x^0). */
  private static int multiply(int a, int b) {
    int product = 0;
    for (int bit = 1 << 31; bit != 0 && a != 0; bit >>>= 1) {
      if ((a & bit) != 0) {
        product ^= b;
        a ^= bit;
      }
      b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
    }
    return product;
  }

  /** {@code x^(8 n)} modulo the polynomial, by squaring. */
  private static int xPower8(long n) {
    int result = 1 << 31; // x^0
    int square = 1 << 23; // x^8
    for (long e = n; e != 0; e >>>= 1) {
      if ((e & 1) != 0) {
        result = multiply(result, square);
      }
      square = multiply(square, square);
    }
    return result;
  }

  @Override
  public synchronized void close() throws IOException {
    if (worker != null) {
      worker.shutdownNow();
      worker = null;
    }
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }
}
