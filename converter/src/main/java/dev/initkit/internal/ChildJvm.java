package dev.initkit.internal;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The one way initkit starts a child JVM for native code that may crash or hang (DL4J): the command
 * line, single-threaded native math, a crash report in the child's directory, killing the child and
 * its descendants, and killing every live child when this JVM is stopped (Ctrl-C, SIGTERM), since a
 * child outliving its parent would go on writing into a directory the parent deletes (a scratch
 * directory made by {@link AtomicFiles#createScratchDirectory} is then deleted too). Callers keep
 * their own protocol (request and result files, batches, retries).
 *
 * @param javaExecutable the {@code java} binary
 * @param classPath the child's class path
 * @param jvmArgs JVM flags, before the main class
 */
public record ChildJvm(String javaExecutable, String classPath, List<String> jvmArgs) {
  /**
   * The running children, each with the scratch directory to delete if this JVM stops (or null).
   */
  private static final Map<Process, Optional<Path>> LIVE = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ChildJvm::stopAll, "initkit-child-jvm-stop"));
  }

  public ChildJvm {
    Objects.requireNonNull(javaExecutable, "javaExecutable");
    Objects.requireNonNull(classPath, "classPath");
    jvmArgs = List.copyOf(jvmArgs);
  }

  /**
   * This JVM's {@code java} and class path, with the given flags. Under Surefire the class path is
   * {@code surefire.test.class.path} (its {@code java.class.path} may be a manifest-only jar), and
   * on the module path the module path joins it: a child runs everything from the class path.
   */
  public static ChildJvm ofThisJvm(List<String> jvmArgs) {
    List<String> parts = new ArrayList<>();
    String surefire = System.getProperty("surefire.test.class.path");
    if (surefire != null && !surefire.isBlank()) {
      parts.add(surefire);
    } else {
      for (String key : List.of("jdk.module.path", "java.class.path")) {
        String v = System.getProperty(key);
        if (v != null && !v.isBlank()) {
          parts.add(v);
        }
      }
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ChildJvm(java, String.join(File.pathSeparator, parts), jvmArgs);
  }

  /** The same JVM with another class path. */
  public ChildJvm withClassPath(String cp) {
    return new ChildJvm(javaExecutable, cp, jvmArgs);
  }

  /** The same JVM with other flags. */
  public ChildJvm withJvmArgs(List<String> args) {
    return new ChildJvm(javaExecutable, classPath, args);
  }

  /**
   * Starts {@code mainClass} with {@code args} in {@code dir}, its working directory, where the
   * JVM's fatal error report ({@code hs_err_<pid>.log}) goes. Native math runs on one thread: the
   * same numbers on every run and machine, and parallel children do not oversubscribe.
   *
   * @param scratch true when {@code dir} is a scratch directory of the caller's, to be deleted with
   *     the child if this JVM is stopped while it runs
   * @param out where the child's stdout goes
   * @param err where its stderr goes ({@link Redirect#PIPE} to read it, or {@code null} to merge it
   *     into stdout)
   * @return the running child; close it when done (kills it if it still runs)
   * @throws IOException the JVM cannot be started
   */
  public Child start(
      Path dir, boolean scratch, String mainClass, List<String> args, Redirect out, Redirect err)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable);
    cmd.addAll(jvmArgs);
    cmd.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out);
    if (err == null) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(err);
    }
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    Process p = pb.start();
    LIVE.put(p, scratch ? Optional.of(dir) : Optional.empty());
    return new Child(p, dir);
  }

  /** A running child JVM; closing it kills what still runs and forgets it. */
  public static final class Child implements AutoCloseable {
    private final Process process;
    private final Path dir;

    private Child(Process process, Path dir) {
      this.process = process;
      this.dir = dir;
    }

    public Process process() {
      return process;
    }

    /**
     * Waits up to {@code millis} for the child to exit.
     *
     * @return true when it exited
     * @throws InterruptedIOException interrupted: the child is killed
     */
    public boolean waitFor(long millis) throws InterruptedIOException {
      try {
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        kill();
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while a child JVM ran");
      }
    }

    /** Kills the child and its descendants, and waits a little for them to go. */
    public void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** The exit code; the child must have exited. */
    public int exitValue() {
      return process.exitValue();
    }

    /** "exit code 139, SIGSEGV" and the like; the child must have exited. */
    public String exitDescription() {
      int code = process.exitValue();
      return "exit code " + code + signalName(code);
    }

    /** The signal and problematic frame of the child's JVM error report, if it wrote one. */
    public Optional<String> crashReport() {
      return ChildJvm.crashReport(dir);
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        kill();
      }
      LIVE.remove(process);
    }
  }

  /** ", SIGSEGV" and the like for an exit code above 128, else empty. */
  public static String signalName(int code) {
    switch (code) {
      case 134:
        return ", SIGABRT: the JVM's fatal error handler, usually after SIGSEGV";
      case 137:
        return ", SIGKILL";
      case 139:
        return ", SIGSEGV";
      default:
        return code > 128 ? ", signal " + (code - 128) : "";
    }
  }

  /**
   * The signal, problematic frame and innermost Java frames of the JVM error report ({@code
   * hs_err_*}) in {@code dir}, if there is one.
   */
  public static Optional<String> crashReport(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      Path report =
          s.filter(f -> f.getFileName().toString().startsWith("hs_err_")).findFirst().orElse(null);
      return report == null
          ? Optional.empty()
          : crashSummary(Files.readAllLines(report, StandardCharsets.ISO_8859_1));
    } catch (IOException | java.io.UncheckedIOException e) {
      return Optional.empty(); // no report to read: the exit code says what is known
    }
  }

  /**
   * "SIGSEGV (0xb) at pc=...; in [frame]; java a &lt; b &lt; c" from the lines of a JVM error
   * report (or of a log that holds one), if they have any of it.
   */
  public static Optional<String> crashSummary(List<String> lines) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.matches("#\\s+(SIGSEGV|SIGBUS|SIGILL|SIGFPE|SIGABRT|Internal Error).*")) {
        parts.add(l.replaceFirst("^#\\s+", "").replaceAll(", pid=.*", ""));
      } else if (l.startsWith("# Problematic frame:") && i + 1 < lines.size()) {
        parts.add("in " + lines.get(i + 1).replaceFirst("^#\\s+", ""));
      } else if (l.startsWith("Java frames:")) {
        List<String> frames = new ArrayList<>();
        for (int j = i + 1; j < lines.size() && frames.size() < 3 && !lines.get(j).isBlank(); j++) {
          frames.add(
              lines.get(j).replaceFirst("^[jJ]\\s+", "").replaceAll("\\+0x[0-9a-f]+.*|\\(L.*", ""));
        }
        parts.add("java " + String.join(" < ", frames));
        break;
      }
    }
    return parts.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", parts));
  }

  private static void stopAll() {
    LIVE.forEach(
        (p, dir) -> {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          try {
            p.waitFor(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          dir.ifPresent(AtomicFiles::deleteScratch);
        });
  }
}
