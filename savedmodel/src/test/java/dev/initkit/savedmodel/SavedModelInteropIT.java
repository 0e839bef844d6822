package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.format.Format;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.SpecStatistics;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.ConfigRewriter;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SavedModels initkit wrote, loaded back by TensorFlow for Python (serving signature outputs,
 * checkpoint entries against the original, tf-keras's view of a rewritten config) and by TensorFlow
 * Java; SavedModels converted to .keras/.h5, loaded by Keras. One Python process per checker keeps
 * the run short.
 */
class SavedModelInteropIT {
  private static final List<String> TF_KERAS =
      List.of("mlp", "cnn", "lstm", "embed_gru", "compiled", "residual", "subclassed");

  /** What one written SavedModel should show. */
  private record Expectation(Path original, Reinitializer.Plan plan) {}

  @Test
  void writtenSavedModelsLoadInTensorFlow(@TempDir Path tmp) throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to run the interop suite");
    Path data = SavedModelReadTest.testdata();
    Path testdata = data.getParent().getParent();
    ArrayNode cases = Json.mapper().createArrayNode();
    Map<String, Expectation> expect = new LinkedHashMap<>();
    List<String> sources = new ArrayList<>();
    TF_KERAS.forEach(n -> sources.add(n + "/tfkeras"));
    sources.add("k3_mlp_export/keras3_export");
    for (String s : sources) {
      Path src = data.resolve(s);
      Path model = src.getParent();
      String id = s.replace('/', '.');
      // unchanged copy: outputs equal, every entry identical
      Path copy = tmp.resolve(id + ".copy");
      try (LoadedModel m = ModelIO.open(src)) {
        ModelIO.write(m, copy, WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
      }
      addCase(cases, id + ".copy", copy, model, src, "equal", null);
      expect.put(id + ".copy", new Expectation(src, null));
      // reinit: the first layer with weights, as configured (no config: He normal everywhere)
      Path re = tmp.resolve(id + ".reinit");
      try (LoadedModel m = ModelIO.open(src)) {
        boolean configured = m.model().config().isPresent();
        Reinitializer.Plan plan =
            Reinitializer.plan(
                m.model(),
                configured
                    ? Reinitializer.Scheme.configured()
                    : new Reinitializer.Fixed(InitializerSpec.parse("he_normal")),
                configured ? Selector.parse("depth:1") : Selector.all(),
                7);
        ModelIO.write(
            Reinitializer.apply(m, plan),
            re,
            WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
        expect.put(id + ".reinit", new Expectation(src, plan));
      }
      addCase(cases, id + ".reinit", re, model, src, "different", null);
      checkFingerprint(src, re);
      assertArrayEquals(TfJava.serve(src), TfJava.serve(copy), "TF Java: unchanged copy of " + s);
      assertFalse(
          java.util.Arrays.equals(TfJava.serve(src), TfJava.serve(re)), "TF Java: reinit of " + s);
    }
    // set-init rewrites the Keras metadata: tf-keras revives the layer with the new initializer
    Path src = data.resolve("mlp/tfkeras");
    Path setInit = tmp.resolve("mlp.setinit");
    try (LoadedModel m = ModelIO.open(src)) {
      ConfigRewriter.Result r =
          ConfigRewriter.rewrite(m.model(), List.of(ConfigRewriter.Rule.parse("head=he_uniform")));
      ModelIO.write(
          m.withModel(r.model()), setInit, WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
    }
    addCase(cases, "mlp.setinit", setInit, data.resolve("mlp"), src, "equal", "head");

    JsonNode results = run(python, testdata.resolve("interop/check_savedmodel.py"), cases, tmp);
    List<String> failures = new ArrayList<>();
    for (JsonNode r : results.path("results")) {
      String id = r.path("id").asText();
      if (!r.path("ok").asBoolean()) {
        failures.add(id + ": " + r.path("reason").asText());
        continue;
      }
      Expectation e = expect.get(id);
      if (e != null) {
        checkVariables(id, e, r.path("variables"), failures);
      }
    }
    JsonNode setInitResult = find(results, "mlp.setinit");
    assertEquals(
        "HeUniform",
        setInitResult.path("layerConfig").path("kernel_initializer").path("class_name").asText(),
        setInitResult.toString());
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertEquals(cases.size(), results.path("results").size());
  }

  /** Real SavedModels from the corpus, copied and reinitialized: TensorFlow loads and runs them. */
  @Test
  void corpusSavedModelsRewrittenLoadInTensorFlow(@TempDir Path tmp) throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to run the interop suite");
    Path corpus = Path.of(System.getProperty("initkit.corpus", "")).resolve("savedmodel");
    assumeTrue(Files.isDirectory(corpus), "no corpus");
    Path testdata = SavedModelReadTest.testdata().getParent().getParent();
    ArrayNode cases = Json.mapper().createArrayNode();
    Map<String, Expectation> expect = new LinkedHashMap<>();
    List<String> notDrawn = new ArrayList<>();
    try (var dirs = Files.list(corpus)) {
      for (Path src : dirs.sorted().toList()) {
        String id = src.getFileName().toString();
        Path copy = tmp.resolve(id + ".copy");
        Path re = tmp.resolve(id + ".reinit");
        Reinitializer.Plan plan;
        try (LoadedModel m = ModelIO.open(src)) {
          ModelIO.write(m, copy, WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
          boolean configured = m.model().config().isPresent();
          plan =
              Reinitializer.plan(
                  m.model(),
                  configured
                      ? Reinitializer.Scheme.configured()
                      : new Reinitializer.Fixed(InitializerSpec.parse("random_normal(stddev=0.5)")),
                  configured ? Selector.all() : Selector.parse("role:other"),
                  3);
          if (plan.drawnCount() > 0) {
            ModelIO.write(
                Reinitializer.apply(m, plan),
                re,
                WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
          }
        }
        if (!Files.exists(src.resolve("variables"))) {
          // TensorFlow itself cannot load this one (its saver expects variables): the copy is the
          // same bytes
          assertArrayEquals(
              Files.readAllBytes(src.resolve("saved_model.pb")),
              Files.readAllBytes(copy.resolve("saved_model.pb")));
        } else {
          corpusCase(cases, id + ".copy", copy, src, "equal");
          expect.put(id + ".copy", new Expectation(src, null));
          assertArrayEquals(TfJava.serve(src), TfJava.serve(copy), "TF Java: copy of " + id);
          if (plan.drawnCount() > 0) {
            assertFalse(
                java.util.Arrays.equals(TfJava.serve(src), TfJava.serve(re)),
                "TF Java: reinit of " + id);
          }
        }
        if (plan.drawnCount() > 0) {
          corpusCase(cases, id + ".reinit", re, src, "different");
          expect.put(id + ".reinit", new Expectation(src, plan));
        } else {
          notDrawn.add(id);
        }
      }
    }
    assertEquals(
        List.of("tf1.13-graph-only-no-variables"),
        notDrawn,
        "only the graph without variables draws nothing");
    JsonNode results = run(python, testdata.resolve("interop/check_savedmodel.py"), cases, tmp);
    List<String> failures = new ArrayList<>();
    for (JsonNode r : results.path("results")) {
      String id = r.path("id").asText();
      if (!r.path("ok").asBoolean()) {
        failures.add(id + ": " + r.path("reason").asText());
      } else {
        checkVariables(id, expect.get(id), r.path("variables"), failures);
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertEquals(cases.size(), results.path("results").size());
  }

  private static void corpusCase(
      ArrayNode cases, String id, Path dir, Path reference, String expect) {
    ObjectNode c = cases.addObject();
    c.put("id", id);
    c.put("dir", dir.toString());
    c.put("expect", expect);
    c.put("tolerance", expect.equals("equal") ? 0 : 1e-6);
    c.put("reference", reference.toString());
  }

  /**
   * The copy's fingerprint: the graph hashes as the original's, the checkpoint hash of its new
   * index.
   */
  private static void checkFingerprint(Path original, Path written) throws IOException {
    Path fp = original.resolve("fingerprint.pb");
    if (!Files.exists(fp)) {
      return;
    }
    var a = org.tensorflow.proto.FingerprintDef.parseFrom(Files.readAllBytes(fp));
    var b =
        org.tensorflow.proto.FingerprintDef.parseFrom(
            Files.readAllBytes(written.resolve("fingerprint.pb")));
    assertEquals(a.getSavedModelChecksum(), b.getSavedModelChecksum());
    assertEquals(a.getGraphDefProgramHash(), b.getGraphDefProgramHash());
    assertEquals(a.getSignatureDefHash(), b.getSignatureDefHash());
    assertEquals(a.getSavedObjectGraphHash(), b.getSavedObjectGraphHash());
    assertEquals(
        Fingerprints.checkpointHash(written.resolve("variables/variables.index")),
        b.getCheckpointHash());
    assertFalse(
        a.getCheckpointHash() == b.getCheckpointHash(),
        "new values, new index checksums, new hash");
  }

  /** Unchanged entries byte-identical; drawn ones new, with the spec's standard deviation. */
  private static void checkVariables(String id, Expectation e, JsonNode vars, List<String> failures)
      throws IOException {
    Map<String, Reinitializer.Entry> drawn = new LinkedHashMap<>();
    if (e.plan() != null) {
      for (Reinitializer.Entry x : e.plan().entries()) {
        if (x.drawn()) {
          drawn.put(x.site().weight().key(), x);
        }
      }
    }
    int checkedDrawn = 0;
    for (var it = vars.fields(); it.hasNext(); ) {
      var v = it.next();
      String key = v.getKey();
      Reinitializer.Entry d = drawn.get(key);
      if (e.plan() != null && SavedModelReader.isOptimizerState(key)) {
        // reinit drops optimizer state: a SavedModel keeps the entries, zeroed (a fresh optimizer)
        if (v.getValue().path("std").asDouble() != 0 || v.getValue().path("mean").asDouble() != 0) {
          failures.add(id + ": optimizer state " + key + " not reset");
        }
        continue;
      }
      if (d == null && drawn.values().stream().noneMatch(x -> sameVariable(x, key, e))) {
        if (!v.getValue().path("identical").asBoolean()) {
          failures.add(id + ": " + key + " changed but was not drawn");
        }
        continue;
      }
      if (d == null) {
        continue; // an alias of a drawn variable (Keras 3 export): checked through its primary key
      }
      double expStd = SpecStatistics.expectedStd(d.spec(), d.site().weight().shape());
      double std = v.getValue().path("std").asDouble();
      long count = v.getValue().path("count").asLong();
      if (d.unitForgetBias()) {
        continue; // zeros plus Keras's forget-gate ones: what the original holds too
      }
      if (expStd == 0) {
        if (std != 0) {
          failures.add(id + ": " + key + " should be constant, std " + std);
        }
      } else if (v.getValue().path("identical").asBoolean()) {
        failures.add(id + ": " + key + " was drawn but is unchanged");
      } else if (count >= 50 && Math.abs(std / expStd - 1) > 0.3) {
        failures.add(id + ": " + key + " std " + std + ", expected " + expStd);
      } else {
        checkedDrawn++; // new values; with enough of them, the initializer's spread
      }
    }
    if (e.plan() != null && checkedDrawn == 0) {
      failures.add(id + ": no drawn variable checked");
    }
  }

  /**
   * True when {@code key} is another checkpoint entry of the drawn weight (same SavedModel
   * variable).
   */
  private static boolean sameVariable(Reinitializer.Entry x, String key, Expectation e) {
    try {
      SavedModelReader.Contents c = SavedModelReader.read(e.original());
      return c.aliases().getOrDefault(x.site().weight().key(), List.of()).contains(key);
    } catch (IOException ex) {
      throw new java.io.UncheckedIOException(ex);
    }
  }

  @Test
  void convertedSavedModelsPredictLikeKeras(@TempDir Path tmp) throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to run the interop suite");
    Path data = SavedModelReadTest.testdata();
    Path testdata = data.getParent().getParent();
    ArrayNode cases = Json.mapper().createArrayNode();
    for (String n : TF_KERAS.stream().filter(n -> !n.equals("subclassed")).toList()) {
      for (String[] to : new String[][] {{".keras", "keras3"}, {".h5", "tfkeras"}}) {
        Path out = tmp.resolve(n + to[0]);
        try (LoadedModel m = ModelIO.open(data.resolve(n + "/tfkeras"))) {
          ModelIO.write(m, out, WriteOptions.defaults());
        }
        ObjectNode c = cases.addObject();
        c.put("id", n + to[0]);
        c.put("file", out.toString());
        c.put("loader", to[1]);
        c.put("input", data.resolve(n + "/input.npz").toString());
        c.put("expected", data.resolve(n + "/expected.npz").toString());
        // the original SavedModel revived by tf-keras in the same process is the reference; the
        // rebuilt model computes the same layers through other traced functions: 1e-5
        ObjectNode ref = c.putObject("reference");
        ref.put("file", data.resolve(n + "/tfkeras").toString());
        ref.put("loader", "tfkeras");
        c.put("tolerance", 1e-5);
      }
    }
    Path casesFile = tmp.resolve("convert-cases.json");
    Files.writeString(casesFile, Json.write(cases));
    Path log = tmp.resolve("check.log");
    Process p =
        new ProcessBuilder(
                python, testdata.resolve("interop/check.py").toString(), casesFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "check.py timed out");
    String text = Files.readString(log, StandardCharsets.UTF_8);
    List<String> lines =
        text.lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL")).toList();
    lines.forEach(System.out::println);
    assertEquals(cases.size(), lines.size(), text);
    assertEquals(0, p.exitValue(), String.join("\n", lines));
  }

  private static void addCase(
      ArrayNode cases,
      String id,
      Path dir,
      Path model,
      Path reference,
      String expect,
      String tfkerasLayer) {
    ObjectNode c = cases.addObject();
    c.put("id", id);
    c.put("dir", dir.toString());
    c.put("input", model.resolve("input.npz").toString());
    c.put("expected", model.resolve("expected.npz").toString());
    c.put("expect", expect);
    // the baseline is the original's serving output in the same process: an unchanged graph with
    // unchanged weights computes bit for bit the same
    c.put("tolerance", expect.equals("equal") ? 0 : 1e-5);
    c.put("reference", reference.toString());
    if (tfkerasLayer != null) {
      c.put("tfkeras_layer", tfkerasLayer);
    }
  }

  /**
   * The pinned stack's results, which the caller examines; the newest stack ({@code
   * -Dinitkit.pythonNewest}, TensorFlow 2.21), when set up, must come to the same verdict per case.
   */
  private static JsonNode run(String python, Path checker, ArrayNode cases, Path tmp)
      throws Exception {
    JsonNode results = runOnce("pinned", python, checker, cases, tmp);
    String newest = System.getProperty("initkit.pythonNewest", "");
    if (!newest.isEmpty()) {
      JsonNode other = runOnce("newest", newest, checker, cases, tmp);
      for (JsonNode r : results.path("results")) {
        JsonNode n = find(other, r.path("id").asText());
        assertEquals(
            r.path("ok").asBoolean(),
            n.path("ok").asBoolean(),
            "the newest stack disagrees on "
                + r.path("id").asText()
                + ": "
                + n.path("reason").asText(""));
      }
    }
    return results;
  }

  private static JsonNode runOnce(
      String stack, String python, Path checker, ArrayNode cases, Path tmp) throws Exception {
    Path casesFile = tmp.resolve("cases.json");
    Files.writeString(casesFile, Json.write(cases));
    Path out = tmp.resolve("results-" + stack + ".json");
    Path log = tmp.resolve("check-" + stack + ".log");
    Process p =
        new ProcessBuilder(python, checker.toString(), casesFile.toString())
            .redirectOutput(out.toFile())
            .redirectError(log.toFile())
            .start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "check_savedmodel.py timed out (" + stack + ")");
    assertEquals(0, p.exitValue(), stack + ": " + Files.readString(log));
    JsonNode results = Json.parse(Files.readString(out));
    for (JsonNode r : results.path("results")) {
      System.out.println(
          "["
              + stack
              + "] "
              + (r.path("ok").asBoolean() ? "PASS " : "FAIL ")
              + r.path("id").asText()
              + ": "
              + (r.path("ok").asBoolean()
                  ? "diff " + r.path("maxDiff").asText() + " vs " + r.path("against").asText("-")
                  : r.path("reason").asText()));
    }
    return results;
  }

  private static JsonNode find(JsonNode results, String id) {
    for (JsonNode r : results.path("results")) {
      if (r.path("id").asText().equals(id)) {
        return r;
      }
    }
    throw new AssertionError("no result for " + id);
  }
}
