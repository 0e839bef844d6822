package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Element-wise random initializers: RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling
 * (all distributions) and SmallSign, drawn block by block under the {@link SeedContract}.
 */
final class RandomInitializer extends BaseInitializer {
  RandomInitializer(InitializerSpec spec) {
    super(spec);
  }

  @Override
  void fillChecked(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count) {
    Sampling s = SpecStatistics.sampling(spec, shape);
    double upper = s.type() == Sampling.Type.UNIFORM ? s.b() : Double.NaN;
    double[] buf = BLOCK.get();
    int blockSize = SeedContract.BLOCK_SIZE;
    long end = first + count;
    for (long block = first / blockSize; block * blockSize < end; block++) {
      long start = block * blockSize;
      int from = (int) Math.max(0, first - start);
      int to = (int) Math.min(blockSize, end - start);
      draw(s, SeedContract.blockSeed(streamSeed, block), buf, to);
      DTypeCodec.encode(buf, from, to - from, dtype, dst, upper);
    }
  }

  /**
   * Writes the first {@code n} draws of the block generator {@code new SplittableRandom(seed)} into
   * {@code out[0, n)}. Uniform, truncated-normal and sign draws keep the generator's state in a
   * local variable (SplitMix64 written out, the same numbers): the JIT keeps it in a register.
   */
  static void draw(Sampling s, long seed, double[] out, int n) {
    double a = s.a();
    double b = s.b();
    long state = seed;
    switch (s.type()) {
      case UNIFORM:
        {
          double width = b - a;
          for (int i = 0; i < n; i++) {
            state += SeedContract.GOLDEN_GAMMA;
            out[i] = a + width * SeedContract.unitDouble(SeedContract.mix64(state));
          }
          break;
        }
      case NORMAL:
        {
          SplittableRandom r = new SplittableRandom(seed);
          for (int i = 0; i < n; i++) {
            out[i] = a + b * r.nextGaussian();
          }
          break;
        }
      case TRUNCATED_NORMAL:
        TruncatedZiggurat.fill(seed, out, n, a, b);
        break;
      case RANDOM_SIGN:
        {
          // the sign bit of nextLong() becomes the value's sign (branch-free: the sign is random)
          long magnitude = Double.doubleToRawLongBits(Math.abs(a));
          for (int i = 0; i < n; i++) {
            state += SeedContract.GOLDEN_GAMMA;
            out[i] =
                Double.longBitsToDouble(magnitude | (SeedContract.mix64(state) & Long.MIN_VALUE));
          }
          break;
        }
      default:
        throw new IllegalStateException("not an element-wise random draw: " + s);
    }
  }

  /**
   * Writes standard normal draws for elements {@code [0, n)} of a stream into {@code out}, under
   * the block rule (used by whole-tensor initializers).
   */
  static void standardNormals(long streamSeed, double[] out, long n) {
    int blockSize = SeedContract.BLOCK_SIZE;
    double[] buf = BLOCK.get();
    Sampling std = new Sampling(Sampling.Type.NORMAL, 0, 1);
    for (long block = 0; block * blockSize < n; block++) {
      int len = (int) Math.min(blockSize, n - block * blockSize);
      draw(std, SeedContract.blockSeed(streamSeed, block), buf, len);
      System.arraycopy(buf, 0, out, (int) (block * blockSize), len);
    }
  }
}
