package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed contract: same inputs, same bytes; thread count and range cuts do not matter. */
class DeterminismTest {

  /** 11 generator blocks and a partial one. */
  private static final Shape SHAPE = Shape.of(1000, 700);

  private static List<InitializerSpec> specs() {
    return List.of(
        InitializerSpec.randomUniform(-0.05, 0.05, null),
        InitializerSpec.randomNormal(0, 0.02, null),
        InitializerSpec.truncatedNormal(0, 0.05, null),
        InitializerSpec.preset(Preset.HE_NORMAL, null),
        InitializerSpec.preset(Preset.GLOROT_UNIFORM, null),
        InitializerSpec.smallSign(0.01, null),
        InitializerSpec.sinusoidal(),
        InitializerSpec.identity(1),
        InitializerSpec.constant(0.5));
  }

  @Test
  void sameSeedSameBytesDifferentSeedDifferentBytes() {
    for (InitializerSpec spec : specs()) {
      Initializer init = Initializer.of(spec);
      for (DType t : List.of(DType.FLOAT32, DType.FLOAT16)) {
        byte[] a = StatTools.bytes(init, SHAPE, t, 42);
        byte[] b = StatTools.bytes(Initializer.of(spec), SHAPE, t, 42);
        assertArrayEquals(a, b, spec + " " + t);
        byte[] c = StatTools.bytes(init, SHAPE, t, 43);
        if (spec.isRandom()) {
          assertFalse(Arrays.equals(a, c), spec + ": another seed must give other values");
        } else {
          assertArrayEquals(a, c, spec + " is deterministic");
        }
      }
    }
  }

  @Test
  void oneThreadAndFourThreadsGiveIdenticalBytes() throws InterruptedException {
    List<Object[]> cases = new java.util.ArrayList<>();
    for (InitializerSpec s : specs()) {
      cases.add(new Object[] {Initializer.of(s), SHAPE});
    }
    cases.add(
        new Object[] {Initializer.of(InitializerSpec.orthogonal(1, null)), Shape.of(300, 500)});
    cases.add(
        new Object[] {
          Initializer.lstmUnitForgetBias(Initializer.of(InitializerSpec.randomNormal(0, 1, null))),
          Shape.of(4 * 70_000)
        });
    for (Object[] c : cases) {
      Initializer init = (Initializer) c[0];
      Shape shape = (Shape) c[1];
      for (DType t : List.of(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT64)) {
        int bytes = Math.toIntExact(shape.elementCount() * t.size());
        ByteBuffer one = ByteBuffer.allocateDirect(bytes);
        ParallelFill.fill(init, shape, t, 7, one, 1);
        ByteBuffer four = ByteBuffer.allocateDirect(bytes + 16);
        four.position(16); // at an offset, to check the position arithmetic
        ParallelFill.fill(init, shape, t, 7, four, 4);
        assertEquals(bytes + 16, four.position());
        four.position(16);
        one.flip();
        assertEquals(one, four.slice(), init.spec() + " " + shape + " " + t);
      }
    }
  }

  @Test
  void streamingInOddRangesEqualsOneFill() {
    for (InitializerSpec spec : specs()) {
      Initializer init = Initializer.of(spec);
      byte[] whole = StatTools.bytes(init, SHAPE, DType.FLOAT32, 9);
      ByteBuffer streamed = ByteBuffer.allocate(whole.length);
      long n = SHAPE.elementCount();
      long step = 12_345; // ranges that start and end inside generator blocks
      for (long first = 0; first < n; first += step) {
        init.fill(SHAPE, DType.FLOAT32, 9, streamed, first, Math.min(step, n - first));
      }
      assertArrayEquals(whole, streamed.array(), spec.describe());
    }
  }

  @Test
  void lstmUnitForgetBiasLayout() {
    int u = 5;
    double[] b =
        StatTools.draw(
            Initializer.lstmUnitForgetBias(Initializer.of(InitializerSpec.zeros())),
            Shape.of(4 * u),
            DType.FLOAT32,
            0);
    double[] expected = new double[4 * u];
    Arrays.fill(expected, u, 2 * u, 1.0);
    assertArrayEquals(expected, b);
    // a random inner initializer is drawn as shapes (u,) and (2u,), as Keras's LSTMCell does
    Initializer inner = Initializer.of(InitializerSpec.preset(Preset.HE_NORMAL, null));
    double[] r =
        StatTools.draw(Initializer.lstmUnitForgetBias(inner), Shape.of(4 * u), DType.FLOAT64, 3);
    double[] first =
        StatTools.draw(inner, Shape.of(u), DType.FLOAT64, SeedContract.subStream(3, 0));
    double[] last =
        StatTools.draw(inner, Shape.of(2 * u), DType.FLOAT64, SeedContract.subStream(3, 2));
    assertArrayEquals(first, Arrays.copyOfRange(r, 0, u));
    assertArrayEquals(last, Arrays.copyOfRange(r, 2 * u, 4 * u));
    assertThrows(
        IllegalArgumentException.class,
        () -> Initializer.lstmUnitForgetBias(inner).check(Shape.of(10)));
  }

  @Test
  void misuseIsRefusedBeforeWriting() {
    Initializer init = Initializer.of(InitializerSpec.randomNormal(0, 1, null));
    ByteBuffer small = ByteBuffer.allocate(8);
    assertThrows(
        BufferOverflowException.class, () -> init.fill(Shape.of(3), DType.FLOAT32, 0, small));
    assertEquals(0, small.position());
    assertThrows(
        IllegalArgumentException.class,
        () -> init.fill(Shape.of(3), DType.INT32, 0, ByteBuffer.allocate(12)));
    assertThrows(
        IllegalArgumentException.class,
        () -> init.fill(Shape.of(3), DType.FLOAT32, 0, ByteBuffer.allocate(12), 2, 2));
  }

  /** Stream seeds depend on every input. */
  @Test
  void streamSeedsSeparateLayersAndWeights() {
    long s = SeedContract.streamSeed(1, "dense", "kernel");
    assertNotEquals(s, SeedContract.streamSeed(2, "dense", "kernel"));
    assertNotEquals(s, SeedContract.streamSeed(1, "dense_1", "kernel"));
    assertNotEquals(s, SeedContract.streamSeed(1, "dense", "bias"));
    assertNotEquals(SeedContract.streamSeed(1, "a", "bc"), SeedContract.streamSeed(1, "ab", "c"));
    assertNotEquals(SeedContract.blockSeed(s, 0), SeedContract.blockSeed(s, 1));
  }

  /**
   * Golden values pin the contract (hash, mixing, block rule, SplittableRandom and the JDK's
   * nextGaussian). If this fails after a JDK upgrade, the JDK changed its generator or its Gaussian
   * algorithm: outputs of earlier initkit runs can no longer be reproduced on that JDK.
   */
  @Test
  void goldenValues() {
    long s = SeedContract.streamSeed(42, "dense", "kernel");
    assertEquals(GOLDEN_STREAM_SEED, s, "streamSeed(42, dense, kernel) = 0x" + Long.toHexString(s));
    double[] normal =
        StatTools.draw(
            Initializer.of(InitializerSpec.randomNormal(0, 1, null)),
            Shape.of(65_540),
            DType.FLOAT64,
            s);
    double[] firstNormals = {normal[0], normal[1], normal[2], normal[65_536]};
    assertArrayEquals(GOLDEN_NORMALS, firstNormals, 0, Arrays.toString(firstNormals));
    double[] uniform =
        StatTools.draw(
            Initializer.of(InitializerSpec.randomUniform(0, 1, null)),
            Shape.of(3),
            DType.FLOAT64,
            s);
    assertArrayEquals(GOLDEN_UNIFORMS, uniform, 0, Arrays.toString(uniform));
  }

  /**
   * streamSeed(42, "dense", "kernel"); also computed by an independent Python transcription of the
   * contract.
   */
  private static final long GOLDEN_STREAM_SEED = 0xe0bf968edfc6880fL;

  /** Elements 0, 1, 2 and 65536 (first of block 1) of RandomNormal(0, 1) in float64 on JDK 17. */
  private static final double[] GOLDEN_NORMALS = {
    -0.10077549926726201, -0.7207279704192203, -2.2269731300355815, 0.3359411169665293
  };

  /**
   * Elements 0..2 of RandomUniform(0, 1) in float64: SplitMix64 (SplittableRandom) seeded with
   * blockSeed(stream, 0), (nextLong >>> 11) * 2^-53; computed independently in Python.
   */
  private static final double[] GOLDEN_UNIFORMS = {
    0.8944096674130121, 0.6756529496941646, 0.5146501162296427
  };
}
