package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code initkit analyze} on models written by real Keras (testdata/generate_analysis.py), with
 * DL4J in a child JVM. Each DL4J run costs a JVM start (about 5 s).
 */
class AnalyzeCommandIT {
  @TempDir Path tmp;

  private static List<JsonNode> denseLayers(JsonNode scheme) {
    List<JsonNode> out = new ArrayList<>();
    scheme
        .get("layers")
        .forEach(
            l -> {
              if (l.get("name").asText().startsWith("dense_")) {
                out.add(l);
              }
            });
    return out;
  }

  /**
   * Issue 17: DL4J refuses Keras-3-written files (major version 3, flat input_layers, Keras 3
   * weight names); analyze hands it the dl4j form ({@code convert --for dl4j}), so the bundled
   * Keras 3 files run and give the statistics of the same weights written by tf-keras.
   */
  @Test
  void keras3WrittenFilesRunAsTheirTfKerasTwins() throws Exception {
    for (String m : List.of("mlp", "conv2d", "lstm")) {
      Path data = Cli.model(m, "input.npz");
      JsonNode twin =
          Cli.run("analyze", Cli.model(m, "tfkeras.h5"), "--data", data, "--json", "-q")
              .assertExit(ExitCodes.OK)
              .json()
              .get("schemes")
              .get(0);
      for (String f : List.of("keras3.h5", "keras3.keras")) {
        JsonNode scheme =
            Cli.run("analyze", Cli.model(m, f), "--data", data, "--json", "-q")
                .assertExit(ExitCodes.OK)
                .json()
                .get("schemes")
                .get(0);
        assertEquals(twin.get("layers").size(), scheme.get("layers").size(), m + "/" + f);
        for (int i = 0; i < twin.get("layers").size(); i++) {
          JsonNode a = twin.get("layers").get(i);
          JsonNode b = scheme.get("layers").get(i);
          assertEquals(a.get("name").asText(), b.get("name").asText(), m + "/" + f);
          assertEquals(
              a.get("output_std").asDouble(),
              b.get("output_std").asDouble(),
              1e-5 * Math.max(1, a.get("output_std").asDouble()),
              m + "/" + f + " " + a.get("name").asText());
        }
      }
    }
  }

  /**
   * The depth test: He keeps the std through 20 ReLU layers, small random (+-0.01)
   * collapses it.
   */
  @Test
  void heKeepsTheSignalThroughDepthAndSmallRandomCollapsesIt() throws Exception {
    Path html = tmp.resolve("report.html");
    Cli.Result r =
        Cli.run(
                "analyze",
                Cli.testdata().resolve("analysis/models/mlp20/tfkeras.h5"),
                "--scheme",
                "he_normal,small_uniform(limit=0.01)",
                "--html",
                html,
                "--json")
            .assertExit(ExitCodes.OK);
    JsonNode doc = r.json();
    assertEquals("analyze", doc.get("command").asText());
    JsonNode schemes = doc.get("schemes");
    assertEquals(2, schemes.size());
    assertEquals("he_normal", schemes.get(0).get("scheme").asText());

    List<JsonNode> he = denseLayers(schemes.get(0));
    assertEquals(20, he.size());
    double heRatio =
        he.get(19).get("output_std").asDouble() / he.get(0).get("output_std").asDouble();
    assertTrue(heRatio >= 0.5 && heRatio <= 2, "He: last/first output std " + heRatio);
    for (JsonNode l : he) {
      assertTrue(l.get("grad_norm").asDouble() > 1e-3, "He: a gradient reaches " + l);
      assertTrue(l.get("dead_fraction").isNumber(), "ReLU layers report dead units: " + l);
      assertTrue(l.get("saturated_fraction").isNull(), l::toString);
      assertTrue(l.get("mark").isNull(), "He: no vanishing/exploding mark: " + l);
    }

    List<JsonNode> small = denseLayers(schemes.get(1));
    double smallRatio =
        small.get(19).get("output_std").asDouble() / small.get(0).get("output_std").asDouble();
    assertTrue(smallRatio < 1e-3, "small: last/first output std " + smallRatio);
    assertEquals("vanishing", small.get(19).get("mark").asText());
    assertTrue(
        small.get(19).get("grad_norm").asDouble() < 1e-6 * he.get(19).get("grad_norm").asDouble());

    String page = Files.readString(html);
    assertTrue(
        page.contains("<svg") && page.contains("he_normal") && page.contains("dense_20"),
        "HTML report content");
  }

  /**
   * The statistics are the model's: per layer std equals what real Keras computes on the same data.
   */
  @Test
  void layerStdMatchesRealKerasOnTheSameBatch() throws Exception {
    Path data = Cli.testdata().resolve("data/digits.npz");
    Path model = Cli.testdata().resolve("analysis/models/mlp20/keras3.keras");
    JsonNode doc =
        Cli.run("analyze", model, "--data", data, "--batch", 200, "--json")
            .assertExit(ExitCodes.OK)
            .json();
    JsonNode scheme = doc.get("schemes").get(0);
    assertEquals("file", scheme.get("scheme").asText());
    Map<String, JsonNode> keras =
        KerasProbe.layers(model, "--npz", data.toString(), "--key", "x_train", "--batch", "200");
    assertEquals(21, scheme.get("layers").size());
    for (JsonNode l : scheme.get("layers")) {
      double k = keras.get(l.get("name").asText()).get("std").asDouble();
      double d = l.get("output_std").asDouble();
      assertEquals(k, d, 1e-4 * Math.max(1, k), "std of " + l.get("name").asText());
    }
  }

  /**
   * Functional models run as DL4J ComputationGraphs: a Dense stack with its gradients, and a
   * convolution model whose forward statistics stand although DL4J's backward pass fails on it.
   */
  @Test
  void functionalModelsMatchRealKerasToo() throws Exception {
    for (String m : List.of("mlp_inits", "conv2d")) {
      Path model = Cli.model(m, "tfkeras.h5");
      Path data = Cli.model(m, "input.npz");
      JsonNode scheme =
          Cli.run("analyze", model, "--data", data, "--json")
              .assertExit(ExitCodes.OK)
              .json()
              .get("schemes")
              .get(0);
      Map<String, JsonNode> keras =
          KerasProbe.layers(model, "--npz", data.toString(), "--key", "x0");
      int compared = 0;
      for (JsonNode l : scheme.get("layers")) {
        JsonNode k = keras.get(l.get("name").asText());
        if (k != null) {
          assertEquals(
              k.get("std").asDouble(),
              l.get("output_std").asDouble(),
              1e-4 * Math.max(1, k.get("std").asDouble()),
              m + "/" + l.get("name").asText());
          compared++;
        }
      }
      assertTrue(compared >= 3, m + ": layers compared " + compared);
      // TensorFlow differentiates the convolutions too (DL4J's backward pass fails on them)
      assertTrue(scheme.get("gradientError").isNull(), scheme::toString);
      assertTrue(scheme.get("layers").get(0).get("grad_norm").asDouble() > 0);
    }
  }

  /** A folder of images is read at the model's input size, as Keras reads the same PNGs. */
  @Test
  void aFolderOfImagesIsReadAsKerasReadsIt() throws Exception {
    Path model = Cli.testdata().resolve("analysis/models/cnn8/tfkeras.h5");
    Path pngs = Cli.testdata().resolve("data/digits_png/3");
    JsonNode scheme =
        Cli.run("analyze", model, "--data", pngs, "--json")
            .assertExit(ExitCodes.OK)
            .json()
            .get("schemes")
            .get(0);
    Map<String, JsonNode> keras = KerasProbe.layers(model, "--images", pngs.toString());
    for (String layer : List.of("conv", "head")) {
      JsonNode ours = null;
      for (JsonNode l : scheme.get("layers")) {
        if (l.get("name").asText().equals(layer)) {
          ours = l;
        }
      }
      double k = keras.get(layer).get("std").asDouble();
      assertEquals(k, ours.get("output_std").asDouble(), 1e-4 * Math.max(1, k), layer);
    }
    // class folders give labels (the loss is then the data's); a flat-input model cannot read
    // images
    Cli.run("analyze", model, "--data", pngs.getParent(), "-q").assertExit(ExitCodes.OK);
    Cli.Result r =
        Cli.run(
            "analyze",
            Cli.testdata().resolve("analysis/models/mlp20/tfkeras.h5"),
            "--data",
            pngs,
            "-q");
    r.assertExit(ExitCodes.MALFORMED);
    assertTrue(r.assertOneErrorLine().contains("image input"));
  }

  @Test
  void saturatedTanhUnitsAreCounted() {
    JsonNode doc =
        Cli.run("analyze", Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"), "--json")
            .assertExit(ExitCodes.OK)
            .json();
    JsonNode layers = doc.get("schemes").get(0).get("layers");
    assertEquals("tanh", layers.get(1).get("activation").asText());
    for (int i = 1; i < 6; i++) {
      // RandomNormal(stddev=1) on 64 inputs: pre-activations with std ~8, mostly beyond |y| > 0.99
      assertTrue(layers.get(i).get("saturated_fraction").asDouble() > 0.5, layers.get(i)::toString);
      assertTrue(layers.get(i).get("dead_fraction").isNull());
    }
    assertEquals("xent", doc.get("schemes").get(0).get("loss").asText());
  }

  /**
   * TensorFlow runs a model of two inputs and two outputs: standard-normal inputs, a loss per
   * output summed, gradients through both branches.
   */
  @Test
  void multiInputOutputModelsRunOnTensorFlow() {
    JsonNode scheme =
        Cli.run("analyze", Cli.model("multi_io", "keras3.keras"), "--json")
            .assertExit(ExitCodes.OK)
            .json()
            .get("schemes")
            .get(0);
    assertEquals("mcxent+mse", scheme.get("loss").asText(), scheme::toString);
    assertTrue(scheme.get("gradientError").isNull(), scheme::toString);
    int dense = 0;
    for (JsonNode l : scheme.get("layers")) {
      if (l.get("class_name").asText().equals("Dense")) {
        assertTrue(l.get("grad_norm").asDouble() > 0, l::toString);
        dense++;
      }
    }
    assertEquals(4, dense, scheme::toString);
  }

  @Test
  void layersDl4jCannotRunAreListed() {
    Cli.Result r = Cli.run("analyze", Cli.model("gru", "tfkeras.h5"), "--engine", "dl4j", "-q");
    r.assertExit(ExitCodes.UNSUPPORTED);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains("gru_a (GRU)") && line.contains("gru_b (GRU)"), line);
    assertTrue(line.contains("tfkeras.h5"), line);
    // TensorFlow runs them, gradients included
    JsonNode gru =
        Cli.run("analyze", Cli.model("gru", "tfkeras.h5"), "--json")
            .assertExit(ExitCodes.OK)
            .json()
            .get("schemes")
            .get(0);
    assertTrue(gru.get("gradientError").isNull(), gru::toString);
    assertTrue(gru.get("layers").get(0).get("grad_norm").asDouble() > 0, gru::toString);
  }

  /**
   * DL4J's JVM is killed at the time limit; the user gets one line, exit code 4, and no JVM is left
   * behind.
   */
  @Test
  void aRunPastTheTimeLimitIsKilledWithOneClearError() {
    long before = ProcessHandle.current().descendants().count();
    Cli.Result r =
        Cli.run(
            "analyze",
            Cli.testdata().resolve("analysis/models/mlp20/tfkeras.h5"),
            "--timeout",
            1,
            "-q");
    r.assertExit(ExitCodes.UNSUPPORTED);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains("did not finish within 1 s") && line.contains("tfkeras.h5"), line);
    assertEquals(before, ProcessHandle.current().descendants().count(), "the child JVM is gone");
  }

  @Test
  void dataOfTheWrongShapeNamesTheDataFile() {
    Path data = Cli.testdata().resolve("data/digits.npz");
    JsonNode err =
        Cli.run(
                "analyze",
                Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"),
                "--data",
                data,
                "--json")
            .assertExit(ExitCodes.MALFORMED)
            .assertJsonError(ExitCodes.MALFORMED, "malformed");
    assertEquals(data.toString(), err.get("file").asText());
    assertTrue(err.get("message").asText().contains("64 values"), err::toString);
  }

  @Test
  void missingDataIsAnIoErrorBeforeDl4jStarts() {
    Cli.Result r =
        Cli.run(
            "analyze",
            Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"),
            "--data",
            tmp.resolve("none.npy"),
            "-q");
    r.assertExit(ExitCodes.IO);
    assertTrue(r.assertOneErrorLine().contains("none.npy"));
  }

  @Test
  void anUnknownSchemeIsAUsageError() {
    Cli.Result r =
        Cli.run(
            "analyze",
            Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"),
            "--scheme",
            "he_normal,bogus_init",
            "-q");
    r.assertExit(ExitCodes.USAGE);
    assertTrue(r.assertOneErrorLine().contains("bogus_init"));
  }
}
