package dev.initkit.internal.h5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.SeedContract;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.GeneratedTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelined copy (producer threads fill blocks, the caller writes them in order) writes the
 * same bytes as a single-threaded copy whatever the thread count and block size, keeps memory
 * bounded, and fails cleanly. Small tensors (a few MB): fast.
 */
class TensorCopierTest {
  @TempDir Path tmp;

  /** Element e of any tensor is e * 0.5 (float32): any misplaced or reordered block shows. */
  private static final class Counting implements TensorSource {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger concurrent = new AtomicInteger();
    final AtomicInteger maxConcurrent = new AtomicInteger();
    final long failAtRow;
    final boolean jitter;

    Counting(long failAtRow, boolean jitter) {
      this.failAtRow = failAtRow;
      this.jitter = jitter;
    }

    @Override
    public void readRows(Weight w, long firstRow, long rows, ByteBuffer dst) throws IOException {
      calls.incrementAndGet();
      maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
      try {
        if (firstRow <= failAtRow && failAtRow < firstRow + rows) {
          throw new IOException("cannot read row " + failAtRow + " of " + w.name());
        }
        if (jitter && ThreadLocalRandom.current().nextInt(8) == 0) {
          Thread.sleep(1); // blocks finish out of order
        }
        long perRow = w.shape().elementCount() / w.shape().dim(0);
        ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (long e = firstRow * perRow, end = (firstRow + rows) * perRow; e < end; e++) {
          le.putFloat(e * 0.5f);
        }
        dst.position(le.position());
      } catch (InterruptedException e) {
        throw new java.io.InterruptedIOException();
      } finally {
        concurrent.decrementAndGet();
      }
    }
  }

  private static Weight weight(long... dims) {
    return new Weight("t/kernel:0", Shape.of(dims), DType.FLOAT32, WeightRole.KERNEL, "/t");
  }

  /** Copies w from src with the given threads and block size; returns the written bytes. */
  private byte[] copy(Weight w, TensorSource src, int threads, int blockBytes) throws IOException {
    Path file = tmp.resolve("out-" + threads + "-" + blockBytes + "-" + System.nanoTime() + ".h5");
    try (H5File f = H5File.create(file);
        H5Dataset ds = f.root().createDataset("t", w.dtype(), w.shape().dims())) {
      TensorCopier.stream(w, src, ds, threads, blockBytes);
    }
    try (H5File f = H5File.openReadOnly(file);
        H5Dataset ds = f.root().openDataset("t")) {
      ByteBuffer all = ByteBuffer.allocateDirect((int) w.byteSize());
      ds.readRows(0, ds.rows(), all);
      all.flip();
      byte[] out = new byte[all.remaining()];
      all.get(out);
      return out;
    }
  }

  @Test
  void pipelinedBytesEqualSequentialForAnyThreadCountAndBlockSize() throws IOException {
    for (Weight w :
        new Weight[] {weight(1000, 257), weight(64, 8, 33), weight(3, 5000), weight(7)}) {
      byte[] expected = copy(w, new Counting(-1, false), 1, 1 << 20);
      ByteBuffer le = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
      for (int e = 0; e < w.shape().elementCount(); e++) {
        assertEquals(e * 0.5f, le.getFloat(), w + " element " + e);
      }
      for (int threads : new int[] {2, 3, 8}) {
        for (int block : new int[] {1, 4096, 100_000}) {
          assertArrayEquals(
              expected,
              copy(w, new Counting(-1, true), threads, block),
              w + " threads " + threads + " block " + block);
        }
      }
    }
  }

  @Test
  void drawnWeightsDoNotDependOnThreadsOrBlocks() throws IOException {
    Weight w =
        new Weight(
            "dense/kernel:0",
            Shape.of(300, 1000),
            DType.FLOAT32,
            WeightRole.KERNEL,
            "/dense/kernel");
    TensorSource none =
        (x, first, rows, dst) -> {
          throw new AssertionError("not drawn: " + x);
        };
    GeneratedTensors drawn =
        new GeneratedTensors(
            none,
            Map.of(
                w.key(),
                new GeneratedTensors.Draw(
                    Initializer.of(InitializerSpec.parse("he_normal")),
                    SeedContract.streamSeed(1, "dense", "kernel"))));
    byte[] expected = copy(w, drawn, 1, TensorCopier.BLOCK_BYTES);
    ByteBuffer direct = ByteBuffer.allocateDirect(expected.length);
    Initializer.of(InitializerSpec.parse("he_normal"))
        .fill(w.shape(), w.dtype(), SeedContract.streamSeed(1, "dense", "kernel"), direct);
    direct.flip();
    byte[] reference = new byte[expected.length];
    direct.get(reference);
    assertArrayEquals(reference, expected, "one fill of the whole tensor");
    for (int threads : new int[] {2, 4}) {
      for (int block : new int[] {4000, 262_144, 1 << 20}) {
        assertArrayEquals(
            expected, copy(w, drawn, threads, block), "threads " + threads + " block " + block);
      }
    }
  }

  @Test
  void blocksStartOnSeedBoundariesWhenRowsAllowIt() {
    // 8192 elements per row: 8 rows per seed block, so 128 rows (4 MiB) stay whole seed blocks
    assertEquals(128, TensorCopier.rowsPerBlock(weight(8192, 8192), 8192, 8192 * 4, 4 << 20));
    // 1000 elements per row: a seed block boundary every 8192 rows (> the target): unaligned
    assertEquals(1048, TensorCopier.rowsPerBlock(weight(5000, 1000), 5000, 4000, 4 << 20));
    // a row larger than the block: one row per block
    assertEquals(1, TensorCopier.rowsPerBlock(weight(3, 5000), 3, 20000, 4096));
  }

  @Test
  void eachBlockIsFilledOnceByAtMostThreadsProducers() throws IOException {
    Counting src = new Counting(-1, true);
    copy(weight(2000, 64), src, 3, 1024); // 500 blocks of 4 rows
    assertEquals(500, src.calls.get());
    assertTrue(
        src.maxConcurrent.get() <= 3, "at most one fill per producer: " + src.maxConcurrent.get());
  }

  @Test
  void rowsAboveThePooledSizeStreamOnTheCallingThread() throws IOException {
    Weight w =
        weight(3, (TensorCopier.MAX_POOLED_BYTES + 4096) / 4); // rows just above the pooled size
    java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    TensorSource src =
        (x, first, rows, dst) -> {
          threads.add(Thread.currentThread().getName());
          new Counting(-1, false).readRows(x, first, rows, dst);
        };
    byte[] out = copy(w, src, 4, TensorCopier.BLOCK_BYTES);
    assertEquals(Set.of(Thread.currentThread().getName()), threads);
    assertArrayEquals(copy(w, new Counting(-1, false), 1, TensorCopier.BLOCK_BYTES), out);
  }

  @Test
  void pooledCapacitiesArePowerOfTwoMultiplesOfTheBlock() {
    int b = TensorCopier.BLOCK_BYTES;
    assertEquals(b, TensorCopier.capacityFor(1));
    assertEquals(b, TensorCopier.capacityFor(b));
    assertEquals(2 * b, TensorCopier.capacityFor(b + 1));
    assertEquals(4 * b, TensorCopier.capacityFor(3 * b));
  }

  @Test
  void aFailingSourceFailsTheCopyWithItsErrorAndLeavesNothingRunning() {
    assertTimeoutPreemptively(
        Duration.ofSeconds(120),
        () -> { // generous: a hang, not a slow machine, must fail it
          for (long failAt : new long[] {0, 37, 999}) {
            Counting src = new Counting(failAt, true);
            IOException e =
                assertThrows(IOException.class, () -> copy(weight(1000, 64), src, 3, 1024));
            assertEquals("cannot read row " + failAt + " of t/kernel:0", e.getMessage());
            assertEquals(0, src.concurrent.get(), "no producer still running after the failure");
          }
          // and the pool still works afterwards
          assertEquals(64_000 * 4, copy(weight(1000, 64), new Counting(-1, false), 3, 1024).length);
        });
  }
}
