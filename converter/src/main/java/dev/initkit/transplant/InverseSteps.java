package dev.initkit.transplant;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.transplant.TensorRule.Step;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link TensorRule}'s steps undone: from a target weight back to the source tensors the rule
 * reads. Each inverse is exact (it moves elements, never changes a value), so the forward steps of
 * the sources it gives yield the weight bit for bit: {@code transpose}/{@code permute} by the
 * inverse permutation, {@code gates(FROM,TO,a)} by {@code gates(TO,FROM,a)}, {@code reshape} back
 * to its input's shape, {@code concat}/{@code stack} by cutting the joined axis into the sources'
 * equal parts, {@code cast} by nothing (the values keep the weight's dtype). A reshape's input
 * shape is not written in the rule, so it is inferred: each run of consecutive {@code tN} in its
 * dimensions (all of them for {@code reshape(target)}) was one dimension, and every integer or
 * {@code -1} one dimension of its own; when the step before it names its axes ({@code
 * transpose(1,0)}, {@code permute}, a {@code reshape}), that rank must agree. Summed sources have
 * no inverse: the first source gets the value and the others zeros, which keeps the sum. A {@code
 * split} is undone by joining the parts other weights give ({@link SafetensorsExport}).
 */
final class InverseSteps {
  private InverseSteps() {}

  /** Why a rule does not apply to a weight read backwards (the next rule is tried). */
  static final class NotApplicable extends Exception {
    private static final long serialVersionUID = 1L;

    NotApplicable(String why) {
      super(why, null, false, false);
    }
  }

  /** How a tensor's view is built from the model's tensors when it is written. */
  @FunctionalInterface
  interface Recipe {
    StridedTensor view(TensorSource source) throws IOException;
  }

  /** A tensor read backwards so far: its shape and how to view it. */
  record Shaped(long[] dims, Recipe recipe) {
    int rank() {
      return dims.length;
    }
  }

  /** A zero tensor of {@code dims} (the other sources of a sum). */
  static Shaped zeros(long[] dims, DType dtype) {
    long n = Shape.of(dims).elementCount();
    return new Shaped(dims, s -> StridedTensor.of(RawTensor.scratch(dtype, n), dims));
  }

  /** Index of the first step the sources' join takes, 1 when the rule joins with concat/stack. */
  static int firstStep(TensorRule r) {
    return r.sources().size() > 1 && !r.sum() ? 1 : 0;
  }

  /**
   * Undoes steps {@code [from, to)} of {@code r} (walked from the last), {@code target} being the
   * weight's shape ({@code tN} and {@code reshape(target)} refer to it).
   */
  static Shaped undo(TensorRule r, int from, int to, Shaped t, Shape target) throws NotApplicable {
    for (int k = to - 1; k >= from; k--) {
      Step before = k > firstStep(r) ? r.steps().get(k - 1) : null;
      t = undo(r.steps().get(k), before, t, target);
    }
    return t;
  }

  private static Shaped undo(Step s, Step before, Shaped t, Shape target) throws NotApplicable {
    long[] d = t.dims();
    try {
      switch (s.name()) {
        case "cast" -> {
          return t;
        }
        case "transpose", "permute" -> {
          int[] p = TensorSteps.perm(s, d.length);
          int[] q = new int[p.length];
          long[] out = new long[p.length];
          for (int i = 0; i < p.length; i++) {
            q[p[i]] = i;
          }
          for (int j = 0; j < q.length; j++) {
            out[j] = d[q[j]];
          }
          Recipe in = t.recipe();
          return new Shaped(out, src -> in.view(src).permute(q));
        }
        case "reshape" -> {
          long[] out = reshapeInput(s, before, d, target);
          Recipe in = t.recipe();
          return new Shaped(out, src -> in.view(src).reshape(out));
        }
        case "gates" -> {
          int axis = TensorSteps.axis(s.args().get(2), d.length, s);
          String from = s.args().get(0);
          String to = s.args().get(1);
          int n = from.length();
          if (d[axis] % n != 0) {
            throw new NotApplicable(s + ": axis " + axis + " of " + Shape.of(d) + " is not " + n);
          }
          long part = d[axis] / n;
          Recipe in = t.recipe();
          return new Shaped(
              d,
              src -> {
                StridedTensor y = in.view(src);
                List<StridedTensor> blocks = new ArrayList<>();
                for (int j = 0; j < n; j++) {
                  blocks.add(y.slice(axis, to.indexOf(from.charAt(j)) * part, part));
                }
                return StridedTensor.concat(blocks, axis);
              });
        }
        default -> throw new NotApplicable(s + " cannot be undone here");
      }
    } catch (IllegalArgumentException e) {
      throw new NotApplicable(e.getMessage());
    }
  }

  /** The shape a reshape's input had, as the class comment says. */
  static long[] reshapeInput(Step s, Step before, long[] d, Shape target) throws NotApplicable {
    List<String> spec = new ArrayList<>(s.args());
    if (spec.size() == 1 && spec.get(0).equals("target")) {
      spec.clear();
      for (int i = 0; i < target.rank(); i++) {
        spec.add("t" + i);
      }
    }
    if (spec.size() != d.length) {
      throw new NotApplicable(s + " does not give " + Shape.of(d));
    }
    List<Long> in = new ArrayList<>();
    boolean run = false;
    for (int i = 0; i < d.length; i++) {
      boolean t = spec.get(i).startsWith("t");
      if (t && run) {
        in.set(in.size() - 1, in.get(in.size() - 1) * d[i]);
      } else {
        in.add(d[i]);
      }
      run = t;
    }
    int rank = -1;
    if (before != null && !before.args().isEmpty()) {
      switch (before.name()) {
        case "transpose", "permute" -> rank = before.args().size();
        case "reshape" ->
            rank =
                before.args().size() == 1 && before.args().get(0).equals("target")
                    ? target.rank()
                    : before.args().size();
        default -> rank = -1;
      }
    }
    if (rank >= 0 && rank != in.size()) {
      throw new NotApplicable(
          s
              + " of rank "
              + in.size()
              + " input does not follow "
              + before
              + " (rank "
              + rank
              + ")");
    }
    return in.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * The rule's sources from the tensor its join or sum gave: itself for one source, the value and
   * zeros for a sum, equal parts of the joined axis for {@code concat}/{@code stack}.
   */
  static List<Shaped> unjoin(TensorRule r, Shaped t, DType dtype) throws NotApplicable {
    int k = r.sources().size();
    List<Shaped> out = new ArrayList<>();
    if (k == 1) {
      out.add(t);
      return out;
    }
    if (r.sum()) {
      out.add(t);
      for (int i = 1; i < k; i++) {
        out.add(zeros(t.dims(), dtype));
      }
      return out;
    }
    Step s = r.steps().get(0);
    boolean stack = s.name().equals("stack");
    long[] d = t.dims();
    int axis;
    try {
      axis = TensorSteps.axis(s.args().get(0), d.length, s);
    } catch (IllegalArgumentException e) {
      throw new NotApplicable(e.getMessage());
    }
    if (stack ? d[axis] != k : d[axis] % k != 0) {
      throw new NotApplicable(
          s + ": axis " + axis + " of " + Shape.of(d) + " is not " + k + " parts");
    }
    long part = d[axis] / k;
    long[] piece = d.clone();
    piece[axis] = part;
    long[] dims = stack ? remove(d, axis) : piece;
    Recipe in = t.recipe();
    for (int i = 0; i < k; i++) {
      long at = i * part;
      out.add(
          new Shaped(
              dims,
              src -> {
                StridedTensor x = in.view(src).slice(axis, at, part);
                return stack ? x.reshape(dims) : x;
              }));
    }
    return out;
  }

  private static long[] remove(long[] d, int axis) {
    long[] out = new long[d.length - 1];
    for (int i = 0, j = 0; i < d.length; i++) {
      if (i != axis) {
        out[j++] = d[i];
      }
    }
    return out;
  }
}
