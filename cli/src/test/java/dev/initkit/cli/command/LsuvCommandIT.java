package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code initkit lsuv}, checked by real Keras on a held-out batch. */
class LsuvCommandIT {
  @TempDir Path tmp;

  @Test
  void everyLayerHasUnitVarianceOnAHeldOutBatchInRealKeras() throws Exception {
    Path out = tmp.resolve("lsuv.keras");
    double tol = 0.1;
    JsonNode doc =
        Cli.run(
                "lsuv",
                Cli.testdata().resolve("analysis/models/mlp20/keras3.keras"),
                "-o",
                out,
                "--tol",
                tol,
                "--seed",
                3,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    assertEquals(out.toString(), doc.get("output").asText());
    assertEquals("keras", doc.get("format").asText());
    JsonNode layers = doc.get("layers");
    assertEquals(21, layers.size());
    for (int i = 0; i < 20; i++) {
      JsonNode l = layers.get(i);
      assertTrue(l.get("scaled").asBoolean(), l::toString);
      assertTrue(Math.abs(l.get("finalVariance").asDouble() - 1) < tol, l::toString);
      assertTrue(
          l.get("iterations").asInt() >= 1,
          l::toString); // orthonormal alone is not unit variance after ReLU
    }
    JsonNode head = layers.get(20);
    assertFalse(head.get("scaled").asBoolean());
    assertTrue(head.get("skipReason").asText().contains("outputs"), head::toString);

    // a batch LSUV never saw (another seed, numpy's generator), through real Keras 3 loading the
    // output
    Map<String, JsonNode> keras = KerasProbe.layers(out, "--seed", "987", "--batch", "512");
    for (int i = 0; i < 20; i++) {
      String name = layers.get(i).get("name").asText();
      double v = keras.get(name).get("variance").asDouble();
      assertTrue(Math.abs(v - 1) <= tol, name + ": held-out variance " + v);
    }
  }

  /**
   * LSUV of an LSTM (the bundled {@code lstm8}): its output {@code o * tanh(c)} is bounded below
   * unit variance, so LSUV equalizes its input projection (the input at every time step times the
   * kernel); real Keras 3 loads the output and measures that projection's variance on a held-out
   * batch within the tolerance of 1.
   */
  @Test
  void anLstmsInputProjectionHasUnitVarianceInRealKeras() throws Exception {
    Path out = tmp.resolve("lsuv-lstm.keras");
    double tol = 0.1;
    JsonNode doc =
        Cli.run(
                "lsuv",
                Cli.testdata().resolve("analysis/models/lstm8/keras3.keras"),
                "-o",
                out,
                "--tol",
                tol,
                "--seed",
                3,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    JsonNode lstm = doc.get("layers").get(0);
    assertEquals("lstm", lstm.get("name").asText());
    assertTrue(lstm.get("scaled").asBoolean(), lstm::toString);
    assertEquals("input projection", lstm.get("measured").asText());
    assertTrue(Math.abs(lstm.get("finalVariance").asDouble() - 1) < tol, lstm::toString);
    Map<String, JsonNode> keras = KerasProbe.layers(out, "--seed", "987", "--batch", "512");
    double v = keras.get("lstm").get("projectionVariance").asDouble();
    assertTrue(Math.abs(v - 1) <= tol, "lstm: held-out input projection variance in Keras " + v);
  }

  /** Issue 17: a Keras-3-written .h5, which DL4J refuses as it is, goes through its dl4j form. */
  /** LSUV of a CNN on TensorFlow: the convolution's variance is 1 in real Keras too. */
  @Test
  void aCnnsConvolutionHasUnitVarianceInRealKeras() throws Exception {
    Path out = tmp.resolve("lsuv-cnn.keras");
    double tol = 0.1;
    JsonNode doc =
        Cli.run(
                "lsuv",
                Cli.testdata().resolve("analysis/models/cnn8/keras3.keras"),
                "-o",
                out,
                "--tol",
                tol,
                "--seed",
                3,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    assertEquals("tensorflow", doc.get("engine").asText());
    JsonNode conv = doc.get("layers").get(0);
    assertEquals("conv", conv.get("name").asText());
    assertTrue(conv.get("scaled").asBoolean(), conv::toString);
    assertTrue(Math.abs(conv.get("finalVariance").asDouble() - 1) < tol, conv::toString);
    Map<String, JsonNode> keras = KerasProbe.layers(out, "--seed", "987", "--batch", "512");
    double v = keras.get("conv").get("variance").asDouble();
    assertTrue(Math.abs(v - 1) <= tol, "conv: held-out variance in Keras " + v);
  }

  @Test
  void aKeras3WrittenFileIsAccepted() throws Exception {
    Path out = tmp.resolve("lsuv-k3.h5");
    Cli.run(
            "lsuv",
            Cli.model("mlp", "keras3.h5"),
            "--data",
            Cli.model("mlp", "input.npz"),
            "-o",
            out,
            "-q")
        .assertExit(ExitCodes.OK);
    assertTrue(Files.isRegularFile(out));
  }

  @Test
  void anExistingOutputIsRefusedWithoutForce() throws Exception {
    Path out = Files.writeString(tmp.resolve("exists.h5"), "keep me");
    Cli.Result r =
        Cli.run("lsuv", Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"), "-o", out);
    r.assertExit(ExitCodes.IO);
    assertTrue(r.assertOneErrorLine().contains("--force"));
    assertEquals("keep me", Files.readString(out));
  }

  @Test
  void aWeightsOnlyOutputIsAUsageError() {
    Cli.run(
            "lsuv",
            Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"),
            "-o",
            tmp.resolve("w.weights.h5"))
        .assertExit(ExitCodes.USAGE);
  }
}
