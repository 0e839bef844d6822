package dev.initkit.cli.guarantees;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.cli.guarantees.FuzzHarness.Finding;
import dev.initkit.cli.guarantees.FuzzHarness.Input;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing: mutated copies of every file of the shared corpus and of {@code testdata/models} (see
 * {@link FuzzInputs}) run through the library and the command line in child JVMs with a 256 MB heap
 * ({@link FuzzChild}, {@link FuzzHarness}). Any crash, hang, memory blow-up, out-of-memory error,
 * stack trace, undocumented exit code, left-over output or temporary file, or changed input fails
 * the test; the report (findings and the inputs that caused them) is written to {@code
 * target/fuzz-report}.
 *
 * <p>The normal test run is bounded: a fixed seed, {@code initkit.fuzz.seconds} (default 120) of
 * fuzzing. The long run is {@code bash fuzz/run.sh --minutes 30} (a random seed unless {@code
 * --seed} is given), which sets {@code initkit.fuzz.seconds} and {@code initkit.fuzz.seed}.
 *
 * <p>Structural HDF5 mutations need a Python with h5py ({@code initkit.python}, else the checkout's
 * {@code .venv}); without one, the byte, JSON and zip mutations still run.
 */
class FuzzIT {
  static final long DEFAULT_SEED = 20251123L;

  @Test
  void mutatedModelsNeverBreakAPromise() throws Exception {
    Path testdata = testdata();
    Path corpus = corpus();
    assumeTrue(corpus != null || testdata != null, "neither the corpus nor testdata found");
    long seconds = Long.getLong("initkit.fuzz.seconds", 120);
    long seed = Long.getLong("initkit.fuzz.seed", DEFAULT_SEED);
    int roundSize = Integer.getInteger("initkit.fuzz.round", 48);
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);

    Path report =
        Path.of(System.getProperty("initkit.fuzz.report", "target/fuzz-report")).toAbsolutePath();
    FuzzChild.deleteTree(report);
    Files.createDirectories(report);
    Path run = Files.createTempDirectory("fuzzrun-");
    Path python = python(testdata);
    Path script = testdata == null ? null : testdata.getParent().resolve("fuzz/h5mutate.py");
    if (script == null || !Files.isRegularFile(script)) {
      python = null;
    }
    FuzzInputs gen = new FuzzInputs(run.resolve("inputs"), seed, python, script);
    List<Path> seeds =
        FuzzInputs.seeds(corpus, testdata == null ? null : testdata.resolve("models"));
    gen.prepare(seeds);

    FuzzHarness harness =
        new FuzzHarness(
            new FuzzHarness.Options(
                roundSize / 2,
                Integer.getInteger("initkit.fuzz.timeout", 60),
                Integer.getInteger("initkit.fuzz.parallel", 2),
                "256m",
                Long.getLong("initkit.fuzz.rssMb", 1536),
                run));
    Map<String, Input> all = new LinkedHashMap<>();
    Map<String, String> hashes = new TreeMap<>();
    int rounds = 0;
    while (System.nanoTime() < deadline) {
      List<Input> inputs = gen.generate(seeds, roundSize);
      for (Input in : inputs) {
        all.put(in.id(), in);
        hashes.put(in.id(), FuzzChild.hash(in.path()));
      }
      harness.run(inputs, deadline);
      rounds++;
      // the inputs of a round are deleted once they ran, except those with findings
      keepOnlyFindings(harness, inputs, report);
    }
    List<Finding> findings = new ArrayList<>(harness.findings());
    for (Map.Entry<String, String> h : hashes.entrySet()) {
      Input in = all.get(h.getKey());
      if (Files.exists(in.path()) && !FuzzChild.hash(in.path()).equals(h.getValue())) {
        findings.add(new Finding("changed-input", in, "sha256 differs after the run"));
      }
    }
    long ran = harness.outcomes().size();
    Map<String, Integer> codes = new TreeMap<>();
    harness
        .outcomes()
        .forEach(
            o ->
                codes.merge(
                    "convert=" + o.result().path("cli").path("convert").asInt(-1),
                    1,
                    Integer::sum));
    String summary =
        String.format(
            Locale.ROOT,
            "fuzz: seed %d, %d rounds, %d inputs run (%d generated) in %d child JVMs, %.0f s; exit codes %s; %d findings%n",
            seed,
            rounds,
            ran,
            all.size(),
            harness.childrenStarted(),
            (System.nanoTime() - start) / 1e9,
            codes,
            findings.size());
    StringBuilder text = new StringBuilder(summary);
    for (Finding f : findings) {
      text.append(f).append('\n');
    }
    Files.writeString(report.resolve("findings.tsv"), text, StandardCharsets.UTF_8);
    StringBuilder outcomes = new StringBuilder();
    for (FuzzHarness.Outcome o : harness.outcomes()) {
      outcomes
          .append(o.input().id())
          .append('\t')
          .append(o.input().origin())
          .append('\t')
          .append(o.result().path("cli"))
          .append('\n');
    }
    Files.writeString(report.resolve("outcomes.tsv"), outcomes, StandardCharsets.UTF_8);
    System.out.print(summary);
    Path hsErr = run.resolve("hs_err");
    if (Files.isDirectory(hsErr)) {
      Files.createDirectories(report.resolve("hs_err"));
      try (var s = Files.list(hsErr)) {
        for (Path p : s.toList()) {
          Files.copy(
              p,
              report.resolve("hs_err").resolve(p.getFileName()),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    if (findings.isEmpty()) {
      FuzzChild.deleteTree(run);
    }
    assertTrue(
        findings.isEmpty(),
        () -> text + "(report and inputs in " + report + ", run directory " + run + ")");
    assertTrue(ran > 0, "no input ran");
  }

  private static void keepOnlyFindings(FuzzHarness h, List<Input> inputs, Path report)
      throws IOException {
    java.util.Set<String> bad = new java.util.HashSet<>();
    for (Finding f : h.findings()) {
      if (f.input() != null) {
        bad.add(f.input().id());
      }
    }
    for (Input in : inputs) {
      Path dir = in.path().getParent();
      if (bad.contains(in.id())) {
        Path dst = report.resolve("inputs").resolve(in.id());
        if (!Files.exists(dst)) {
          Files.createDirectories(dst);
          try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
              if (Files.isRegularFile(p)) {
                Files.copy(p, dst.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
              }
            }
          }
          Files.writeString(dst.resolve("ORIGIN.txt"), in.origin() + "\n");
        }
      } else {
        FuzzChild.deleteTree(dir);
      }
    }
  }

  static Path testdata() {
    String p = System.getProperty("initkit.testdata");
    return p != null && Files.isDirectory(Path.of(p))
        ? Path.of(p).toAbsolutePath().normalize()
        : null;
  }

  static Path corpus() {
    String p = System.getProperty("initkit.corpus");
    return p != null && Files.isDirectory(Path.of(p))
        ? Path.of(p).toAbsolutePath().normalize()
        : null;
  }

  /** {@code initkit.python}, else the checkout's .venv python, if it has h5py; else null. */
  static Path python(Path testdata) throws InterruptedException {
    List<Path> candidates = new ArrayList<>();
    String p = System.getProperty("initkit.python", "");
    if (!p.isEmpty()) {
      candidates.add(Path.of(p));
    }
    if (testdata != null) {
      candidates.add(testdata.getParent().resolve(".venv/bin/python"));
    }
    for (Path c : candidates) {
      if (Files.isExecutable(c)) {
        try {
          Process pr =
              new ProcessBuilder(c.toString(), "-c", "import h5py")
                  .redirectErrorStream(true)
                  .start();
          pr.getInputStream().readAllBytes();
          if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) {
            return c;
          }
        } catch (IOException e) {
          // not usable
        }
      }
    }
    return null;
  }
}
