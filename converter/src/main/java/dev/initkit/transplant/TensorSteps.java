package dev.initkit.transplant;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.transplant.TensorRule.Step;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The transforms of {@link TensorRule}s: their shapes (planned before any value is read) and their
 * values as {@link StridedTensor} views over the sources' raw bytes, decoded to doubles (which
 * every floating dtype round-trips exactly) only as rows are written.
 */
final class TensorSteps {
  private TensorSteps() {}

  /** What a rule's steps make of its sources' shapes and dtype. */
  record Outcome(Shape shape, DType dtype) {}

  /**
   * The shape and dtype after the steps.
   *
   * @throws IllegalArgumentException saying which step does not apply, and to which shape
   */
  static Outcome shapeOf(TensorRule r, List<Shape> in, DType dtype, Shape target) {
    long[] d;
    int first = 0;
    if (in.size() == 1) {
      d = in.get(0).dims();
    } else if (r.sum()) {
      for (Shape s : in) {
        if (!s.equals(in.get(0))) {
          throw new IllegalArgumentException("summed sources differ in shape: " + in);
        }
      }
      d = in.get(0).dims();
    } else {
      d = joined(r.steps().get(0), in);
      first = 1;
    }
    for (Step s : r.steps().subList(first, r.steps().size())) {
      if (s.name().equals("cast")) {
        dtype = DType.fromKerasName(s.args().get(0));
      } else {
        d = shape(s, d, target);
      }
    }
    return new Outcome(Shape.of(d), dtype);
  }

  private static long[] joined(Step s, List<Shape> in) {
    long[] base = in.get(0).dims();
    int rank = base.length;
    boolean stack = s.name().equals("stack");
    int axis = axis(s.args().get(0), stack ? rank + 1 : rank, s);
    long sum = 0;
    for (Shape x : in) {
      long[] dx = x.dims();
      boolean same = dx.length == rank;
      for (int i = 0; same && i < rank; i++) {
        same = stack || i == axis ? (!stack || dx[i] == base[i]) : dx[i] == base[i];
      }
      if (!same) {
        throw new IllegalArgumentException(s + " of sources " + in + ": other axes differ");
      }
      sum += stack ? 1 : dx[axis];
    }
    long[] out;
    if (stack) {
      out = new long[rank + 1];
      for (int i = 0, j = 0; i <= rank; i++) {
        out[i] = i == axis ? in.size() : base[j++];
      }
    } else {
      out = base.clone();
      out[axis] = sum;
    }
    return out;
  }

  static long[] shape(Step s, long[] d, Shape target) {
    List<String> a = s.args();
    switch (s.name()) {
      case "transpose", "permute" -> {
        int[] p = perm(s, d.length);
        long[] out = new long[d.length];
        for (int i = 0; i < p.length; i++) {
          out[i] = d[p[i]];
        }
        return out;
      }
      case "reshape" -> {
        long[] out;
        if (a.size() == 1 && a.get(0).equals("target")) {
          out = target.dims();
        } else {
          out = new long[a.size()];
          int free = -1;
          for (int i = 0; i < out.length; i++) {
            String x = a.get(i);
            if (x.equals("-1")) {
              free = i;
            } else if (x.startsWith("t")) {
              int k = Integer.parseInt(x.substring(1));
              if (k >= target.rank()) {
                throw new IllegalArgumentException(
                    s + ": the target " + target + " has no dimension " + k);
              }
              out[i] = target.dim(k);
            } else {
              out[i] = Long.parseLong(x);
            }
          }
          if (free >= 0) {
            long known = 1;
            for (int i = 0; i < out.length; i++) {
              known *= i == free ? 1 : out[i];
            }
            long n = Shape.of(d).elementCount();
            if (known == 0 || n % known != 0) {
              throw new IllegalArgumentException(s + " does not fit " + Shape.of(d));
            }
            out[free] = n / known;
          }
        }
        if (Shape.of(out).elementCount() != Shape.of(d).elementCount()) {
          throw new IllegalArgumentException(
              s + " of " + Shape.of(d) + ": " + Shape.of(out) + " has another number of elements");
        }
        return out;
      }
      case "split", "gates" -> {
        boolean split = s.name().equals("split");
        int axis = axis(a.get(split ? 0 : 2), d.length, s);
        int n = split ? Integer.parseInt(a.get(1)) : a.get(0).length();
        if (d[axis] % n != 0) {
          throw new IllegalArgumentException(
              s + ": axis " + axis + " of " + Shape.of(d) + " is not " + n + " equal parts");
        }
        long[] out = d.clone();
        if (split) {
          out[axis] = d[axis] / n;
        }
        return out;
      }
      default -> throw new IllegalArgumentException(s + " joins several sources: it comes first");
    }
  }

  static int axis(String text, int rank, Step s) {
    int ax = Integer.parseInt(text);
    if (ax < 0) {
      ax += rank;
    }
    if (ax < 0 || ax >= rank) {
      throw new IllegalArgumentException(s + ": no axis " + text + " in rank " + rank);
    }
    return ax;
  }

  static int[] perm(Step s, int rank) {
    int[] p = new int[rank];
    if (s.args().isEmpty()) {
      for (int i = 0; i < rank; i++) {
        p[i] = rank - 1 - i;
      }
      return p;
    }
    if (s.args().size() != rank) {
      throw new IllegalArgumentException(
          s + " names " + s.args().size() + " axes, the tensor has " + rank);
    }
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = axis(s.args().get(i), rank, s);
      if (seen[p[i]]) {
        throw new IllegalArgumentException(s + " is not a permutation");
      }
      seen[p[i]] = true;
    }
    return p;
  }

  /**
   * The rule's steps as strided views over its sources (shapes already checked by {@link
   * #shapeOf}): nothing is copied but where a reshape cannot re-stride.
   */
  static StridedTensor view(TensorRule r, List<StridedTensor> in, Shape target) throws IOException {
    StridedTensor t;
    int first = 0;
    if (in.size() == 1) {
      t = in.get(0);
    } else if (r.sum()) {
      t = StridedTensor.sum(in);
    } else {
      Step s = r.steps().get(0);
      boolean stack = s.name().equals("stack");
      int axis = axis(s.args().get(0), in.get(0).rank() + (stack ? 1 : 0), s);
      List<StridedTensor> parts = new ArrayList<>();
      for (StridedTensor x : in) {
        // stacking is concatenating along a new axis of length 1
        parts.add(stack ? x.insertAxis(axis) : x);
      }
      t = StridedTensor.concat(parts, axis);
      first = 1;
    }
    for (Step s : r.steps().subList(first, r.steps().size())) {
      t = step(s, t, target);
    }
    return t;
  }

  private static StridedTensor step(Step s, StridedTensor t, Shape target) throws IOException {
    long[] d = t.dims;
    switch (s.name()) {
      case "cast" -> {
        return t; // the values are re-encoded in the target's dtype when written
      }
      case "reshape" -> {
        return t.reshape(shape(s, d, target));
      }
      case "transpose", "permute" -> {
        return t.permute(perm(s, d.length));
      }
      default -> {
        boolean split = s.name().equals("split");
        int axis = axis(s.args().get(split ? 0 : 2), d.length, s);
        int n = split ? Integer.parseInt(s.args().get(1)) : s.args().get(0).length();
        long part = d[axis] / n;
        if (split) {
          return t.slice(axis, Integer.parseInt(s.args().get(2)) * part, part);
        }
        String from = s.args().get(0);
        String to = s.args().get(1);
        List<StridedTensor> blocks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          blocks.add(t.slice(axis, from.indexOf(to.charAt(i)) * part, part));
        }
        return StridedTensor.concat(blocks, axis);
      }
    }
  }

  static long prod(long[] d, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p *= d[i];
    }
    return p;
  }

  static String dims(long[] d) {
    return Arrays.toString(d);
  }
}
