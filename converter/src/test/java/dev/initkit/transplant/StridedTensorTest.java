package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.transplant.TensorRule.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The strided views of {@link TensorSteps#view} against the whole-array implementation they
 * replaced ({@link Reference}, the former {@code TensorSteps.apply} on doubles), on random tensors
 * of every floating dtype, for every step kind and their combinations, read in random blocks of
 * rows from a mapped source ({@link TensorSource#storedBytes}) and from one read into a temporary
 * file: the bytes written must be identical.
 */
class StridedTensorTest {
  private final Random random = new Random(22);

  /** Raw tensors by key; maps them (as heap buffers) when {@code mapped}. */
  private record Bytes(Map<String, byte[]> data, boolean mapped) implements TensorSource {
    @Override
    public void readRows(Weight w, long firstRow, long rows, ByteBuffer dst) {
      TensorSource.checkRows(w, firstRow, rows);
      long perRow = w.shape().rank() == 0 ? w.dtype().size() : w.byteSize() / w.shape().dim(0);
      dst.put(data.get(w.key()), (int) (firstRow * perRow), (int) (rows * perRow));
    }

    @Override
    public ByteBuffer[] storedBytes(Weight w, long chunk) {
      return mapped
          ? new ByteBuffer[] {ByteBuffer.wrap(data.get(w.key())).asReadOnlyBuffer()}
          : null;
    }
  }

  private Weight weight(String key, DType dtype, long... dims) {
    return new Weight(key, Shape.of(dims), dtype, WeightRole.OTHER, key);
  }

  private byte[] random(Weight w) {
    long n = w.shape().elementCount();
    double[] v = new double[(int) n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian() * Math.scalb(1.0, random.nextInt(20) - 10);
    }
    ByteBuffer b = ByteBuffer.allocate((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    DTypeCodec.encode(v, 0, v.length, w.dtype(), b);
    return b.array();
  }

  /**
   * Runs {@code rule} (with {@code a, b, ...} sources) both ways and compares the bytes.
   *
   * @return how many target elements were compared
   */
  private long check(String rule, DType out, long[] target, Weight... sources) throws IOException {
    TensorRule r = TensorRule.parse(rule, rule.indexOf("=>"), 1);
    Map<String, byte[]> data = new HashMap<>();
    List<Reference.Values> ref = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    for (Weight w : sources) {
      byte[] b = random(w);
      data.put(w.key(), b);
      ref.add(
          new Reference.Values(
              w.shape().dims(),
              DTypeCodec.decodeAll(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN), w.dtype())));
      shapes.add(w.shape());
    }
    Shape ts = Shape.of(target);
    assertEquals(
        ts, TensorSteps.shapeOf(r, shapes, sources[0].dtype(), ts).shape(), rule + ": shape");
    Reference.Values want = Reference.apply(r, ref, ts);
    ByteBuffer expected = ByteBuffer.allocate((int) (ts.elementCount() * out.size()));
    DTypeCodec.encode(want.v(), 0, want.v().length, out, expected);
    for (boolean mapped : new boolean[] {true, false}) {
      Bytes src = new Bytes(data, mapped);
      List<StridedTensor> in = new ArrayList<>();
      for (Weight w : sources) {
        in.add(StridedTensor.of(RawTensor.of(src, w), w.shape().dims()));
      }
      StridedTensor t = TensorSteps.view(r, in, ts);
      ByteBuffer got = ByteBuffer.allocate(expected.capacity());
      long rows = ts.rank() == 0 ? 1 : ts.dim(0);
      for (long row = 0; row < rows; ) {
        long n = Math.min(rows - row, 1 + random.nextInt(3));
        t.writeRows(row, n, out, got);
        row += n;
      }
      assertEquals(got.capacity(), got.position(), rule + ": bytes written");
      assertArrayEquals(expected.array(), got.array(), rule + (mapped ? " (mapped)" : " (read)"));
    }
    return ts.elementCount();
  }

  private static long[] d(long... d) {
    return d;
  }

  @Test
  void singleStepsMatchTheReference() throws IOException {
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.FLOAT16, DType.BFLOAT16}) {
      check("a => t | transpose(1,0)", dt, d(5, 7), weight("a", dt, 7, 5));
      check("a => t | transpose", DType.FLOAT32, d(4, 3, 2), weight("a", dt, 2, 3, 4));
      check("a => t | permute(2,3,1,0)", dt, d(3, 2, 4, 5), weight("a", dt, 5, 4, 3, 2));
      check("a => t | reshape(3, -1)", dt, d(3, 8), weight("a", dt, 4, 6));
      check("a => t | split(0, 3, 2)", dt, d(2, 5), weight("a", dt, 6, 5));
      check("a => t | split(-1, 2, 0)", dt, d(6, 2), weight("a", dt, 6, 4));
      check("a => t | gates(rzn, zrn, 1)", dt, d(4, 9), weight("a", dt, 4, 9));
      check("a => t | gates(ifgo, gofi, 0)", dt, d(8), weight("a", dt, 8));
      check("a, b => t | concat(1)", dt, d(3, 9), weight("a", dt, 3, 4), weight("b", dt, 3, 5));
      check("a, b => t | stack(0)", dt, d(2, 3, 4), weight("a", dt, 3, 4), weight("b", dt, 3, 4));
      check("a, b => t | stack(2)", dt, d(3, 4, 2), weight("a", dt, 3, 4), weight("b", dt, 3, 4));
      check("a + b => t", dt, d(6, 3), weight("a", dt, 6, 3), weight("b", dt, 6, 3));
      check("a => t | cast(float16)", DType.FLOAT16, d(4, 5), weight("a", dt, 4, 5));
    }
  }

  @Test
  void combinationsMatchTheReference() throws IOException {
    DType f = DType.FLOAT32;
    // transpose then split heads: the reshape re-strides the transposed view
    check("a => t | transpose(1,0) | reshape(-1, t1, t2)", f, d(6, 3, 4), weight("a", f, 12, 6));
    // transpose then flatten: not expressible by strides, materialized once
    check("a => t | transpose | reshape(target)", f, d(24), weight("a", f, 2, 3, 4));
    check("a => t | permute(0,2,1) | reshape(2, 12)", f, d(2, 12), weight("a", f, 2, 3, 4));
    check(
        "a => t | reshape(2, 3, 4) | permute(1,2,0) | reshape(3, 8) | transpose",
        f,
        d(8, 3),
        weight("a", f, 6, 4));
    // a fused QKV: split, transpose, then split heads
    check(
        "a => t | split(0, 3, 1) | transpose | reshape(-1, 2, 3)",
        f,
        d(5, 2, 3),
        weight("a", f, 18, 5));
    // split then gates, and gates then split
    check("a => t | split(0, 2, 1) | gates(ifgo, gofi, 1)", f, d(3, 8), weight("a", f, 6, 8));
    check(
        "a => t | transpose(1,0) | gates(rzn, zrn, 1) | split(1, 3, 2)",
        f,
        d(4, 2),
        weight("a", f, 6, 4));
    // concat of parts that are then transposed (a join of views re-permuted), and reshaped
    check(
        "a, b => t | concat(0) | transpose",
        f,
        d(4, 5),
        weight("a", f, 2, 4),
        weight("b", f, 3, 4));
    check(
        "a, b => t | concat(1) | transpose | reshape(-1)",
        f,
        d(28),
        weight("a", f, 4, 3),
        weight("b", f, 4, 4));
    check(
        "a, b => t | stack(0) | gates(rzn, zrn, 1)",
        f,
        d(2, 9),
        weight("a", f, 9),
        weight("b", f, 9));
    check(
        "a, b, c => t | concat(1) | gates(abc, cab, 1) | split(0, 2, 1)",
        f,
        d(2, 9),
        weight("a", f, 4, 3),
        weight("b", f, 4, 3),
        weight("c", f, 4, 3));
    // sums: rounded once into the target, after any steps; a sum reshaped is materialized
    DType[] outs = {DType.BFLOAT16, DType.FLOAT16};
    for (DType o : outs) {
      check(
          "a + b => t | cast(" + o.name().toLowerCase(java.util.Locale.ROOT) + ")",
          o,
          d(5, 6),
          weight("a", f, 5, 6),
          weight("b", f, 5, 6));
      check(
          "a + b + c => t | transpose | cast(" + o.name().toLowerCase(java.util.Locale.ROOT) + ")",
          o,
          d(6, 5),
          weight("a", DType.FLOAT16, 5, 6),
          weight("b", DType.FLOAT16, 5, 6),
          weight("c", DType.FLOAT16, 5, 6));
    }
    check(
        "a + b => t | transpose | reshape(target)",
        f,
        d(3, 10),
        weight("a", f, 5, 6),
        weight("b", DType.BFLOAT16, 5, 6));
    // a scalar and empty tensors
    check("a => t", f, d(), weight("a", DType.FLOAT64));
    check("a => t | transpose", f, d(0, 3), weight("a", f, 3, 0));
  }

  @Test
  void largeRowsAreTiled() throws IOException {
    // more columns than a tile and than a line, and more rows than one block
    DType f = DType.FLOAT32;
    long n =
        check("a => t | transpose(1,0)", DType.BFLOAT16, d(300, 1100), weight("a", f, 1100, 300));
    assertEquals(330_000, n);
    check("a + b => t", f, d(3, 2500), weight("a", f, 3, 2500), weight("b", f, 3, 2500));
  }

  @Test
  void aSourceWithoutStoredBytesMapsNothing() throws IOException {
    Bytes src = new Bytes(Map.of("a", new byte[4]), false);
    assertNull(src.storedBytes(weight("a", DType.FLOAT32, 1), 1 << 30));
  }

  /** The former whole-array implementation: every tensor as doubles, every step a copy. */
  static final class Reference {
    private Reference() {}

    /** A tensor's shape and values, row-major. */
    record Values(long[] dims, double[] v) {}

    /**
     * Applies the rule's steps to its sources' values (shapes already checked by {@link
     * TensorSteps#shapeOf}).
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
          int axis = TensorSteps.axis(s.args().get(0), in.get(0).dims().length + 1, s);
          parts = in.stream().map(x -> new Values(insertOne(x.dims(), axis), x.v())).toList();
          t = concat(parts, axis);
        } else {
          t = concat(parts, TensorSteps.axis(s.args().get(0), in.get(0).dims().length, s));
        }
        first = 1;
      }
      for (Step s : r.steps().subList(first, r.steps().size())) {
        t = step(s, t, target);
      }
      return t;
    }

    static long[] insertOne(long[] d, int axis) {
      long[] out = new long[d.length + 1];
      for (int i = 0, j = 0; i < out.length; i++) {
        out[i] = i == axis ? 1 : d[j++];
      }
      return out;
    }

    static Values concat(List<Values> parts, int axis) {
      long[] d0 = parts.get(0).dims();
      long outer = TensorSteps.prod(d0, 0, axis);
      long inner = TensorSteps.prod(d0, axis + 1, d0.length);
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

    static Values step(Step s, Values t, Shape target) {
      long[] d = t.dims();
      switch (s.name()) {
        case "cast" -> {
          return t; // the values are re-encoded in the target's dtype when written
        }
        case "reshape" -> {
          return new Values(TensorSteps.shape(s, d, target), t.v());
        }
        case "transpose", "permute" -> {
          return permute(t, TensorSteps.perm(s, d.length));
        }
        default -> {
          boolean split = s.name().equals("split");
          int axis = TensorSteps.axis(s.args().get(split ? 0 : 2), d.length, s);
          int n = split ? Integer.parseInt(s.args().get(1)) : s.args().get(0).length();
          long outer = TensorSteps.prod(d, 0, axis);
          int chunk = Math.toIntExact(d[axis] / n * TensorSteps.prod(d, axis + 1, d.length));
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

    static Values permute(Values t, int[] p) {
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
  }
}
