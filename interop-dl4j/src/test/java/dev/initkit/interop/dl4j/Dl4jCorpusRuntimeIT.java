package dev.initkit.interop.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.TargetRuntime;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.CompatibilityRecords;
import dev.initkit.testing.CompatibilityRecords.Verdict;
import dev.initkit.testing.CorpusRuntimes;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus for DL4J: for every file of {@code ../shared/keras-corpus}, {@code convert --for dl4j}
 * either writes a file DL4J's {@code KerasModelImport} imports (in a child JVM, {@link Dl4jRunner})
 * and that predicts what Keras predicts on the original within {@value #TOLERANCE}, or refuses it
 * before writing. The input is the one {@code check_corpus.py} makes from the original's input
 * shapes (seeded); Keras predicts in this run. Where no Keras here loads the original the verdict
 * is {@code unverified} (DL4J's import is still tried and reported); weights-only and non-Keras
 * files are {@code not-a-model}. Verdicts are pinned in {@code testdata/corpus/RUNTIMES.tsv} (stack
 * {@code dl4j}) and appended to {@code corpus-dl4j-dl4j.jsonl}.
 *
 * <p>Needs {@code -Dinitkit.python}; skipped with {@code -Dinitkit.skipDl4j=true}.
 */
@DisabledIfSystemProperty(
    named = "initkit.skipDl4j",
    matches = "(?i)true",
    disabledReason = "DL4J tests skipped (-Dinitkit.skipDl4j=true)")
class Dl4jCorpusRuntimeIT {
  static final double TOLERANCE = 1e-4;
  private static final Duration TIMEOUT =
      Duration.ofSeconds(Long.getLong("initkit.dl4j.timeoutSeconds", 60));
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyCorpusModelImportsAndPredictsOrIsRefused(@TempDir Path tmp) throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to the testdata venv's python");
    Path corpus = TestFiles.corpus();
    List<CorpusRuntimes.Entry> entries = CorpusRuntimes.entries(corpus);
    assertTrue(entries.size() >= 100, "expected the whole corpus, found " + entries.size());
    long t0 = System.nanoTime();

    // 1. initkit writes the dl4j form, or refuses; 2. Keras predicts on the originals (one process)
    Map<String, Path> written = new TreeMap<>();
    Map<String, String> refused = new TreeMap<>();
    ArrayNode list = JSON.createArrayNode();
    for (CorpusRuntimes.Entry e : entries) {
      if (e.notAModel() != null) {
        continue;
      }
      Path out = tmp.resolve(e.path().replace('/', '_') + ".dl4j.h5");
      try (LoadedModel lm = ModelIO.open(e.file())) {
        ModelIO.write(lm, out, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.DL4J));
        written.put(e.path(), out);
      } catch (UnsupportedModelException ex) {
        assertFalse(Files.exists(out), "refused, yet written: " + out);
        refused.put(e.path(), CompatibilityRecords.refusal(ex));
        continue;
      } catch (IOException | RuntimeException ex) {
        refused.put(e.path(), "FAILS initkit: " + ex);
        continue;
      }
      ObjectNode o = list.addObject();
      o.put("id", e.path());
      o.put("original", e.file().toString());
      o.put("native", e.nativeLoader());
      o.put("inputs_out", tmp.resolve(e.path().replace('/', '_') + ".input.npz").toString());
      o.put("predict", true);
    }
    Path entriesFile = tmp.resolve("corpus-entries.json");
    Path results = tmp.resolve("corpus-keras.json");
    Files.writeString(entriesFile, JSON.writeValueAsString(list));
    Process p =
        new ProcessBuilder(
                python,
                TestFiles.testdata().resolve("interop/check_corpus.py").toString(),
                entriesFile.toString(),
                "--json-out",
                results.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("corpus-keras.log").toFile())
            .start();
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), "check_corpus.py timed out");
    assertEquals(
        0,
        p.exitValue(),
        () -> "check_corpus.py failed:\n" + read(tmp.resolve("corpus-keras.log")));
    JsonNode keras = JSON.readTree(results.toFile());

    // 3. DL4J imports each written file and predicts on its original's input, batched into a few
    // JVMs
    Map<Path, String> inputs = new java.util.HashMap<>();
    for (var w : written.entrySet()) {
      JsonNode k = keras.path(w.getKey());
      if (k.path("input").isTextual()) {
        inputs.put(w.getValue(), k.path("input").asText());
      }
    }
    Map<Path, Dl4jRunner.Run> runs =
        Dl4jRunner.runAll(
            List.copyOf(written.values()),
            inputs,
            TIMEOUT,
            Dl4jRunner.Options.defaults()
                .withRetryTimeoutsAvoidingDistributionInit(true)
                .withWorkDir(tmp.resolve("probes")));
    Map<String, ProbeResult> dl4j = new TreeMap<>();
    written.forEach(
        (path, out) -> {
          Dl4jRunner.Run run = runs.get(out);
          dl4j.put(
              path,
              run.result().imported() || run.workaround() == null
                  ? run.result()
                  : run.workaround());
        });

    // 4. the verdicts: recorded, pinned
    Map<String, Verdict> verdicts = new TreeMap<>();
    Map<String, Integer> counts = new TreeMap<>();
    try (CompatibilityRecords rec =
        CompatibilityRecords.open(
            "corpus-dl4j",
            "dl4j",
            "DL4J "
                + Dl4jForRuntimeIT.DL4J_VERSION
                + " (vs "
                + CompatibilityRecords.kerasStack(python)
                + ")")) {
      for (CorpusRuntimes.Entry e : entries) {
        Verdict v;
        String reason;
        double diff = Double.NaN;
        if (e.notAModel() != null) {
          v = Verdict.NOT_A_MODEL;
          reason = e.notAModel();
        } else if (refused.containsKey(e.path())) {
          reason = refused.get(e.path());
          v = reason.startsWith("FAILS ") ? Verdict.FAILS : Verdict.REFUSED;
        } else {
          ProbeResult r = dl4j.get(e.path());
          JsonNode k = keras.path(e.path());
          boolean imported = r != null && r.imported() && r.forwardError() == null;
          if (!k.has("outputs")) {
            v = Verdict.UNVERIFIED;
            reason =
                "no Keras here loads the original ("
                    + loads(k)
                    + "); DL4J "
                    + (imported
                        ? "imports initkit's output"
                        : "does not import initkit's output either: "
                            + (r == null ? "no result" : r.summary()));
          } else if (!imported) {
            v = Verdict.FAILS;
            reason =
                "DL4J does not import initkit's --for dl4j file: "
                    + (r == null ? "no result" : r.summary());
          } else {
            diff = worst(k, r);
            v = diff <= TOLERANCE ? Verdict.LOADS_AND_PREDICTS : Verdict.FAILS;
            reason =
                v == Verdict.FAILS
                    ? (Double.isNaN(diff)
                        ? "DL4J's outputs do not match Keras's in number or size"
                        : String.format(
                            Locale.ROOT,
                            "DL4J predicts %.3g off Keras on the original (> %g)",
                            diff,
                            TOLERANCE))
                    : null;
          }
        }
        rec.add(
            e.path(),
            e.path(),
            e.generation(),
            e.version(),
            "dl4j",
            v,
            diff,
            e.notAModel() == null ? TOLERANCE : Double.NaN,
            reason);
        verdicts.put(e.path(), v);
        counts.merge(v.text(), 1, Integer::sum);
        System.out.printf(
            Locale.ROOT,
            "[corpus dl4j] %s %s%s%n",
            v.text().toUpperCase(Locale.ROOT),
            e.path(),
            reason == null ? String.format(Locale.ROOT, ": diff %.3g", diff) : ": " + reason);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "[corpus dl4j] %d files in %.1f s: %s%n",
        entries.size(),
        (System.nanoTime() - t0) / 1e9,
        counts);
    CorpusRuntimes.assertPinned("dl4j", Map.of("dl4j", verdicts));
  }

  private static String loads(JsonNode k) {
    List<String> out = new ArrayList<>();
    k.path("loads")
        .fields()
        .forEachRemaining(
            f ->
                out.add(
                    (f.getKey().equals("keras3") ? "Keras 3" : "tf-keras")
                        + ": "
                        + f.getValue().asText()));
    return String.join("; ", out);
  }

  /**
   * The largest |dl4j - keras| / max(1, |keras|); NaN when the outputs differ in number or size.
   */
  private static double worst(JsonNode keras, ProbeResult r) {
    JsonNode outs = keras.path("outputs");
    if (outs.size() != r.outputs().size()) {
      return Double.NaN;
    }
    double worst = 0;
    for (int i = 0; i < outs.size(); i++) {
      JsonNode want = outs.get(i);
      float[] got = r.outputs().get(i);
      if (want.size() != got.length) {
        return Double.NaN;
      }
      for (int j = 0; j < got.length; j++) {
        double w = want.get(j).asDouble();
        double d = Math.abs(got[j] - w) / Math.max(1, Math.abs(w));
        worst = Double.isFinite(got[j]) ? Math.max(worst, d) : Double.POSITIVE_INFINITY;
      }
    }
    return worst;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }
}
