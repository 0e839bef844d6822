package dev.initkit.interop.dl4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.internal.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Runs DL4J's Keras import on files, each in a separate, time-limited JVM ({@link Dl4jProbe}).
 *
 * <p>DL4J crashes the JVM (SIGSEGV from native heap corruption, sometimes only at exit) or never
 * returns (its orthogonal initialisation, for some recurrent layers) on some files, so it never
 * runs in the caller's JVM. To save the ND4J start-up (about 1.5 s a JVM), {@link #runAll} gives
 * one JVM several files in turn, with the time limit applied to each file; crashes stay attributed
 * to the file that caused them:
 *
 * <ul>
 *   <li>a batch JVM that runs past a file's time limit is killed; the files it finished keep their
 *       results and the rest go back to the queue. The file it hung on is TIMED_OUT when it was the
 *       JVM's first or when DL4J hung where it always does (the probe's watchdog records the
 *       stack); otherwise it is run again alone, since an earlier file may have corrupted the JVM;
 *   <li>a batch JVM that dies (or exits non-zero) has every file it started re-run alone, one JVM
 *       each, since native heap corruption can surface a file or more after the one that caused it;
 *       only those results count. The files it had not started go back to the queue;
 *   <li>a JVM that dies alone on a file is retried a few times (the same corruption crashes or not,
 *       depending on the memory layout); {@link ProbeResult#crashes()} counts the deaths.
 * </ul>
 *
 * <p>Thread-safe; each call uses its own work directory.
 */
public final class Dl4jRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger LAUNCHES = new AtomicInteger();

  /**
   * Frames where DL4J hangs on a file whatever ran before it in the JVM: its orthogonal
   * initialisation of some LSTM/SimpleRNN recurrent kernels never returns.
   */
  private static final List<String> KNOWN_HANGS = List.of("OrthogonalDistribution.sample");

  /**
   * How to launch the probe JVMs.
   *
   * @param javaExecutable the {@code java} binary
   * @param classPath the probe's class path (this module's classes, the converter, DL4J, ND4J)
   * @param jvmArgs extra JVM flags
   * @param parallelism how many probe JVMs run at once
   * @param batchSize how many files one JVM takes (1: one JVM per file)
   * @param input the probes' {@code --input}: a seed or an .npz path
   * @param crashRetries how often a file whose JVM died (alone) is run again
   * @param retryTimeoutsAvoidingDistributionInit re-run timed-out files with {@link
   *     Dl4jProbe#AVOID_DISTRIBUTION_INIT} (the result says so in {@link Run#workaround})
   * @param workDir where list files, results and crash reports go; null for a new temporary
   *     directory
   */
  public record Options(
      String javaExecutable,
      String classPath,
      List<String> jvmArgs,
      int parallelism,
      int batchSize,
      String input,
      int crashRetries,
      boolean retryTimeoutsAvoidingDistributionInit,
      Path workDir) {
    public Options {
      Objects.requireNonNull(javaExecutable, "javaExecutable");
      Objects.requireNonNull(classPath, "classPath");
      jvmArgs = List.copyOf(jvmArgs);
      if (crashRetries < 0) {
        throw new IllegalArgumentException("crashRetries must be >= 0, got " + crashRetries);
      }
      if (parallelism < 1 || batchSize < 1) {
        throw new IllegalArgumentException(
            "parallelism and batchSize must be >= 1, got " + parallelism + ", " + batchSize);
      }
    }

    /**
     * The running JVM's java and class path (Surefire's {@code surefire.test.class.path} when set,
     * since its {@code java.class.path} may be a manifest-only jar), flags for a quick start, 2
     * JVMs at a time, 8 files per JVM, seed {@value Dl4jProbe#DEFAULT_SEED}, 2 retries after a
     * crash, no work-around retry.
     */
    public static Options defaults() {
      ChildJvm jvm =
          ChildJvm.ofThisJvm(
              List.of(
                  "-XX:TieredStopAtLevel=1", // the work is native: C1 only starts faster
                  "-XX:+UseSerialGC",
                  "-Xshare:auto",
                  "-XX:-UsePerfData",
                  "-Xss4m",
                  "-Xmx2g",
                  "-Djava.awt.headless=true"));
      return new Options(
          jvm.javaExecutable(),
          jvm.classPath(),
          jvm.jvmArgs(),
          2,
          8,
          Long.toString(Dl4jProbe.DEFAULT_SEED),
          2,
          false,
          null);
    }

    public Options withParallelism(int p) {
      return new Options(
          javaExecutable,
          classPath,
          jvmArgs,
          p,
          batchSize,
          input,
          crashRetries,
          retryTimeoutsAvoidingDistributionInit,
          workDir);
    }

    public Options withBatchSize(int b) {
      return new Options(
          javaExecutable,
          classPath,
          jvmArgs,
          parallelism,
          b,
          input,
          crashRetries,
          retryTimeoutsAvoidingDistributionInit,
          workDir);
    }

    public Options withJvmArgs(List<String> args) {
      return new Options(
          javaExecutable,
          classPath,
          args,
          parallelism,
          batchSize,
          input,
          crashRetries,
          retryTimeoutsAvoidingDistributionInit,
          workDir);
    }

    public Options withCrashRetries(int n) {
      return new Options(
          javaExecutable,
          classPath,
          jvmArgs,
          parallelism,
          batchSize,
          input,
          n,
          retryTimeoutsAvoidingDistributionInit,
          workDir);
    }

    public Options withInput(String in) {
      return new Options(
          javaExecutable,
          classPath,
          jvmArgs,
          parallelism,
          batchSize,
          in,
          crashRetries,
          retryTimeoutsAvoidingDistributionInit,
          workDir);
    }

    public Options withRetryTimeoutsAvoidingDistributionInit(boolean r) {
      return new Options(
          javaExecutable,
          classPath,
          jvmArgs,
          parallelism,
          batchSize,
          input,
          crashRetries,
          r,
          workDir);
    }

    public Options withWorkDir(Path d) {
      return new Options(
          javaExecutable,
          classPath,
          jvmArgs,
          parallelism,
          batchSize,
          input,
          crashRetries,
          retryTimeoutsAvoidingDistributionInit,
          d);
    }
  }

  /**
   * The result of one file: DL4J's import as it is, and, when that timed out and the retry is on,
   * the import with {@link Dl4jProbe#AVOID_DISTRIBUTION_INIT} (else null).
   */
  public record Run(ProbeResult result, ProbeResult workaround) {}

  private Dl4jRunner() {}

  /**
   * Imports one file with DL4J in its own JVM, once (no retry after a crash), with the default
   * options.
   *
   * @param h5 a Keras full-model .h5
   * @param timeout the time limit, after which the JVM is killed
   * @return what happened; never null
   * @throws IOException the work directory cannot be made or the JVM cannot be started
   */
  public static ProbeResult run(Path h5, Duration timeout) throws IOException {
    return run(
        h5, timeout, Options.defaults().withBatchSize(1).withParallelism(1).withCrashRetries(0));
  }

  /** Imports one file with DL4J in its own JVM. See {@link #run(Path, Duration)}. */
  public static ProbeResult run(Path h5, Duration timeout, Options options) throws IOException {
    return runAll(List.of(h5), timeout, options.withBatchSize(1)).get(h5).result();
  }

  /**
   * Imports many files, {@code options.parallelism()} JVMs at a time, each taking up to {@code
   * options.batchSize()} files; see the class comment for how crashes are isolated.
   *
   * @param files the files; duplicates are probed once
   * @param timeoutPerFile the time limit of each file (the JVM start-up counts against the first)
   * @return one Run per file, in the order given
   * @throws IOException the work directory cannot be made or a JVM cannot be started
   */
  public static Map<Path, Run> runAll(List<Path> files, Duration timeoutPerFile, Options options)
      throws IOException {
    return runAll(files, Map.of(), timeoutPerFile, options);
  }

  /**
   * As {@link #runAll(List, Duration, Options)}, each file with its own {@code --input} where
   * {@code inputs} has one (files of different models batched into the same JVMs).
   *
   * @param inputs file -> its probe's {@code --input} (an .npz path or a seed); others take {@code
   *     options.input()}
   */
  public static Map<Path, Run> runAll(
      List<Path> files, Map<Path, String> inputs, Duration timeoutPerFile, Options options)
      throws IOException {
    Path work =
        options.workDir() != null
            ? Files.createDirectories(options.workDir())
            : Files.createTempDirectory("initkit-dl4j");
    List<Path> unique = new ArrayList<>(new java.util.LinkedHashSet<>(files));
    Map<Path, ProbeResult> plain =
        new Pool(work, timeoutPerFile, options, inputs, false).runAll(unique);
    List<Path> timedOut = new ArrayList<>();
    for (Path f : unique) {
      if (plain.get(f).status() == ProbeResult.Status.TIMED_OUT) {
        timedOut.add(f);
      }
    }
    Map<Path, ProbeResult> retried = Map.of();
    if (options.retryTimeoutsAvoidingDistributionInit() && !timedOut.isEmpty()) {
      retried = new Pool(work, timeoutPerFile, options, inputs, true).runAll(timedOut);
    }
    Map<Path, Run> out = new LinkedHashMap<>();
    for (Path f : unique) {
      out.put(f, new Run(plain.get(f), retried.get(f)));
    }
    return out;
  }

  /** One round of probes over a queue of files. */
  private static final class Pool {
    private final Path work;
    private final Duration timeout;
    private final Options options;
    private final boolean avoidDistributionInit;
    private final Deque<Integer> queue = new ArrayDeque<>();
    private final Map<Integer, ProbeResult> results = new ConcurrentHashMap<>();
    private List<Path> files;

    private final Map<Path, String> inputs;

    Pool(
        Path work,
        Duration timeout,
        Options options,
        Map<Path, String> inputs,
        boolean avoidDistributionInit) {
      this.inputs = Map.copyOf(inputs);
      this.work = work;
      this.timeout = timeout;
      this.options = options;
      this.avoidDistributionInit = avoidDistributionInit;
    }

    Map<Path, ProbeResult> runAll(List<Path> files) throws IOException {
      this.files = files;
      for (int i = 0; i < files.size(); i++) {
        queue.add(i);
      }
      int threads = Math.max(1, Math.min(options.parallelism(), files.size()));
      ExecutorService pool =
          Executors.newFixedThreadPool(
              threads,
              r -> {
                Thread t = new Thread(r, "dl4j-probe-launcher");
                t.setDaemon(true);
                return t;
              });
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          workers.add(
              pool.submit(
                  () -> {
                    work();
                    return null;
                  }));
        }
        for (Future<?> w : workers) {
          w.get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while probing", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof UncheckedIOException u) {
          throw u.getCause();
        }
        if (c instanceof IOException io) {
          throw io;
        }
        throw new IllegalStateException("probe launcher failed", c);
      } finally {
        pool.shutdownNow();
      }
      Map<Path, ProbeResult> out = new LinkedHashMap<>();
      for (int i = 0; i < files.size(); i++) {
        out.put(files.get(i), results.get(i));
      }
      return out;
    }

    private List<Integer> take() {
      synchronized (queue) {
        List<Integer> batch = new ArrayList<>();
        while (batch.size() < options.batchSize() && !queue.isEmpty()) {
          batch.add(queue.pollFirst());
        }
        return batch;
      }
    }

    private void giveBack(List<Integer> jobs) {
      synchronized (queue) {
        for (int i = jobs.size() - 1; i >= 0; i--) {
          queue.addFirst(jobs.get(i));
        }
      }
    }

    private void work() throws IOException {
      for (List<Integer> batch = take(); !batch.isEmpty(); batch = take()) {
        if (batch.size() == 1) {
          results.put(batch.get(0), alone(batch.get(0)));
          continue;
        }
        Launch l = launch(batch);
        if (l.cleanExit()
            || (l.timedOut && l.done == batch.size())) { // (or stuck after its last result)
          for (int k = 0; k < batch.size(); k++) {
            results.put(batch.get(k), l.result(k, false));
          }
        } else if (l.timedOut) {
          for (int k = 0; k < l.done; k++) {
            results.put(batch.get(k), l.result(k, false));
          }
          giveBack(batch.subList(l.done + 1, batch.size()));
          // a hang after other files may come from their heap corruption: confirm it alone, unless
          // DL4J hung where it always hangs
          boolean known = l.done == 0 || KNOWN_HANGS.stream().anyMatch(l.hangStack()::contains);
          results.put(
              batch.get(l.done), known ? l.result(l.done, false) : alone(batch.get(l.done)));
        } else {
          // died: every file it started is suspect (heap corruption shows up late): re-run each
          // alone
          int started = Math.min(l.done + 1, batch.size());
          giveBack(batch.subList(started, batch.size()));
          for (int k = 0; k < started; k++) {
            results.put(batch.get(k), alone(batch.get(k)));
          }
        }
      }
    }

    /**
     * One file alone in its JVM; a JVM that dies before its result is retried (DL4J's native heap
     * corruption makes crashes come and go), up to {@code options.crashRetries()} times.
     */
    private ProbeResult alone(int job) throws IOException {
      int died = 0;
      ProbeResult r = null;
      for (int attempt = 0; attempt <= options.crashRetries(); attempt++) {
        r = launch(List.of(job)).result(0, true);
        if (r.status() == ProbeResult.Status.CRASHED || r.crashedAfterResult()) {
          died++;
        }
        if (r.status() != ProbeResult.Status.CRASHED) {
          break;
        }
      }
      return r.withCrashes(died);
    }

    private Launch launch(List<Integer> jobs) throws IOException {
      Path dir =
          Files.createDirectories(
              work.resolve(
                  String.format(
                      Locale.ROOT,
                      "%s%04d",
                      avoidDistributionInit ? "w" : "p",
                      LAUNCHES.incrementAndGet())));
      List<String> lines = new ArrayList<>();
      List<Path> outs = new ArrayList<>();
      for (int k = 0; k < jobs.size(); k++) {
        Path out = dir.resolve(k + ".json");
        outs.add(out);
        Path f = files.get(jobs.get(k)).toAbsolutePath();
        if (f.toString().contains("\t") || f.toString().contains("\n")) {
          throw new IllegalArgumentException("file name with a tab or a line break: " + f);
        }
        String input = inputs.getOrDefault(files.get(jobs.get(k)), options.input());
        lines.add(f + "\t" + out + "\t" + (input == null ? "" : input));
      }
      Path list = dir.resolve("list.txt");
      Files.write(list, lines, StandardCharsets.UTF_8);
      List<String> args = new ArrayList<>();
      if (avoidDistributionInit) {
        args.add(Dl4jProbe.AVOID_DISTRIBUTION_INIT);
      }
      args.add("--batch");
      args.add(list.toString());
      long start = System.nanoTime();
      // several probe JVMs share the cores: ChildJvm keeps native math on one thread each
      try (ChildJvm.Child child =
          new ChildJvm(options.javaExecutable(), options.classPath(), options.jvmArgs())
              .start(
                  dir,
                  false,
                  Dl4jProbe.class.getName(),
                  args,
                  Redirect.to(dir.resolve("probe.log").toFile()),
                  null)) {
        return watch(child, jobs, outs, dir, start);
      }
    }

    private Launch watch(
        ChildJvm.Child child, List<Integer> jobs, List<Path> outs, Path dir, long start)
        throws IOException {
      Process p = child.process();
      Launch l = new Launch(dir, jobs.size(), outs);
      long fileStart = start;
      long limit = timeout.toNanos();
      try {
        while (true) {
          boolean exited = p.waitFor(50, TimeUnit.MILLISECONDS);
          while (l.done < jobs.size() && Files.exists(outs.get(l.done))) {
            l.done++;
            fileStart = System.nanoTime();
          }
          if (exited) {
            break;
          }
          if (System.nanoTime() - fileStart > limit) {
            l.timedOut = true;
            child.kill();
            break;
          }
        }
      } catch (InterruptedException e) {
        child.kill();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while probing", e);
      }
      while (l.done < jobs.size() && Files.exists(outs.get(l.done))) {
        l.done++;
      }
      l.exitCode = l.timedOut ? -1 : p.exitValue();
      l.lastFileMillis = (System.nanoTime() - fileStart) / 1_000_000;
      l.files = jobs.stream().map(files::get).toList();
      l.timeout = timeout;
      return l;
    }
  }

  /** One probe JVM's outcome. */
  private static final class Launch {
    final Path dir;
    final int size;
    final List<Path> outs;
    List<Path> files;
    Duration timeout;
    int done;
    boolean timedOut;
    int exitCode;
    long lastFileMillis;

    Launch(Path dir, int size, List<Path> outs) {
      this.dir = dir;
      this.size = size;
      this.outs = outs;
    }

    /** The last stack the watchdog wrote for the file in progress, or "". */
    String hangStack() {
      if (done >= size) {
        return "";
      }
      try {
        return Files.readString(
            Path.of(outs.get(done) + Dl4jProbe.STACK_SUFFIX), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }

    /** The innermost frames of the hang, DL4J/ND4J first. */
    String hangWhere() {
      List<String> frames =
          hangStack()
              .lines()
              .filter(l -> !l.isBlank())
              .map(l -> l.replaceFirst("^app//", ""))
              .toList();
      if (frames.isEmpty()) {
        return "";
      }
      // the innermost frame, then the frames below the ND4J op plumbing (the DL4J code that called
      // it)
      List<String> shown = new ArrayList<>(List.of(frames.get(0)));
      frames.stream()
          .skip(1)
          .filter(
              f ->
                  !f.contains("NativeOpExecutioner")
                      && !f.contains("Nd4j.exec")
                      && !f.startsWith("java."))
          .limit(4)
          .forEach(shown::add);
      return "; hung in " + String.join(" < ", shown);
    }

    boolean cleanExit() {
      return !timedOut && exitCode == 0 && done == size;
    }

    /** The result of the k-th file of this launch. */
    ProbeResult result(int k, boolean isolated) {
      Path file = files.get(k);
      if (k < done) {
        try {
          JsonNode j = JSON.readTree(outs.get(k).toFile());
          // a non-zero exit after the JSON counts against a file only when it was alone in its JVM
          int code = isolated ? exitCode : 0;
          return ProbeResult.fromJson(file, j, code, isolated, code != 0 ? crashInfo() : null);
        } catch (IOException e) {
          return ProbeResult.failed(
              file,
              ProbeResult.Status.PROBE_FAILED,
              exitCode,
              isolated,
              "unreadable probe result " + outs.get(k) + ": " + e.getMessage(),
              null,
              -1);
        }
      }
      if (k == done && timedOut) {
        return ProbeResult.failed(
            file,
            ProbeResult.Status.TIMED_OUT,
            -1,
            isolated,
            "DL4J did not finish within "
                + timeout.toSeconds()
                + " s (probe JVM killed)"
                + hangWhere(),
            null,
            lastFileMillis);
      }
      if (exitCode == 2 || exitCode == 3 || exitCode == 0) {
        return ProbeResult.failed(
            file,
            ProbeResult.Status.PROBE_FAILED,
            exitCode,
            isolated,
            "probe exited " + exitCode + " without a result: " + tail(log(), 5),
            null,
            lastFileMillis);
      }
      String info = crashInfo();
      return ProbeResult.failed(
          file,
          ProbeResult.Status.CRASHED,
          exitCode,
          isolated,
          "probe JVM died (exit code " + exitCode + ChildJvm.signalName(exitCode) + "): " + info,
          info,
          lastFileMillis);
    }

    private List<String> log() {
      try {
        return Files.readAllLines(dir.resolve("probe.log"), StandardCharsets.ISO_8859_1);
      } catch (IOException e) {
        return List.of();
      }
    }

    /**
     * The signal and the problematic frame from the JVM's error report, and the top Java frames
     * (from the probe's log when the JVM wrote no report).
     */
    String crashInfo() {
      return ChildJvm.crashReport(dir)
          .or(() -> ChildJvm.crashSummary(log()))
          .orElseGet(() -> "no JVM error report; log: " + tail(log(), 5));
    }

    private static String tail(List<String> lines, int n) {
      List<String> useful = new ArrayList<>();
      for (String l : lines) {
        if (!l.isBlank()
            && !l.startsWith("Warning: Versions of org.bytedeco")
            && !l.startsWith("SLF4J")) {
          useful.add(l.trim());
        }
      }
      return String.join(" | ", useful.subList(Math.max(0, useful.size() - n), useful.size()));
    }
  }

  /** For tests and tools: the files under a directory with one of the extensions, sorted. */
  public static List<Path> listFiles(Path dir, String... extensions) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(Files::isRegularFile)
          .forEach(
              p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                for (String e : extensions) {
                  if (n.endsWith(e)) {
                    out.add(p);
                    return;
                  }
                }
              });
    }
    Collections.sort(out);
    return out;
  }
}
