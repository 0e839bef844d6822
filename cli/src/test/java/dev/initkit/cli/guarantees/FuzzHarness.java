package dev.initkit.cli.guarantees;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.cli.Cli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Runs fuzz inputs through {@link FuzzChild} JVMs and turns everything that goes wrong into {@link
 * Finding}s: a JVM that dies (a native crash included), an input that takes longer than the
 * per-input timeout, a child whose resident memory passes a limit, an {@link OutOfMemoryError}
 * under the small heap, anything printed on the child's real stderr, and the problems the child
 * itself reports (see {@link FuzzChild}).
 *
 * <p>Inputs run in batches, many per JVM. When a JVM dies in a batch, the input it was working on
 * is run again alone in a fresh JVM to tell a reproducible crash from one that needs the earlier
 * inputs, and the rest of the batch goes on in another JVM.
 */
public final class FuzzHarness {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One input: a file or directory, and how it was made (for the report). */
  public record Input(String id, Path path, String origin) {}

  /**
   * Something that broke a promise.
   *
   * @param kind crash, hang, memory, oom, problem, stderr, batch-crash, changed-input
   */
  public record Finding(String kind, Input input, String detail) {
    @Override
    public String toString() {
      return kind
          + "\t"
          + (input == null ? "-" : input.id() + "\t" + input.path() + "\t" + input.origin())
          + "\t"
          + detail;
    }
  }

  /** Settings. */
  public record Options(
      int batchSize,
      int perInputSeconds,
      int parallel,
      String heap,
      long rssLimitMb,
      Path runDir) {}

  /** What happened to one input that ran to its end. */
  public record Outcome(Input input, JsonNode result) {}

  private final Options options;
  private final List<Finding> findings = Collections.synchronizedList(new ArrayList<>());
  private final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger childCounter = new AtomicInteger();
  private final AtomicInteger childrenStarted = new AtomicInteger();

  private String classPath;

  private final List<String> childProperties = new ArrayList<>();

  public FuzzHarness(Options options) {
    this.options = options;
  }

  /** Passes {@code -Dkey=value} to every child JVM. */
  public FuzzHarness childProperty(String key, String value) {
    childProperties.add("-D" + key + "=" + value);
    return this;
  }

  /**
   * A private copy of this JVM's class path for the children: a build running meanwhile (another
   * {@code mvn install}) must not swap classes or jars under a long fuzz run.
   */
  private synchronized String classPath() throws IOException {
    if (classPath != null) {
      return classPath;
    }
    Path root = Files.createDirectories(options.runDir().resolve("classpath"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path src = Path.of(e);
      if (!Files.exists(src)) {
        continue;
      }
      Path dst = root.resolve(i++ + "-" + src.getFileName());
      if (Files.isDirectory(src)) {
        Cli.copyTree(src, dst);
      } else {
        Files.copy(src, dst);
      }
      entries.add(dst.toString());
    }
    classPath = String.join(java.io.File.pathSeparator, entries);
    return classPath;
  }

  public List<Finding> findings() {
    return List.copyOf(findings);
  }

  public List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  public int childrenStarted() {
    return childrenStarted.get();
  }

  /** Runs every input; returns when all are done (or {@code deadlineNanos} passed). */
  public void run(List<Input> inputs, long deadlineNanos) throws Exception {
    ConcurrentLinkedDeque<Job> jobs = new ConcurrentLinkedDeque<>();
    for (int i = 0; i < inputs.size(); i += options.batchSize()) {
      jobs.add(new Job(inputs.subList(i, Math.min(inputs.size(), i + options.batchSize())), false));
    }
    List<Thread> workers = new ArrayList<>();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    for (int w = 0; w < options.parallel(); w++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  Job job;
                  while ((job = jobs.poll()) != null) {
                    if (System.nanoTime() > deadlineNanos) {
                      break;
                    }
                    for (Job next : runJob(job)) {
                      if (next.single()) {
                        jobs.addFirst(next);
                      } else {
                        jobs.add(next);
                      }
                    }
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              },
              "fuzz-worker-" + w);
      t.start();
      workers.add(t);
    }
    for (Thread t : workers) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("fuzz harness failed", errors.get(0));
    }
  }

  private record Job(List<Input> inputs, boolean single) {}

  /** Runs one child over a job; returns follow-up jobs (isolation runs, the rest of a batch). */
  private List<Job> runJob(Job job) throws Exception {
    int n = childCounter.incrementAndGet();
    Path dir = options.runDir().resolve("child-" + n);
    Files.createDirectories(dir);
    Path jtmp = Files.createDirectories(dir.resolve("jtmp"));
    Path work = Files.createDirectories(dir.resolve("work"));
    Path list = dir.resolve("inputs.tsv");
    StringBuilder sb = new StringBuilder();
    Map<String, Input> byId = new LinkedHashMap<>();
    for (Input in : job.inputs()) {
      sb.append(in.id()).append('\t').append(in.path()).append('\n');
      byId.put(in.id(), in);
    }
    Files.writeString(list, sb.toString(), StandardCharsets.UTF_8);
    Path stderr = dir.resolve("stderr.txt");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx" + options.heap(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:MaxDirectMemorySize=128m",
                "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                "-Djava.io.tmpdir=" + jtmp,
                "-Duser.language=de",
                "-Duser.country=DE"));
    cmd.addAll(childProperties);
    cmd.addAll(
        List.of("-cp", classPath(), FuzzChild.class.getName(), list.toString(), work.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
    childrenStarted.incrementAndGet();
    Process p = pb.start();
    p.getOutputStream().close();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  lines.add(l);
                }
              } catch (IOException e) {
                // the child died; EOF below
              } finally {
                lines.add("\u0000EOF");
              }
            },
            "fuzz-reader-" + n);
    reader.setDaemon(true);
    reader.start();

    Input inflight = null;
    String killedFor = null;
    long peakRssMb = 0;
    List<Input> done = new ArrayList<>();
    // JVM start and the native library load take seconds on a busy machine
    long startupMs = TimeUnit.SECONDS.toMillis(Math.max(120, options.perInputSeconds()));
    long perInputMs = TimeUnit.SECONDS.toMillis(options.perInputSeconds());
    long deadline = System.currentTimeMillis() + startupMs;
    while (true) {
      long now = System.currentTimeMillis();
      if (now > deadline) {
        killedFor = "hang";
        break;
      }
      String l = lines.poll(Math.min(250, deadline - now), TimeUnit.MILLISECONDS);
      long rss = rssMb(p.pid());
      peakRssMb = Math.max(peakRssMb, rss);
      if (rss > options.rssLimitMb()) {
        killedFor = "memory";
        break;
      }
      if (l == null) {
        continue;
      }
      if (l.equals("\u0000EOF")) {
        break;
      }
      if (l.startsWith("BEGIN ")) {
        inflight = byId.get(l.substring(6));
        deadline = System.currentTimeMillis() + perInputMs;
      } else if (l.startsWith("END ")) {
        String rest = l.substring(4);
        String id = rest.substring(0, rest.indexOf(' '));
        JsonNode result = JSON.readTree(rest.substring(rest.indexOf(' ') + 1));
        Input in = byId.get(id);
        done.add(in);
        outcomes.add(new Outcome(in, result));
        for (JsonNode problem : result.path("problems")) {
          String text = problem.asText();
          findings.add(
              new Finding(text.startsWith("OutOfMemoryError") ? "oom" : "problem", in, text));
        }
        inflight = null;
        deadline = System.currentTimeMillis() + perInputMs;
      }
    }
    if (killedFor != null) {
      p.destroyForcibly();
    }
    p.waitFor(60, TimeUnit.SECONDS);
    int exit = p.isAlive() ? -1 : p.exitValue();
    attributeStderr(stderr, byId);

    List<Job> next = new ArrayList<>();
    List<Input> rest = new ArrayList<>(job.inputs());
    rest.removeAll(done);
    if (inflight != null) {
      rest.remove(inflight);
    }
    boolean finished = killedFor == null && inflight == null && rest.isEmpty();
    if (killedFor != null) {
      Input culprit = inflight;
      String detail =
          killedFor.equals("hang")
              ? (culprit == null
                  ? "child did not start within " + startupMs / 1000 + " s"
                  : "no result within " + options.perInputSeconds() + " s")
              : "resident memory passed " + options.rssLimitMb() + " MB";
      findings.add(new Finding(killedFor, culprit, detail));
    } else if (!finished && exit != FuzzChild.EXIT_AFTER_OOM) {
      String crash = "child JVM exited with " + exit + hsErr(dir);
      if (inflight == null && done.isEmpty()) {
        // it never got to an input: running the batch again would fail the same way
        findings.add(
            new Finding(
                "crash",
                null,
                crash
                    + " before its first input; stderr: "
                    + (Files.exists(stderr)
                        ? abbreviate(Files.readString(stderr, StandardCharsets.ISO_8859_1))
                        : "")));
        return next;
      }
      if (inflight == null) {
        findings.add(
            new Finding("crash", null, crash + " between inputs of " + job.inputs().size()));
      } else if (job.single()) {
        findings.add(new Finding("crash", inflight, crash));
      } else {
        // isolate: the in-flight input alone, in a fresh JVM
        next.add(new Job(List.of(inflight), true));
        findings.add(
            new Finding("batch-crash", inflight, crash + " (in a batch; re-run alone to isolate)"));
      }
    } else if (exit != 0 && exit != FuzzChild.EXIT_AFTER_OOM && !job.single()) {
      findings.add(new Finding("crash", null, "child JVM exited with " + exit + hsErr(dir)));
    }
    if (!rest.isEmpty()) {
      next.add(new Job(rest, job.single() && rest.size() == 1));
    }
    if (finished && exit == 0) {
      deleteQuietly(dir);
    } else {
      keepCrashReport(dir);
    }
    return next;
  }

  /** Copies a crashed child's JVM error report into the report directory. */
  private void keepCrashReport(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (p.getFileName().toString().startsWith("hs_err_")) {
          Path dst = options.runDir().resolve("hs_err");
          Files.createDirectories(dst);
          Files.copy(
              p, dst.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
      FuzzChild.deleteTree(dir.resolve("work"));
    } catch (IOException e) {
      // best effort
    }
  }

  /** Anything on the child's stderr between an input's markers belongs to that input. */
  private void attributeStderr(Path stderr, Map<String, Input> byId) throws IOException {
    if (!Files.exists(stderr)) {
      return;
    }
    Input current = null;
    StringBuilder outside = new StringBuilder();
    Map<Input, StringBuilder> text = new LinkedHashMap<>();
    for (String l : Files.readAllLines(stderr, StandardCharsets.ISO_8859_1)) {
      if (l.startsWith("@@BEGIN ")) {
        current = byId.get(l.substring(8));
      } else if (l.startsWith("@@END ")) {
        current = null;
      } else if (current != null) {
        text.computeIfAbsent(current, k -> new StringBuilder()).append(l).append('\n');
      } else if (!l.isBlank()) {
        outside.append(l).append('\n');
      }
    }
    text.forEach(
        (in, t) ->
            findings.add(
                new Finding(
                    t.indexOf("\tat ") >= 0 ? "stacktrace" : "stderr",
                    in,
                    abbreviate(t.toString()))));
    String o = outside.toString();
    // a JVM crash report is already a crash finding
    if (!o.isBlank() && !o.contains("A fatal error has been detected")) {
      findings.add(new Finding("stderr", null, abbreviate(o)));
    }
  }

  private static String hsErr(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().startsWith("hs_err_")) {
          StringBuilder sb = new StringBuilder();
          for (String l : Files.readAllLines(p, StandardCharsets.ISO_8859_1)) {
            if (l.startsWith("# SIG")
                || l.startsWith("# Problematic frame")
                || l.startsWith("# C  [")
                || l.startsWith("# J ")
                || l.startsWith("# V  [")
                || l.startsWith("#  Out of Memory")) {
              sb.append(' ').append(l.substring(1).trim());
            }
          }
          return ": " + sb.toString().trim() + " (" + p + ")";
        }
      }
    }
    return "";
  }

  /** Resident set size of a process in MB (0 when gone). */
  static long rssMb(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("\\D+", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return 0;
  }

  private static String abbreviate(String s) {
    s = s.strip().replace('\n', '|');
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }

  private static void deleteQuietly(Path dir) {
    try {
      FuzzChild.deleteTree(dir);
    } catch (IOException e) {
      // a report directory left over is harmless
    }
  }
}
