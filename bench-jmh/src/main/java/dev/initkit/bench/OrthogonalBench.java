package dev.initkit.bench;

import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Time of one Orthogonal fill of a square {@code size x size} float32 kernel (Gaussian draws plus
 * Householder QR). The seed changes every invocation, so the one-entry cache never answers. Draws
 * per second = size^2 / time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class OrthogonalBench {
  @Param({"128", "512", "1024"})
  public int size;

  private Shape shape;
  private Initializer init;
  private ByteBuffer dst;
  private long seed;

  @Setup
  public void setup() {
    shape = Shape.of(size, size);
    init = Initializer.of(InitializerSpec.orthogonal(1.0, null));
    dst = ByteBuffer.allocateDirect(size * size * 4).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Benchmark
  public ByteBuffer fill() {
    dst.clear();
    init.fill(shape, DType.FLOAT32, seed++, dst);
    return dst;
  }
}
