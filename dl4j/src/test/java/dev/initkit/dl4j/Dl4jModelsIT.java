package dev.initkit.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.DType;
import dev.initkit.model.LoadedModel;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Dl4jModels} in this JVM: for every bundled model ({@code
 * testdata/models/<name>/{keras3.h5, keras3.keras, tfkeras.h5}}), the network it hands over
 * predicts, on the model's {@code input.npz}, what Keras predicts on the original within {@value
 * #TOLERANCE} (relative above 1; {@value #FLOAT16_TOLERANCE} where Keras computes in float16), as a
 * ComputationGraph and, for Sequential models, as a MultiLayerNetwork; or it refuses with one line
 * naming the layer. Keras's predictions are made in this run ({@code check.py --predict}), as in
 * interop-dl4j's Dl4jForRuntimeIT, whose child-JVM results this test repeats in-process (none of
 * the bundled models crashes or hangs DL4J there).
 *
 * <p>The predictions need {@code -Dinitkit.python}; {@code -Dinitkit.dl4j.models=a,b} runs those
 * models only. Skipped with {@code -Dinitkit.skipDl4j=true}.
 */
@DisabledIfSystemProperty(
    named = "initkit.skipDl4j",
    matches = "(?i)true",
    disabledReason = "DL4J tests skipped (-Dinitkit.skipDl4j=true)")
class Dl4jModelsIT {
  static final double TOLERANCE = 1e-4;
  static final double FLOAT16_TOLERANCE = 0x1p-9;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SOURCES = List.of("keras3.h5", "keras3.keras", "tfkeras.h5");
  private static final Path TESTDATA =
      Path.of(System.getProperty("initkit.testdata", "../testdata"));
  private static final Path MODELS = TESTDATA.resolve("models");

  /** One original and what the handoff made of it: networks, or the refusal. */
  private record Case(
      String label,
      Path original,
      ComputationGraph graph,
      MultiLayerNetwork mln,
      String refusal,
      boolean float16) {}

  @TestFactory
  Stream<DynamicTest> theHandedOverNetworkPredictsWhatKerasPredictsOnTheOriginal(@TempDir Path tmp)
      throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to the testdata venv's python");
    String only = System.getProperty("initkit.dl4j.models", "");
    Set<String> selected = only.isEmpty() ? Set.of() : Set.of(only.split(","));
    Set<String> tempBefore = initkitTempEntries();

    List<Case> cases = new ArrayList<>();
    for (JsonNode m : JSON.readTree(MODELS.resolve("MANIFEST.json").toFile()).path("models")) {
      String name = m.path("name").asText();
      if (!selected.isEmpty() && !selected.contains(name)) {
        continue;
      }
      for (String source : SOURCES) {
        Path original = MODELS.resolve(name).resolve(source);
        if (Files.exists(original)) {
          cases.add(handOver(name + "/" + source, original));
        }
      }
    }
    assertTrue(
        cases.size() >= (selected.isEmpty() ? 30 : 1),
        "found only " + cases.size() + " originals under " + MODELS);
    assertEquals(tempBefore, initkitTempEntries(), "the handoff left temporary files behind");

    JsonNode keras = predictWithKeras(python, cases, tmp);
    long handed = cases.stream().filter(c -> c.refusal() == null).count();
    System.out.printf(
        Locale.ROOT,
        "[dl4j handoff] %d originals: %d handed over, %d refused%n",
        cases.size(),
        handed,
        cases.size() - handed);
    return cases.stream()
        .map(
            c ->
                dynamicTest(
                    c.label(),
                    () -> {
                      if (c.refusal() != null) {
                        System.out.println(
                            "[dl4j handoff] REFUSED " + c.label() + ": " + c.refusal());
                        assertFalse(c.refusal().contains("\n"), "one line: " + c.refusal());
                        return;
                      }
                      JsonNode k = keras.path(c.label());
                      if (k.has("error")) {
                        fail(
                            c.label()
                                + ": Keras cannot predict on the original: "
                                + k.get("error").asText());
                      }
                      INDArray[] in = input(c.original());
                      double tolerance = c.float16() ? FLOAT16_TOLERANCE : TOLERANCE;
                      double worst =
                          worst(
                              c.label() + " (ComputationGraph)",
                              k,
                              c.graph().output(false, in),
                              tolerance);
                      String mln = "";
                      if (c.mln() != null) {
                        assertEquals(
                            1, in.length, c.label() + ": a Sequential model has one input");
                        double w =
                            worst(
                                c.label() + " (MultiLayerNetwork)",
                                k,
                                new INDArray[] {c.mln().output(in[0], false)},
                                tolerance);
                        mln = String.format(Locale.ROOT, ", MultiLayerNetwork %.3g", w);
                      }
                      System.out.printf(
                          Locale.ROOT,
                          "[dl4j handoff] PASS %s: ComputationGraph %.3g%s off Keras on the original%s%n",
                          c.label(),
                          worst,
                          mln,
                          c.float16() ? " (Keras in float16)" : "");
                    }));
  }

  @Test
  void aRefusalNamesTheLayerOnOneLine() throws IOException {
    try (LoadedModel lm = ModelIO.open(MODELS.resolve("depthwise_conv2d/tfkeras.h5"))) {
      UnsupportedModelException e =
          assertThrows(UnsupportedModelException.class, () -> Dl4jModels.toComputationGraph(lm));
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertTrue(e.getMessage().contains("DepthwiseConv2D"), e.getMessage());
      assertEquals(
          MODELS.resolve("depthwise_conv2d/tfkeras.h5").toString(),
          String.valueOf(e.file()),
          "names the original, not a temporary file");
    }
  }

  @Test
  void aFunctionalModelHasNoMultiLayerNetwork() throws IOException {
    try (LoadedModel lm = ModelIO.open(MODELS.resolve("multi_io/keras3.keras"))) {
      UnsupportedModelException e =
          assertThrows(UnsupportedModelException.class, () -> Dl4jModels.toMultiLayerNetwork(lm));
      assertTrue(e.getMessage().contains("toComputationGraph"), e.getMessage());
      assertNotNull(Dl4jModels.toComputationGraph(lm));
    }
  }

  /**
   * A DepthwiseConv2D after a convolution (Functional and Sequential, from Keras 3's .keras and
   * .h5), which DL4J's import takes: the models are built and predicted by Keras in this run
   * ({@code depthwise_models.py}).
   */
  @TestFactory
  Stream<DynamicTest> aDepthwiseConvAfterAConvolutionPredictsWhatKerasPredicts(@TempDir Path tmp)
      throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to the testdata venv's python");
    Path script = tmp.resolve("depthwise_models.py");
    try (var in = Dl4jModelsIT.class.getResourceAsStream("depthwise_models.py")) {
      Files.copy(in, script);
    }
    Path log = tmp.resolve("models.log");
    Process p =
        new ProcessBuilder(python, script.toString(), tmp.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "depthwise_models.py timed out");
    assertEquals(0, p.exitValue(), () -> "depthwise_models.py failed:\n" + readQuietly(log));
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : List.of("functional", "sequential")) {
      for (String source : List.of("keras3.keras", "keras3.h5")) {
        Path original = tmp.resolve(model).resolve(source);
        tests.add(
            dynamicTest(
                model + "/" + source,
                () -> {
                  INDArray want =
                      Nd4j.createFromNpyFile(original.resolveSibling("expected.npy").toFile());
                  INDArray[] in = input(original);
                  try (LoadedModel lm = ModelIO.open(original)) {
                    double worst =
                        worst(Dl4jModels.toComputationGraph(lm).output(false, in)[0], want);
                    String mln = "";
                    if (model.equals("sequential")) {
                      mln =
                          String.format(
                              Locale.ROOT,
                              ", MultiLayerNetwork %.3g",
                              worst(Dl4jModels.toMultiLayerNetwork(lm).output(in[0], false), want));
                    }
                    System.out.printf(
                        Locale.ROOT,
                        "[dl4j handoff] PASS depthwise %s/%s: ComputationGraph %.3g%s off Keras%n",
                        model,
                        source,
                        worst,
                        mln);
                  }
                }));
      }
    }
    return tests.stream();
  }

  private static double worst(INDArray got, INDArray want) {
    assertEquals(Arrays.toString(want.shape()), Arrays.toString(got.shape()), "output shape");
    float[] g = got.castTo(DataType.FLOAT).dup('c').data().asFloat();
    float[] w = want.castTo(DataType.FLOAT).dup('c').data().asFloat();
    double worst = 0;
    for (int j = 0; j < g.length; j++) {
      worst = Math.max(worst, Math.abs(g[j] - w[j]) / Math.max(1, Math.abs(w[j])));
    }
    assertTrue(worst <= TOLERANCE, "DL4J predicts " + worst + " off Keras (> " + TOLERANCE + ")");
    return worst;
  }

  /** Both networks, or the refusal; any other failure fails the whole factory, as it should. */
  private static Case handOver(String label, Path original) throws IOException {
    try (LoadedModel lm = ModelIO.open(original)) {
      boolean float16 =
          lm.model().allLayers().stream()
                  .flatMap(l -> l.weights().stream())
                  .anyMatch(w -> w.dtype() == DType.FLOAT16)
              || lm.model().configText().orElse("").contains("mixed_float16");
      try {
        ComputationGraph graph = Dl4jModels.toComputationGraph(lm);
        boolean sequential =
            "Sequential"
                .equals(lm.model().config().map(c -> c.path("class_name").asText()).orElse(""));
        MultiLayerNetwork mln = sequential ? Dl4jModels.toMultiLayerNetwork(lm) : null;
        return new Case(label, original, graph, mln, null, float16);
      } catch (UnsupportedModelException e) {
        return new Case(label, original, null, null, e.getMessage(), float16);
      }
    }
  }

  /** What Keras predicts on each original handed over, now, here ({@code check.py --predict}). */
  private static JsonNode predictWithKeras(String python, List<Case> cases, Path tmp)
      throws Exception {
    ArrayNode list = JSON.createArrayNode();
    for (Case c : cases) {
      if (c.refusal() == null) {
        ObjectNode s = list.addObject();
        s.put("id", c.label());
        s.put("file", c.original().toAbsolutePath().toString());
        s.put("loader", c.label().contains("/tfkeras") ? "tfkeras" : "keras3");
        s.put("input", c.original().resolveSibling("input.npz").toAbsolutePath().toString());
      }
    }
    Path listFile = tmp.resolve("predict.json");
    Path out = tmp.resolve("keras-predictions.json");
    Files.writeString(listFile, JSON.writeValueAsString(list));
    Path log = tmp.resolve("predict.log");
    Process p =
        new ProcessBuilder(
                python,
                TESTDATA.resolve("interop/check.py").toString(),
                "--predict",
                listFile.toString(),
                "--predict-out",
                out.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), "Keras predictions timed out");
    assertEquals(0, p.exitValue(), () -> "check.py --predict failed:\n" + readQuietly(log));
    return JSON.readTree(out.toFile());
  }

  /** The model's input.npz, arrays in name order (x0, x1...), as float32. */
  private static INDArray[] input(Path original) throws Exception {
    Map<String, INDArray> arrays =
        new TreeMap<>(
            Nd4j.createFromNpzFile(new File(original.resolveSibling("input.npz").toString())));
    return arrays.values().stream().map(a -> a.castTo(DataType.FLOAT)).toArray(INDArray[]::new);
  }

  /** The largest |dl4j - keras| / max(1, |keras|) over all outputs; fails beyond the tolerance. */
  private static double worst(String label, JsonNode keras, INDArray[] got, double tolerance) {
    JsonNode outs = keras.path("outputs");
    assertEquals(outs.size(), got.length, label + ": number of outputs");
    double worst = 0;
    for (int i = 0; i < got.length; i++) {
      float[] g = got[i].castTo(DataType.FLOAT).dup('c').data().asFloat();
      JsonNode want = outs.get(i);
      assertEquals(
          want.size(),
          g.length,
          label
              + ": size of output "
              + i
              + " (DL4J shape "
              + Arrays.toString(got[i].shape())
              + ", Keras "
              + keras.path("shapes").get(i)
              + ")");
      for (int j = 0; j < g.length; j++) {
        assertTrue(Float.isFinite(g[j]), label + ": output " + i + " [" + j + "] = " + g[j]);
        double w = want.get(j).asDouble();
        worst = Math.max(worst, Math.abs(g[j] - w) / Math.max(1, Math.abs(w)));
      }
    }
    assertTrue(
        worst <= tolerance,
        label + ": DL4J predicts " + worst + " off Keras (> " + tolerance + ")");
    return worst;
  }

  private static Set<String> initkitTempEntries() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("initkit-dl4j-"))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }
}
