package dev.initkit.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.internal.Json;
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TensorFlow engine against real Keras in this run: {@code testdata/analysis/tf_truth.py}
 * builds a Keras 3 CNN (Conv2D, BatchNormalization with moving statistics of its own, MaxPooling2D,
 * Dense), an LSTM stack, a 3-D CNN (Conv3D and Conv3DTranspose, whose gradients initkit registers)
 * and a CNN through ZeroPadding2D, Cropping2D, UpSampling2D and Permute, writes a flat (N, 64)
 * labelled dataset and measures, on the batch initkit analyzes, every layer's output mean and std
 * in inference mode and GradientTape's gradient of the categorical cross-entropy per trainable
 * weight. {@code analyze} on the saved {@code .keras} files must agree: stds and the loss within
 * 1e-4 relative, gradient norms within 1e-3 relative. A model of two inputs and two softmax outputs
 * is checked the same way on the summed loss, and {@code compare}'s first SGD steps on it against
 * Keras's {@code train_on_batch}.
 */
class TfEngineIT {
  static final double STATS = 1e-4;
  static final double GRADIENTS = 1e-3;

  /**
   * The losses of the first SGD steps: float32 throughout on both sides, the same ops in another
   * order (the batch is shuffled before each step); 1e-5 relative leaves a margin of 10x over the
   * largest difference measured (written to target/tf-engine-truth.md).
   */
  static final double SGD = 1e-5;

  /** The comparisons made, written to target/tf-engine-truth.md. */
  private final StringBuilder table =
      new StringBuilder(
          "| comparison | Keras | initkit | relative difference |\n|---|---|---|---|\n");

  @Test
  void statisticsAndGradientsEqualKeras(@TempDir Path tmp) throws Exception {
    for (Map.Entry<String, String> stack : PythonStacks.all().entrySet()) {
      Path dir = Files.createDirectories(tmp.resolve(stack.getKey()));
      Process p =
          new ProcessBuilder(
                  stack.getValue(),
                  TestFiles.testdata().resolve("analysis/tf_truth.py").toString(),
                  dir.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("log").toFile())
              .start();
      assertTrue(p.waitFor(10, TimeUnit.MINUTES), "tf_truth.py timed out");
      assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log")));
      JsonNode truth = Json.parse(Files.readString(dir.resolve("truth.json")));
      String keras = stack.getKey() + " Keras " + truth.path("keras").asText();
      for (String model : List.of("cnn", "lstm", "conv3d", "shapes")) {
        check(keras, model, dir, truth);
        trains(stack.getKey() + " " + model, dir.resolve(model + ".keras"));
      }
      check(keras, "multi", dir, truth);
      for (String model : List.of("multi", "cnn")) {
        sgdStepsEqualKeras(keras, model, dir, truth.path(model).path("sgd"));
      }
      dropoutDropsAtItsRate(dir.resolve("dropout.keras"));
    }
    Path out = Path.of("target", "tf-engine-truth.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table.toString());
  }

  private void check(String stack, String model, Path dir, JsonNode truth) throws Exception {
    List<String> progress = Collections.synchronizedList(new ArrayList<>());
    Analysis.Settings s =
        new Analysis.Settings(
            ReadOptions.defaults(),
            dir.resolve("data.npz"),
            truth.path("batch").asInt(),
            7,
            ForkedWorker.Launch.defaults(Duration.ofMinutes(10)),
            progress::add);
    SchemeAnalysis a =
        Analysis.analyze(
                dir.resolve(model + ".keras"), List.of(Analysis.FILE), Analysis.lsuvDefaults(), s)
            .get(0);
    String what = stack + " " + model;
    JsonNode t = truth.path(model);
    assertNull(a.gradientError(), what);
    assertEquals("mcxent", a.loss(), what);
    assertTrue(
        progress.stream().anyMatch(l -> l.startsWith("data reshaped")),
        what + ": the flat data's reshaping is said: " + progress);
    assertRel(t.path("loss").asDouble(), a.lossValue(), STATS, what + " loss");
    int gradients = 0;
    for (var it = t.path("layers").fields(); it.hasNext(); ) {
      var e = it.next();
      LayerStats l = layer(a, e.getKey());
      assertNotNull(l, what + ": no layer " + e.getKey() + " in " + a.layers());
      double std = e.getValue().path("std").asDouble();
      assertRel(std, l.outputStd(), STATS, what + " " + e.getKey() + " std");
      assertEquals(
          e.getValue().path("mean").asDouble(),
          l.outputMean(),
          STATS * std,
          what + " " + e.getKey() + " mean");
      JsonNode g = t.path("gradients").path(e.getKey());
      for (var gi = g.fields(); gi.hasNext(); ) {
        var ge = gi.next();
        LayerStats.WeightStats w =
            l.weights().stream().filter(x -> x.name().equals(ge.getKey())).findFirst().orElse(null);
        assertNotNull(w, what + ": no weight " + ge.getKey() + " of " + e.getKey());
        assertRel(
            ge.getValue().asDouble(),
            w.gradNorm(),
            GRADIENTS,
            what + " " + e.getKey() + "/" + ge.getKey() + " gradient norm");
        gradients++;
      }
    }
    assertTrue(gradients >= 6, what + ": gradients compared: " + gradients);
  }

  /**
   * {@code compare} with the file's weights, SGD and a batch of the whole training split (one step
   * per epoch), in training mode (the default): the loss (of the two-input, two-output model: the
   * sum and each output's) before and after every step equals Keras's {@code train_on_batch} from
   * the same weights on the same batch, measured in inference mode as Keras's evaluation is. On the
   * CNN this takes BatchNormalization on the batch's statistics in the step, and its moving
   * statistics moved with the layer's momentum (0.5) for the next evaluation.
   */
  private void sgdStepsEqualKeras(String stack, String model, Path dir, JsonNode sgd)
      throws Exception {
    List<String> progress = Collections.synchronizedList(new ArrayList<>());
    JsonNode losses = sgd.path("losses");
    int steps = losses.size() - 1;
    Analysis.Settings s =
        new Analysis.Settings(
            ReadOptions.defaults(),
            dir.resolve("data.npz"),
            32,
            7,
            ForkedWorker.Launch.defaults(Duration.ofMinutes(10)),
            progress::add);
    TrainingRun r =
        Analysis.compare(
                dir.resolve(model + ".keras"),
                List.of(Analysis.FILE),
                new WorkerRequest.TrainingOptions(steps, 32, sgd.path("lr").asDouble(), 0.9, "sgd"),
                Analysis.lsuvDefaults(),
                s)
            .runs()
            .get(0);
    List<String> names = new ArrayList<>();
    sgd.path("outputs").forEach(n -> names.add(n.asText()));
    boolean several = names.size() > 1;
    assertEquals(several ? names : List.of(), r.outputs(), stack + " " + model + ": the outputs");
    assertEquals(
        several,
        progress.stream().anyMatch(l -> l.contains("sum of each output's categorical")),
        "the summed loss is said: " + progress);
    for (int step = 0; step <= steps; step++) {
      List<Double> got =
          step == 0 ? r.initialOutputLosses() : r.epochs().get(step - 1).outputTrainLosses();
      double total = step == 0 ? r.initialTrainLoss() : r.epochs().get(step - 1).trainLoss();
      double want = 0;
      String what = stack + " " + model + " SGD step " + step;
      for (int j = 0; j < names.size(); j++) {
        double w = losses.get(step).get(j).asDouble();
        want += w;
        if (several) {
          assertRel(w, got.get(j), SGD, what + " " + names.get(j));
        }
      }
      assertRel(want, total, SGD, what + (several ? " summed loss" : " loss"));
    }
  }

  /**
   * Dropout(0.3) in training mode cannot match Keras's values (another random stream), so its rate
   * is checked: with the training flag fed, the share of the Dense layer's non-zero outputs it
   * zeroes is 0.3 within 4.5 standard errors of a binomial (about 900 outputs: +-0.07), and every
   * value it keeps is scaled by 1 / 0.7 (relative 1e-6); without the flag it is the identity.
   */
  private static void dropoutDropsAtItsRate(Path model) throws Exception {
    try (TfNet net = TfNet.open(model, Map.of("dense", "relu", "head", "softmax"))) {
      int n = 32;
      float[] v = new float[n * 64];
      java.util.SplittableRandom r = new java.util.SplittableRandom(5);
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextGaussian();
      }
      List<TfEngine.Batch> x = List.of(new TfEngine.Batch(v, new long[] {n, 64}));
      float[] dense = net.layerOutput("dense", x);
      assertEquals(
          java.util.Arrays.toString(dense),
          java.util.Arrays.toString(net.layerOutput("drop", x)),
          "inference mode: the identity");
      float[] dropped = net.layerOutput("drop", x, true);
      int live = 0;
      int zeroed = 0;
      for (int i = 0; i < dense.length; i++) {
        if (dense[i] == 0) {
          continue;
        }
        live++;
        if (dropped[i] == 0) {
          zeroed++;
        } else {
          assertEquals(dense[i] / 0.7, dropped[i], 1e-6 * Math.abs(dense[i] / 0.7), "kept " + i);
        }
      }
      double rate = (double) zeroed / live;
      double se = Math.sqrt(0.3 * 0.7 / live);
      assertTrue(live > 300, "live outputs " + live);
      assertTrue(
          Math.abs(rate - 0.3) < 4.5 * se, "dropped " + zeroed + " of " + live + ": " + rate);
    }
  }

  /**
   * {@code compare} on the bundled digits (flat, reshaped to the model's input): He and Glorot
   * train, zeros stays at ln 10 (no gradient reaches its kernels).
   */
  private static void trains(String what, Path model) throws Exception {
    Analysis.Settings s =
        new Analysis.Settings(
            ReadOptions.defaults(),
            TestFiles.testdata().resolve("data/digits.npz"),
            256,
            1,
            ForkedWorker.Launch.defaults(Duration.ofMinutes(10)),
            line -> {});
    Analysis.Comparison c =
        Analysis.compare(
            model,
            List.of("zeros", "he_normal", "glorot_uniform"),
            new WorkerRequest.TrainingOptions(3, 32, 0.005, 0.9, "adam"),
            Analysis.lsuvDefaults(),
            s);
    TrainingRun zeros = c.runs().get(0);
    assertEquals(Math.log(10), zeros.finalTrainLoss(), 0.02, what + " zeros");
    for (TrainingRun r : c.runs().subList(1, 3)) {
      assertTrue(
          r.finalTrainLoss() < zeros.finalTrainLoss() - 0.5,
          what + " " + r.scheme() + ": " + r.epochs());
    }
  }

  private static LayerStats layer(SchemeAnalysis a, String name) {
    return a.layers().stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
  }

  private void assertRel(double want, double got, double tol, String what) {
    table.append(
        String.format(
            java.util.Locale.ROOT,
            "| %s | %.7g | %.7g | %.1e |%n",
            what,
            want,
            got,
            Math.abs(got - want) / Math.abs(want)));
    assertTrue(
        Math.abs(got - want) <= tol * Math.abs(want),
        what + ": Keras " + want + ", initkit " + got + " (relative " + tol + ")");
  }
}
