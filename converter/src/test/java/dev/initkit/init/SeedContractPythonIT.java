package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed contract as docs/user-guide.md writes it, transcribed in plain Python, gives initkit's
 * values.
 */
class SeedContractPythonIT {
  /**
   * The contract of docs/user-guide.md, transcribed independently in plain Python ({@code
   * init/seed_contract.py}: stream seed, block rule, SplitMix64, the ziggurat's tables from its
   * constant), gives the same values as initkit for the first 70000 elements (two seed blocks) of a
   * TruncatedNormal(0, 1).
   */
  @Test
  void pythonTranscriptionOfTheContractAgrees(@TempDir Path tmp) throws Exception {
    Path script = tmp.resolve("seed_contract.py");
    try (InputStream in =
        SeedContractPythonIT.class.getResourceAsStream("/init/seed_contract.py")) {
      assertTrue(in != null, "seed_contract.py on the test classpath");
      Files.copy(in, script);
    }
    String python = System.getProperty("initkit.python", "");
    int count = 70_000;
    Process p =
        new ProcessBuilder(
                python.isBlank() ? "python3" : python,
                script.toString(),
                "42",
                "dense",
                "kernel",
                Integer.toString(count))
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("out.txt").toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
    List<String> lines = Files.readAllLines(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join("\n", lines));
    long seed = SeedContract.streamSeed(42, "dense", "kernel");
    assertEquals(Long.toHexString(seed), lines.get(0).replaceFirst("^0+(?=.)", ""));
    double[] ours =
        StatTools.draw(
            Initializer.of(InitializerSpec.truncatedNormal(0, 1, null)),
            Shape.of(count),
            DType.FLOAT64,
            seed);
    assertEquals(count + 1, lines.size());
    for (int i = 0; i < count; i++) {
      double theirs = Double.parseDouble(lines.get(i + 1));
      // tables come from libm in Python and from StrictMath here: allow their last bit to differ
      assertEquals(theirs, ours[i], 2 * Math.ulp(theirs), "element " + i);
    }
  }
}
