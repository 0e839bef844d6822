package dev.initkit.transplant;

import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Computes a target weight from one or more source tensors by a {@link TensorRule}'s transforms.
 * When its first rows are asked for, the sources are mapped off the Java heap (the source file's
 * own bytes where its {@link TensorSource} can map them, else read once into a deleted temporary
 * file) and the steps become strided views over them ({@link StridedTensor}); rows are then
 * decoded, summed and encoded as they are written, and the views dropped after the last rows. The
 * heap used is a few small buffers whatever the tensor's size.
 */
public final class MappedAdapter implements Adapter {
  private final TensorRule rule;
  private final String origin;
  private final List<Weight> sources;
  private StridedTensor cached; // guarded by this; the views themselves are thread-safe

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
  public void readRows(
      TensorSource source,
      Weight from,
      TensorSource fresh,
      Weight to,
      long firstRow,
      long rows,
      ByteBuffer dst)
      throws IOException {
    StridedTensor t;
    long total = to.shape().rank() == 0 ? 1 : to.shape().dim(0);
    synchronized (this) {
      if (cached == null || firstRow == 0) {
        List<StridedTensor> in = new ArrayList<>();
        for (Weight w : sources) {
          in.add(StridedTensor.of(RawTensor.of(source, w), w.shape().dims()));
        }
        cached = TensorSteps.view(rule, in, to.shape());
      }
      t = cached;
      if (firstRow + rows >= total) {
        cached = null; // the last rows: drop the views (their mappings go when collected)
      }
    }
    t.writeRows(firstRow, rows, to.dtype(), dst); // views are read-only: blocks run in parallel
  }
}
