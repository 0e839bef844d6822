package dev.initkit.format.keras3;

import dev.initkit.MalformedModelException;
import dev.initkit.internal.h5.H5Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.zip.CRC32;

/**
 * The CRC-32 of a stored archive member read where it lies, checked as Keras's zipfile checks it.
 * Weights read in place go through HDF5 in any order or are copied file to file by the kernel, so
 * the check runs beside them: started by the first read of weight data (an inspect, which reads
 * none, costs nothing), on another thread from the page cache the copy just filled, and settled
 * before any output made from the data is kept ({@link #verify}).
 */
final class MemberCrc implements H5Store.SourceCheck {
  private final Path archive;
  private final String member;
  private final long offset;
  private final long size;
  private final long expected;
  private volatile CompletableFuture<Long> crc;
  private volatile boolean closed;

  MemberCrc(Path archive, String member, long offset, long size, long expected) {
    this.archive = archive;
    this.member = member;
    this.offset = offset;
    this.size = size;
    this.expected = expected;
  }

  /**
   * A member up to this size is checked at once on the reading thread: a thread and a 1 MiB buffer
   * per member cost more than the check (a scan of 2000 small files started 700 threads).
   */
  static final long INLINE_BYTES = 1L << 20;

  @Override
  public void accessed() {
    if (crc == null) {
      synchronized (this) {
        if (crc == null && size <= INLINE_BYTES) {
          CompletableFuture<Long> done = new CompletableFuture<>();
          try {
            done.complete(compute());
          } catch (RuntimeException e) {
            done.completeExceptionally(e.getCause() != null ? e.getCause() : e);
          }
          crc = done;
        } else if (crc == null) {
          crc =
              CompletableFuture.supplyAsync(
                  this::compute,
                  r -> {
                    Thread t = new Thread(r, "initkit-member-crc");
                    t.setDaemon(true);
                    t.start();
                  });
        }
      }
    }
  }

  @Override
  public void verify() throws IOException {
    CompletableFuture<Long> f = crc;
    if (f == null) {
      return; // no byte of the member was used
    }
    long got;
    try {
      got = f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException(
          "interrupted while checking " + member + " of " + archive);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw c instanceof IOException io
          ? io
          : new IOException(archive + ": " + member + ": " + c, c);
    }
    if (got != expected) {
      throw mismatch(archive, member, got, expected);
    }
  }

  /** The one error for a member whose bytes are not what the archive recorded. */
  static MalformedModelException mismatch(Path archive, String member, long got, long expected) {
    return new MalformedModelException(
        archive,
        member,
        String.format(
            Locale.ROOT,
            "damaged: its bytes have CRC-32 %08x, the archive records %08x (Keras refuses it: Bad CRC-32)",
            got,
            expected));
  }

  private long compute() {
    CRC32 c = new CRC32();
    // direct: CRC32 reads it with its intrinsic; a small member's bytes fit a small heap buffer
    ByteBuffer b =
        size <= INLINE_BYTES
            ? ByteBuffer.allocate((int) Math.max(1, size))
            : ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
      for (long done = 0; done < size && !closed; ) {
        b.clear().limit((int) Math.min(b.capacity(), size - done));
        int n = ch.read(b, offset + done);
        if (n < 0) {
          throw new java.util.concurrent.CompletionException(
              new MalformedModelException(
                  archive, member, "the archive ends inside the member (truncated?)"));
        }
        b.flip();
        c.update(b);
        done += n;
      }
    } catch (IOException e) {
      throw new java.util.concurrent.CompletionException(e);
    }
    return c.getValue();
  }

  @Override
  public void close() {
    closed = true; // a model closed before its check settled: the thread stops at its next read
  }
}
