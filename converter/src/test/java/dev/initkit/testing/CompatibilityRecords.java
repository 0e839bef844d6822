package dev.initkit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Appends what a truth test found, one JSON line per case, to {@code <dir>/<suite>-<stack>.jsonl},
 * from which {@code scripts/compatibility.py} writes {@code docs/COMPATIBILITY.md}. {@code <dir>}
 * is the system property {@code initkit.compatibility.dir} (the poms' failsafe config: {@code <repo
 * root>/target/compatibility}), else {@code target/compatibility} under the working directory. Each
 * test run truncates its own file first ({@link #open}), so a file holds one run.
 *
 * <p>One line (a JSON object; null fields are left out):
 *
 * <ul>
 *   <li>{@code suite}: the test that measured it ({@code keras-interop}, {@code dl4j-for}, {@code
 *       corpus-keras}, {@code corpus-dl4j}, {@code savedmodel})
 *   <li>{@code model}: the model's name ({@code mlp}, {@code keras-3.12.0/Dense}) or corpus path
 *   <li>{@code source}: the original file converted ({@code keras3.keras}, {@code keras3.h5},
 *       {@code tfkeras.h5}, or the corpus path)
 *   <li>{@code generation}: the Keras generation that wrote it: {@code Keras 1}, {@code Keras 2},
 *       {@code tf.keras} (TF 2.x's bundled Keras, tf-keras), {@code Keras 3}; {@code version} its
 *       {@code keras_version}
 *   <li>{@code runtime}: the target: {@code keras3}, {@code tf-keras}, {@code dl4j}, {@code
 *       tensorflow} ({@code TargetRuntime#cliName})
 *   <li>{@code stack}: what loaded the output, with versions ({@code keras 3.12.0 / tf-keras
 *       2.20.1}, {@code DL4J 1.0.0-M2.1})
 *   <li>{@code verdict}: one of {@link Verdict}'s names
 *   <li>{@code max_diff}: the largest |out - ref| / max(1, |ref|) against Keras's prediction on the
 *       original; {@code tolerance}: the bound it was held to
 *   <li>{@code reason}: for a refusal initkit's one line; for a failure or an unverified case what
 *       went wrong
 * </ul>
 *
 * <p>A suite records its cases like this (the {@code tensorflow} column, for a SavedModel test):
 *
 * <pre>{@code
 * try (CompatibilityRecords rec = CompatibilityRecords.open("savedmodel", "pinned",
 *     CompatibilityRecords.kerasStack(python))) {      // or "TensorFlow 2.20.0 (Python)", "TF Java 1.1.0"
 *   rec.add("mlp", "keras3.keras", "Keras 3", "3.12.0", "tensorflow",
 *       Verdict.LOADS_AND_PREDICTS, maxDiff, 1e-5, null);
 *   rec.add("lstm", "tfkeras.h5", "tf.keras", "2.20.1", "tensorflow",
 *       Verdict.REFUSED, Double.NaN, Double.NaN, CompatibilityRecords.refusal(e));
 * }
 * }</pre>
 *
 * and {@code scripts/compatibility.sh} runs the suite ({@code -Dit.test=...}, {@code -pl ...})
 * before {@code scripts/compatibility.py}, which knows the suite names of its section titles
 * ({@code SUITES}; an unknown suite gets a section under its own name).
 *
 * <p>Not thread-safe per instance; each suite and stack writes its own file.
 */
public final class CompatibilityRecords implements AutoCloseable {
  /** What happened to one case. */
  public enum Verdict {
    /** The runtime loads initkit's output and predicts what Keras predicts on the original. */
    LOADS_AND_PREDICTS("loads-and-predicts"),
    /**
     * Loads, but predicts otherwise where initkit warned that it would ({@code convert}'s warning:
     * an activation the target generation defines differently, e.g. Keras 2's hard_sigmoid in Keras
     * 3); {@code reason} has the warning and {@code max_diff} the measured change.
     */
    CHANGED_AS_WARNED("changed-as-warned"),
    /** initkit refused before writing (one line naming layer, key and value). */
    REFUSED("refused-before-writing"),
    /** No Keras here loads the original, so nothing to compare with; {@code reason} says why. */
    UNVERIFIED("unverified"),
    /** Not a model initkit can make runnable (weights only, config only, not a Keras file). */
    NOT_A_MODEL("not-a-model"),
    /** Written, but the runtime does not load it or predicts otherwise: a bug (the test fails). */
    FAILS("fails");

    private final String text;

    Verdict(String text) {
      this.text = text;
    }

    /** The name written to the JSON line. */
    public String text() {
      return text;
    }
  }

  private final Path file;
  private final String suite;
  private final String stack;

  private CompatibilityRecords(Path file, String suite, String stack) {
    this.file = file;
    this.suite = suite;
    this.stack = stack;
  }

  /**
   * Starts the file of one suite under one stack, emptying what an earlier run left.
   *
   * @param suite the test's short name
   * @param stackKey a file-name-safe key of the stack ({@code pinned}, {@code newest}, {@code
   *     dl4j})
   * @param stack the stack as shown ({@link #kerasStack})
   */
  public static CompatibilityRecords open(String suite, String stackKey, String stack) {
    Path dir = Path.of(System.getProperty("initkit.compatibility.dir", "target/compatibility"));
    Path file = dir.resolve(suite + "-" + stackKey + ".jsonl");
    try {
      Files.createDirectories(dir);
      Files.writeString(file, "", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new CompatibilityRecords(file, suite, stack);
  }

  /** Where the lines go. */
  public Path file() {
    return file;
  }

  /**
   * Appends one case; {@code maxDiff} and {@code tolerance} NaN and {@code reason} null when not
   * known.
   */
  public void add(
      String model,
      String source,
      String generation,
      String version,
      String runtime,
      Verdict verdict,
      double maxDiff,
      double tolerance,
      String reason) {
    ObjectNode o = TestFiles.JSON.createObjectNode();
    o.put("suite", suite);
    o.put("model", model);
    o.put("source", source);
    o.put("generation", generation);
    if (version != null) {
      o.put("version", version);
    }
    o.put("runtime", runtime);
    o.put("stack", stack);
    o.put("verdict", verdict.text());
    if (!Double.isNaN(maxDiff)) {
      o.put("max_diff", maxDiff);
    }
    if (!Double.isNaN(tolerance)) {
      o.put("tolerance", tolerance);
    }
    if (reason != null) {
      o.put("reason", reason.replace('\n', ' '));
    }
    try {
      Files.writeString(
          file,
          TestFiles.JSON.writeValueAsString(o) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    // every line is written as it comes: nothing buffered
  }

  /**
   * The generation a {@code keras_version} belongs to: {@code 1.x} Keras 1, {@code 2.x-tf} and TF's
   * 2.4+ versions tf.keras (a Keras 2 of 2.4 or later was tf.keras's), other {@code 2.x} Keras 2,
   * {@code 3.x} Keras 3.
   */
  public static String generation(String kerasVersion) {
    String v = kerasVersion == null ? "" : kerasVersion.trim();
    if (v.startsWith("1.")) {
      return "Keras 1";
    }
    if (v.startsWith("3.")) {
      return "Keras 3";
    }
    if (v.startsWith("2.")) {
      String[] p = v.split("[.-]");
      boolean tf =
          v.endsWith("-tf")
              || (p.length > 1 && p[1].matches("\\d+") && Integer.parseInt(p[1]) >= 4);
      return tf ? "tf.keras" : "Keras 2";
    }
    return "unknown";
  }

  /** "keras X / tf-keras Y" of a Python interpreter, from its installed package metadata. */
  public static String kerasStack(String python) {
    String code =
        "from importlib.metadata import version as v; print('keras ' + v('keras') + ' / tf-keras ' + v('tf-keras'))";
    try {
      Process p = new ProcessBuilder(python, "-c", code).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "python " + python;
    } catch (IOException e) {
      return "python " + python;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "python " + python;
    }
  }

  /** initkit's refusal line without the file: {@code <location>: <detail>}. */
  public static String refusal(dev.initkit.ModelFormatException e) {
    return e.location() == null || e.location().isEmpty()
        ? e.detail()
        : e.location() + ": " + e.detail();
  }

  /** A check.py result ({@code --json-out}) as a verdict: PASS loads and predicts, else fails. */
  public static Verdict verdictOf(JsonNode checkResult) {
    return checkResult.path("status").asText().equals("PASS")
        ? Verdict.LOADS_AND_PREDICTS
        : Verdict.FAILS;
  }
}
