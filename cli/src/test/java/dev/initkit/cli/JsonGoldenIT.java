package dev.initkit.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden {@code --json} documents of the commands that run an engine in a child JVM (analyze,
 * lsuv, compare): one small case each on the default engine (TensorFlow), and analyze on DL4J
 * ({@code --engine dl4j}); a few seconds apiece. The machinery, the normalization and the update
 * switch are {@link JsonGoldenTest}'s.
 *
 * <p>Their numbers are not compared exactly: TensorFlow and DL4J compute activations, gradients,
 * variances and losses in float32 through native kernels (oneDNN, BLAS, OpenMP) whose reduction
 * order depends on the CPU and its thread count, so the last bits legitimately differ between
 * machines (on one machine they repeat exactly). Rounding would not help (a value near a rounding
 * boundary flips), so their floating-point numbers compare within a relative tolerance: 1e-4 for
 * one forward and backward pass, 1e-3 for compare, whose epoch of training carries the differences
 * through every step. Integers, strings, nulls, array lengths and key order stay exact.
 */
class JsonGoldenIT {
  /** One forward and backward pass. */
  private static final double PASS = 1e-4;

  /** An epoch of training. */
  private static final double TRAINING = 1e-3;

  private static JsonGoldenTest.Case dl4j(String name, double tolerance, String... args) {
    return new JsonGoldenTest.Case(name, ExitCodes.OK, List.of(args), t -> {}, tolerance);
  }

  /** The engine cases; their goldens are {@code docs/json/<name>.json} like the others. */
  static List<JsonGoldenTest.Case> cases() {
    return List.of(
        dl4j(
            "analyze-mlp-tfkeras-h5",
            PASS,
            "analyze",
            "--json",
            "<testdata>/models/mlp/tfkeras.h5",
            "--data",
            "<testdata>/models/mlp/input.npz",
            "--batch",
            "16"),
        dl4j(
            "analyze-mlp-tfkeras-h5-dl4j",
            PASS,
            "analyze",
            "--json",
            "<testdata>/models/mlp/tfkeras.h5",
            "--data",
            "<testdata>/models/mlp/input.npz",
            "--batch",
            "16",
            "--engine",
            "dl4j"),
        dl4j(
            "lsuv-mlp-keras3-h5",
            PASS,
            "lsuv",
            "--json",
            "<testdata>/models/mlp/keras3.h5",
            "--data",
            "<testdata>/models/mlp/input.npz",
            "-o",
            "<tmp>/out.h5",
            "--seed",
            "3"),
        dl4j(
            "compare-mlp20-tfkeras-h5",
            TRAINING,
            "compare",
            "--json",
            "<testdata>/analysis/models/mlp20/tfkeras.h5",
            "--schemes",
            "he_normal",
            "--data",
            "<testdata>/data/digits.npz",
            "--epochs",
            "1",
            "--seed",
            "1"));
  }

  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> goldens() {
    return cases().stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> JsonGoldenTest.check(c, tmp)));
  }
}
