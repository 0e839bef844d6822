package dev.initkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.model.Shape;
import java.util.Arrays;

/**
 * A convolution's geometry as its config gives it, in every generation: Keras 2 and 3 write {@code
 * kernel_size}, {@code strides}, {@code dilation_rate} and {@code padding} (a list per spatial
 * axis, or one number for all); Keras 1 wrote {@code nb_row}/{@code nb_col} ({@code
 * kernel_dim1..3}, {@code filter_length}), {@code subsample} ({@code subsample_length}), {@code
 * atrous_rate} and {@code border_mode}.
 */
public final class ConvGeometry {
  private ConvGeometry() {}

  /** The strides along {@code rank} spatial axes (1 where the config gives none). */
  public static long[] strides(JsonNode config, int rank) {
    return perAxis(first(config, "strides", "subsample", "subsample_length"), rank, 1);
  }

  /** The dilation along {@code rank} spatial axes (1 where the config gives none). */
  public static long[] dilation(JsonNode config, int rank) {
    return perAxis(first(config, "dilation_rate", "atrous_rate"), rank, 1);
  }

  /**
   * The kernel size along {@code rank} spatial axes, or null when the config does not give it (the
   * kernel's shape does: its spatial axes come first).
   */
  public static long[] kernelSize(JsonNode config, int rank) {
    JsonNode k = first(config, "kernel_size", "filter_length");
    if (k != null) {
      return perAxis(k, rank, 1);
    }
    String[][] keras1 = {{"nb_row", "nb_col"}, {"kernel_dim1", "kernel_dim2", "kernel_dim3"}};
    for (String[] keys : keras1) {
      if (config != null && keys.length >= rank && config.path(keys[0]).isNumber()) {
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
          out[i] = Math.max(1, config.path(keys[i]).asLong(1));
        }
        return out;
      }
    }
    return null;
  }

  /** True when the padding is {@code "same"} ({@code padding}, Keras 1's {@code border_mode}). */
  public static boolean samePadding(JsonNode config) {
    JsonNode p = first(config, "padding", "border_mode");
    return p != null && p.asText("valid").equalsIgnoreCase("same");
  }

  /**
   * The product of the strides: a list's entries multiplied, one number raised to the {@code rank}
   * spatial axes; 1 when the config gives none.
   */
  public static double strideProduct(JsonNode config, int rank) {
    JsonNode s = first(config, "strides", "subsample", "subsample_length");
    double out = 1;
    if (s != null && s.isArray()) {
      for (JsonNode x : s) {
        out *= Math.max(1, x.asInt(1));
      }
    } else if (s != null && s.isInt()) {
      out = Math.pow(Math.max(1, s.asInt()), Math.max(0, rank));
    }
    return out;
  }

  /**
   * The fan-in of a transposed convolution's output: {@code in * prod(kernel_size) / prod(strides)}
   * (each output sums the taps of the inputs that scatter onto it), for a kernel of shape {@code
   * (spatial..., filters, in)}; at least 1.
   */
  public static double transposedFanIn(JsonNode config, Shape kernel) {
    int rank = kernel.rank() - 2;
    double k = 1;
    for (int i = 0; i < rank; i++) {
      k *= kernel.dim(i);
    }
    return Math.max(1, kernel.dim(-1) * k / strideProduct(config, rank));
  }

  /** The first of {@code keys} the config holds (not null), or null. */
  private static JsonNode first(JsonNode config, String... keys) {
    if (config == null) {
      return null;
    }
    for (String key : keys) {
      JsonNode v = config.get(key);
      if (v != null && !v.isNull()) {
        return v;
      }
    }
    return null;
  }

  private static long[] perAxis(JsonNode v, int rank, long dflt) {
    long[] out = new long[Math.max(0, rank)];
    Arrays.fill(out, dflt);
    for (int i = 0; v != null && i < out.length; i++) {
      if (v.isArray()) {
        out[i] = v.size() > i ? Math.max(1, v.get(i).asLong(dflt)) : dflt;
      } else if (v.isNumber()) {
        out[i] = Math.max(1, v.asLong());
      }
    }
    return out;
  }
}
