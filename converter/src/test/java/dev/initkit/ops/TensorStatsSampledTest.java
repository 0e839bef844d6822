package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.nio.ByteBuffer;
import java.util.Comparator;
import org.junit.jupiter.api.Test;

/** {@link TensorStats#sampled}: what it reads is the budget, and the rows it says it reads. */
class TensorStatsSampledTest {
  @Test
  void aSampleIsEightEvenlySpacedRunsOfRowsWithinTheBudget() throws Exception {
    try (LoadedModel m =
        ModelIO.open(TestFiles.testdata().resolve("models/embedding/keras3.keras"))) {
      Weight w =
          m.model().layerWeights().stream()
              .filter(x -> x.dtype().isFloating() && x.shape().rank() == 2)
              .max(Comparator.comparingLong(x -> x.shape().elementCount()))
              .get();
      long rows = w.shape().dim(0);
      long perRow = w.shape().elementCount() / rows;
      assertTrue(rows > 16, w + " has " + rows + " rows");
      ByteBuffer buf = ByteBuffer.allocateDirect(TensorStats.BLOCK_BYTES);
      long rowBytes = perRow * w.dtype().size();

      // a budget of 8 rows: one row per run, at (rows - 1) * i / 7
      TensorStats s = TensorStats.sampled(w, m.tensors(), buf, 8 * rowBytes);
      assertEquals(8 * perRow, s.count());
      double[] all = m.readDoubles(w);
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      for (int i = 0; i < 8; i++) {
        long r = (rows - 1) * i / 7;
        for (long k = 0; k < perRow; k++) {
          double v = all[(int) (r * perRow + k)];
          sum += v;
          min = Math.min(min, v);
        }
      }
      assertEquals(sum / (8 * perRow), s.mean(), 1e-12);
      assertEquals(min, s.min());

      // a budget the tensor fits in: the whole tensor, as TensorStats.of reads it
      TensorStats whole = TensorStats.sampled(w, m.tensors(), buf, Long.MAX_VALUE);
      assertEquals(TensorStats.of(w, m.tensors(), buf), whole);
      assertEquals(w.shape().elementCount(), whole.count());
    }
  }
}
