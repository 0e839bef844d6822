package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.format.Format;
import dev.initkit.internal.hdf5.Hdf5;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HDF5 build initkit uses is not thread-safe, so every native call holds one process-wide lock
 * ({@link Hdf5}). This test checks that from three sides:
 *
 * <ul>
 *   <li>structure: no class outside {@code dev.initkit.internal.hdf5} references the native HDF5
 *       bindings, so every native call goes through the package that locks (and its {@code check}
 *       refuses any call made without the lock, see {@link Hdf5});
 *   <li>behaviour: while one thread holds the lock, reading and writing models in another thread
 *       block, and go on once it is released; the lock is reentrant;
 *   <li>load: eight threads hammering different files (opening, reading every tensor, writing) get
 *       exactly the bytes one thread gets.
 * </ul>
 */
class Hdf5LockTest {
  @TempDir Path tmp;

  @Test
  void onlyTheLockingPackageTouchesNativeHdf5() throws IOException, URISyntaxException {
    Path classes =
        Path.of(ModelIO.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> offenders = new ArrayList<>();
    int scanned = 0;
    byte[] needle = "org/bytedeco/hdf5".getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> s = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!p.toString().endsWith(".class")) {
          continue;
        }
        scanned++;
        String rel = classes.relativize(p).toString().replace('\\', '/');
        if (rel.startsWith("dev/initkit/internal/hdf5/")) {
          continue;
        }
        if (contains(Files.readAllBytes(p), needle)) {
          offenders.add(rel);
        }
      }
    }
    assertTrue(scanned > 50, "scanned only " + scanned + " classes in " + classes);
    assertEquals(List.of(), offenders, "classes calling HDF5 outside the locking package");
  }

  @Test
  void aHeldLockBlocksReadsAndWritesInOtherThreads() throws Exception {
    Path h5 = TestFiles.testdata().resolve("models/mlp/tfkeras.h5");
    Path keras = TestFiles.testdata().resolve("models/mlp/keras3.keras");
    // warm up: load the native library outside the measured part
    try (LoadedModel m = ModelIO.open(h5)) {
      assertFalse(Hdf5.isHeldByCurrentThread(), "the lock leaked out of open()");
    }
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      for (Path in : List.of(h5, keras)) {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder =
            new Thread(
                () -> {
                  try {
                    Hdf5.withLock(
                        () -> {
                          assertTrue(Hdf5.isHeldByCurrentThread());
                          held.countDown();
                          release.await(60, TimeUnit.SECONDS);
                          return null;
                        });
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
        holder.start();
        assertTrue(held.await(30, TimeUnit.SECONDS));
        Path out = tmp.resolve(in.getFileName() + ".out.h5");
        Future<Long> work =
            other.submit(
                () -> {
                  try (LoadedModel m = ModelIO.open(in)) {
                    ModelIO.write(m, out, ModelIO.WriteOptions.defaults().withFormat(Format.H5));
                  }
                  return System.nanoTime();
                });
        Thread.sleep(500);
        assertFalse(
            work.isDone(), in + ": read and written while another thread held the HDF5 lock");
        assertFalse(Files.exists(out));
        long released = System.nanoTime();
        release.countDown();
        long finished = work.get(60, TimeUnit.SECONDS);
        assertTrue(finished >= released, "finished before the lock was released");
        assertTrue(Files.size(out) > 0);
        holder.join();
      }
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void theLockIsReentrantAndScoped() throws Exception {
    Path h5 = TestFiles.testdata().resolve("models/mlp/tfkeras.h5");
    assertFalse(Hdf5.isHeldByCurrentThread());
    String inside =
        Hdf5.withLock(
            () -> {
              assertTrue(Hdf5.isHeldByCurrentThread());
              // initkit's own calls take the lock again: no deadlock
              try (LoadedModel m = ModelIO.open(h5)) {
                assertTrue(Hdf5.isHeldByCurrentThread());
                return digest(m);
              }
            });
    assertFalse(Hdf5.isHeldByCurrentThread(), "withLock leaked the lock");
    try (LoadedModel m = ModelIO.open(h5)) {
      assertEquals(digest(m), inside);
    }
  }

  @Test
  void eightThreadsHammeringGetTheBytesOneThreadGets() throws Exception {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(TestFiles.testdata().resolve("models"))) {
      for (Path d : s.sorted().toList()) {
        for (String n : List.of("tfkeras.h5", "keras3.keras", "keras3.h5")) {
          if (Files.isRegularFile(d.resolve(n))) {
            files.add(d.resolve(n));
          }
        }
      }
    }
    assertTrue(files.size() >= 16, files.toString());
    List<String> expected = new ArrayList<>();
    for (Path f : files) {
      try (LoadedModel m = ModelIO.open(f)) {
        expected.add(digest(m));
      }
    }
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<List<String>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await(60, TimeUnit.SECONDS);
                  List<String> got = new ArrayList<>();
                  for (int k = 0; k < files.size(); k++) {
                    Path f = files.get((k + offset * 5) % files.size());
                    try (LoadedModel m = ModelIO.open(f)) {
                      got.add(files.indexOf(f) + "=" + digest(m));
                    }
                  }
                  return got;
                }));
      }
      for (Future<List<String>> fut : futures) {
        for (String g : fut.get(300, TimeUnit.SECONDS)) {
          int i = Integer.parseInt(g.substring(0, g.indexOf('=')));
          assertEquals(expected.get(i), g.substring(g.indexOf('=') + 1), files.get(i).toString());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A digest of every weight's bytes (read through the tensor source, in blocks of rows). */
  static String digest(LoadedModel m) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    List<Weight> all = new ArrayList<>(m.model().layerWeights());
    all.addAll(m.model().modelWeights());
    all.addAll(m.model().optimizerWeights());
    for (Weight w : all) {
      md.update(w.key().getBytes(StandardCharsets.UTF_8));
      long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
      long rowBytes = rows == 0 ? 0 : w.byteSize() / rows;
      long per = Math.max(1, rowBytes == 0 ? rows : Math.max(1, (1 << 16) / rowBytes));
      for (long r = 0; r < rows && rowBytes > 0; r += per) {
        long n = Math.min(per, rows - r);
        ByteBuffer buf =
            ByteBuffer.allocateDirect((int) (n * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        m.tensors().readRows(w, r, n, buf);
        buf.flip();
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        md.update(b);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
