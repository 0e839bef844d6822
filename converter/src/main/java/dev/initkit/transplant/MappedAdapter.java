package dev.initkit.transplant;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Computes a target weight from one or more source tensors by a {@link TensorRule}'s transforms.
 * The whole target tensor is computed when its first rows are asked for and kept until its last
 * rows are read, so one mapped tensor at a time is in memory, never the model.
 */
public final class MappedAdapter implements Adapter {
  private final TensorRule rule;
  private final String origin;
  private final List<Weight> sources;
  private TensorSteps.Values cached; // guarded by this

  /**
   * @param rule the rule
   * @param origin the mapping file, for reports
   * @param sources the source weights, in the rule's order
   */
  MappedAdapter(TensorRule rule, String origin, List<Weight> sources) {
    this.rule = Objects.requireNonNull(rule, "rule");
    this.origin = Objects.requireNonNull(origin, "origin");
    this.sources = List.copyOf(sources);
  }

  /** The rule. */
  public TensorRule rule() {
    return rule;
  }

  /** The source tensors' keys, in the rule's order. */
  public List<String> sourceKeys() {
    return sources.stream().map(Weight::key).toList();
  }

  @Override
  public String describe() {
    String chain = rule.chain();
    return String.join(rule.sum() ? " + " : ", ", sourceKeys())
        + (chain.isEmpty() ? "" : " | " + chain)
        + " (line "
        + rule.line()
        + " of "
        + origin
        + ")";
  }

  @Override
  public String kind() {
    return "map";
  }

  @Override
  public boolean usesFresh() {
    return false;
  }

  @Override
  public synchronized void readRows(
      TensorSource source,
      Weight from,
      TensorSource fresh,
      Weight to,
      long firstRow,
      long rows,
      ByteBuffer dst)
      throws IOException {
    if (cached == null || firstRow == 0) {
      List<TensorSteps.Values> in = new ArrayList<>();
      for (Weight w : sources) {
        long n = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
        ByteBuffer buf =
            ByteBuffer.wrap(OverlapAdapter.read(source, w, 0, n, w.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        in.add(new TensorSteps.Values(w.shape().dims(), DTypeCodec.decodeAll(buf, w.dtype())));
      }
      cached = TensorSteps.apply(rule, in, to.shape());
    }
    long perRow = to.shape().rank() == 0 ? 1 : to.shape().elementsPerRow();
    int off = Math.toIntExact(firstRow * perRow);
    int len = Math.toIntExact(rows * perRow);
    DTypeCodec.encode(cached.v(), off, len, to.dtype(), dst);
    long total = to.shape().rank() == 0 ? 1 : to.shape().dim(0);
    if (firstRow + rows >= total) {
      cached = null; // the last rows: free the tensor
    }
  }
}
