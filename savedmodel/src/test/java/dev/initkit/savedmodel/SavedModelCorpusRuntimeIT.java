package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus for TensorFlow: for every file of {@code ../shared/keras-corpus}, {@code convert --for
 * tensorflow} either writes a SavedModel whose {@code serving_default} signature, loaded by TF
 * Python ({@code tf.saved_model.load}), predicts what Keras predicts on the original within {@value
 * #TOLERANCE}, on the seeded input {@code testdata/interop/check_corpus.py} makes from the
 * original's input shapes (Keras and TensorFlow in one Python process per stack, all files at
 * once), or refuses before writing with one line. The reference is the original in the Keras that
 * wrote it, else in the other one (tf-keras for the Keras 1/2 files Keras 3 cannot load). Verdicts
 * are pinned in {@code testdata/corpus/RUNTIMES.tsv} (runtime {@code tensorflow}) and recorded for
 * docs/COMPATIBILITY.md (suite {@code corpus-tensorflow}).
 *
 * <p>Needs {@code -Dinitkit.python} (and runs {@code -Dinitkit.pythonNewest} too when set).
 */
class SavedModelCorpusRuntimeIT {
  static final double TOLERANCE = 1e-5;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** What initkit did with one corpus file: a SavedModel and its keys, or why it wrote none. */
  private record Written(
      CorpusRuntimes.Entry entry,
      Path out,
      List<List<String>> keys,
      Verdict verdict,
      String reason) {}

  @Test
  void everyCorpusModelServesLikeKerasOrIsRefused() throws Exception {
    Map<String, String> stacks = PythonStacks.all();
    List<CorpusRuntimes.Entry> entries = CorpusRuntimes.entries(TestFiles.corpus());
    assertTrue(entries.size() >= 100, "expected the whole corpus, found " + entries.size());

    // 1. initkit writes a SavedModel of each runnable original, or refuses it
    List<Written> written = new ArrayList<>();
    for (CorpusRuntimes.Entry e : entries) {
      if (e.notAModel() != null) {
        written.add(new Written(e, null, null, Verdict.NOT_A_MODEL, e.notAModel()));
        continue;
      }
      Path out = tmp.resolve(e.path().replace('/', '_') + ".tensorflow");
      try (LoadedModel lm = ModelIO.open(e.file())) {
        ModelIO.write(
            lm, out, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.TENSORFLOW));
        List<List<String>> keys = KerasGraphExporter.signatureKeys(lm.model().config().get());
        written.add(new Written(e, out, keys, null, null));
      } catch (UnsupportedModelException ex) {
        assertFalse(Files.exists(out), "refused, yet written: " + out);
        assertFalse(ex.getMessage().contains("\n"), "one line: " + ex.getMessage());
        written.add(new Written(e, null, null, Verdict.REFUSED, CompatibilityRecords.refusal(ex)));
      } catch (java.io.IOException | RuntimeException ex) {
        // the file reads (EXPECTED.tsv), so anything but a refusal is initkit's bug
        written.add(new Written(e, null, null, Verdict.FAILS, "initkit: " + ex));
      }
    }

    // 2. one Python process per stack: Keras on the originals, TensorFlow on initkit's SavedModels
    ArrayNode list = JSON.createArrayNode();
    for (Written w : written) {
      if (w.out() == null) {
        continue;
      }
      ObjectNode n = list.addObject();
      n.put("id", w.entry().path());
      n.put("original", w.entry().file().toString());
      n.put("native", w.entry().nativeLoader());
      ObjectNode c = n.putArray("outputs").addObject();
      c.put("file", w.out().toString());
      c.put("loader", "tensorflow");
      w.keys().get(0).forEach(c.putArray("signature_inputs")::add);
      w.keys().get(1).forEach(c.putArray("signature_outputs")::add);
    }
    List<String> failures = new ArrayList<>();
    JsonNode pinnedResults = null;
    for (var stack : stacks.entrySet()) {
      // the pinned stack also saves each input and Keras's outputs, for TF Java (step 3)
      boolean pinned = stack.getKey().equals("pinned");
      ArrayNode these = list.deepCopy();
      if (pinned) {
        for (JsonNode n : these) {
          ((ObjectNode) n)
              .put(
                  "inputs_out",
                  tmp.resolve(n.get("id").asText().replace('/', '_') + ".npz").toString())
              .put("predict", true);
        }
      }
      Path entriesFile = tmp.resolve("corpus-entries-" + stack.getKey() + ".json");
      Files.writeString(entriesFile, JSON.writeValueAsString(these));
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
      JsonNode res = JSON.readTree(results.toFile());
      if (pinned) {
        pinnedResults = res;
      }
      Map<String, Verdict> verdicts = new TreeMap<>();
      Map<String, Integer> counts = new TreeMap<>();
      try (CompatibilityRecords rec =
          CompatibilityRecords.open(
              "corpus-tensorflow", stack.getKey(), tensorflowStack(stack.getValue()))) {
        for (Written w : written) {
          Verdict v = w.verdict();
          String reason = w.reason();
          double diff = Double.NaN;
          if (w.out() != null) {
            JsonNode c = res.path(w.entry().path()).path("cases").path(0);
            String status = c.path("status").asText("FAIL");
            v =
                status.equals("PASS")
                    ? Verdict.LOADS_AND_PREDICTS
                    : status.equals("UNVERIFIED") ? Verdict.UNVERIFIED : Verdict.FAILS;
            reason = c.path("reason").isTextual() ? c.path("reason").asText() : null;
            if (c.isMissingNode()) {
              reason = "check_corpus.py has no result for " + w.entry().path();
            }
            diff = c.path("max_diff").isNumber() ? c.path("max_diff").asDouble() : Double.NaN;
            if (v == Verdict.LOADS_AND_PREDICTS) {
              String ref = c.path("reference").asText();
              reason =
                  "compared with the original in "
                      + (ref.equals("keras3") ? "Keras 3" : "tf-keras")
                      + (ref.equals(w.entry().nativeLoader())
                          ? ""
                          : " (the Keras that wrote it does not load it here)");
            }
          }
          rec.add(
              w.entry().path(),
              w.entry().path(),
              w.entry().generation(),
              w.entry().version(),
              "tensorflow",
              v,
              diff,
              w.out() == null ? Double.NaN : TOLERANCE,
              v == Verdict.LOADS_AND_PREDICTS ? null : reason);
          verdicts.put(w.entry().path(), v);
          counts.merge(v.text(), 1, Integer::sum);
          System.out.printf(
              Locale.ROOT,
              "[corpus tensorflow %s] %s %s%s%n",
              stack.getKey(),
              v.text().toUpperCase(Locale.ROOT),
              w.entry().path(),
              reason == null
                  ? (Double.isNaN(diff) ? "" : String.format(Locale.ROOT, ": diff %.3g", diff))
                  : ": " + reason);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "[corpus tensorflow %s] %d files in %.1f s: %s%n",
          stack.getKey(),
          entries.size(),
          (System.nanoTime() - t0) / 1e9,
          counts);
      try {
        CorpusRuntimes.assertPinned(stack.getKey(), Map.of("tensorflow", verdicts));
      } catch (AssertionError e) {
        failures.add(stack.getKey() + ": " + e.getMessage());
      }
    }
    if (pinnedResults != null) {
      try {
        tfJava(written, pinnedResults);
      } catch (AssertionError e) {
        failures.add("tfjava: " + e.getMessage());
      }
    }
    assertEquals(List.of(), failures);
  }

  /**
   * 3. TF Java serves each SavedModel in this JVM on the pinned stack's input ({@code inputs_out})
   * and is compared with the outputs of Keras on the original in that Python process, within
   * {@value #TOLERANCE}: recorded as its own stack ({@code tfjava}) and pinned.
   */
  private static void tfJava(List<Written> written, JsonNode res) throws Exception {
    Map<String, Verdict> verdicts = new TreeMap<>();
    Map<String, Integer> counts = new TreeMap<>();
    try (CompatibilityRecords rec =
        CompatibilityRecords.open(
            "corpus-tensorflow",
            "tfjava",
            "TF Java (libtensorflow " + org.tensorflow.TensorFlow.version() + ")")) {
      for (Written w : written) {
        Verdict v = w.verdict();
        String reason = w.reason();
        double diff = Double.NaN;
        if (w.out() != null) {
          JsonNode r = res.path(w.entry().path());
          JsonNode expected = r.path("outputs");
          if (!expected.isArray() || r.path("input").isNull() || r.path("input").isMissingNode()) {
            v = Verdict.UNVERIFIED;
            reason =
                "no Keras here loads and predicts on the original: "
                    + r.path("cases").path(0).path("reason").asText("");
          } else {
            try {
              diff = tfJavaDiff(w, r);
              v = diff <= TOLERANCE ? Verdict.LOADS_AND_PREDICTS : Verdict.FAILS;
              reason = v == Verdict.FAILS ? "TF Java differs from Keras by " + diff : null;
            } catch (Exception | AssertionError e) {
              v = Verdict.FAILS;
              reason = "TF Java: " + e;
            }
          }
        }
        rec.add(
            w.entry().path(),
            w.entry().path(),
            w.entry().generation(),
            w.entry().version(),
            "tensorflow",
            v,
            diff,
            w.out() == null ? Double.NaN : TOLERANCE,
            v == Verdict.LOADS_AND_PREDICTS ? null : reason);
        verdicts.put(w.entry().path(), v);
        counts.merge(v.text(), 1, Integer::sum);
        System.out.printf(
            Locale.ROOT,
            "[corpus tensorflow tfjava] %s %s%s%n",
            v.text().toUpperCase(Locale.ROOT),
            w.entry().path(),
            reason == null
                ? (Double.isNaN(diff) ? "" : String.format(Locale.ROOT, ": diff %.3g", diff))
                : ": " + reason);
      }
    }
    System.out.printf(Locale.ROOT, "[corpus tensorflow tfjava] %s%n", counts);
    CorpusRuntimes.assertPinned("tfjava", Map.of("tensorflow", verdicts));
  }

  /** The largest difference of TF Java's outputs from Keras's (check.py's measure). */
  private static double tfJavaDiff(Written w, JsonNode r) throws Exception {
    List<Npz.Array> xs = Npz.read(Path.of(r.path("input").asText()));
    List<String> inKeys = w.keys().get(0);
    List<String> outKeys = w.keys().get(1);
    assertEquals(inKeys.size(), xs.size(), "inputs of " + w.entry().path());
    // fed in the signature's dtype, as TF Python's tf.constant(x, dtype=spec.dtype) does (the
    // input of an Embedding model is made of float indices where the original's input is float)
    Map<String, String> dtypes = TfJava.inputDtypes(w.out());
    List<TfJava.Feed> feeds = new ArrayList<>();
    for (int i = 0; i < xs.size(); i++) {
      Npz.Array x = xs.get(i).as(dtypes.get(inKeys.get(i)));
      Path raw = w.out().resolveSibling(w.out().getFileName() + ".x" + i + ".bin");
      Files.write(raw, x.data());
      feeds.add(new TfJava.Feed(inKeys.get(i), x.dtype(), x.shape(), raw));
    }
    List<double[]> ys = TfJava.serve(w.out(), feeds, outKeys);
    JsonNode expected = r.path("outputs");
    assertEquals(expected.size(), ys.size(), "outputs of " + w.entry().path());
    double diff = 0;
    for (int i = 0; i < ys.size(); i++) {
      double[] y = ys.get(i);
      JsonNode e = expected.get(i);
      assertEquals(e.size(), y.length, "size of output " + outKeys.get(i));
      for (int j = 0; j < y.length; j++) {
        double want = e.get(j).asDouble();
        if (!Double.isFinite(y[j])) {
          return Double.POSITIVE_INFINITY;
        }
        diff = Math.max(diff, Math.abs(y[j] - want) / Math.max(1, Math.abs(want)));
      }
    }
    return diff;
  }

  /** "TF Python X" of a Python interpreter, from its installed package metadata. */
  private static String tensorflowStack(String python) throws Exception {
    Process p =
        new ProcessBuilder(
                python,
                "-c",
                "from importlib.metadata import version as v; print('TF Python ' + v('tensorflow'))")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "python " + python;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "(" + e + ")";
    }
  }
}
