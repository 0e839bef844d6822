package dev.initkit.cli.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.cli.Cli;
import dev.initkit.cli.Main;
import dev.initkit.internal.AtomicFiles;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs are complete or absent, and a failure never costs the user the previous output:
 *
 * <ul>
 *   <li>a {@code convert} killed with SIGKILL in the middle of writing a large model leaves the
 *       previous output byte for byte, and only temporaries named by {@link AtomicFiles#TEMP_NAME};
 *       the next run with {@code --force} succeeds beside them;
 *   <li>a full disk (a 2 MB tmpfs), as the output's file system or as {@code java.io.tmpdir}, gives
 *       exit code 5 with one clear line, no output and no temporary;
 *   <li>a read-only destination (a tmpfs remounted read-only, and a directory made immutable with
 *       {@code chattr +i}: root ignores permission bits) gives exit code 5 and one clear line.
 * </ul>
 *
 * The file system cases need root (mount, chattr); without it they are skipped, saying so.
 */
class CrashSafetyIT {
  @TempDir Path tmp;
  private final List<Path> mounts = new ArrayList<>();
  private final List<Path> immutable = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (Path p : immutable) {
      sh("chattr", "-i", p.toString());
    }
    for (Path m : mounts) {
      sh("umount", "-l", m.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SIGKILL during a write

  @Test
  void killedWriteKeepsThePreviousOutputAndTheNextRunSucceeds() throws Exception {
    Path big = tmp.resolve("big.h5");
    writeDenseModel(big, 8192, 8192); // 256 MiB of weights
    String inputHash = Cli.sha256(big);
    for (String ext : List.of(".keras", ".h5")) {
      Path outDir = Files.createDirectories(tmp.resolve("out" + ext.replace('.', '-')));
      Path out = outDir.resolve("model" + ext);
      // the previous output: a small, complete model
      Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out).assertExit(0);
      String previous = Cli.sha256(out);

      Process p = cli("convert", big.toString(), "-o", out.toString(), "--force");
      boolean killedMidWrite = stopMidWrite(p, outDir, Process::destroyForcibly); // SIGKILL
      p.waitFor(60, TimeUnit.SECONDS);
      assertTrue(
          killedMidWrite,
          ext + ": the write finished before it could be killed (exit " + p.exitValue() + ")");
      assertEquals(previous, Cli.sha256(out), ext + ": the previous output changed");
      List<String> left = names(outDir);
      left.remove(out.getFileName().toString());
      assertFalse(left.isEmpty(), "expected the killed process's temporaries");
      for (String n : left) {
        assertTrue(
            AtomicFiles.isTempName(n), ext + ": a stray file not named as a temporary: " + n);
      }

      // the next run is not disturbed by what the killed one left
      Process again = cli("convert", big.toString(), "-o", out.toString(), "--force");
      assertTrue(again.waitFor(300, TimeUnit.SECONDS));
      String err = new String(again.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, again.exitValue(), err);
      assertFalse(Cli.sha256(out).equals(previous));
      Cli.run("inspect", out).assertExit(0);
      List<String> after = names(outDir);
      after.remove(out.getFileName().toString());
      assertEquals(left, after, ext + ": the second run left temporaries of its own");
    }
    assertEquals(inputHash, Cli.sha256(big), "the input changed");
  }

  @Test
  void writeStoppedBySigtermKeepsThePreviousOutputAndLeavesNoTemporary() throws Exception {
    Path big = tmp.resolve("big.h5");
    writeDenseModel(big, 8192, 8192); // 256 MiB of weights
    for (String ext : List.of(".keras", ".h5")) {
      Path outDir = Files.createDirectories(tmp.resolve("term" + ext.replace('.', '-')));
      Path out = outDir.resolve("model" + ext);
      Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out).assertExit(0);
      String previous = Cli.sha256(out);
      Process p = cli("convert", big.toString(), "-o", out.toString(), "--force");
      // SIGTERM, as Ctrl-C's SIGINT: the JVM runs its shutdown hooks
      boolean stoppedMidWrite = stopMidWrite(p, outDir, Process::destroy);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertTrue(
          stoppedMidWrite,
          ext + ": the write finished before it could be stopped (exit " + p.exitValue() + ")");
      assertEquals(143, p.exitValue(), ext);
      assertEquals(previous, Cli.sha256(out), ext + ": the previous output changed");
      assertEquals(
          List.of(out.getFileName().toString()), names(outDir), ext + ": temporaries left");
    }
  }

  /**
   * Stops {@code p} with {@code stop} once its temporaries in {@code outDir} pass 16 MiB; false if
   * it ended (or two minutes passed) first.
   */
  private static boolean stopMidWrite(
      Process p, Path outDir, java.util.function.Consumer<Process> stop)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (p.isAlive() && System.nanoTime() < deadline) {
      if (tempBytes(outDir) > (16L << 20)) {
        stop.accept(p);
        return true;
      }
      Thread.sleep(5);
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // full disk

  @Test
  void fullDiskGivesOneLineAndNoPartialOutput() throws Exception {
    Path full = mountTmpfs("full", "size=2m");
    Path model = tmp.resolve("model.h5");
    writeDenseModel(model, 1024, 1024); // 4 MiB: more than the file system holds
    for (String ext : List.of(".h5", ".keras", ".weights.h5")) {
      Path out = full.resolve("model" + ext);
      // in its own JVM: the exit code is the process's, so a crash at exit would show (HDF5 1.14.3
      // crashed at exit after a failed flush until H5File learned to empty such files first)
      String line = expectOneLine(cli("convert", model.toString(), "-o", out.toString()), 5);
      assertTrue(line.toLowerCase(java.util.Locale.ROOT).contains("space"), line);
      assertFalse(Files.exists(out), ext + ": partial output left");
      assertEquals(List.of(), names(full), ext + ": temporaries left");
    }
    // a previous output on the full disk is kept when the replacement does not fit
    Path previous = full.resolve("keep.h5");
    Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", previous).assertExit(0);
    String hash = Cli.sha256(previous);
    Cli.Result r = Cli.run("convert", model, "-o", previous, "--force");
    r.assertExit(5);
    r.assertOneErrorLine();
    assertEquals(hash, Cli.sha256(previous));
    assertEquals(List.of("keep.h5"), names(full));
  }

  @Test
  void fullTemporaryDirectoryGivesOneLine() throws Exception {
    Path full = mountTmpfs("tmpdir", "size=2m");
    Path model = tmp.resolve("model.h5");
    writeDenseModel(model, 1024, 1024);
    Path keras = tmp.resolve("model.keras");
    Cli.run("convert", model, "-o", keras).assertExit(0);
    // a stored weights member is read where it lies: no temporary space needed
    Process p = cli(List.of("-Djava.io.tmpdir=" + full), "inspect", keras.toString());
    String said = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), said);
    assertEquals(List.of(), names(full), "temporaries left in java.io.tmpdir");
    // a compressed one is extracted to java.io.tmpdir: here, a full one
    Path deflated = tmp.resolve("deflated.keras");
    deflate(keras, deflated);
    String line =
        expectOneLine(cli(List.of("-Djava.io.tmpdir=" + full), "inspect", deflated.toString()), 5);
    assertTrue(line.contains("space"), line);
    assertEquals(List.of(), names(full), "temporaries left in java.io.tmpdir");
  }

  /** The same archive with every member compressed (zip tools other than Keras may write such). */
  private static void deflate(Path from, Path to) throws IOException {
    try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
        java.util.zip.ZipOutputStream out =
            new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
      for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
        java.util.zip.ZipEntry d = new java.util.zip.ZipEntry(e.getName());
        d.setMethod(java.util.zip.ZipEntry.DEFLATED);
        out.putNextEntry(d);
        try (java.io.InputStream i = in.getInputStream(e)) {
          i.transferTo(out);
        }
        out.closeEntry();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // read-only destination

  @Test
  void readOnlyFileSystemGivesOneLine() throws Exception {
    Path ro = mountTmpfs("ro", "size=2m");
    Path previous = ro.resolve("keep.h5");
    Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", previous).assertExit(0);
    String hash = Cli.sha256(previous);
    assertEquals(0, sh("mount", "-o", "remount,ro", ro.toString()), "remount read-only");
    for (Path out : List.of(ro.resolve("model.keras"), previous)) {
      Cli.Result r = Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out, "--force");
      r.assertExit(5);
      String line = r.assertOneErrorLine();
      assertTrue(line.contains("Read-only file system"), line);
    }
    assertEquals(hash, Cli.sha256(previous));
    assertEquals(List.of("keep.h5"), names(ro));
  }

  @Test
  void immutableDirectoryGivesOneLine() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("immutable"));
    assumeTrue(
        sh("chattr", "+i", dir.toString()) == 0,
        "chattr +i is not available here (not root, or a file system without it)");
    immutable.add(dir);
    Path out = dir.resolve("model.keras");
    Cli.Result r = Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out);
    r.assertExit(5);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains(dir.toString()) && line.contains("cannot create files"), line);
    assertEquals(List.of(), names(dir));
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private Path mountTmpfs(String name, String options) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    int rc = sh("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString());
    assumeTrue(rc == 0, "cannot mount a tmpfs (needs root): skipped, not simulated");
    mounts.add(dir);
    return dir;
  }

  private static int sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }

  private Process cli(String... args) throws IOException {
    return cli(List.of(), args);
  }

  /**
   * Issue 18, item 10: a result that cannot be written to stdout (a full device) is not a success.
   */
  @Test
  void aFailedWriteToStandardOutputIsExit5() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/full")), "no /dev/full here");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "inspect",
                "--json",
                Cli.model("mlp", "keras3.keras").toString()));
    Process p = new ProcessBuilder(cmd).redirectOutput(new java.io.File("/dev/full")).start();
    String line = expectOneLine(p, 5);
    assertTrue(line.contains("standard output"), line);
  }

  /**
   * Issue 18, item 12: failed analyze and lsuv runs left initkit-analysis and initkit-lsuv
   * directories.
   */
  @Test
  void failedAnalysisRunsLeaveNoScratchDirectory() throws Exception {
    Path jtmp = Files.createDirectory(tmp.resolve("java-tmp"));
    // DL4J imports no MultiHeadAttention (TensorFlow, the default engine, runs it)
    Path model = Cli.model("mha", "keras3.keras");
    for (String[] args :
        List.of(
            new String[] {"analyze", model.toString(), "--engine", "dl4j"},
            new String[] {
              "lsuv",
              model.toString(),
              "-o",
              tmp.resolve("lsuv.keras").toString(),
              "--engine",
              "dl4j"
            })) {
      Process p = cli(List.of("-Djava.io.tmpdir=" + jtmp), args);
      p.getErrorStream().readAllBytes();
      assertTrue(p.waitFor(300, TimeUnit.SECONDS));
      assertTrue(p.exitValue() == 3 || p.exitValue() == 4, args[0] + ": exit " + p.exitValue());
      assertEquals(List.of(), names(jtmp), args[0] + ": scratch left in java.io.tmpdir");
    }
    // stopped while DL4J runs: the worker is killed and both scratch directories go
    Path mlp =
        Path.of(System.getProperty("initkit.testdata")).resolve("analysis/models/mlp20/tfkeras.h5");
    assumeTrue(Files.exists(mlp), "no " + mlp);
    Process p = cli(List.of("-Djava.io.tmpdir=" + jtmp), "analyze", mlp.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (p.isAlive()
        && System.nanoTime() < deadline
        && names(jtmp).stream()
            .noneMatch(n -> n.startsWith("initkit-analysis") && !n.contains("models"))) {
      Thread.sleep(20);
    }
    assertTrue(p.isAlive(), "analyze ended before the worker started");
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    Thread.sleep(500);
    assertEquals(List.of(), names(jtmp), "scratch left in java.io.tmpdir after SIGTERM");
  }

  /**
   * Issue 18, item 12: the JVM's own output (SIGQUIT's thread dump) went to stdout, into a --json
   * document. The launcher sends all of it to stderr: shown with the flag table the JVM prints
   * through the same stream, which must land on stderr while stdout holds only the result.
   */
  @Test
  void theJvmsOwnOutputNeverReachesStandardOutput() throws Exception {
    Path launcher = Path.of(System.getProperty("initkit.testdata")).getParent().resolve("initkit");
    assumeTrue(Files.isExecutable(launcher), "no launcher at " + launcher);
    ProcessBuilder pb =
        new ProcessBuilder(
            launcher.toString(), "--json", "inspect", Cli.model("mlp", "keras3.keras").toString());
    pb.environment().put("JAVA_OPTS", "-XX:+PrintFlagsFinal");
    Path out = tmp.resolve("stdout.json");
    Path err = tmp.resolve("stderr.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), Files.readString(err));
    assertTrue(
        Files.readString(err).contains("DisplayVMOutputToStderr"),
        "the JVM's flag table goes to stderr");
    dev.initkit.internal.Json.parse(
        Files.readString(out, StandardCharsets.UTF_8)); // stdout: one clean document
  }

  /**
   * Issue 18, item 1: a write that fails (here at the file size limit, as on a full disk) made HDF5
   * 1.14.3 crash the JVM when the file was closed or at exit (SIGSEGV, exit 139). Every command and
   * format: exit 5, one line, no output, no temporary, no crash, however often.
   */
  @Test
  void aFailedWriteIsAnIoErrorAndNeverACrash() throws Exception {
    Path model = Cli.model("mlp_inits", "keras3.keras");
    Path out = Files.createDirectory(tmp.resolve("limited"));
    List<String[]> runs =
        List.of(
            new String[] {"convert", model.toString(), "-o", out.resolve("m.h5").toString()},
            new String[] {"convert", model.toString(), "-o", out.resolve("m.keras").toString()},
            new String[] {
              "convert", model.toString(), "-o", out.resolve("u.keras").toString(), "--unzipped"
            },
            new String[] {"-q", "reinit", model.toString(), "-o", out.resolve("r.h5").toString()},
            new String[] {
              "-q",
              "set-init",
              model.toString(),
              "-o",
              out.resolve("s.keras").toString(),
              "--rule",
              "all=he_normal",
              "--reinit"
            });
    for (int round = 0; round < 2; round++) {
      for (String[] args : runs) {
        List<String> cmd =
            new ArrayList<>(List.of("bash", "-c", "ulimit -f 16 && exec \"$@\"", "limited"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(
            List.of(
                "-Xmx256m",
                "-XX:ErrorFile=" + tmp.resolve("hs_err_%p.log"),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String line = expectOneLine(p, 5);
        assertTrue(line.contains("file size limit"), line);
        assertEquals(List.of(), names(out), String.join(" ", args) + ": output or temporary left");
      }
    }
  }

  /** The command line in its own JVM, so that it can be killed. */
  private Process cli(List<String> jvmArgs, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    // a JVM crash report (there should be none) goes here, not into the working directory
    cmd.add("-XX:ErrorFile=" + tmp.resolve("hs_err_%p.log"));
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Waits for a CLI process; asserts its exit code and one error line; returns the line. */
  private static String expectOneLine(Process p, int code) throws Exception {
    byte[] errBytes = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    String err = new String(errBytes, StandardCharsets.UTF_8);
    assertEquals(code, p.exitValue(), err);
    List<String> lines = err.lines().toList();
    assertEquals(1, lines.size(), err);
    assertTrue(lines.get(0).startsWith("initkit: "), err);
    return lines.get(0);
  }

  private static long tempBytes(Path dir) throws IOException {
    long n = 0;
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (AtomicFiles.isTempName(p.getFileName().toString())) {
          try {
            n += Files.size(p);
          } catch (IOException e) {
            // renamed or deleted meanwhile
          }
        }
      }
    }
    return n;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  /** A tf-keras style Sequential model with one Dense layer of {@code in x units} float32. */
  static void writeDenseModel(Path path, int in, int units) throws IOException {
    String config =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", \"layers\": ["
            + "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, "
            + in
            + "], \"dtype\": \"float32\", \"sparse\": false, \"ragged\": false, \"name\": \"input_1\"}}, "
            + "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"trainable\": true, \"dtype\": \"float32\", \"units\": "
            + units
            + ", \"activation\": \"linear\", \"use_bias\": true, "
            + "\"kernel_initializer\": {\"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null}}, \"bias_initializer\": {\"class_name\": \"Zeros\", \"config\": {}}, "
            + "\"kernel_regularizer\": null, \"bias_regularizer\": null, \"activity_regularizer\": null, \"kernel_constraint\": null, \"bias_constraint\": null}}]}, "
            + "\"keras_version\": \"2.15.0\", \"backend\": \"tensorflow\"}";
    try (H5File f = H5File.create(path)) {
      H5Group root = f.root();
      root.setAttribute("keras_version", AttrValue.Str.vlenUtf8("2.15.0"));
      root.setAttribute("backend", AttrValue.Str.vlenUtf8("tensorflow"));
      root.setAttribute("model_config", AttrValue.Str.vlenAscii(config));
      try (H5Group mw = root.createGroup("model_weights")) {
        mw.setAttribute(
            "layer_names", new AttrValue.StrArray(List.of("dense"), true, AttrValue.Charset.ASCII));
        mw.setAttribute("backend", AttrValue.Str.vlenAscii("tensorflow"));
        mw.setAttribute("keras_version", AttrValue.Str.vlenAscii("2.15.0"));
        try (H5Group d = mw.createGroup("dense")) {
          d.setAttribute(
              "weight_names",
              new AttrValue.StrArray(
                  List.of("dense/kernel:0", "dense/bias:0"), true, AttrValue.Charset.ASCII));
          try (H5Dataset k =
              d.createDataset("dense/kernel:0", DType.FLOAT32, new long[] {in, units})) {
            int rowsPerBlock = Math.max(1, (8 << 20) / (units * 4));
            ByteBuffer buf =
                ByteBuffer.allocateDirect(rowsPerBlock * units * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (long r = 0; r < in; r += rowsPerBlock) {
              int n = (int) Math.min(rowsPerBlock, in - r);
              buf.clear();
              for (int i = 0; i < n * units; i++) {
                buf.putFloat((float) Math.sin(r * 31.0 + i));
              }
              buf.flip();
              k.writeRows(r, n, buf);
            }
          }
          try (H5Dataset b = d.createDataset("dense/bias:0", DType.FLOAT32, new long[] {units})) {
            ByteBuffer buf = ByteBuffer.allocateDirect(units * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < units; i++) {
              buf.putFloat(i * 0.001f);
            }
            buf.flip();
            b.writeRows(0, units, buf);
          }
        }
      }
    }
  }
}
