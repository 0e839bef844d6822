package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/**
 * Fills a whole tensor that fits in one {@link ByteBuffer} using several threads. Work is cut at
 * {@link SeedContract#BLOCK_SIZE} boundaries, so the bytes are identical to a single-threaded
 * {@link Initializer#fill} whatever the thread count.
 */
public final class ParallelFill {
  private ParallelFill() {}

  /**
   * Writes all elements of a tensor into {@code dst} at its position, little-endian, and advances
   * it by the tensor's byte size. Uses a private {@link ForkJoinPool} of {@code threads} workers,
   * shut down before returning.
   *
   * @param threads worker count, at least 1 (1 fills on the calling thread)
   * @throws IllegalArgumentException as {@link Initializer#fill} does, or if {@code threads < 1} or
   *     the tensor exceeds 2 GiB
   * @throws BufferOverflowException if {@code dst} has too little room (nothing written)
   * @throws InterruptedException if interrupted while waiting for the workers
   */
  public static void fill(
      Initializer init, Shape shape, DType dtype, long streamSeed, ByteBuffer dst, int threads)
      throws InterruptedException {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    }
    long n = shape.elementCount();
    long bytes = Math.multiplyExact(n, (long) dtype.size());
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "tensor of shape "
              + shape
              + " ("
              + bytes
              + " bytes) does not fit one ByteBuffer: stream it with Initializer.fill ranges");
    }
    if (dst.remaining() < bytes) {
      throw new BufferOverflowException();
    }
    init.check(shape);
    int start = dst.position();
    long blocks = (n + SeedContract.BLOCK_SIZE - 1) / SeedContract.BLOCK_SIZE;
    if (threads == 1 || blocks <= 1) {
      init.fill(shape, dtype, streamSeed, dst, 0, n);
      return;
    }
    if (init.wholeTensor()) {
      // compute (and cache) once, so that workers do not queue on the computation
      init.fill(shape, dtype, streamSeed, dst.duplicate(), 0, Math.min(n, 1));
    }
    // A few tasks per worker keeps them busy when blocks take different times (truncation).
    long tasks = Math.min(blocks, (long) threads * 4);
    ForkJoinPool pool = new ForkJoinPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (long t = 0; t < tasks; t++) {
        long firstBlock = blocks * t / tasks;
        long lastBlock = blocks * (t + 1) / tasks;
        long first = firstBlock * SeedContract.BLOCK_SIZE;
        long end = Math.min(n, lastBlock * SeedContract.BLOCK_SIZE);
        ByteBuffer part = dst.duplicate();
        part.position(Math.toIntExact(start + first * dtype.size()));
        futures.add(
            pool.submit(() -> init.fill(shape, dtype, streamSeed, part, first, end - first)));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof RuntimeException re) {
            throw re;
          }
          if (c instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException(c);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    dst.position(Math.toIntExact(start + bytes));
  }
}
