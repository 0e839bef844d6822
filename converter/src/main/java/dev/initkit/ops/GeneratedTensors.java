package dev.initkit.ops;

import dev.initkit.init.Initializer;
import dev.initkit.init.SeedContract;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

/**
 * A tensor source that draws fresh values for some weights and passes the others through from the
 * source underneath (untouched weights keep their origin, so writers still copy them natively).
 * Values are computed when a writer asks for them, block of rows by block of rows, so a
 * reinitialized model streams like any other; a large block is filled by all cores, cut at seed
 * block boundaries, so the bytes do not depend on the thread count ({@link SeedContract}).
 *
 * <p>The listener hears of each drawn tensor when its first row is requested, numbered in the order
 * the writer asks for them. Between blocks the thread's interrupt flag is checked. Safe for use
 * from several threads if the listener is.
 */
public final class GeneratedTensors implements TensorSource {
  /** How one weight is drawn. */
  public record Draw(Initializer initializer, long streamSeed) {
    public Draw {
      Objects.requireNonNull(initializer, "initializer");
    }
  }

  /** Ranges shorter than this many seed blocks are filled on the calling thread. */
  private static final long PARALLEL_MIN_BLOCKS = 4;

  private final TensorSource base;
  private final Map<String, Draw> draws;
  private final AtomicInteger started = new AtomicInteger();
  private final Map<String, String> labels;
  private final ProgressListener listener;

  /**
   * @param draws by {@link Weight#key()}
   */
  public GeneratedTensors(TensorSource base, Map<String, Draw> draws) {
    this(base, draws, Map.of(), ProgressListener.NONE);
  }

  /**
   * @param draws by {@link Weight#key()}
   * @param labels display names by {@link Weight#key()} (missing: the weight name)
   * @param listener told about each drawn tensor
   */
  public GeneratedTensors(
      TensorSource base,
      Map<String, Draw> draws,
      Map<String, String> labels,
      ProgressListener listener) {
    this.base = Objects.requireNonNull(base, "base");
    this.draws = Map.copyOf(draws);
    this.labels = Map.copyOf(labels);
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    Draw d = draws.get(weight.key());
    if (d == null) {
      base.readRows(weight, firstRow, rows, dst);
      return;
    }
    TensorSource.checkRows(weight, firstRow, rows);
    if (Thread.interrupted()) {
      throw new InterruptedIOException("interrupted while drawing " + weight.name());
    }
    if (firstRow == 0) {
      listener.tensor(
          Math.min(started.getAndIncrement(), draws.size() - 1),
          draws.size(),
          labels.getOrDefault(weight.key(), weight.name()),
          weight.shape().elementCount());
    }
    long perRow = weight.shape().elementsPerRow();
    fill(d, weight, dst, firstRow * perRow, rows * perRow);
  }

  private static void fill(Draw d, Weight w, ByteBuffer dst, long first, long count) {
    Initializer init = d.initializer();
    long block = SeedContract.BLOCK_SIZE;
    int threads = Runtime.getRuntime().availableProcessors();
    if (threads < 2 || init.wholeTensor() || count < PARALLEL_MIN_BLOCKS * block) {
      init.fill(w.shape(), w.dtype(), d.streamSeed(), dst, first, count);
      return;
    }
    // pieces start on seed-block boundaries (cheapest for the generator); bytes are the same either
    // way
    int size = w.dtype().size();
    long end = first + count;
    long firstBoundary = ((first + block - 1) / block) * block;
    long head = Math.min(count, firstBoundary - first);
    long pieces = 1 + (end - Math.min(end, firstBoundary) + block - 1) / block;
    int start = dst.position();
    if (dst.remaining() < count * size) {
      throw new java.nio.BufferOverflowException();
    }
    LongStream.range(0, pieces)
        .parallel()
        .forEach(
            p -> {
              long from = p == 0 ? first : firstBoundary + (p - 1) * block;
              long to = p == 0 ? first + head : Math.min(end, from + block);
              if (to <= from) {
                return;
              }
              ByteBuffer part = dst.duplicate();
              part.position(start + (int) ((from - first) * size));
              init.fill(w.shape(), w.dtype(), d.streamSeed(), part, from, to - from);
            });
    dst.position(start + (int) (count * size));
  }

  @Override
  public TensorSource origin(Weight weight) {
    return draws.containsKey(weight.key()) ? this : base.origin(weight);
  }
}
