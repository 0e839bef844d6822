package dev.initkit.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.keras.ConvGeometry;
import dev.initkit.model.Shape;
import java.util.Locale;

/**
 * What {@code "same"} padding does to a convolution's sums on a small feature map: near the border
 * some taps fall on the zeros around the input, so fewer inputs are summed per output (forward) and
 * each input feeds fewer outputs (backward) than the kernel size says. On a 4x4 map a 3x3 kernel
 * sums 69% of its taps on average.
 */
final class Padding {
  private Padding() {}

  /**
   * {fraction of the kernel's taps that fall inside the input, averaged over the outputs; taps per
   * input element, averaged over the inputs (NaN when unknown)} for a convolution config over an
   * input of shape {@code in} (batch first) with kernel shape {@code kernel} (spatial dims first).
   * {1, NaN} when the padding is not "same" or the input's spatial size is not known.
   */
  static double[] taps(JsonNode config, long[] in, Shape kernel) {
    int spatial = kernel.rank() - 2;
    boolean channelsFirst =
        config.path("data_format").asText("channels_last").equals("channels_first");
    if (spatial < 1 || in.length != spatial + 2) {
      return new double[] {1, Double.NaN};
    }
    boolean same = ConvGeometry.samePadding(config);
    long[] strides = ConvGeometry.strides(config, spatial);
    long[] dilation = ConvGeometry.dilation(config, spatial);
    double forward = 1;
    double perInput = 1;
    for (int i = 0; i < spatial; i++) {
      long n = in[channelsFirst ? 2 + i : 1 + i];
      if (n <= 0) {
        return new double[] {1, Double.NaN};
      }
      long k = kernel.dim(i);
      long s = strides[i];
      long d = dilation[i];
      long span = (k - 1) * d + 1;
      long outN = same ? (n + s - 1) / s : Math.max(0, (n - span) / s + 1);
      long pad = same ? Math.max((outN - 1) * s + span - n, 0) / 2 : 0;
      long valid = 0;
      for (long o = 0; o < outN; o++) {
        for (long t = 0; t < k; t++) {
          long p = o * s + t * d - pad;
          if (p >= 0 && p < n) {
            valid++;
          }
        }
      }
      forward *= outN == 0 ? 1 : valid / (double) (outN * k);
      perInput *= valid / (double) n;
    }
    return new double[] {forward, perInput};
  }

  /** "" when the padding sums every tap, else a note for the depth table. */
  static String describe(double[] taps) {
    return taps[0] >= 0.999
        ? ""
        : String.format(
            Locale.ROOT, "; padding: %.0f%% of the taps inside the input", 100 * taps[0]);
  }
}
