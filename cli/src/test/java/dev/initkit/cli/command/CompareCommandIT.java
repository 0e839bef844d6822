package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code initkit compare} on the bundled digits, and its HTML report in headless Chromium. */
class CompareCommandIT {
  @TempDir Path tmp;

  @Test
  void heNormalReachesALowerLossThanZerosAndTheReportRenders() throws Exception {
    Path html = tmp.resolve("compare.html");
    JsonNode doc =
        Cli.run(
                "compare",
                Cli.testdata().resolve("analysis/models/mlp20/tfkeras.h5"),
                "--schemes",
                "zeros,he_normal",
                "--data",
                Cli.testdata().resolve("data/digits.npz"),
                "--epochs",
                2,
                "--seed",
                1,
                "--html",
                html,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    JsonNode runs = doc.get("runs");
    assertEquals(2, runs.size());
    JsonNode zeros = runs.get(0);
    JsonNode he = runs.get(1);
    assertEquals("zeros", zeros.get("scheme").asText());
    assertEquals(2, he.get("epochs").size());
    // zeros never breaks the symmetry: its loss stays at ln(10), the uniform guess over 10 balanced
    // classes
    assertEquals(Math.log(10), zeros.get("finalTrainLoss").asDouble(), 0.02);
    assertTrue(
        he.get("finalTrainLoss").asDouble() < zeros.get("finalTrainLoss").asDouble() - 1,
        doc.get("runs")::toString);
    assertTrue(he.get("epochs").get(1).get("testAccuracy").asDouble() > 0.5, he::toString);
    assertTrue(zeros.get("epochsToTarget").isNull());
    assertEquals(2, doc.get("schemes").size()); // the initial analysis of each copy

    String page = Files.readString(html);
    String withoutNamespaces = page.replace("http://www.w3.org/2000/svg", "");
    assertFalse(
        withoutNamespaces.contains("http://") || withoutNamespaces.contains("https://"),
        "the report loads nothing");
    Chromium.Page loaded = Chromium.load(html);
    assertEquals(java.util.List.of(), loaded.console(), "console messages");
    assertTrue(loaded.dom().contains("data-ready=\"1\""), "the page's script ran");
    assertTrue(
        loaded.dom().contains("data-charts=\"4\""),
        "4 charts (std, grad norm, loss, accuracy): " + chartsOf(loaded.dom()));
    Path png = tmp.resolve("compare.png");
    Chromium.screenshot(html, png);
    byte[] b = Files.readAllBytes(png);
    assertTrue(b.length > 20_000, "screenshot size " + b.length);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(b, 4));
  }

  private static String chartsOf(String dom) {
    int i = dom.indexOf("data-charts=");
    return i < 0 ? "none" : dom.substring(i, Math.min(dom.length(), i + 20));
  }

  /**
   * The bundled CNN (Conv2D, Flatten, Dense) on the flat digits (N, 64), reshaped to its (8, 8, 1)
   * input, on TensorFlow: He and Glorot train with Adam and with SGD, zeros does not.
   */
  @Test
  void aCnnTrainsOnTensorFlowWithAdamAndSgdUnlessZeros() throws Exception {
    for (String[] opt : new String[][] {{"adam", "0.005"}, {"sgd", "0.05"}}) {
      JsonNode doc =
          Cli.run(
                  "compare",
                  Cli.testdata().resolve("analysis/models/cnn8/tfkeras.h5"),
                  "--schemes",
                  "zeros,he_normal,glorot_uniform",
                  "--data",
                  Cli.testdata().resolve("data/digits.npz"),
                  "--epochs",
                  3,
                  "--optimizer",
                  opt[0],
                  "--lr",
                  opt[1],
                  "--seed",
                  1,
                  "--json")
              .assertExit(ExitCodes.OK)
              .json();
      assertEquals("tensorflow", doc.get("engine").asText());
      assertEquals(opt[0], doc.get("optimizer").asText());
      JsonNode runs = doc.get("runs");
      JsonNode zeros = runs.get(0);
      assertEquals(Math.log(10), zeros.get("finalTrainLoss").asDouble(), 0.02, opt[0]);
      assertTrue(zeros.get("epochsToTarget").isNull(), opt[0]);
      for (int i = 1; i < 3; i++) {
        JsonNode r = runs.get(i);
        assertTrue(
            r.get("finalTrainLoss").asDouble() < zeros.get("finalTrainLoss").asDouble() - 1,
            opt[0] + " " + runs);
        assertTrue(r.get("epochs").get(2).get("testAccuracy").asDouble() > 0.8, opt[0] + " " + r);
      }
    }
  }

  /**
   * {@code --mode}: training (Keras's {@code fit}) by default, inference on request (reported in
   * the JSON; the bundled CNN trains either way), a usage error when unknown or with DL4J, before
   * any work.
   */
  @Test
  void modeIsTrainingByDefaultInferenceOnRequest() throws Exception {
    Path cnn = Cli.testdata().resolve("analysis/models/cnn8/keras3.keras");
    Path digits = Cli.testdata().resolve("data/digits.npz");
    for (String mode : new String[] {null, "inference"}) {
      List<Object> args =
          new ArrayList<>(
              List.of("compare", cnn, "--data", digits, "--schemes", "he_normal", "--epochs", 1));
      if (mode != null) {
        args.addAll(List.of("--mode", mode));
      }
      args.add("--json");
      JsonNode doc = Cli.run(args.toArray()).assertExit(ExitCodes.OK).json();
      assertEquals(mode == null ? "training" : mode, doc.get("mode").asText());
      JsonNode r = doc.get("runs").get(0);
      assertTrue(
          r.get("finalTrainLoss").asDouble() < r.get("initialTrainLoss").asDouble() - 0.5,
          r::toString);
    }
    String err =
        Cli.run("compare", cnn, "--data", digits, "--mode", "eval")
            .assertExit(ExitCodes.USAGE)
            .assertOneErrorLine();
    assertTrue(err.contains("--mode") && err.contains("training or inference"), err);
    Cli.run("compare", cnn, "--data", digits, "--mode", "inference", "--engine", "dl4j")
        .assertExit(ExitCodes.USAGE);
  }

  /**
   * A model of two inputs and two softmax outputs (the bundled {@code multi8}): the digits feed the
   * image input, the other input is generated; the training loss is the sum of the two outputs'
   * (each named in the JSON, summing to the total), He trains both and zeros neither, and the HTML
   * report charts each output's loss.
   */
  @Test
  void aMultiInputMultiOutputModelTrainsOnTheSumOfItsLosses() throws Exception {
    Path html = tmp.resolve("multi.html");
    JsonNode doc =
        Cli.run(
                "compare",
                Cli.testdata().resolve("analysis/models/multi8/keras3.keras"),
                "--data",
                Cli.testdata().resolve("data/digits.npz"),
                "--schemes",
                "zeros,he_normal",
                "--epochs",
                3,
                "--html",
                html,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    JsonNode runs = doc.get("runs");
    for (JsonNode r : runs) {
      assertEquals("[\"digit\",\"echo\"]", r.get("outputs").toString(), r::toString);
      for (JsonNode e : r.get("epochs")) {
        JsonNode each = e.get("outputTrainLosses");
        assertEquals(
            e.get("trainLoss").asDouble(),
            each.get("digit").asDouble() + each.get("echo").asDouble(),
            1e-5,
            r::toString);
      }
    }
    JsonNode zeros = runs.get(0).get("epochs").get(2).get("outputTrainLosses");
    JsonNode he = runs.get(1).get("epochs").get(2).get("outputTrainLosses");
    for (String out : new String[] {"digit", "echo"}) {
      assertEquals(Math.log(10), zeros.get(out).asDouble(), 0.02, out);
      assertTrue(he.get(out).asDouble() < Math.log(10) - 1, out + ": " + he);
    }
    String page = Files.readString(html);
    assertTrue(
        page.contains("data-output=\"digit\"") && page.contains("data-output=\"echo\""),
        "a loss chart per output");
    Chromium.Page loaded = Chromium.load(html);
    assertEquals(java.util.List.of(), loaded.console(), "console messages");
    assertTrue(
        loaded.dom().contains("data-charts=\"6\""),
        "6 charts (std, grad norm, loss, digit's and echo's loss, accuracy): "
            + chartsOf(loaded.dom()));
  }

  /**
   * The README's LSTM command: the bundled Keras 3 LSTM (rows of the flat digits reshaped to its
   * (8, 8) input) trains with He and Glorot, and zeros stays at ln 10.
   */
  @Test
  void theReadmesLstmTrainsUnlessZeros() throws Exception {
    JsonNode doc =
        Cli.run(
                "compare",
                Cli.testdata().resolve("analysis/models/lstm8/keras3.keras"),
                "--data",
                Cli.testdata().resolve("data/digits.npz"),
                "--schemes",
                "zeros,glorot_uniform,he_normal",
                "--epochs",
                3,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    JsonNode runs = doc.get("runs");
    JsonNode zeros = runs.get(0);
    assertEquals(Math.log(10), zeros.get("finalTrainLoss").asDouble(), 0.02);
    for (int i = 1; i < 3; i++) {
      JsonNode r = runs.get(i);
      assertTrue(
          r.get("finalTrainLoss").asDouble() < zeros.get("finalTrainLoss").asDouble() - 0.3,
          runs::toString);
      assertTrue(r.get("epochs").get(2).get("testAccuracy").asDouble() > 0.3, r::toString);
    }
  }

  /** {@code report --html} writes analyze's report of the stored weights; it renders too. */
  @Test
  void reportWritesTheHtmlReportToo() throws Exception {
    Path html = tmp.resolve("report.html");
    JsonNode doc =
        Cli.run(
                "report",
                Cli.testdata().resolve("analysis/models/tanh6/tfkeras.h5"),
                "--html",
                html,
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    assertEquals("report", doc.get("command").asText());
    String page = Files.readString(html);
    assertTrue(page.contains("tanh_6") && page.contains("Kernel histograms"), "report content");
    Chromium.Page loaded = Chromium.load(html);
    assertEquals(java.util.List.of(), loaded.console(), "console messages");
    assertTrue(loaded.dom().contains("data-charts=\"2\""), chartsOf(loaded.dom()));
  }

  /** The console check sees what a broken page logs (so an empty list means something). */
  @Test
  void theConsoleCheckCatchesScriptErrors() throws Exception {
    Path bad =
        Files.writeString(
            tmp.resolve("bad.html"),
            "<!DOCTYPE html><html><body><script>console.error('boom'); notDefined();</script></body></html>");
    Chromium.Page p = Chromium.load(bad);
    assertEquals(2, p.console().size(), p.console()::toString);
    assertTrue(p.console().get(1).contains("notDefined"));
  }

  @Test
  void compareNeedsLabels() throws Exception {
    Path x = tmp.resolve("x.csv");
    Files.writeString(x, "1,2,3\n4,5,6\n");
    Cli.Result r =
        Cli.run(
            "compare",
            Cli.testdata().resolve("analysis/models/mlp20/tfkeras.h5"),
            "--schemes",
            "zeros",
            "--data",
            x,
            "-q");
    r.assertExit(ExitCodes.MALFORMED);
    assertTrue(r.assertOneErrorLine().contains("x.csv"));
  }
}
