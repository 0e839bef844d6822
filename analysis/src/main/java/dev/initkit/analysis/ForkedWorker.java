package dev.initkit.analysis;

import dev.initkit.Hint;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs {@link Dl4jWorker} in a child JVM with this JVM's class path and a time limit, and turns a
 * crash, a hang or a DL4J failure into one exception: {@link UnsupportedModelException} (exit code
 * 4) naming the model file for what DL4J cannot import or run, crashes and timeouts included;
 * {@link MalformedModelException} naming the data file for unreadable data. Progress lines of the
 * child are passed on. Thread-safe; each call uses its own temporary directory, deleted afterwards.
 */
public final class ForkedWorker {
  /**
   * How to start the child.
   *
   * @param javaExecutable the {@code java} binary
   * @param classPath the class path (this module, the converter, DL4J, ND4J)
   * @param jvmArgs extra JVM flags
   * @param timeout the time limit of the whole task, after which the child is killed
   */
  public record Launch(
      String javaExecutable, String classPath, List<String> jvmArgs, Duration timeout) {
    public Launch {
      Objects.requireNonNull(javaExecutable, "javaExecutable");
      Objects.requireNonNull(classPath, "classPath");
      jvmArgs = List.copyOf(jvmArgs);
      Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * This JVM's java and class path (Surefire's {@code surefire.test.class.path} when set: its
     * {@code java.class.path} may be a manifest-only jar), 2 GiB of heap, the given time limit.
     */
    public static Launch defaults(Duration timeout) {
      String cp = System.getProperty("surefire.test.class.path");
      if (cp == null || cp.isBlank()) {
        cp = System.getProperty("java.class.path");
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      return new Launch(
          java,
          cp,
          List.of("-XX:+UseSerialGC", "-Xss4m", "-Xmx2g", "-Djava.awt.headless=true"),
          timeout);
    }
  }

  private ForkedWorker() {}

  /**
   * Runs one request.
   *
   * @param model the user's model file, named in errors
   * @param data the user's data file as given, named in errors about it; may be null
   * @param progress receives the child's progress lines (called from another thread)
   * @return the result, never an error result
   * @throws UnsupportedModelException DL4J cannot import or run the model, crashed or timed out
   * @throws MalformedModelException the data cannot be used
   * @throws IOException the child cannot be started
   */
  public static WorkerResult run(
      WorkerRequest request, Path model, Path data, Launch launch, Consumer<String> progress)
      throws IOException {
    Path dir = dev.initkit.internal.AtomicFiles.createScratchDirectory("initkit-analysis");
    String engine =
        WorkerRequest.Engine.TENSORFLOW.id().equals(request.engine()) ? "TensorFlow" : "DL4J";
    try {
      Path req = dir.resolve("request.json");
      Path res = dir.resolve("result.json");
      WorkerJson.MAPPER.writeValue(req.toFile(), request);
      List<String> cmd = new ArrayList<>();
      cmd.add(launch.javaExecutable());
      cmd.addAll(launch.jvmArgs());
      cmd.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
      cmd.add("-cp");
      cmd.add(launch.classPath());
      cmd.add(Dl4jWorker.class.getName());
      cmd.add(req.toString());
      cmd.add(res.toString());
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .directory(dir.toFile())
              .redirectOutput(dir.resolve("stdout.log").toFile());
      pb.environment().put("OMP_NUM_THREADS", "1"); // the same numerics on every run and machine
      pb.environment().put("OPENBLAS_NUM_THREADS", "1");
      Process p = pb.start();
      Workers.started(p, dir);
      Deque<String> tail = new ArrayDeque<>();
      Thread reader = new Thread(() -> pump(p, tail, progress), "dl4j-worker-stderr");
      reader.setDaemon(true);
      reader.start();
      boolean finished;
      try {
        finished = p.waitFor(launch.timeout().toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          p.waitFor(30, TimeUnit.SECONDS);
        }
        reader.join(2000);
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while " + engine + " ran");
      }
      if (!finished) {
        throw new UnsupportedModelException(
            model,
            "",
            engine
                + " did not finish within "
                + launch.timeout().toSeconds()
                + " s (its JVM was killed); a larger model may need a longer "
                + Hint.TIMEOUT.apiName(),
            Hint.TIMEOUT);
      }
      if (!Files.exists(res)) {
        throw new UnsupportedModelException(
            model,
            "",
            engine
                + " crashed its JVM (exit code "
                + p.exitValue()
                + signal(p.exitValue())
                + ")"
                + crashInfo(dir, tail));
      }
      WorkerResult r = WorkerJson.MAPPER.readValue(res.toFile(), WorkerResult.class);
      if (r.error() != null) {
        if (WorkerResult.DATA.equals(r.errorKind())) {
          Path named = data == null ? model : data;
          String msg =
              request.data() == null ? r.error() : stripFile(r.error(), Path.of(request.data()));
          throw new MalformedModelException(named, "", msg, Hint.namedIn(msg).toArray(Hint[]::new));
        }
        throw new UnsupportedModelException(
            model, "", r.error(), Hint.namedIn(r.error()).toArray(Hint[]::new));
      }
      return r;
    } finally {
      Workers.finished(dir);
      dev.initkit.internal.AtomicFiles.deleteScratch(dir);
    }
  }

  private static String stripFile(String message, Path file) {
    String prefix = file + ": ";
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }

  private static void pump(Process p, Deque<String> tail, Consumer<String> progress) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith(Dl4jWorker.PROGRESS)) {
          progress.accept(line.substring(Dl4jWorker.PROGRESS.length()));
        } else {
          synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > 40) {
              tail.removeFirst();
            }
          }
        }
      }
    } catch (IOException e) {
      // the child died: its exit code tells the rest
    }
  }

  private static String signal(int code) {
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
   * The signal and problematic frame from the JVM's error report, else the last line of its stderr.
   */
  private static String crashInfo(Path dir, Deque<String> tail) {
    try (Stream<Path> s = Files.list(dir)) {
      Path report =
          s.filter(f -> f.getFileName().toString().startsWith("hs_err_")).findFirst().orElse(null);
      if (report != null) {
        List<String> lines = Files.readAllLines(report, StandardCharsets.ISO_8859_1);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
          String l = lines.get(i);
          if (l.matches("#\\s+(SIGSEGV|SIGBUS|SIGILL|SIGFPE|SIGABRT|Internal Error).*")) {
            parts.add(l.replaceFirst("^#\\s+", "").replaceAll(", pid=.*", ""));
          } else if (l.startsWith("# Problematic frame:") && i + 1 < lines.size()) {
            parts.add("in " + lines.get(i + 1).replaceFirst("^#\\s+", ""));
          }
        }
        if (!parts.isEmpty()) {
          return ": " + String.join(" ", parts);
        }
      }
    } catch (IOException e) {
      // fall back to stderr
    }
    synchronized (tail) {
      return tail.isEmpty() ? "" : ": " + tail.peekLast();
    }
  }

  /**
   * The worker JVMs running now: a process stopped while one runs (Ctrl-C, SIGTERM) kills it on the
   * way out and deletes its directory, which it would otherwise go on writing into.
   */
  private static final class Workers {
    private static final java.util.Map<Path, Process> LIVE =
        new java.util.concurrent.ConcurrentHashMap<>();

    static {
      Runtime.getRuntime().addShutdownHook(new Thread(Workers::stopAll, "initkit-worker-stop"));
    }

    static void started(Process p, Path dir) {
      LIVE.put(dir, p);
    }

    static void finished(Path dir) {
      LIVE.remove(dir);
    }

    private static void stopAll() {
      LIVE.forEach(
          (dir, p) -> {
            p.destroyForcibly();
            try {
              p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            dev.initkit.internal.AtomicFiles.deleteScratch(dir);
          });
    }
  }
}
