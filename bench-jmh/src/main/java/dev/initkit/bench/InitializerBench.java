package dev.initkit.bench;

import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.ParallelFill;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Draws per second of the element-wise initializers ({@code Initializer.of(spec).fill}) into a
 * direct float32 buffer: on the calling thread, and with {@link ParallelFill} on every core. The
 * score is draws (elements) per second: each invocation fills {@link #N} elements.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class InitializerBench {
  /** Elements per invocation: 1 Mi = 16 seed blocks = 4 MiB of float32. */
  static final int N = 1 << 20;

  static final Map<String, String> SPECS =
      Map.of(
          "uniform", "random_uniform(minval=-0.05,maxval=0.05)",
          "normal", "random_normal(stddev=0.05)",
          "truncated_normal", "truncated_normal(stddev=0.05)",
          "he_normal", "he_normal",
          "glorot_uniform", "glorot_uniform",
          "small_sign", "small(magnitude=0.01)");

  @Param({"uniform", "normal", "truncated_normal", "he_normal", "glorot_uniform", "small_sign"})
  public String kind;

  private final Shape shape = Shape.of(1024, 1024);
  private Initializer init;
  private ByteBuffer dst;
  private int threads;
  private long seed;

  @Setup
  public void setup() {
    init = Initializer.of(InitializerSpec.parse(SPECS.get(kind)));
    dst = ByteBuffer.allocateDirect(N * 4).order(ByteOrder.LITTLE_ENDIAN);
    threads = Runtime.getRuntime().availableProcessors();
  }

  /** One thread. */
  @Benchmark
  @OperationsPerInvocation(N)
  public ByteBuffer fill() {
    dst.clear();
    init.fill(shape, DType.FLOAT32, seed++, dst);
    return dst;
  }

  /** All cores ({@code availableProcessors()} workers), cut at seed-block boundaries. */
  @Benchmark
  @OperationsPerInvocation(N)
  public ByteBuffer fillParallel() throws InterruptedException {
    dst.clear();
    ParallelFill.fill(init, shape, DType.FLOAT32, seed++, dst, threads);
    return dst;
  }
}
