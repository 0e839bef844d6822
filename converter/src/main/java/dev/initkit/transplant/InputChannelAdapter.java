package dev.initkit.transplant;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The first convolution's kernel for another input-channel count (Keras layout {@code (..., c,
 * out)}, channels on axis -2). For {@code c' = 1}: {@code W'[..., 0, o] = sum_i W[..., i, o]} (the
 * channels summed in order). Otherwise: {@code W'[..., j, o] = W[..., j mod c, o] * c / c'}: the
 * source channels tiled and rescaled so that an input whose channels all equal x gives the same
 * response, as timm's {@code adapt_input_conv} does for RGB ({@code 3 / c'}). Arithmetic in double
 * precision, each value rounded once to the dtype.
 */
public record InputChannelAdapter(long sourceChannels, long targetChannels) implements Adapter {

  @Override
  public String describe() {
    if (targetChannels == 1) {
      return "input channels "
          + sourceChannels
          + " -> 1: summed over the "
          + sourceChannels
          + " source channels";
    }
    return "input channels "
        + sourceChannels
        + " -> "
        + targetChannels
        + ": channel j = source channel (j mod "
        + sourceChannels
        + ") * "
        + sourceChannels
        + "/"
        + targetChannels;
  }

  @Override
  public String kind() {
    return "input-channels";
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
    Shape s = from.shape();
    Shape t = to.shape();
    int rank = s.rank();
    long out = s.dim(rank - 1);
    long srcPerRow = s.elementCount() / s.dim(0);
    long dstPerRow = t.elementCount() / t.dim(0);
    // the spatial positions within one row: every axis but the leading one, the channels and the
    // outputs
    long positions = srcPerRow / (sourceChannels * out);
    int size = from.dtype().size();
    ByteBuffer buf =
        ByteBuffer.wrap(OverlapAdapter.read(source, from, firstRow, rows, rows * srcPerRow * size))
            .order(ByteOrder.LITTLE_ENDIAN);
    double[] in = DTypeCodec.decodeAll(buf, from.dtype());
    double[] res = new double[Math.toIntExact(rows * dstPerRow)];
    double scale = (double) sourceChannels / targetChannels;
    for (long r = 0; r < rows; r++) {
      for (long p = 0; p < positions; p++) {
        long sBase = r * srcPerRow + p * sourceChannels * out;
        long tBase = r * dstPerRow + p * targetChannels * out;
        for (long o = 0; o < out; o++) {
          if (targetChannels == 1) {
            double sum = 0;
            for (long c = 0; c < sourceChannels; c++) {
              sum += in[(int) (sBase + c * out + o)];
            }
            res[(int) (tBase + o)] = sum;
          } else {
            for (long j = 0; j < targetChannels; j++) {
              res[(int) (tBase + j * out + o)] =
                  in[(int) (sBase + (j % sourceChannels) * out + o)] * scale;
            }
          }
        }
      }
    }
    DTypeCodec.encode(res, 0, res.length, to.dtype(), dst);
  }
}
