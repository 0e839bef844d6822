package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library is thread-safe, and what it writes does not depend on how many threads write: eight
 * threads reading and writing different models at once (legacy {@code .h5} and {@code .keras} in
 * both directions, some reinitialized through {@link Reinitializer}) produce exactly the bytes a
 * sequential run produces, round after round.
 */
class ConcurrencyTest {
  static final int THREADS = 8;
  static final int ROUNDS = 3;

  @TempDir Path tmp;

  /** One unit of work: read {@code input}, optionally reinitialize, write {@code format}. */
  record Job(Path input, Format format, String ext, Long reinitSeed) {
    byte[] run(Path out) throws Exception {
      try (LoadedModel m = ModelIO.open(input)) {
        LoadedModel toWrite = m;
        if (reinitSeed != null) {
          Reinitializer.Plan plan =
              Reinitializer.plan(
                  m.model(), Reinitializer.Scheme.configured(), Selector.all(), reinitSeed);
          toWrite = Reinitializer.apply(m, plan);
        }
        ModelIO.write(toWrite, out, ModelIO.WriteOptions.defaults().withFormat(format));
      }
      return Files.readAllBytes(out);
    }
  }

  static List<Job> jobs() throws IOException {
    Path models = TestFiles.testdata().resolve("models");
    String[] names = {
      "mlp",
      "conv2d",
      "lstm",
      "gru",
      "mha",
      "nested_functional",
      "bidirectional",
      "embedding",
      "batchnorm",
      "separable_conv2d",
      "multi_io",
      "shared_layer"
    };
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      Path dir = models.resolve(names[i]);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      // alternate the direction and the reader: tf-keras h5 -> keras, keras -> h5, keras3 h5 -> h5
      switch (i % 3) {
        case 0:
          jobs.add(
              new Job(
                  dir.resolve("tfkeras.h5"), Format.KERAS, ".keras", i % 2 == 0 ? (long) i : null));
          break;
        case 1:
          jobs.add(
              new Job(dir.resolve("keras3.keras"), Format.H5, ".h5", i % 2 == 0 ? (long) i : null));
          break;
        default:
          jobs.add(
              new Job(
                  dir.resolve("keras3.h5"), Format.KERAS, ".keras", i % 2 == 0 ? (long) i : null));
      }
    }
    return jobs;
  }

  @Test
  void eightThreadsWriteTheBytesOfASequentialRun() throws Exception {
    List<Job> jobs = jobs();
    assertTrue(
        jobs.size() >= THREADS, "need at least " + THREADS + " models, found " + jobs.size());

    Map<Integer, String> expected = new LinkedHashMap<>();
    Path seq = Files.createDirectories(tmp.resolve("sequential"));
    for (int i = 0; i < jobs.size(); i++) {
      expected.put(i, sha(jobs.get(i).run(seq.resolve(i + jobs.get(i).ext()))));
    }

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        Path dir = Files.createDirectories(tmp.resolve("round" + round));
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<Map<Integer, String>>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          int shift = round;
          futures.add(
              pool.submit(
                  (Callable<Map<Integer, String>>)
                      () -> {
                        start.await(60, TimeUnit.SECONDS);
                        Map<Integer, String> got = new LinkedHashMap<>();
                        // each thread takes every THREADS-th job, in an order that changes per
                        // round
                        for (int i = thread; i < jobs.size(); i += THREADS) {
                          int j = (i + shift) % jobs.size();
                          got.put(
                              j,
                              sha(
                                  jobs.get(j)
                                      .run(dir.resolve(j + "-t" + thread + jobs.get(j).ext()))));
                        }
                        return got;
                      }));
        }
        Map<Integer, String> got = new LinkedHashMap<>();
        for (Future<Map<Integer, String>> f : futures) {
          got.putAll(f.get(300, TimeUnit.SECONDS));
        }
        for (Map.Entry<Integer, String> e : got.entrySet()) {
          assertEquals(
              expected.get(e.getKey()),
              e.getValue(),
              "round "
                  + round
                  + ": "
                  + jobs.get(e.getKey())
                  + " wrote other bytes than sequentially");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** One open model, eight threads writing it at once: the shared tensor source is thread-safe. */
  @Test
  void oneModelWrittenFromEightThreads() throws Exception {
    Path in = TestFiles.testdata().resolve("models/nested_functional/keras3.keras");
    try (LoadedModel m = ModelIO.open(in)) {
      Path refH5 = tmp.resolve("ref.h5");
      ModelIO.write(m, refH5, ModelIO.WriteOptions.defaults().withFormat(Format.H5));
      Path refKeras = tmp.resolve("ref.keras");
      ModelIO.write(m, refKeras, ModelIO.WriteOptions.defaults().withFormat(Format.KERAS));
      Map<Format, String> expected =
          Map.of(
              Format.H5,
              sha(Files.readAllBytes(refH5)),
              Format.KERAS,
              sha(Files.readAllBytes(refKeras)));
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<String>> futures = new ArrayList<>();
        List<Format> formats = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          Path out = tmp.resolve("shared-" + t + (t % 2 == 0 ? ".h5" : ".keras"));
          Format f = t % 2 == 0 ? Format.H5 : Format.KERAS;
          formats.add(f);
          futures.add(
              pool.submit(
                  () -> {
                    start.await(60, TimeUnit.SECONDS);
                    ModelIO.write(m, out, ModelIO.WriteOptions.defaults().withFormat(f));
                    return sha(Files.readAllBytes(out));
                  }));
        }
        for (int t = 0; t < THREADS; t++) {
          assertEquals(
              expected.get(formats.get(t)),
              futures.get(t).get(300, TimeUnit.SECONDS),
              "thread " + t);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
