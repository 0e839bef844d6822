package dev.initkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.CompatibilityRecords;
import dev.initkit.testing.CompatibilityRecords.Verdict;
import dev.initkit.testing.InteropCases;
import dev.initkit.testing.InteropCases.Original;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The truth test: real Keras 3 and tf-keras load every file initkit wrote from the generated models
 * and predict what the original predicts, both loaded in the same Python process on this machine:
 * bit for bit where the same Keras loads both, within the model's cross-framework tolerance where
 * only the other generation loads the original ({@link InteropCases}). Each case's measured
 * difference is printed. Runs the pinned Python stack from {@code testdata/requirements.txt}
 * ({@code -Dinitkit.python=PATH}, set by {@code .ci/run}); without that property the test is
 * skipped, with it a missing interpreter is a failure. {@code -Dinitkit.interop.models=a,b} runs
 * the cases of those models only.
 *
 * <p>A conversion across generations that changes what a layer computes ({@code hard_sigmoid},
 * {@link ModelIO.WriteResult#changes()}) is checked against what its warning states: the converted
 * model, in the other generation, predicts within the largest change the warnings give, and differs
 * by more than the frameworks' own tolerance (the warning is real).
 *
 * <p>Each {@code --for keras3} / {@code --for tf-keras} case, and each refusal, is appended to
 * {@code keras-interop-<stack>.jsonl} ({@link CompatibilityRecords}) for docs/COMPATIBILITY.md.
 */
class KerasInteropIT {
  @TempDir Path tmp;

  /** The {@code --for} cases by check.py id, and the refusals, for the compatibility records. */
  private final java.util.Map<String, ForCase> forCases = new java.util.HashMap<>();

  private final List<ForCase> forRefusals = new ArrayList<>();

  /**
   * One {@code --for} conversion: which case list it went to ({@code cases}: the pinned stack's,
   * {@code newestOnly}: the newest's), and the refusal or reason it was not loaded.
   */
  private record ForCase(
      ArrayNode list,
      String tagModel,
      String model,
      String source,
      String generation,
      String version,
      TargetRuntime runtime,
      Verdict verdict,
      String reason) {}

  @Test
  void realKerasLoadsWhatInitkitWrites() throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(
        !python.isEmpty(),
        "set -Dinitkit.python to the testdata venv's python to run the interop suite");
    assertTrue(Files.isExecutable(Path.of(python)), "interop python not found: " + python);
    Path checker = TestFiles.testdata().resolve("interop/check.py");
    assertTrue(Files.exists(checker), "missing " + checker);

    ArrayNode cases = Json.mapper().createArrayNode();
    // the catalogue a newer Keras wrote (testdata/catalogue/keras-3.15.1): only that stack loads it
    ArrayNode newestOnly = Json.mapper().createArrayNode();
    List<String> skipped = new ArrayList<>();
    String only = System.getProperty("initkit.interop.models", "");
    java.util.Set<String> selected =
        only.isEmpty() ? java.util.Set.of() : java.util.Set.of(only.split(","));
    List<String> olderOnly = new ArrayList<>();
    InteropCases ic = InteropCases.fromManifest();
    addCases(ic, "", cases, skipped, selected, olderOnly);
    for (Path root : TestFiles.catalogueRoots()) {
      boolean pinnedWrote =
          root.getFileName().toString().equals("keras-" + TestFiles.pinnedKeras());
      addCases(
          InteropCases.fromManifest(root),
          root.getFileName() + ".",
          pinnedWrote ? cases : newestOnly,
          skipped,
          selected,
          olderOnly);
    }
    assertTrue(
        cases.size() >= (selected.isEmpty() ? 60 : 1),
        "expected many interop cases, built " + cases.size() + "; skipped: " + skipped);
    Path casesFile = tmp.resolve("cases.json");
    Files.writeString(casesFile, Json.write(cases));
    // models only the newest Keras writes and loads (testdata/models-newest, e.g. 3.15's int4/128)
    // ... and not the models the newest Keras cannot load: Keras 3.15 reads a 3.12 int4 file as its
    // own
    // int4 (packed along the other axis: "variable.shape=(8, 6), Received: value.shape=(4, 12)")
    ArrayNode newestCases = Json.mapper().createArrayNode();
    for (JsonNode c : cases) {
      if (!olderOnly.contains(c.path("id").asText().split("\\.")[0])) {
        newestCases.add(c);
      }
    }
    Path q = TestFiles.testdata().resolve("models-newest/quant_int4");
    Path qk = q.resolve("keras3.keras");
    for (String[] f :
        new String[][] {
          {"keras3.keras", "to.keras"},
          {"keras3.keras", "to.weights.h5"},
          {"keras3.h5", "to.h5"},
          {"keras3.h5", "h5-to.keras"},
          {"keras3.weights.h5", "w-to.weights.h5"}
        }) {
      Path src = q.resolve(f[0]);
      Path out = tmp.resolve("newest-quant_int4." + f[1]);
      try (LoadedModel lm = ModelIO.open(src)) {
        ModelIO.write(lm, out, ModelIO.WriteOptions.defaults());
      }
      boolean weightsOnly = out.toString().endsWith(".weights.h5");
      InteropCases.Reference ref =
          weightsOnly && f[0].endsWith(".weights.h5")
              ? ic.weightsReference(src, qk, "keras3")
              : new InteropCases.Reference(src, "keras3", null, 0);
      ic.addIn(
          newestCases,
          out.getFileName() + " [keras3]",
          q,
          out,
          "keras3",
          weightsOnly ? qk : null,
          ref);
    }
    newestCases.addAll(newestOnly);
    Path newestFile = tmp.resolve("cases-newest.json");
    Files.writeString(newestFile, Json.write(newestCases));
    // both ends of the version matrix: the pinned stack and, when set up, the newest one
    // (testdata/requirements-newest.txt); each loads the originals and initkit's files itself
    java.util.Map<String, String> stacks = new java.util.LinkedHashMap<>();
    stacks.put("pinned", python);
    String newest = System.getProperty("initkit.pythonNewest", "");
    if (!newest.isEmpty()) {
      assertTrue(Files.isExecutable(Path.of(newest)), "newest-stack python not found: " + newest);
      stacks.put("newest", newest);
    }
    List<String> failures = new ArrayList<>();
    for (var stack : stacks.entrySet()) {
      boolean isNewest = stack.getKey().equals("newest");
      Path log = tmp.resolve("check-" + stack.getKey() + ".log");
      Path stackCases = stack.getKey().equals("newest") ? newestFile : casesFile;
      int count = stack.getKey().equals("newest") ? newestCases.size() : cases.size();
      Process p =
          new ProcessBuilder(
                  stack.getValue(),
                  checker.toString(),
                  stackCases.toString(),
                  "--json-out",
                  tmp.resolve("results-" + stack.getKey() + ".json").toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertTrue(
          p.waitFor(20, TimeUnit.MINUTES), "interop check timed out (" + stack.getKey() + ")");
      String text = Files.readString(log, StandardCharsets.UTF_8);
      List<String> lines =
          text.lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL")).toList();
      lines.forEach(l -> System.out.println("[" + stack.getKey() + "] " + l));
      System.out.println(
          "interop ("
              + stack.getKey()
              + " Keras): "
              + count
              + " cases, "
              + lines.stream().filter(l -> l.startsWith("PASS")).count()
              + " passed; not convertible: "
              + skipped);
      record(
          stack.getKey(),
          CompatibilityRecords.kerasStack(stack.getValue()),
          tmp.resolve("results-" + stack.getKey() + ".json"),
          f ->
              isNewest
                  ? f.list() == newestOnly
                      || (f.list() == cases && !olderOnly.contains(f.tagModel()))
                  : f.list() == cases);
      if (p.exitValue() != 0) {
        failures.add(
            stack.getKey()
                + ":\n"
                + String.join("\n", lines.stream().filter(l -> l.startsWith("FAIL")).toList())
                + "\n"
                + tail(text));
      }
    }
    assertEquals(List.of(), failures, "interop failures");
  }

  /** Appends one stack's {@code --for} results and the refusals that apply to it. */
  private void record(
      String key, String stack, Path results, java.util.function.Predicate<ForCase> applies)
      throws IOException {
    try (CompatibilityRecords out = CompatibilityRecords.open("keras-interop", key, stack)) {
      if (Files.exists(results)) {
        for (JsonNode r : Json.mapper().readTree(results.toFile()).path("results")) {
          ForCase f = forCases.get(r.path("id").asText());
          if (f != null && applies.test(f)) {
            Verdict v = CompatibilityRecords.verdictOf(r);
            out.add(
                f.model(),
                f.source(),
                f.generation(),
                f.version(),
                f.runtime().cliName(),
                v,
                r.path("max_abs_diff").asDouble(Double.NaN),
                r.path("tolerance").asDouble(Double.NaN),
                v == Verdict.FAILS ? r.path("reason").asText() : null);
          }
        }
      }
      for (ForCase f : forRefusals) {
        if (applies.test(f)) {
          out.add(
              f.model(),
              f.source(),
              f.generation(),
              f.version(),
              f.runtime().cliName(),
              f.verdict(),
              Double.NaN,
              Double.NaN,
              f.reason());
        }
      }
    }
  }

  /** Converts each model's files of one manifest and adds a case per file and loader. */
  private void addCases(
      InteropCases ic,
      String tag,
      ArrayNode cases,
      List<String> skipped,
      java.util.Set<String> selected,
      List<String> olderOnly)
      throws IOException {
    for (JsonNode entry : ic.entries()) {
      String m = entry.path("name").asText();
      if (entry.path("quantization").asText().equals("int4")) {
        olderOnly.add(tag + m);
      }
      if (!selected.isEmpty() && !selected.contains(m)) {
        continue;
      }
      Path dir = ic.dir(m);
      JsonNode files = entry.path("files");
      // Keras 3 cannot load MultiHeadAttention from any legacy-HDF5 config form
      // (docs/user-guide.md: known limits)
      boolean mha = false;
      for (JsonNode c : entry.path("layer_classes")) {
        mha |= c.asText().equals("MultiHeadAttention");
      }
      // no Keras reloads a legacy .h5 of some models (bfloat16), its own included: written, not
      // loaded
      boolean h5Loads = entry.path("keras_loads_legacy_h5").asBoolean(true);
      // a Keras-3-only class (the catalogue's GroupQueryAttention, RMSNormalization, ...) has no
      // tf-keras
      boolean tfkerasLacks =
          entry.path("tfkeras_skipped").asText("").startsWith("tf-keras cannot build");
      // a quantized model's legacy .h5 keeps its Keras 3 config (tf-keras has no quantized layers)
      boolean quantized = entry.has("quantization");
      List<String> h5Loaders =
          !h5Loads
              ? List.of()
              : mha
                  ? List.of("tfkeras")
                  : tfkerasLacks || quantized ? List.of("keras3") : List.of("keras3", "tfkeras");
      // a tf-keras h5 keeps its config as written: it loads wherever the original does
      boolean k3LoadsTfk =
          entry.path("crossload").path("keras3_loads_tfkeras_h5").path("ok").asBoolean(false);
      Path k3 = dir.resolve("keras3.keras");
      Path k3h5 = dir.resolve("keras3.h5");
      Path tfk = dir.resolve("tfkeras.h5");
      Conversion c = new Conversion(ic, cases, skipped, m, tag, forCases, forRefusals);
      String t = tag + m;
      // Keras 3 archive: same format, and to legacy h5, which both generations must load
      c.file(k3, Original.KERAS3_KERAS, tmp.resolve(t + ".k3.keras"), List.of("keras3"));
      c.file(k3, Original.KERAS3_KERAS, tmp.resolve(t + ".k3-to.h5"), h5Loaders);
      c.file(k3h5, Original.KERAS3_H5, tmp.resolve(t + ".k3h5.h5"), h5Loaders);
      c.file(k3h5, Original.KERAS3_H5, tmp.resolve(t + ".k3h5-to.keras"), List.of("keras3"));
      c.file(
          tfk,
          Original.TFKERAS_H5,
          tmp.resolve(t + ".tfk.h5"),
          k3LoadsTfk ? List.of("tfkeras", "keras3") : List.of("tfkeras"));
      c.file(tfk, Original.TFKERAS_H5, tmp.resolve(t + ".tfk-to.keras"), List.of("keras3"));
      // --for: Keras 3's own .h5 form (Keras-3-only and quantized layers included), and tf-keras's
      if (h5Loads) {
        c.file(
            k3,
            Original.KERAS3_KERAS,
            tmp.resolve(t + ".k3-for-keras3.h5"),
            List.of("keras3"),
            TargetRuntime.KERAS3);
        c.file(
            tfk,
            Original.TFKERAS_H5,
            tmp.resolve(t + ".tfk-for-keras3.h5"),
            List.of("keras3"),
            TargetRuntime.KERAS3);
        List<String> tfOnly = tfkerasLacks || quantized ? List.of() : List.of("tfkeras");
        c.file(
            k3,
            Original.KERAS3_KERAS,
            tmp.resolve(t + ".k3-for-tfkeras.h5"),
            tfOnly,
            TargetRuntime.TF_KERAS);
        c.file(
            k3h5,
            Original.KERAS3_H5,
            tmp.resolve(t + ".k3h5-for-tfkeras.h5"),
            tfOnly,
            TargetRuntime.TF_KERAS);
        c.file(
            tfk,
            Original.TFKERAS_H5,
            tmp.resolve(t + ".tfk-for-tfkeras.h5"),
            List.of("tfkeras"),
            TargetRuntime.TF_KERAS);
      } else {
        String why =
            "not checked: no Keras reloads a legacy .h5 of this model, its own included (MANIFEST keras_loads_legacy_h5)";
        for (TargetRuntime r : List.of(TargetRuntime.KERAS3, TargetRuntime.TF_KERAS)) {
          c.unverified(k3, r, why);
          c.unverified(tfk, r, why);
        }
      }
      if (files.has("keras3_weights_h5")) {
        c.weights(
            dir.resolve(files.path("keras3_weights_h5").asText()),
            tmp.resolve(t + ".k3w.weights.h5"),
            "keras3",
            k3);
      }
      if (files.has("tfkeras_weights_h5")) {
        c.weights(
            dir.resolve(files.path("tfkeras_weights_h5").asText()),
            tmp.resolve(t + ".tfkw.h5"),
            "tfkeras",
            dir.resolve(files.path("tfkeras_json").asText()));
      }
      if (files.has("keras3_unzipped")) {
        c.file(
            dir.resolve(files.path("keras3_unzipped").asText()),
            Original.KERAS3_UNZIPPED,
            tmp.resolve(t + ".unzipped-to.keras"),
            List.of("keras3"));
      }
      if (files.has("keras3_sharded_weights")) {
        c.weights(
            dir.resolve(files.path("keras3_sharded_weights").asText()),
            tmp.resolve(t + ".sharded-to.weights.h5"),
            "keras3",
            k3);
      }
    }
  }

  private static String tail(String log) {
    List<String> l = log.lines().toList();
    return String.join("\n", l.subList(Math.max(0, l.size() - 15), l.size()));
  }

  /** Converts one model's files and adds, per loader, a case against the original in that run. */
  private record Conversion(
      InteropCases ic,
      ArrayNode cases,
      List<String> skipped,
      String model,
      String tag,
      java.util.Map<String, ForCase> forCases,
      List<ForCase> forRefusals) {
    void file(Path src, Original original, Path out, List<String> loaders) throws IOException {
      file(src, original, out, loaders, null);
    }

    /** As above, written {@code --for runtime} (null: initkit's portable forms). */
    void file(Path src, Original original, Path out, List<String> loaders, TargetRuntime runtime)
        throws IOException {
      ModelIO.WriteResult written = convert(src, out, runtime);
      if (written == null) {
        return;
      }
      if (runtime != null && loaders.isEmpty()) {
        unverified(
            src,
            runtime,
            "written, not loaded: the model has a layer tf-keras lacks, or Keras quantized it (MANIFEST tfkeras_skipped, quantization)");
      }
      // the largest change the warnings state, for a model loaded by the other generation
      double stated =
          written.changes().stream().mapToDouble(c -> c.activation().maxChange()).max().orElse(0);
      for (String loader : loaders) {
        InteropCases.Reference ref = ic.reference(model, original, loader);
        String id = out.getFileName() + " [" + loader + "]";
        if (stated > 0 && !ref.loader().equals(loader)) {
          ic.add(
              cases,
              id + " within the warning's " + String.format(java.util.Locale.ROOT, "%.3g", stated),
              model,
              out,
              loader,
              null,
              new InteropCases.Reference(ref.file(), ref.loader(), null, stated),
              "equal");
          ic.add(cases, id + " changed, as warned", model, out, loader, null, ref, "different");
          forCase(
              runtime,
              src,
              id + " within the warning's " + String.format(java.util.Locale.ROOT, "%.3g", stated));
        } else {
          ic.add(cases, id, model, out, loader, null, ref, "equal");
          forCase(runtime, src, id);
        }
      }
    }

    void weights(Path src, Path out, String loader, Path architecture) throws IOException {
      if (convert(src, out, null) != null) {
        ic.add(
            cases,
            out.getFileName() + " [" + loader + "]",
            model,
            out,
            loader,
            architecture,
            ic.weightsReference(src, architecture, loader),
            "equal");
      }
    }

    private ModelIO.WriteResult convert(Path src, Path out, TargetRuntime runtime)
        throws IOException {
      if (!Files.exists(src)) {
        return null;
      }
      try (LoadedModel lm = ModelIO.open(src, ModelIO.ReadOptions.defaults().withConfig(null))) {
        return ModelIO.write(lm, out, ModelIO.WriteOptions.defaults().withRuntime(runtime));
      } catch (UnsupportedModelException e) {
        skipped.add(out.getFileName() + ": " + e.detail());
        if (runtime != null) {
          forRefusals.add(forCase(runtime, src, Verdict.REFUSED, CompatibilityRecords.refusal(e)));
        }
        return null;
      }
    }

    /** A --for case that was written but is not checked (and why). */
    void unverified(Path src, TargetRuntime runtime, String why) {
      if (Files.exists(src)) {
        forRefusals.add(forCase(runtime, src, Verdict.UNVERIFIED, why));
      }
    }

    private void forCase(TargetRuntime runtime, Path src, String id) {
      if (runtime != null) {
        forCases.put(id, forCase(runtime, src, null, null));
      }
    }

    private ForCase forCase(TargetRuntime runtime, Path src, Verdict verdict, String reason) {
      String source = src.getFileName().toString();
      boolean tfk = source.startsWith("tfkeras");
      String version = ic.version(tfk ? "tf_keras" : "keras");
      String generation = tfk ? "tf.keras" : "Keras 3";
      String name = tag.isEmpty() ? model : tag.substring(0, tag.length() - 1) + "/" + model;
      return new ForCase(
          cases, tag + model, name, source, generation, version, runtime, verdict, reason);
    }
  }
}
