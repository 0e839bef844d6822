package dev.initkit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.testing.CompatibilityRecords.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The corpus as the per-runtime truth tests see it ({@code KerasCorpusRuntimeIT}, {@code
 * Dl4jCorpusRuntimeIT}): every file {@code testdata/corpus/EXPECTED.tsv} pins, with its generation
 * from the corpus {@code MANIFEST.tsv}, and the table of per-runtime verdicts, {@code
 * testdata/corpus/RUNTIMES.tsv}, that pins what each runtime makes of initkit's output.
 *
 * <p>A verdict that differs from its row fails the test, so a change (better or worse) is seen and
 * the table updated with it: {@code -Dinitkit.corpus.pin=true} rewrites the rows of the runtimes
 * and stack a run measured and keeps the others. A {@code fails} row is a known bug, kept visible
 * in the table and in docs/COMPATIBILITY.md.
 */
public final class CorpusRuntimes {
  /**
   * One corpus file: its path, MANIFEST category and {@code keras_version}, generation ({@link
   * CompatibilityRecords#generation}), and why it is no runnable model (null when it is one).
   */
  public record Entry(
      String path,
      Path file,
      String category,
      String version,
      String generation,
      String notAModel) {
    /** The Keras that wrote it, to load first: Keras 3 for its own files, else tf-keras. */
    public String nativeLoader() {
      return generation.equals("Keras 3") ? "keras3" : "tfkeras";
    }
  }

  private CorpusRuntimes() {}

  /** Every pinned corpus file, in EXPECTED.tsv's order. */
  public static List<Entry> entries(Path corpus) throws IOException {
    Map<String, String[]> manifest = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(corpus.resolve("MANIFEST.tsv"), StandardCharsets.UTF_8);
    List<String> head = List.of(lines.get(0).split("\t", -1));
    int cat = head.indexOf("category");
    int ver = head.indexOf("keras_version");
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      manifest.put(
          f[0].endsWith("/") ? f[0].substring(0, f[0].length() - 1) : f[0],
          new String[] {f[cat], f[ver]});
    }
    CorpusOutcomes outcomes = CorpusOutcomes.load();
    List<Entry> out = new ArrayList<>();
    for (String path : outcomes.paths()) {
      String[] m = manifest.getOrDefault(path, new String[] {"", ""});
      String category = m[0];
      String version = m[1].replace(" (from JSON)", "").trim();
      Path file = corpus.resolve(path);
      CorpusOutcomes.Outcome o = outcomes.of(corpus, file);
      String notAModel = null;
      if (!o.reads()) {
        notAModel = "initkit does not read it (" + o.kind() + "): " + o.message();
      } else if (category.contains("weights")) {
        notAModel = "weights only (save_weights): no architecture in the file, nothing to run";
      } else if (category.startsWith("savedmodel-nonkeras")) {
        notAModel = "a TensorFlow graph without a Keras model in it";
      }
      out.add(
          new Entry(
              path,
              file,
              category,
              version.isEmpty() ? null : version,
              generationOf(category, version),
              notAModel));
    }
    return out;
  }

  private static String generationOf(String category, String version) {
    if (category.startsWith("keras1")) {
      return "Keras 1";
    }
    if (category.startsWith("keras2")) {
      return "Keras 2";
    }
    if (category.startsWith("tf.keras") || category.startsWith("savedmodel-keras")) {
      return "tf.keras";
    }
    if (category.startsWith("keras3")) {
      return "Keras 3";
    }
    String g = CompatibilityRecords.generation(version);
    return g.equals("unknown") ? "none (not Keras)" : g;
  }

  /**
   * Checks measured verdicts ({@code path -> verdict}, per runtime) of one stack against
   * testdata/corpus/RUNTIMES.tsv, or rewrites their rows with {@code -Dinitkit.corpus.pin=true}.
   *
   * @param stackKey the stack's key ({@code pinned}, {@code newest}, {@code dl4j})
   * @param measured runtime -> (corpus path -> verdict)
   */
  public static void assertPinned(String stackKey, Map<String, Map<String, Verdict>> measured)
      throws IOException {
    Path table = TestFiles.testdata().resolve("corpus/RUNTIMES.tsv");
    Map<String, String> rows = new TreeMap<>(); // "path\truntime\tstack" -> verdict
    List<String> header = new ArrayList<>();
    if (Files.exists(table)) {
      for (String line : Files.readAllLines(table, StandardCharsets.UTF_8)) {
        if (line.startsWith("#") || line.startsWith("path\t")) {
          header.add(line);
          continue;
        }
        if (!line.isBlank()) {
          int cut = line.lastIndexOf('\t');
          rows.put(line.substring(0, cut), line.substring(cut + 1));
        }
      }
    }
    Map<String, String> got = new TreeMap<>();
    measured.forEach(
        (runtime, byPath) ->
            byPath.forEach(
                (path, v) -> got.put(path + "\t" + runtime + "\t" + stackKey, v.text())));
    if (Boolean.getBoolean("initkit.corpus.pin")) {
      rows.keySet()
          .removeIf(k -> measured.containsKey(k.split("\t")[1]) && k.endsWith("\t" + stackKey));
      rows.putAll(got);
      List<String> out = new ArrayList<>(header);
      rows.forEach((k, v) -> out.add(k + "\t" + v));
      Files.write(table, out, StandardCharsets.UTF_8);
      return;
    }
    assertTrue(Files.exists(table), "no " + table + ": run once with -Dinitkit.corpus.pin=true");
    List<String> changed = new ArrayList<>();
    got.forEach(
        (k, v) -> {
          if (!v.equals(rows.get(k))) {
            changed.add(k + ": pinned " + rows.get(k) + ", now " + v);
          }
        });
    rows.forEach(
        (k, v) -> {
          if (k.endsWith("\t" + stackKey)
              && measured.containsKey(k.split("\t")[1])
              && !got.containsKey(k)) {
            changed.add(k + ": pinned " + v + ", not measured");
          }
        });
    assertEquals(
        List.of(),
        changed,
        "corpus verdicts differ from testdata/corpus/RUNTIMES.tsv (check the change; "
            + "re-pin with -Dinitkit.corpus.pin=true)");
  }
}
