package dev.initkit.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Forces a file being written to disk in the background, so that the final {@code fsync} before the
 * rename finds little left: without it the kernel starts writing a large output only when that
 * {@code fsync} asks (its dirty-page thresholds are gigabytes on a machine with RAM to spare), and
 * the process waits for the whole file at the end.
 *
 * <p>A daemon thread looks at the file's size every {@link #PERIOD_MS} ms and calls {@code
 * fdatasync} when it grew by {@link #STEP_BYTES} since the last one. Errors are ignored: the final
 * {@code fsync} reports them. {@code -Dinitkit.syncAhead=false} turns it off.
 */
final class SyncAhead implements AutoCloseable {
  private static final long PERIOD_MS = 50;
  private static final long STEP_BYTES = 64L << 20;
  private static final boolean ENABLED = !"false".equals(System.getProperty("initkit.syncAhead"));

  private final Path file;
  private final Thread thread;
  private volatile boolean closed;

  private SyncAhead(Path file) {
    this.file = file;
    this.thread = new Thread(this::run, "initkit-sync-ahead");
    thread.setDaemon(true);
  }

  /** Starts forcing {@code file} as it grows; {@link #close} stops it. */
  static SyncAhead start(Path file) {
    SyncAhead s = new SyncAhead(file);
    if (ENABLED) {
      s.thread.start();
    }
    return s;
  }

  private void run() {
    long synced = 0;
    while (!closed) {
      try {
        Thread.sleep(PERIOD_MS);
        long size = Files.size(file);
        if (size - synced >= STEP_BYTES) {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(false);
          }
          synced = size;
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        // the writer may have replaced or removed the file; the final fsync tells
      }
    }
  }

  /** Stops the thread and waits for a running {@code fdatasync} to end. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
