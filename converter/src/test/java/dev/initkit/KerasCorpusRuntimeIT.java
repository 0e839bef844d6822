package dev.initkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.CompatibilityRecords;
import dev.initkit.testing.CompatibilityRecords.Verdict;
import dev.initkit.testing.CorpusRuntimes;
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus per Keras runtime: for every file of {@code ../shared/keras-corpus}, {@code convert
 * --for keras3} (a {@code .keras}) and {@code --for tf-keras} (an {@code .h5}) either write a file
 * that real Keras 3 / tf-keras loads and that predicts what Keras predicts on the original, within
 * {@value #TOLERANCE}, on a seeded input made from the original's input shapes ({@code
 * testdata/interop/check_corpus.py}, all files in one Python process per stack), or refuse before
 * writing. Where no Keras here loads the original (Keras 1 configs, Lambda bytecode, custom layers)
 * the verdict is {@code unverified} with Keras's own error; weights-only and non-Keras files are
 * {@code not-a-model}. Every verdict is pinned in {@code testdata/corpus/RUNTIMES.tsv} ({@link
 * CorpusRuntimes}) and appended to {@code corpus-keras-<stack>.jsonl} ({@link
 * CompatibilityRecords}).
 *
 * <p>Needs {@code -Dinitkit.python} (and runs {@code -Dinitkit.pythonNewest} too when set).
 */
class KerasCorpusRuntimeIT {
  static final double TOLERANCE = 1e-5;
  private static final List<TargetRuntime> RUNTIMES =
      List.of(TargetRuntime.KERAS3, TargetRuntime.TF_KERAS);

  @TempDir Path tmp;

  /** What initkit did with one corpus file for one runtime: a file, or the reason it wrote none. */
  private record Written(
      CorpusRuntimes.Entry entry,
      TargetRuntime runtime,
      Path out,
      Verdict verdict,
      String reason,
      String warned) {
    String loader() {
      return runtime == TargetRuntime.KERAS3 ? "keras3" : "tfkeras";
    }
  }

  @Test
  void everyCorpusModelLoadsAndPredictsOrIsRefused() throws Exception {
    Map<String, String> stacks = PythonStacks.all();
    Path corpus = TestFiles.corpus();
    List<CorpusRuntimes.Entry> entries = CorpusRuntimes.entries(corpus);
    assertTrue(entries.size() >= 100, "expected the whole corpus, found " + entries.size());

    // 1. initkit writes each runnable original for each runtime, or refuses it
    List<Written> written = new ArrayList<>();
    for (CorpusRuntimes.Entry e : entries) {
      for (TargetRuntime r : RUNTIMES) {
        if (e.notAModel() != null) {
          written.add(new Written(e, r, null, Verdict.NOT_A_MODEL, e.notAModel(), null));
          continue;
        }
        Path out =
            tmp.resolve(
                e.path().replace('/', '_')
                    + "."
                    + r.cliName()
                    + (r == TargetRuntime.KERAS3 ? ".keras" : ".h5"));
        try (LoadedModel lm = ModelIO.open(e.file())) {
          ModelIO.WriteResult result =
              ModelIO.write(lm, out, ModelIO.WriteOptions.defaults().withRuntime(r));
          String warned =
              result.changes().isEmpty()
                  ? null
                  : String.join(
                      "; ",
                      result.changes().stream()
                          .map(dev.initkit.format.config.MeaningChange::message)
                          .distinct()
                          .toList());
          written.add(new Written(e, r, out, null, null, warned));
        } catch (UnsupportedModelException ex) {
          assertFalse(Files.exists(out), "refused, yet written: " + out);
          assertFalse(ex.getMessage().contains("\n"), "one line: " + ex.getMessage());
          written.add(
              new Written(e, r, null, Verdict.REFUSED, CompatibilityRecords.refusal(ex), null));
        } catch (java.io.IOException | RuntimeException ex) {
          // the file reads (EXPECTED.tsv), so anything but a refusal is initkit's bug
          written.add(new Written(e, r, null, Verdict.FAILS, "initkit: " + ex, null));
        }
      }
    }

    // 2. one Python process per stack: Keras on the originals, and on initkit's files
    Map<String, ObjectNode> byPath = new LinkedHashMap<>();
    ArrayNode list = Json.mapper().createArrayNode();
    for (Written w : written) {
      if (w.out() == null) {
        continue;
      }
      ObjectNode o =
          byPath.computeIfAbsent(
              w.entry().path(),
              p -> {
                ObjectNode n = list.addObject();
                n.put("id", p);
                n.put("original", w.entry().file().toString());
                n.put("native", w.entry().nativeLoader());
                n.putArray("outputs");
                return n;
              });
      ObjectNode c = ((ArrayNode) o.get("outputs")).addObject();
      c.put("file", w.out().toString());
      c.put("loader", w.loader());
    }
    Path entriesFile = tmp.resolve("corpus-entries.json");
    Files.writeString(entriesFile, Json.write(list));

    List<String> failures = new ArrayList<>();
    for (var stack : stacks.entrySet()) {
      Path results = tmp.resolve("corpus-results-" + stack.getKey() + ".json");
      Path log = tmp.resolve("corpus-" + stack.getKey() + ".log");
      long t0 = System.nanoTime();
      Process p =
          new ProcessBuilder(
                  stack.getValue(),
                  TestFiles.testdata().resolve("interop/check_corpus.py").toString(),
                  entriesFile.toString(),
                  "--json-out",
                  results.toString(),
                  "--tolerance",
                  Double.toString(TOLERANCE))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertTrue(
          p.waitFor(20, TimeUnit.MINUTES), "check_corpus.py timed out (" + stack.getKey() + ")");
      assertEquals(
          0, p.exitValue(), () -> "check_corpus.py failed (" + stack.getKey() + "):\n" + read(log));
      JsonNode res = Json.mapper().readTree(results.toFile());
      Map<String, Map<String, Verdict>> verdicts = new TreeMap<>();
      Map<String, Integer> counts = new TreeMap<>();
      try (CompatibilityRecords rec =
          CompatibilityRecords.open(
              "corpus-keras", stack.getKey(), CompatibilityRecords.kerasStack(stack.getValue()))) {
        for (Written w : written) {
          Verdict v = w.verdict();
          String reason = w.reason();
          double diff = Double.NaN;
          if (w.out() != null) {
            JsonNode c = caseOf(res.path(w.entry().path()), w.out());
            String status = c.path("status").asText("FAIL");
            v =
                status.equals("PASS")
                    ? Verdict.LOADS_AND_PREDICTS
                    : status.equals("UNVERIFIED") ? Verdict.UNVERIFIED : Verdict.FAILS;
            reason = c.path("reason").isNull() ? null : c.path("reason").asText(null);
            diff = c.path("max_diff").isNumber() ? c.path("max_diff").asDouble() : Double.NaN;
            if (v == Verdict.FAILS && w.warned() != null && !Double.isNaN(diff)) {
              // convert said so: the target generation's activation computes something else
              v = Verdict.CHANGED_AS_WARNED;
              reason = "initkit warns: " + w.warned();
            } else if (v == Verdict.LOADS_AND_PREDICTS
                && !c.path("reference").asText().equals(w.loader())) {
              reason =
                  "compared with the original in "
                      + (c.path("reference").asText().equals("keras3") ? "Keras 3" : "tf-keras")
                      + " (this Keras does not load it)";
            }
          }
          rec.add(
              w.entry().path(),
              w.entry().path(),
              w.entry().generation(),
              w.entry().version(),
              w.runtime().cliName(),
              v,
              diff,
              w.out() == null ? Double.NaN : TOLERANCE,
              reason);
          verdicts
              .computeIfAbsent(w.runtime().cliName(), k -> new TreeMap<>())
              .put(w.entry().path(), v);
          counts.merge(w.runtime().cliName() + " " + v.text(), 1, Integer::sum);
          System.out.printf(
              Locale.ROOT,
              "[corpus %s] %s %s -> %s%s%n",
              stack.getKey(),
              v.text().toUpperCase(Locale.ROOT),
              w.entry().path(),
              w.runtime().cliName(),
              reason == null
                  ? (Double.isNaN(diff) ? "" : String.format(Locale.ROOT, ": diff %.3g", diff))
                  : ": " + reason);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "[corpus %s] %d files in %.1f s: %s%n",
          stack.getKey(),
          entries.size(),
          (System.nanoTime() - t0) / 1e9,
          counts);
      try {
        CorpusRuntimes.assertPinned(stack.getKey(), verdicts);
      } catch (AssertionError e) {
        failures.add(stack.getKey() + ": " + e.getMessage());
      }
    }
    assertEquals(List.of(), failures);
  }

  private static JsonNode caseOf(JsonNode result, Path out) {
    for (JsonNode c : result.path("cases")) {
      if (c.path("file").asText().equals(out.toString())) {
        return c;
      }
    }
    return Json.mapper()
        .createObjectNode()
        .put("status", "FAIL")
        .put("reason", "check_corpus.py has no result for " + out.getFileName());
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "(" + e + ")";
    }
  }
}
