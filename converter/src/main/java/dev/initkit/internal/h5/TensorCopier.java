package dev.initkit.internal.h5;

import dev.initkit.UnsupportedModelException;
import dev.initkit.init.SeedContract;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Moves one tensor into an HDF5 dataset being written. A tensor still stored unchanged in an HDF5
 * source is copied by that store ({@link H5Store#copyTo}: raw bytes, its datatype and attributes,
 * never through Java arrays); anything else streams through bounded direct buffers, block of rows
 * by block of rows, so memory stays flat whatever the size.
 *
 * <p>A tensor larger than one block is pipelined: producer threads (one per core) fill the next
 * blocks from the {@link TensorSource} (for drawn weights, that is where the random numbers are
 * generated) while the calling thread writes the finished blocks in order (HDF5 calls are
 * serialised by one lock, so one writer is all HDF5 can use). At most {@code 2 x threads + 1}
 * blocks of 2 MiB exist at once (fewer when rows are larger; a row above {@link #MAX_POOLED_BYTES}
 * streams on the calling thread), in direct buffers pooled across tensors. The bytes written do not
 * depend on the thread count or the block size: sources must return the same rows however a tensor
 * is cut (drawn weights do by the {@link SeedContract}); blocks start on seed-block boundaries
 * where the row size allows it, the cheapest cut for generators.
 */
public final class TensorCopier {
  /**
   * Target size of one block (system property {@code initkit.blockBytes}); a single row larger than
   * this gets a buffer of its own. Default 2 MiB: with 4 MiB and 16 MiB blocks the kernel's copy of
   * the written bytes into the page cache took 3-5x the sys time (docs/performance.md).
   */
  static final int BLOCK_BYTES =
      Math.max(4096, Integer.getInteger("initkit.blockBytes", 2 * 1024 * 1024));

  /** Producer threads; override with system property {@code initkit.threads} (1 = no pipeline). */
  private static final int THREADS =
      Math.max(
          1, Integer.getInteger("initkit.threads", Runtime.getRuntime().availableProcessors()));

  /**
   * Rows up to this size are pipelined through pooled buffers of a power-of-two multiple of {@link
   * #BLOCK_BYTES}; a larger row (a 1x1 convolution kernel with thousands of channels) streams on
   * the calling thread through one buffer of its own, so memory stays at one row.
   */
  static final int MAX_POOLED_BYTES = 4 * BLOCK_BYTES;

  /**
   * Bytes of blocks a pipelined copy keeps alive at once (a tensor with large rows gets fewer
   * blocks).
   */
  private static final long IN_FLIGHT_BYTES = (2L * THREADS + 1) * BLOCK_BYTES;

  /**
   * Free direct buffers by capacity, reused across tensors: allocating (and zeroing) fresh ones per
   * tensor left hundreds of MB of dead direct memory to the garbage collector on a ResNet.
   */
  private static final ConcurrentHashMap<Integer, ConcurrentLinkedQueue<ByteBuffer>> FREE =
      new ConcurrentHashMap<>();

  /** Bytes held by {@link #FREE}, at most {@link #MAX_RETAINED_BYTES}. */
  private static final AtomicLong RETAINED = new AtomicLong();

  private static final long MAX_RETAINED_BYTES = IN_FLIGHT_BYTES + 3L * MAX_POOLED_BYTES;

  private static final ConcurrentHashMap<Integer, ExecutorService> POOLS =
      new ConcurrentHashMap<>();
  private static final AtomicInteger WORKERS = new AtomicInteger();

  private TensorCopier() {}

  /** Writes {@code w}'s values from {@code tensors} as dataset {@code name} of {@code dst}. */
  public static void copy(Weight w, TensorSource tensors, H5Group dst, String name)
      throws IOException {
    TensorSource origin = tensors.origin(w);
    if (origin instanceof H5Store store) {
      store.copyTo(w, dst, name);
      return;
    }
    try (H5Dataset ds = dst.createDataset(name, w.dtype(), w.shape().dims())) {
      stream(w, tensors, ds, THREADS, BLOCK_BYTES);
    }
  }

  /**
   * Blocks alive at once in a pipelined copy: one being written, the rest being filled or waiting.
   */
  private static int inFlight(int threads) {
    return 2 * threads + 1;
  }

  /**
   * Streams all rows of {@code w} from {@code tensors} into {@code ds}: on the calling thread when
   * the tensor fits one block or {@code threads == 1}, else pipelined with {@code threads}
   * producers. Package-private for tests (thread count and block size are not part of the output).
   */
  static void stream(Weight w, TensorSource tensors, H5Dataset ds, int threads, int blockBytes)
      throws IOException {
    long rows = ds.rows();
    long rowBytes = ds.rowBytes();
    if (rows == 0 || rowBytes == 0) {
      return;
    }
    if (rowBytes > Integer.MAX_VALUE) {
      throw new UnsupportedModelException(
          null, w.key(), "a single row of " + rowBytes + " bytes is too large to stream");
    }
    long perBlock = rowsPerBlock(w, rows, rowBytes, blockBytes);
    int bufBytes = (int) Math.max(rowBytes, Math.min(rows, perBlock) * rowBytes);
    if (threads <= 1 || perBlock >= rows || bufBytes > MAX_POOLED_BYTES) {
      sequential(w, tensors, ds, rows, perBlock, bufBytes);
    } else {
      pipelined(w, tensors, ds, rows, perBlock, bufBytes, threads);
    }
  }

  /**
   * Rows per block: as many as fit {@code blockBytes} (at least one), rounded down to a whole
   * number of seed blocks when that keeps at least half of the target.
   */
  static long rowsPerBlock(Weight w, long rows, long rowBytes, int blockBytes) {
    long perBlock = Math.max(1, blockBytes / rowBytes);
    long elementsPerRow = rowBytes / Math.max(1, w.dtype().size());
    if (elementsPerRow > 0 && perBlock < rows) {
      // rows per seed-aligned step: BLOCK_SIZE / gcd(BLOCK_SIZE, elementsPerRow)
      long step = SeedContract.BLOCK_SIZE / gcd(SeedContract.BLOCK_SIZE, elementsPerRow);
      long aligned = perBlock / step * step;
      if (aligned > 0 && aligned * 2 >= perBlock) {
        perBlock = aligned;
      }
    }
    return perBlock;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  private static void sequential(
      Weight w, TensorSource tensors, H5Dataset ds, long rows, long perBlock, int bufBytes)
      throws IOException {
    ByteBuffer buf = take(bufBytes);
    try {
      for (long r = 0; r < rows; r += perBlock) {
        long n = Math.min(perBlock, rows - r);
        buf.clear();
        tensors.readRows(w, r, n, buf);
        buf.flip();
        ds.writeRows(r, n, buf);
        if (Thread.interrupted()) {
          throw new InterruptedIOException("interrupted while writing " + w.name());
        }
      }
    } finally {
      give(buf);
    }
  }

  /** One block being filled by a producer. */
  private record Block(long firstRow, long rows, ByteBuffer buf, Future<?> filled) {}

  private static void pipelined(
      Weight w,
      TensorSource tensors,
      H5Dataset ds,
      long rows,
      long perBlock,
      int bufBytes,
      int threads)
      throws IOException {
    ExecutorService pool = producers(threads);
    AtomicBoolean aborted = new AtomicBoolean();
    ArrayDeque<Block> queue = new ArrayDeque<>();
    // blocks alive at once: 2 x threads + 1 blocks of the standard size, fewer (at least 2) of
    // larger ones
    int maxInFlight =
        (int) Math.max(2, Math.min(inFlight(threads), IN_FLIGHT_BYTES / capacityFor(bufBytes)));
    long next = 0; // first row not yet handed to a producer
    boolean done = false;
    try {
      while (next < rows && queue.size() < maxInFlight) {
        queue.add(
            submit(
                pool, aborted, w, tensors, next, Math.min(perBlock, rows - next), take(bufBytes)));
        next += perBlock;
      }
      while (!queue.isEmpty()) {
        Block b = queue.peek();
        await(b.filled(), w);
        queue.poll();
        ByteBuffer buf = b.buf();
        try {
          buf.flip();
          ds.writeRows(b.firstRow(), b.rows(), buf);
        } catch (IOException | RuntimeException | Error e) {
          give(buf);
          throw e;
        }
        if (Thread.interrupted()) {
          give(buf);
          throw new InterruptedIOException("interrupted while writing " + w.name());
        }
        if (next < rows) {
          // reuse the written block's buffer for the next block
          long n = Math.min(perBlock, rows - next);
          buf.clear();
          queue.add(submit(pool, aborted, w, tensors, next, n, buf));
          next += n;
        } else {
          give(buf);
        }
      }
      done = true;
    } finally {
      if (!done) {
        // blocks not started yet are skipped; wait for running ones before their buffers are reused
        aborted.set(true);
        boolean interrupted = false;
        for (Block b : queue) {
          while (true) {
            try {
              b.filled().get();
              break;
            } catch (InterruptedException e) {
              interrupted = true;
            } catch (ExecutionException e) {
              break;
            }
          }
          give(b.buf());
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static Block submit(
      ExecutorService pool,
      AtomicBoolean aborted,
      Weight w,
      TensorSource tensors,
      long first,
      long n,
      ByteBuffer buf) {
    Future<?> f =
        pool.submit(
            () -> {
              if (aborted.get()) {
                return;
              }
              try {
                tensors.readRows(w, first, n, buf);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    return new Block(first, n, buf, f);
  }

  private static void await(Future<?> f, Weight w) throws IOException {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing " + w.name());
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException(c);
    }
  }

  /**
   * The pooled capacity for a block of {@code bytes}: a power-of-two multiple of {@link
   * #BLOCK_BYTES}.
   */
  static int capacityFor(int bytes) {
    int c = BLOCK_BYTES;
    while (c < bytes && c <= Integer.MAX_VALUE / 2) {
      c *= 2;
    }
    return c < bytes ? bytes : c;
  }

  /**
   * A little-endian direct buffer with {@code bytes} remaining (pooled up to {@link
   * #MAX_POOLED_BYTES}).
   */
  private static ByteBuffer take(int bytes) {
    if (bytes > MAX_POOLED_BYTES) {
      return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
    int capacity = capacityFor(bytes);
    ConcurrentLinkedQueue<ByteBuffer> q = FREE.get(capacity);
    ByteBuffer b = q == null ? null : q.poll();
    if (b == null) {
      b = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    } else {
      RETAINED.addAndGet(-capacity);
    }
    b.clear();
    b.limit(bytes);
    return b;
  }

  /**
   * Returns a buffer from {@link #take} to the pool, unless the pool is full (then the GC frees
   * it).
   */
  private static void give(ByteBuffer b) {
    int capacity = b.capacity();
    if (capacity > MAX_POOLED_BYTES || capacity != capacityFor(capacity)) {
      return;
    }
    long r;
    do {
      r = RETAINED.get();
      if (r + capacity > MAX_RETAINED_BYTES) {
        return;
      }
    } while (!RETAINED.compareAndSet(r, r + capacity));
    FREE.computeIfAbsent(capacity, c -> new ConcurrentLinkedQueue<>()).add(b);
  }

  /**
   * The producer pool of {@code threads} workers (daemon threads), created on first use and kept. A
   * fork-join pool, so that a source that parallelises its own work (parallel streams, as drawn
   * weights do) forks into these same workers instead of adding the common pool's threads on top.
   */
  private static ExecutorService producers(int threads) {
    return POOLS.computeIfAbsent(
        threads, t -> new ForkJoinPool(t, TensorCopier::worker, null, false));
  }

  private static ForkJoinWorkerThread worker(ForkJoinPool pool) {
    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
    t.setName("initkit-tensor-" + WORKERS.incrementAndGet());
    t.setDaemon(true);
    return t;
  }
}
