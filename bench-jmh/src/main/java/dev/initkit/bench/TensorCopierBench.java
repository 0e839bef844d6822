package dev.initkit.bench;

import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.internal.h5.H5Store;
import dev.initkit.internal.h5.TensorCopier;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Throughput of {@link TensorCopier#copy} in MiB/s (each invocation moves one {@link #MIB} MiB
 * float32 tensor into a new dataset of an HDF5 file in the temporary directory, i.e. the page
 * cache): {@code native} = an untouched tensor ({@code H5Store.copyTo}: the HDF5 layer's own copy,
 * one thread); {@code raw} = the same bytes streamed through the direct buffers (read rows, write
 * rows); {@code generated} = He normal drawn block by block on the producer threads while earlier
 * blocks are written (the reinit path).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TensorCopierBench {
  static final int MIB = 64;
  static final long ROWS = 4096;
  static final long COLS = MIB * (1L << 20) / 4 / ROWS;

  @Param({"native", "raw", "generated"})
  public String path;

  private Path dir;
  private H5Store store;
  private TensorSource source;
  private final Weight weight =
      new Weight("t/kernel:0", Shape.of(ROWS, COLS), DType.FLOAT32, WeightRole.KERNEL, "/t");
  private H5File out;
  private int next;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = Files.createTempDirectory("initkit-jmh-");
    Path src = dir.resolve("src.h5");
    try (H5File f = H5File.create(src);
        H5Dataset ds = f.root().createDataset("t", DType.FLOAT32, new long[] {ROWS, COLS})) {
      ByteBuffer rows =
          ByteBuffer.allocateDirect((int) (COLS * 4 * 256)).order(ByteOrder.LITTLE_ENDIAN);
      Initializer init = Initializer.of(InitializerSpec.parse("glorot_uniform"));
      for (long r = 0; r < ROWS; r += 256) {
        rows.clear();
        init.fill(weight.shape(), DType.FLOAT32, 7, rows, r * COLS, 256 * COLS);
        rows.flip();
        ds.writeRows(r, 256, rows);
      }
    }
    store = new H5Store(H5File.openReadOnly(src), src);
    switch (path) {
      case "native":
        source = store;
        break;
      case "raw":
        source =
            new TensorSource() { // same bytes, but not recognised as the store's own: pipelined
              @Override
              public void readRows(Weight w, long firstRow, long rows, ByteBuffer dst)
                  throws IOException {
                store.readRows(w, firstRow, rows, dst);
              }
            };
        break;
      default:
        {
          // what reinit's source does for a drawn weight: rows -> element range -> Initializer.fill
          Initializer he = Initializer.of(InitializerSpec.parse("he_normal"));
          source =
              (w, firstRow, rows, dst) -> {
                long perRow = w.shape().elementCount() / w.shape().dim(0);
                he.fill(w.shape(), w.dtype(), 1, dst, firstRow * perRow, rows * perRow);
              };
        }
    }
  }

  @Setup(Level.Iteration)
  public void openOutput() throws IOException {
    out = H5File.create(dir.resolve("out.h5"));
  }

  @TearDown(Level.Iteration)
  public void closeOutput() throws IOException {
    out.close();
    Files.deleteIfExists(dir.resolve("out.h5"));
  }

  @TearDown(Level.Trial)
  public void teardown() throws IOException {
    store.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  @OperationsPerInvocation(MIB)
  public void copy() throws IOException {
    TensorCopier.copy(weight, source, out.root(), "t" + next++);
  }
}
