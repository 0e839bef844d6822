package dev.initkit.interop.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The truth test of {@code convert --for dl4j}: for every bundled model ({@code testdata/models},
 * written by Keras 3 and tf-keras) and every model of the catalogue the pinned Keras wrote ({@code
 * testdata/catalogue/keras-3.12.0}), initkit writes the dl4j form of each original ({@code
 * keras3.h5}, {@code keras3.keras}, {@code tfkeras.h5}) or refuses it before writing with one line
 * naming the layer. DL4J's {@code KerasModelImport} (in a child JVM, {@link Dl4jRunner}) imports
 * every file written and predicts, on the model's {@code input.npz}, what Keras predicts on the
 * original within {@value #TOLERANCE} (relative above 1). Keras's predictions are made in this run,
 * on this machine ({@code check.py --predict}), never read from numbers recorded elsewhere.
 *
 * <p>Needs {@code -Dinitkit.python} (the pinned stack); skipped without it and with {@code
 * -Dinitkit.skipDl4j=true}. {@code -Dinitkit.dl4j.models=a,b} runs those models only. Each case is
 * appended to {@code dl4j-for-dl4j.jsonl} ({@link CompatibilityRecords}) for docs/COMPATIBILITY.md.
 */
@DisabledIfSystemProperty(
    named = "initkit.skipDl4j",
    matches = "(?i)true",
    disabledReason = "DL4J tests skipped (-Dinitkit.skipDl4j=true)")
class Dl4jForRuntimeIT {
  static final double TOLERANCE = 1e-4;

  /**
   * Where Keras computes in float16 (float16 weights, the mixed_float16 policy) and DL4J in
   * float32: two float16 units in the last place at 1 (measured: 6.4e-4 on testdata float16).
   */
  static final double FLOAT16_TOLERANCE = 0x1p-9;

  private static final Duration TIMEOUT =
      Duration.ofSeconds(Long.getLong("initkit.dl4j.timeoutSeconds", 60));
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SOURCES = List.of("keras3.h5", "keras3.keras", "tfkeras.h5");

  /** One original and what initkit made of it: a file, or the refusal. */
  private record Case(
      String model,
      String source,
      Path original,
      Path written,
      String refusal,
      boolean float16,
      String version) {
    String generation() {
      return source.startsWith("tfkeras") ? "tf.keras" : "Keras 3";
    }

    String label() {
      return model + "/" + source;
    }

    String loader() {
      return source.startsWith("tfkeras") ? "tfkeras" : "keras3";
    }
  }

  @TestFactory
  Stream<DynamicTest> dl4jPredictsWhatKerasPredictsOnTheOriginal(@TempDir Path tmp)
      throws Exception {
    assumeFalse(Boolean.getBoolean("initkit.skipDl4j"));
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to the testdata venv's python");
    Path testdata = Path.of(System.getProperty("initkit.testdata", "../testdata"));
    String only = System.getProperty("initkit.dl4j.models", "");
    Set<String> selected = only.isEmpty() ? Set.of() : Set.of(only.split(","));

    // 1. initkit writes the dl4j form of every original, or refuses it: the bundled models and the
    // catalogue the pinned Keras wrote (one model per layer class)
    List<Case> cases = new ArrayList<>();
    for (Path models :
        List.of(testdata.resolve("models"), testdata.resolve("catalogue/keras-3.12.0"))) {
      if (!Files.exists(models.resolve("MANIFEST.json"))) {
        continue;
      }
      String tag =
          models.getFileName().toString().equals("models") ? "" : models.getFileName() + "/";
      JsonNode manifest = JSON.readTree(models.resolve("MANIFEST.json").toFile());
      for (JsonNode m : manifest.path("models")) {
        String name = m.path("name").asText();
        if (!selected.isEmpty() && !selected.contains(name)) {
          continue;
        }
        for (String source : SOURCES) {
          Path original = models.resolve(name).resolve(source);
          if (!Files.exists(original)) {
            continue;
          }
          Path out =
              tmp.resolve(
                  tag.replace('/', '.') + name + "." + source.replace('.', '-') + ".dl4j.h5");
          boolean float16 = false;
          String version =
              manifest
                  .path("versions")
                  .path(source.startsWith("tfkeras") ? "tf_keras" : "keras")
                  .asText(null);
          try (LoadedModel lm = ModelIO.open(original)) {
            float16 = computesInFloat16(lm);
            ModelIO.write(lm, out, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.DL4J));
            cases.add(new Case(tag + name, source, original, out, null, float16, version));
          } catch (UnsupportedModelException e) {
            assertFalse(Files.exists(out), "refused, yet written: " + out);
            cases.add(
                new Case(tag + name, source, original, null, e.getMessage(), float16, version));
          }
        }
      }
    }
    assertFalse(cases.isEmpty(), "no bundled models under " + testdata);

    // 2. Keras predicts on the originals, now, here
    ArrayNode list = JSON.createArrayNode();
    for (Case c : cases) {
      if (c.written() != null) {
        ObjectNode s = list.addObject();
        s.put("id", c.label());
        s.put("file", c.original().toAbsolutePath().toString());
        s.put("loader", c.loader());
        s.put("input", c.original().resolveSibling("input.npz").toAbsolutePath().toString());
      }
    }
    Path listFile = tmp.resolve("predict.json");
    Path keras = tmp.resolve("keras-predictions.json");
    Files.writeString(listFile, JSON.writeValueAsString(list));
    Process p =
        new ProcessBuilder(
                python,
                testdata.resolve("interop/check.py").toString(),
                "--predict",
                listFile.toString(),
                "--predict-out",
                keras.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("predict.log").toFile())
            .start();
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), "Keras predictions timed out");
    assertEquals(
        0, p.exitValue(), () -> "check.py --predict failed:\n" + read(tmp.resolve("predict.log")));
    JsonNode predicted = JSON.readTree(keras.toFile());

    // 3. DL4J imports what initkit wrote and predicts on the same input (one runAll per input file)
    Map<Path, ProbeResult> dl4j = new LinkedHashMap<>();
    Map<Path, List<Path>> byInput = new LinkedHashMap<>();
    for (Case c : cases) {
      if (c.written() != null) {
        byInput
            .computeIfAbsent(
                c.original().resolveSibling("input.npz").toAbsolutePath(), k -> new ArrayList<>())
            .add(c.written());
      }
    }
    for (var e : byInput.entrySet()) {
      Map<Path, Dl4jRunner.Run> runs =
          Dl4jRunner.runAll(
              e.getValue(),
              TIMEOUT,
              Dl4jRunner.Options.defaults()
                  .withInput(e.getKey().toString())
                  .withRetryTimeoutsAvoidingDistributionInit(true)
                  .withWorkDir(tmp.resolve("probes")));
      runs.forEach(
          (f, run) ->
              dl4j.put(
                  f,
                  run.result().imported() || run.workaround() == null
                      ? run.result()
                      : run.workaround()));
    }

    long imported = cases.stream().filter(c -> c.written() != null).count();
    System.out.printf(
        Locale.ROOT,
        "[dl4j --for] %d originals: %d written and probed, %d refused by initkit%n",
        cases.size(),
        imported,
        cases.size() - imported);
    CompatibilityRecords records =
        CompatibilityRecords.open(
            "dl4j-for",
            "dl4j",
            "DL4J " + DL4J_VERSION + " (vs " + CompatibilityRecords.kerasStack(python) + ")");
    return cases.stream()
        .map(
            c ->
                dynamicTest(
                    c.label(),
                    () -> {
                      if (c.written() == null) {
                        System.out.println(
                            "[dl4j --for] REFUSED " + c.label() + ": " + c.refusal());
                        records.add(
                            c.model(),
                            c.source(),
                            c.generation(),
                            c.version(),
                            "dl4j",
                            Verdict.REFUSED,
                            Double.NaN,
                            Double.NaN,
                            refusalLine(c.refusal()));
                        assertFalse(c.refusal().contains("\n"), "one line: " + c.refusal());
                        return;
                      }
                      double tolerance = c.float16() ? FLOAT16_TOLERANCE : TOLERANCE;
                      try {
                        check(c, dl4j, predicted, records, tolerance);
                      } catch (AssertionError e) {
                        records.add(
                            c.model(),
                            c.source(),
                            c.generation(),
                            c.version(),
                            "dl4j",
                            Verdict.FAILS,
                            Double.NaN,
                            tolerance,
                            e.getMessage());
                        throw e;
                      }
                    }));
  }

  /** The DL4J version the probes run ({@code dl4j.version} of the poms). */
  static final String DL4J_VERSION = "1.0.0-M2.1";

  /** initkit's refusal without the temporary file's path ({@code <file>: <location>: <detail>}). */
  static String refusalLine(String message) {
    int cut = message.indexOf(": ");
    return cut > 0 && message.substring(0, cut).contains("/")
        ? message.substring(cut + 2)
        : message;
  }

  private static void check(
      Case c,
      Map<Path, ProbeResult> dl4j,
      JsonNode predicted,
      CompatibilityRecords records,
      double tolerance) {
    ProbeResult r = dl4j.get(c.written());
    JsonNode k = predicted.path(c.label());
    if (k.has("error")) {
      fail(c.label() + ": Keras cannot predict on the original: " + k.get("error").asText());
    }
    assertTrue(
        r != null && r.imported() && r.forwardError() == null,
        () ->
            c.label()
                + ": DL4J does not import initkit's --for dl4j file: "
                + (r == null ? "no result" : r.summary()));
    double worst = worst(c.label(), k, r, tolerance);
    System.out.printf(
        Locale.ROOT,
        "[dl4j --for] PASS %s: max diff %.3g vs Keras on the original (%s%s)%n",
        c.label(),
        worst,
        r.kind(),
        c.float16() ? ", Keras in float16" : "");
    records.add(
        c.model(),
        c.source(),
        c.generation(),
        c.version(),
        "dl4j",
        Verdict.LOADS_AND_PREDICTS,
        worst,
        tolerance,
        c.float16() ? "Keras computes in float16, DL4J in float32" : null);
  }

  /** The largest |dl4j - keras| / max(1, |keras|) over all outputs; fails beyond the tolerance. */
  private static boolean computesInFloat16(LoadedModel lm) {
    boolean weights =
        lm.model().allLayers().stream()
            .flatMap(l -> l.weights().stream())
            .anyMatch(w -> w.dtype() == dev.initkit.model.DType.FLOAT16);
    return weights || lm.model().configText().orElse("").contains("mixed_float16");
  }

  private static double worst(String label, JsonNode keras, ProbeResult r, double tolerance) {
    JsonNode outs = keras.path("outputs");
    assertEquals(outs.size(), r.outputs().size(), label + ": number of outputs");
    double worst = 0;
    for (int i = 0; i < outs.size(); i++) {
      JsonNode want = outs.get(i);
      float[] got = r.outputs().get(i);
      assertEquals(
          want.size(),
          got.length,
          label
              + ": size of output "
              + i
              + " (DL4J shape "
              + java.util.Arrays.toString(r.outputShapes().get(i))
              + ", Keras "
              + keras.path("shapes").get(i)
              + ")");
      for (int j = 0; j < got.length; j++) {
        double w = want.get(j).asDouble();
        double d = Math.abs(got[j] - w) / Math.max(1, Math.abs(w));
        assertTrue(Double.isFinite(got[j]), label + ": output " + i + " [" + j + "] = " + got[j]);
        worst = Math.max(worst, d);
      }
    }
    assertTrue(
        worst <= tolerance,
        label + ": DL4J predicts " + worst + " off Keras (> " + tolerance + ")");
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
