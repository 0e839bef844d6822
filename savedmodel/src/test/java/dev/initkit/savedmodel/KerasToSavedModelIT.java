package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Format;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .keras/.h5 written as serving SavedModels: TensorFlow predicts what Keras predicted. */
class KerasToSavedModelIT {
  private static Path models() {
    return SavedModelReadTest.testdata().getParent();
  }

  /** One model file's outcome: exported and compared, or refused with a reason. */
  record Result(
      String id,
      String model,
      String source,
      String verdict,
      String reason,
      Double maxDiffPython,
      Double maxDiffJava) {}

  /**
   * Every model/source refused, with a substring of the reason. A change in coverage (a new layer
   * supported, or a model newly refused) fails the test until this list says so.
   */
  private static final Map<String, String> REFUSED =
      Map.ofEntries(
          Map.entry(
              "quant_float8/keras3.keras",
              "layer dense: cannot write a serving SavedModel: a quantized layer (QuantizedFloat8DTypePolicy)"),
          Map.entry(
              "quant_int4/keras3.h5",
              "layer embed: cannot write a serving SavedModel: a quantized layer (QuantizedDTypePolicy)"),
          Map.entry(
              "quant_int4/keras3.keras",
              "layer embed: cannot write a serving SavedModel: a quantized layer (QuantizedDTypePolicy)"),
          Map.entry(
              "quant_int8/keras3.h5",
              "layer embed: cannot write a serving SavedModel: a quantized layer (QuantizedDTypePolicy)"),
          Map.entry(
              "quant_int8/keras3.keras",
              "layer embed: cannot write a serving SavedModel: a quantized layer (QuantizedDTypePolicy)"));

  /** Per-case results of the last run (a compatibility matrix is emitted from them). */
  static final List<Result> RESULTS = new ArrayList<>();

  private static final List<String> SOURCES = List.of("keras3.keras", "tfkeras.h5", "keras3.h5");

  /** Every bundled model (a directory with input.npz) and every keras-3.12.0 catalogue model. */
  static List<Path> modelDirs() throws java.io.IOException {
    List<Path> out = new ArrayList<>();
    try (var s = Files.walk(models())) {
      s.filter(p -> Files.isRegularFile(p.resolve("input.npz"))).sorted().forEach(out::add);
    }
    try (var s = Files.list(models().getParent().resolve("catalogue/keras-3.12.0"))) {
      s.filter(p -> Files.isRegularFile(p.resolve("input.npz"))).sorted().forEach(out::add);
    }
    return out;
  }

  private static String modelId(Path dir) {
    Path cat = models().getParent().resolve("catalogue");
    return dir.startsWith(cat)
        ? "catalogue/" + cat.relativize(dir).toString().replace('\\', '/')
        : models().relativize(dir).toString().replace('\\', '/');
  }

  /**
   * Tolerance on max |a-b| / max(1, |b|) against Keras. float32 layers: 1e-5 (TF ops lowered by
   * initkit compute the same layers in another order). The exported graph computes in float32 while
   * Keras computes float16/bfloat16 layers (and mixed_float16 ones) in those dtypes, rounding after
   * each op: float16 keeps 11 significant bits (unit roundoff 2^-11 ~ 4.9e-4), bfloat16 8 (2^-8 ~
   * 3.9e-3), so a few layers of roundings are held to about four units: 2e-3 and 1e-2 (measured
   * 6.4e-4 and 2.7e-3).
   */
  private static double tolerance(LoadedModel lm) {
    String config = lm.model().config().map(Object::toString).orElse("");
    boolean bf16 = config.contains("bfloat16");
    boolean f16 = config.replace("bfloat16", "").contains("float16");
    for (Weight w : lm.model().layerWeights()) {
      bf16 |= w.dtype() == dev.initkit.model.DType.BFLOAT16;
      f16 |= w.dtype() == dev.initkit.model.DType.FLOAT16;
    }
    return bf16 ? 1e-2 : f16 ? 2e-3 : 1e-5;
  }

  @Test
  void everyModelIsExportedAndPredictsLikeKerasOrRefused(@TempDir Path tmp) throws Exception {
    RESULTS.clear();
    ArrayNode cases = Json.mapper().createArrayNode();
    Map<String, String> refused = new java.util.TreeMap<>();
    Map<String, String[]> ids = new java.util.LinkedHashMap<>();
    Map<String, String> versions = new HashMap<>();
    Map<String, Double> tolerances = new HashMap<>();
    List<String> failures = new ArrayList<>();
    for (Path dir : modelDirs()) {
      String model = modelId(dir);
      for (String file : SOURCES) {
        Path src = dir.resolve(file);
        if (!Files.exists(src)) {
          continue;
        }
        String id = model + "/" + file;
        Path out = tmp.resolve(id.replace('/', '_').replace('.', '_'));
        double tol;
        List<List<String>> keys;
        try (LoadedModel lm = ModelIO.open(src)) {
          tol = tolerance(lm);
          versions.put(id, lm.model().kerasVersion().orElse(""));
          tolerances.put(id, tol);
          try {
            ModelIO.write(lm, out, WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
          } catch (UnsupportedModelException e) {
            refused.put(id, e.getMessage());
            RESULTS.add(new Result(id, model, file, "refused", e.getMessage(), null, null));
            assertFalse(Files.exists(out), "nothing written for a refusal: " + id);
            continue;
          } catch (Exception e) {
            failures.add(id + ": " + e);
            continue;
          }
          keys = KerasGraphExporter.signatureKeys(lm.model().config().get());
          try {
            checkCheckpoint(lm, out);
          } catch (Exception | AssertionError e) {
            failures.add(id + ": checkpoint " + e);
            continue;
          }
        }
        ObjectNode c = cases.addObject();
        c.put("id", id);
        c.put("dir", out.toString());
        c.put("input", dir.resolve("input.npz").toString());
        // the baseline is Keras's prediction of the source in the same process
        ObjectNode ref = c.putObject("keras_reference");
        ref.put("file", src.toString());
        ref.put("loader", file.startsWith("keras3") ? "keras3" : "tfkeras");
        keys.get(0).forEach(c.putArray("signature_inputs")::add);
        keys.get(1).forEach(c.putArray("signature_outputs")::add);
        c.put("tolerance", tol);
        ids.put(id, new String[] {model, file, out.toString(), Double.toString(tol)});
      }
    }
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to compare with Keras's predictions");
    // both ends of the version matrix (TensorFlow 2.20 and, when set up, 2.21) serve the exports;
    // the pinned stack also dumps its inputs and Keras's outputs for TF Java
    Map<String, String> stacks = new java.util.LinkedHashMap<>();
    stacks.put("pinned", python);
    if (!System.getProperty("initkit.pythonNewest", "").isEmpty()) {
      stacks.put("newest", System.getProperty("initkit.pythonNewest"));
    }
    Map<String, Double> pythonDiff = new HashMap<>();
    JsonNode pinned = null;
    for (var stack : stacks.entrySet()) {
      ArrayNode these = cases.deepCopy();
      if (stack.getKey().equals("pinned")) {
        these.forEach(
            c ->
                ((ObjectNode) c)
                    .put(
                        "dump",
                        tmp.resolve("dump")
                            .resolve(c.path("id").asText().replace('/', '_'))
                            .toString()));
      }
      Path casesFile = tmp.resolve("cases-" + stack.getKey() + ".json");
      Files.writeString(casesFile, Json.write(these));
      Path out = tmp.resolve("results-" + stack.getKey() + ".json");
      Path log = tmp.resolve("log-" + stack.getKey());
      Process p =
          new ProcessBuilder(
                  stack.getValue(),
                  models().getParent().resolve("interop/check_savedmodel.py").toString(),
                  casesFile.toString())
              .redirectOutput(out.toFile())
              .redirectError(log.toFile())
              .start();
      assertTrue(p.waitFor(30, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), stack.getKey() + ": " + Files.readString(log));
      JsonNode results = Json.parse(Files.readString(out)).path("results");
      assertEquals(cases.size(), results.size());
      double worst = 0;
      for (JsonNode r : results) {
        if (!r.path("ok").asBoolean()) {
          failures.add(
              stack.getKey() + " " + r.path("id").asText() + ": " + r.path("reason").asText());
        }
        worst = Math.max(worst, r.path("maxDiff").asDouble());
        pythonDiff.merge(r.path("id").asText(), r.path("maxDiff").asDouble(), Math::max);
      }
      System.out.println(
          "serving SavedModels vs Keras, TF Python ("
              + stack.getKey()
              + "): "
              + results.size()
              + " exports, largest difference "
              + worst);
      if (stack.getKey().equals("pinned")) {
        pinned = results;
      }
    }
    // TF Java serves the same inputs and is compared with the same Keras outputs
    double worstJava = 0;
    for (JsonNode r : pinned) {
      String id = r.path("id").asText();
      String[] info = ids.get(id);
      JsonNode dump = r.path("dump");
      if (dump.isMissingNode()) {
        RESULTS.add(
            new Result(
                id,
                info[0],
                info[1],
                "exported",
                r.path("reason").asText(null),
                pythonDiff.get(id),
                null));
        continue;
      }
      List<TfJava.Feed> feeds = new ArrayList<>();
      for (JsonNode in : dump.path("inputs")) {
        long[] shape = new long[in.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = in.path("shape").get(i).asLong();
        }
        feeds.add(
            new TfJava.Feed(
                in.path("key").asText(),
                in.path("dtype").asText(),
                shape,
                Path.of(in.path("file").asText())));
      }
      List<String> outKeys = new ArrayList<>();
      dump.path("outputs").forEach(o -> outKeys.add(o.path("key").asText()));
      double diff = 0;
      try {
        List<double[]> ys = TfJava.serve(Path.of(info[2]), feeds, outKeys);
        for (int i = 0; i < ys.size(); i++) {
          java.nio.ByteBuffer b =
              java.nio.ByteBuffer.wrap(
                      Files.readAllBytes(
                          Path.of(dump.path("outputs").get(i).path("file").asText())))
                  .order(java.nio.ByteOrder.LITTLE_ENDIAN);
          double[] y = ys.get(i);
          assertEquals(b.remaining() / 8, y.length, id + " output " + outKeys.get(i) + " size");
          for (double v : y) {
            double e = b.getDouble();
            assertTrue(Double.isFinite(v), "TF Java output of " + id);
            diff = Math.max(diff, Math.abs(v - e) / Math.max(1, Math.abs(e)));
          }
        }
      } catch (Exception | AssertionError e) {
        failures.add("TF Java " + id + ": " + e);
        continue;
      }
      if (diff > Double.parseDouble(info[3])) {
        failures.add("TF Java " + id + ": differs from Keras by " + diff);
      }
      worstJava = Math.max(worstJava, diff);
      RESULTS.add(new Result(id, info[0], info[1], "exported", null, pythonDiff.get(id), diff));
      System.out.println(
          "[java] " + id + ": diff " + diff + " (python " + pythonDiff.get(id) + ")");
    }
    System.out.println(
        "serving SavedModels vs Keras, TF Java: "
            + pinned.size()
            + " exports, largest difference "
            + worstJava);
    refused.forEach((id, why) -> System.out.println("[refused] " + id + ": " + why));
    record(python, failures, versions, tolerances);
    System.out.println(
        "cases "
            + RESULTS.size()
            + ": "
            + cases.size()
            + " exported, "
            + refused.size()
            + " refused");
    // the refused set is pinned: each refusal names its reason, and nothing else is refused
    for (var r : refused.entrySet()) {
      String want = REFUSED.get(r.getKey());
      if (want == null) {
        failures.add("newly refused " + r.getKey() + ": " + r.getValue());
      } else if (!r.getValue().contains(want)) {
        failures.add(
            "refused "
                + r.getKey()
                + " for another reason: "
                + r.getValue()
                + " (pinned: "
                + want
                + ")");
      }
    }
    for (String id : REFUSED.keySet()) {
      if (!refused.containsKey(id)) {
        failures.add("no longer refused (update REFUSED): " + id);
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
  }

  /** The written checkpoint holds the source's values under layer/weight names. */
  private static void checkCheckpoint(LoadedModel lm, Path out) throws Exception {
    try (LoadedModel back = ModelIO.open(out)) {
      Map<String, Weight> byName = new HashMap<>();
      back.model().layerWeights().forEach(w -> byName.put(w.name(), w));
      assertEquals(lm.model().layerWeights().size(), byName.size(), out.toString());
      for (var layer : lm.model().layers()) {
        for (Weight w : layer.weights()) {
          Weight b = byName.get(layer.name() + "/" + w.shortName());
          if (b == null) {
            continue; // a name made unique with an index or a nested path: covered by the
            // predictions
          }
          assertArrayEquals(
              SavedModelReadTest.values(lm, w),
              SavedModelReadTest.values(back, b),
              out + " " + b.name());
        }
      }
    }
  }

  @Test
  void unsupportedLayerIsNamedAndNothingIsWritten(@TempDir Path tmp) throws Exception {
    // a quantized layer stays refused: Keras computes it with its scales, not its codes as floats
    Path out = tmp.resolve("q");
    try (LoadedModel lm = ModelIO.open(models().resolve("quant_int8/keras3.keras"))) {
      UnsupportedModelException e =
          assertThrows(
              UnsupportedModelException.class,
              () -> ModelIO.write(lm, out, WriteOptions.defaults().withFormat(Format.SAVED_MODEL)));
      assertTrue(
          e.getMessage().contains("quantized") && e.getMessage().contains("layer embed"),
          e.getMessage());
    }
    assertFalse(Files.exists(out));
    try (var s = Files.list(tmp)) {
      assertEquals(0, s.count(), "no temporary left behind");
    }
  }

  /**
   * The tensorflow column of docs/COMPATIBILITY.md: every case with its verdict (an export served
   * by TF Python of each stack and by TF Java, within the case's tolerance of Keras; a refusal
   * before writing; or a failure named in {@code failures}).
   */
  private static void record(
      String python,
      List<String> failures,
      Map<String, String> versions,
      Map<String, Double> tolerances) {
    String stack =
        dev.initkit.testing.CompatibilityRecords.kerasStack(python)
                .replaceFirst("^keras", "TF Python with keras")
            + (System.getProperty("initkit.pythonNewest", "").isEmpty()
                ? ""
                : " and the newest stack")
            + ", TF Java";
    try (var rec = dev.initkit.testing.CompatibilityRecords.open("savedmodel", "pinned", stack)) {
      for (Result r : RESULTS) {
        String version = versions.getOrDefault(r.id(), "");
        boolean failed = failures.stream().anyMatch(f -> f.contains(r.id() + ":"));
        var verdict =
            r.verdict().equals("refused")
                ? dev.initkit.testing.CompatibilityRecords.Verdict.REFUSED
                : failed
                    ? dev.initkit.testing.CompatibilityRecords.Verdict.FAILS
                    : dev.initkit.testing.CompatibilityRecords.Verdict.LOADS_AND_PREDICTS;
        double diff =
            Math.max(
                r.maxDiffPython() == null ? 0 : r.maxDiffPython(),
                r.maxDiffJava() == null ? 0 : r.maxDiffJava());
        rec.add(
            r.model(),
            r.source(),
            dev.initkit.testing.CompatibilityRecords.generation(version),
            version,
            "tensorflow",
            verdict,
            verdict == dev.initkit.testing.CompatibilityRecords.Verdict.REFUSED ? Double.NaN : diff,
            verdict == dev.initkit.testing.CompatibilityRecords.Verdict.REFUSED
                ? Double.NaN
                : tolerances.getOrDefault(r.id(), 1e-5),
            r.reason());
      }
    }
  }
}
