package dev.initkit.init;

import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput of the random initializers into a direct float32 buffer on 1 and 2 threads, and the
 * time of Orthogonal's QR. A measurement, not a check: runs only with {@code -Dinitkit.bench=true}
 * and prints its numbers.
 */
@EnabledIfSystemProperty(named = "initkit.bench", matches = "true")
class InitThroughputTest {

  @Test
  void drawsPerSecond() throws InterruptedException {
    Shape shape = Shape.of(64L << 20); // 64 Mi elements = 256 MiB of float32
    ByteBuffer dst = ByteBuffer.allocateDirect(Math.toIntExact(shape.elementCount() * 4));
    List<InitializerSpec> specs =
        List.of(
            InitializerSpec.randomUniform(-0.05, 0.05, null),
            InitializerSpec.randomNormal(0, 0.05, null),
            InitializerSpec.preset(Preset.GLOROT_NORMAL, null),
            InitializerSpec.smallSign(0.01, null),
            InitializerSpec.zeros());
    for (InitializerSpec spec : specs) {
      Initializer init = Initializer.of(spec);
      for (int threads : new int[] {1, 2}) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 4; rep++) {
          dst.clear();
          long t0 = System.nanoTime();
          ParallelFill.fill(init, shape, DType.FLOAT32, rep, dst, threads);
          best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        double n = shape.elementCount();
        System.out.printf(
            Locale.ROOT,
            "%-45s threads=%d  %7.1f M draws/s  %7.1f MiB/s (float32)%n",
            spec.describe(),
            threads,
            n / best / 1e6,
            n * 4 / best / (1 << 20));
      }
    }
  }

  @Test
  void orthogonalTime() {
    for (Shape s :
        List.of(
            Shape.of(256, 1024),
            Shape.of(1024, 1024),
            Shape.of(1024, 4096),
            Shape.of(2048, 2048))) {
      Initializer init = Initializer.of(InitializerSpec.orthogonal(1, null));
      ByteBuffer dst = ByteBuffer.allocateDirect(Math.toIntExact(s.elementCount() * 4));
      long t0 = System.nanoTime();
      init.fill(s, DType.FLOAT32, 1, dst);
      System.out.printf(Locale.ROOT, "Orthogonal %s: %.2f s%n", s, (System.nanoTime() - t0) / 1e9);
    }
  }
}
