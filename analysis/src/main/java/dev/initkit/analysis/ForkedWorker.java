package dev.initkit.analysis;

import dev.initkit.Hint;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.internal.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

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
      ChildJvm jvm =
          ChildJvm.ofThisJvm(
              List.of("-XX:+UseSerialGC", "-Xss4m", "-Xmx2g", "-Djava.awt.headless=true"));
      return new Launch(jvm.javaExecutable(), jvm.classPath(), jvm.jvmArgs(), timeout);
    }

    ChildJvm jvm() {
      return new ChildJvm(javaExecutable, classPath, jvmArgs);
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
      try (ChildJvm.Child child =
          launch
              .jvm()
              .start(
                  dir,
                  true,
                  Dl4jWorker.class.getName(),
                  List.of(req.toString(), res.toString()),
                  Redirect.to(dir.resolve("stdout.log").toFile()),
                  Redirect.PIPE)) {
        Deque<String> tail = new ArrayDeque<>();
        Thread reader =
            new Thread(() -> pump(child.process(), tail, progress), "dl4j-worker-stderr");
        reader.setDaemon(true);
        reader.start();
        boolean finished = child.waitFor(launch.timeout().toMillis());
        if (!finished) {
          child.kill();
        }
        try {
          reader.join(2000);
        } catch (InterruptedException e) {
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
          String detail = child.crashReport().orElse(null);
          if (detail == null) {
            synchronized (tail) {
              detail = tail.peekLast();
            }
          }
          throw new UnsupportedModelException(
              model,
              "",
              engine
                  + " crashed its JVM ("
                  + child.exitDescription()
                  + ")"
                  + (detail == null ? "" : ": " + detail));
        }
      }
      WorkerResult r = WorkerJson.MAPPER.readValue(res.toFile(), WorkerResult.class);
      if (r.error() != null) {
        if (WorkerResult.DATA.equals(r.errorKind())) {
          Path named = data == null ? model : data;
          String msg =
              request.data() == null ? r.error() : stripFile(r.error(), Path.of(request.data()));
          throw new MalformedModelException(named, "", msg, r.errorHints().toArray(Hint[]::new));
        }
        throw new UnsupportedModelException(
            model, "", r.error(), r.errorHints().toArray(Hint[]::new));
      }
      return r;
    } finally {
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
}
