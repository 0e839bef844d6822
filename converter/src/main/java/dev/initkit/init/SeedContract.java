package dev.initkit.init;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The seed contract: how a user seed becomes the random numbers of every element of every weight.
 * The output bytes depend only on the user seed, the layer path, the weight name, the initializer,
 * the weight's shape and dtype, never on the number of threads, the order blocks are computed in,
 * or the range boundaries a caller streams with.
 *
 * <ol>
 *   <li>{@code mix64(z)} is the SplitMix64 finaliser (Stafford's variant 13, the one {@link
 *       SplittableRandom} uses): {@code z = (z ^ z>>>30) * 0xbf58476d1ce4e5b9; z = (z ^ z>>>27) *
 *       0x94d049bb133111eb; return z ^ z>>>31} (unsigned shifts, 64-bit wrapping arithmetic).
 *   <li>{@code hash64(s)} is 64-bit FNV-1a over the UTF-8 bytes of {@code s} (offset basis {@code
 *       0xcbf29ce484222325}, prime {@code 0x100000001b3}), passed through {@code mix64}.
 *   <li>{@code streamSeed(userSeed, layerPath, weightName) = mix64(mix64(mix64(userSeed ^
 *       0x696e69746b697431) ^ hash64(layerPath)) ^ hash64(weightName))}; the constant is ASCII
 *       "initkit1". The layer path is the layer's name, nested models' names joined by {@code /}
 *       (e.g. {@code encoder/dense_1}); the weight name is its short name (e.g. {@code kernel}).
 *   <li>A tensor's elements, in row-major (C) order of its Keras shape, are cut into blocks of
 *       {@link #BLOCK_SIZE} = 65536 elements. Block {@code i} uses {@code new
 *       SplittableRandom(blockSeed(streamSeed, i))} with {@code blockSeed(s, i) = mix64(s + (i + 1)
 *       * 0x9e3779b97f4a7c15)}, i.e. the {@code (i+1)}-th output of SplitMix64 seeded with {@code
 *       s}. Within a block, element {@code j} takes the {@code j}-th draw of that generator:
 *       uniform draws are {@code nextDouble()} (53 bits, {@code [0,1)}); normal draws are {@code
 *       nextGaussian()} (JDK 17+ modified ziggurat); a truncated normal is one {@link
 *       TruncatedZiggurat#next} (a ziggurat of the normal truncated to [-2, 2], specified there); a
 *       random sign is the sign bit of {@code nextLong()}.
 *   <li>Whole-tensor initializers draw their Gaussian matrix (Orthogonal: shape {@code (max(rows,
 *       cols), min(rows, cols))}) with the same block rule, then compute deterministically
 *       (Householder QR in a fixed order). Identity, Zeros, Ones, Constant and Sinusoidal use no
 *       random numbers.
 *   <li>An LSTM bias with {@code unit_forget_bias} draws its first segment from {@code
 *       subStream(streamSeed, 0)} and its last from {@code subStream(streamSeed, 2)}.
 * </ol>
 *
 * <p>The generator and Gaussian algorithm are the JDK's ({@link SplittableRandom} since Java 8 and
 * {@code RandomGenerator.nextGaussian} since Java 17), the truncated normal initkit's own; a golden
 * test pins the first values so that a change in a future JDK is detected. The numbers cannot equal
 * Keras's: Keras's own streams differ per backend (TF stateless ops, JAX keys, numpy), so initkit
 * matches the distributions exactly and defines this contract for reproducibility.
 *
 * <p>All methods are pure and thread-safe.
 */
public final class SeedContract {
  /** Elements per generator block. Part of the contract: changing it changes every output. */
  public static final int BLOCK_SIZE = 1 << 16;

  /** SplitMix64's increment, the one {@code new SplittableRandom(seed)} uses. */
  static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private static final long DOMAIN = 0x696e69746b697431L; // "initkit1"

  private SeedContract() {}

  /**
   * The 64-bit seed of one weight's random stream.
   *
   * @param userSeed the user's seed (e.g. {@code --seed}, or the seed written in the config)
   * @param layerPath the layer's path: names of enclosing nested models and the layer, joined by
   *     {@code /}
   * @param weightName the weight's short name, e.g. {@code kernel}
   * @throws NullPointerException if a name is null
   */
  public static long streamSeed(long userSeed, String layerPath, String weightName) {
    Objects.requireNonNull(layerPath, "layerPath");
    Objects.requireNonNull(weightName, "weightName");
    long s = mix64(userSeed ^ DOMAIN);
    s = mix64(s ^ hash64(layerPath));
    return mix64(s ^ hash64(weightName));
  }

  /** The seed of generator block {@code blockIndex} of a stream (see the class comment). */
  public static long blockSeed(long streamSeed, long blockIndex) {
    return mix64(streamSeed + (blockIndex + 1) * GOLDEN_GAMMA);
  }

  /** A derived stream for part {@code part} of a composite tensor (e.g. LSTM bias segments). */
  public static long subStream(long streamSeed, int part) {
    return mix64(streamSeed ^ mix64(0x7375627374726561L + part)); // "substrea" + part
  }

  /** The generator of block {@code blockIndex}. */
  public static SplittableRandom blockGenerator(long streamSeed, long blockIndex) {
    return new SplittableRandom(blockSeed(streamSeed, blockIndex));
  }

  /**
   * {@code SplittableRandom.nextDouble()} from the {@code nextLong()} it is made of: the top 53
   * bits, times 2^-53.
   */
  static double unitDouble(long bits) {
    return (bits >>> 11) * 0x1.0p-53;
  }

  /** FNV-1a 64 of the UTF-8 bytes of {@code s}, finalised with {@link #mix64}. */
  public static long hash64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix64(h);
  }

  /** The SplitMix64 finaliser (Stafford variant 13). */
  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
