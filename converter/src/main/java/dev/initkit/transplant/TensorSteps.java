package dev.initkit.transplant;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.transplant.TensorRule.Step;
import java.util.Arrays;
import java.util.List;

/**
 * The transforms of {@link TensorRule}s: their shapes (planned before any value is read) and their
 * values on one whole tensor held as doubles, which every dtype initkit transplants round-trips
 * exactly (64-bit integers beyond 2^53 excepted).
 */
final class TensorSteps {
  private TensorSteps() {}

  /** A tensor's shape and values, row-major. */
  record Values(long[] dims, double[] v) {}

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

  private static long[] shape(Step s, long[] d, Shape target) {
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

  private static int axis(String text, int rank, Step s) {
    int ax = Integer.parseInt(text);
    if (ax < 0) {
      ax += rank;
    }
    if (ax < 0 || ax >= rank) {
      throw new IllegalArgumentException(s + ": no axis " + text + " in rank " + rank);
    }
    return ax;
  }

  private static int[] perm(Step s, int rank) {
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
   * Applies the rule's steps to its sources' values (shapes already checked by {@link #shapeOf}).
   */
  static Values apply(TensorRule r, List<Values> in, Shape target) {
    Values t;
    int first = 0;
    if (in.size() == 1) {
      t = in.get(0);
    } else if (r.sum()) {
      double[] v = in.get(0).v().clone();
      for (Values x : in.subList(1, in.size())) {
        for (int i = 0; i < v.length; i++) {
          v[i] += x.v()[i];
        }
      }
      t = new Values(in.get(0).dims(), v);
    } else {
      Step s = r.steps().get(0);
      boolean stack = s.name().equals("stack");
      List<Values> parts = in;
      if (stack) {
        // stacking is concatenating along a new axis of length 1
        int axis = axis(s.args().get(0), in.get(0).dims().length + 1, s);
        parts = in.stream().map(x -> new Values(insertOne(x.dims(), axis), x.v())).toList();
        t = concat(parts, axis);
      } else {
        t = concat(parts, axis(s.args().get(0), in.get(0).dims().length, s));
      }
      first = 1;
    }
    for (Step s : r.steps().subList(first, r.steps().size())) {
      t = step(s, t, target);
    }
    return t;
  }

  private static long[] insertOne(long[] d, int axis) {
    long[] out = new long[d.length + 1];
    for (int i = 0, j = 0; i < out.length; i++) {
      out[i] = i == axis ? 1 : d[j++];
    }
    return out;
  }

  private static Values concat(List<Values> parts, int axis) {
    long[] d0 = parts.get(0).dims();
    long outer = prod(d0, 0, axis);
    long inner = prod(d0, axis + 1, d0.length);
    long total = 0;
    for (Values p : parts) {
      total += p.dims()[axis];
    }
    double[] out = new double[Math.toIntExact(outer * total * inner)];
    int o = 0;
    for (long i = 0; i < outer; i++) {
      for (Values p : parts) {
        int len = Math.toIntExact(p.dims()[axis] * inner);
        System.arraycopy(p.v(), Math.toIntExact(i * len), out, o, len);
        o += len;
      }
    }
    long[] d = d0.clone();
    d[axis] = total;
    return new Values(d, out);
  }

  private static Values step(Step s, Values t, Shape target) {
    long[] d = t.dims();
    switch (s.name()) {
      case "cast" -> {
        return t; // the values are re-encoded in the target's dtype when written
      }
      case "reshape" -> {
        return new Values(shape(s, d, target), t.v());
      }
      case "transpose", "permute" -> {
        return permute(t, perm(s, d.length));
      }
      default -> {
        boolean split = s.name().equals("split");
        int axis = axis(s.args().get(split ? 0 : 2), d.length, s);
        int n = split ? Integer.parseInt(s.args().get(1)) : s.args().get(0).length();
        long outer = prod(d, 0, axis);
        int chunk = Math.toIntExact(d[axis] / n * prod(d, axis + 1, d.length));
        int[] order = new int[split ? 1 : n];
        if (split) {
          order[0] = Integer.parseInt(s.args().get(2));
        } else {
          String from = s.args().get(0);
          String to = s.args().get(1);
          for (int i = 0; i < n; i++) {
            order[i] = from.indexOf(to.charAt(i));
          }
        }
        double[] out = new double[Math.toIntExact(outer * order.length * chunk)];
        int o = 0;
        for (long i = 0; i < outer; i++) {
          for (int c : order) {
            System.arraycopy(t.v(), Math.toIntExact((i * n + c) * chunk), out, o, chunk);
            o += chunk;
          }
        }
        long[] nd = d.clone();
        if (split) {
          nd[axis] = d[axis] / n;
        }
        return new Values(nd, out);
      }
    }
  }

  private static Values permute(Values t, int[] p) {
    long[] d = t.dims();
    int rank = d.length;
    long[] nd = new long[rank];
    for (int i = 0; i < rank; i++) {
      nd[i] = d[p[i]];
    }
    long[] srcStride = new long[rank];
    long acc = 1;
    for (int i = rank - 1; i >= 0; i--) {
      srcStride[i] = acc;
      acc *= d[i];
    }
    long[] stride = new long[rank]; // source stride of each output axis
    for (int i = 0; i < rank; i++) {
      stride[i] = srcStride[p[i]];
    }
    double[] out = new double[t.v().length];
    long[] idx = new long[rank];
    long off = 0;
    for (int o = 0; o < out.length; o++) {
      out[o] = t.v()[(int) off];
      for (int i = rank - 1; i >= 0; i--) {
        idx[i]++;
        off += stride[i];
        if (idx[i] < nd[i]) {
          break;
        }
        off -= stride[i] * nd[i];
        idx[i] = 0;
      }
    }
    return new Values(nd, out);
  }

  private static long prod(long[] d, int from, int to) {
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
