package dev.initkit.model;

import java.util.Arrays;
import java.util.StringJoiner;

/** An immutable tensor shape; rank 0 is a scalar. Dimensions are never negative. */
public final class Shape {
  private final long[] dims;

  private Shape(long[] dims) {
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
      }
    }
    this.dims = dims;
  }

  /** A shape from its dimensions (copied). */
  public static Shape of(long... dims) {
    return new Shape(dims.clone());
  }

  /** The dimensions (a copy). */
  public long[] dims() {
    return dims.clone();
  }

  /** Number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** One dimension; negative indices count from the end, as in Python. */
  public long dim(int i) {
    return dims[i < 0 ? dims.length + i : i];
  }

  /** Product of the dimensions (1 for a scalar). */
  public long elementCount() {
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Elements in one row of the leading dimension, the unit tensors stream in (a scalar is one row
   * of one element; a shape with no rows has rows of its other dimensions' product, or 0 when one
   * of those is 0).
   */
  public long elementsPerRow() {
    return rank() == 0 ? 1 : elementCount() / Math.max(1, dims[0]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Python tuple form, e.g. {@code (3, 3, 1, 8)} or {@code (4,)}. */
  @Override
  public String toString() {
    if (dims.length == 1) {
      return "(" + dims[0] + ",)";
    }
    StringJoiner j = new StringJoiner(", ", "(", ")");
    for (long d : dims) {
      j.add(Long.toString(d));
    }
    return j.toString();
  }
}
