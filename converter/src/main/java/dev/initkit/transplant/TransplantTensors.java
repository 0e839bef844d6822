package dev.initkit.transplant;

import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;

/**
 * The target's values after a transplant: loaded weights stream from the source model, adapted ones
 * are computed from it row block by row block, initialized ones come from the fresh draws, and the
 * rest (skipped) pass through from the target's own source with their origin kept, so writers still
 * copy them natively. Nothing is held in memory beyond one block. Thread-safe when the sources are.
 */
final class TransplantTensors implements TensorSource {
  /** Where one target weight's values come from. */
  record Feed(Weight from, Adapter adapter) {
    Feed {
      Objects.requireNonNull(from, "from");
    }
  }

  private final TensorSource source;
  private final TensorSource fresh;
  private final Map<String, Feed> feeds;

  /**
   * @param source the source model's tensors
   * @param fresh the target's tensors with the initialized weights drawn
   * @param feeds by target {@link Weight#key()}: loaded (no adapter) or adapted weights
   */
  TransplantTensors(TensorSource source, TensorSource fresh, Map<String, Feed> feeds) {
    this.source = Objects.requireNonNull(source, "source");
    this.fresh = Objects.requireNonNull(fresh, "fresh");
    this.feeds = Map.copyOf(feeds);
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    Feed f = feeds.get(weight.key());
    if (f == null) {
      fresh.readRows(weight, firstRow, rows, dst);
      return;
    }
    TensorSource.checkRows(
        weight, firstRow, rows); // asked of the target's weight, before the source is read
    if (Thread.interrupted()) {
      throw new InterruptedIOException("interrupted while transplanting " + weight.name());
    }
    if (f.adapter() == null) {
      source.readRows(f.from(), firstRow, rows, dst);
    } else {
      f.adapter().readRows(source, f.from(), fresh, weight, firstRow, rows, dst);
    }
  }

  @Override
  public TensorSource origin(Weight weight) {
    // a loaded weight's bytes live under another key in another file: stream it
    return feeds.containsKey(weight.key()) ? this : fresh.origin(weight);
  }
}
