package dev.initkit.interop.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's outcomes: a refused file, a JVM that dies, a JVM that hangs, a batch. */
@DisabledIfSystemProperty(
    named = "initkit.skipDl4j",
    matches = "(?i)true",
    disabledReason = "DL4J tests skipped (-Dinitkit.skipDl4j=true)")
class Dl4jRunnerIT {
  @BeforeAll
  static void enabled() {
    assumeFalse(
        Boolean.getBoolean("initkit.skipDl4j"), "DL4J tests skipped (-Dinitkit.skipDl4j=true)");
  }

  @Test
  void aFileThatIsNoModelIsNotImportedAndTheProbeExitsZero(@TempDir Path tmp) throws IOException {
    Path junk = Files.writeString(tmp.resolve("junk.h5"), "not an HDF5 file");
    ProbeResult r = Dl4jRunner.run(junk, Duration.ofSeconds(60));
    assertEquals(ProbeResult.Status.NOT_IMPORTED, r.status(), r.summary());
    assertEquals(0, r.exitCode());
    assertNotNull(r.error());
    assertFalse(r.crashed());
  }

  @Test
  void aJvmThatDiesIsReportedAsCrashedWithItsErrorReport(@TempDir Path tmp) throws IOException {
    Path junk = Files.writeString(tmp.resolve("junk.h5"), "not an HDF5 file");
    // a heap too small for ND4J, and a JVM told to crash on OutOfMemoryError: a deterministic JVM
    // death
    List<String> args = new ArrayList<>(Dl4jRunner.Options.defaults().jvmArgs());
    args.removeIf(a -> a.startsWith("-Xmx"));
    args.add("-Xmx6m");
    args.add("-XX:+CrashOnOutOfMemoryError");
    ProbeResult r =
        Dl4jRunner.run(
            junk,
            Duration.ofSeconds(60),
            Dl4jRunner.Options.defaults()
                .withJvmArgs(args)
                .withCrashRetries(1)
                .withWorkDir(tmp.resolve("work")));
    assertEquals(ProbeResult.Status.CRASHED, r.status(), r.summary());
    assertNotEquals(0, r.exitCode());
    assertEquals(2, r.crashes(), "crashed, retried once, crashed again");
    assertNotNull(r.crashInfo());
  }

  @Test
  void aHangIsKilledAtTheTimeLimitAndSaysWhereItHung() throws IOException {
    // DL4J's orthogonal initialisation never returns on this file (DEPENDENCIES.md: it hangs)
    String corpus = System.getProperty("initkit.corpus");
    Path hang = corpus == null ? null : Path.of(corpus, "h5-full", "k2-simple-rnn-optimizer.h5");
    assumeTrue(hang != null && Files.isRegularFile(hang), "corpus file not found: " + hang);
    long t0 = System.nanoTime();
    ProbeResult r = Dl4jRunner.run(hang, Duration.ofSeconds(8));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(ProbeResult.Status.TIMED_OUT, r.status(), r.summary());
    assertTrue(seconds < 30, "killed in time: " + seconds + " s");
    assertTrue(r.error().contains("OrthogonalDistribution"), r.error());
  }

  @Test
  void aBatchGivesOneResultPerFileInOrder(@TempDir Path tmp) throws IOException {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      files.add(Files.writeString(tmp.resolve("junk" + i + ".h5"), "junk " + i));
    }
    Map<Path, Dl4jRunner.Run> runs =
        Dl4jRunner.runAll(
            files,
            Duration.ofSeconds(60),
            Dl4jRunner.Options.defaults().withBatchSize(2).withWorkDir(tmp.resolve("work")));
    assertEquals(files, List.copyOf(runs.keySet()));
    for (Dl4jRunner.Run run : runs.values()) {
      assertEquals(ProbeResult.Status.NOT_IMPORTED, run.result().status(), run.result().summary());
    }
  }
}
