package dev.initkit.format.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.model.OwnedModel;
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * initkit against the reference {@code safetensors} library (0.8.0) under each Python stack: files
 * it writes now read back bit for bit (and equal the committed fixtures byte for byte), and {@code
 * .safetensors} files initkit converts from Keras models load in Python with the Keras model's
 * weights, bit for bit.
 */
class SafetensorsInteropIT {
  static final List<String> CONVERTED =
      List.of("mlp", "nested_functional", "float16", "conv2d", "batchnorm", "embedding");

  @TestFactory
  Stream<DynamicNode> referenceLibraryAgrees(@TempDir Path tmp) {
    List<DynamicNode> stacks = new ArrayList<>();
    for (Map.Entry<String, String> s : PythonStacks.all().entrySet()) {
      Path dir = tmp.resolve(s.getKey());
      List<DynamicNode> tests = new ArrayList<>();
      tests.add(
          DynamicTest.dynamicTest(
              "generated files read back bit for bit",
              () -> {
                Path out = dir.resolve("generated");
                run(s.getValue(), TestFiles.testdata().resolve("generate_safetensors.py"), out);
                int n = 0;
                for (String f :
                    List.of(
                        "dtypes.safetensors",
                        "bf16.safetensors",
                        "sharded/model-00001-of-00002.safetensors",
                        "sharded/model-00002-of-00002.safetensors",
                        "f8_e4m3.safetensors",
                        "f8_e5m2.safetensors",
                        "lowp.safetensors",
                        "f6.safetensors")) {
                  sameAsCommitted(SafetensorsReaderTest.dir().resolve(f), out.resolve(f));
                }
                assertArrayEquals(
                    Files.readAllBytes(
                        SafetensorsReaderTest.dir()
                            .resolve("sharded/model.safetensors.index.json")),
                    Files.readAllBytes(out.resolve("sharded/model.safetensors.index.json")));
                for (String f :
                    List.of(
                        "dtypes.safetensors",
                        "bf16.safetensors",
                        "lowp.safetensors",
                        "f6.safetensors",
                        "f8_e5m2.safetensors",
                        "sharded/model.safetensors.index.json")) {
                  n += SafetensorsReaderTest.checkAgainstExpected(out.resolve(f));
                }
                // every code of the format, low-precision values against this stack's ml_dtypes
                assertTrue(n >= 36, "tensors checked: " + n);
              }));
      for (String model : CONVERTED) {
        tests.add(
            DynamicTest.dynamicTest(
                "convert " + model + "/keras3.keras -o .safetensors, loaded by safetensors",
                () -> {
                  Path in =
                      TestFiles.testdata().resolve("models").resolve(model).resolve("keras3.keras");
                  Path out =
                      Files.createDirectories(dir.resolve("converted"))
                          .resolve(model + ".safetensors");
                  try (OwnedModel m = ModelIO.open(in)) {
                    ModelIO.write(m, out, ModelIO.WriteOptions.defaults().withOverwrite(true));
                  }
                  String said =
                      run(
                          s.getValue(),
                          TestFiles.testdata().resolve("interop/check_safetensors.py"),
                          in,
                          out);
                  assertTrue(said.strip().endsWith("tensors"), said);
                }));
      }
      stacks.add(DynamicContainer.dynamicContainer(s.getKey(), tests));
    }
    return stacks.stream();
  }

  /**
   * The same header (as JSON: the reference library writes {@code __metadata__} from a hash map, in
   * no fixed order) and the same data section, byte for byte.
   */
  static void sameAsCommitted(Path committed, Path fresh) throws IOException {
    byte[] a = Files.readAllBytes(committed);
    byte[] b = Files.readAllBytes(fresh);
    assertEquals(a.length, b.length, fresh + " length");
    int n =
        (int) java.nio.ByteBuffer.wrap(a, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(
        TestFiles.JSON.readTree(new String(a, 8, n, StandardCharsets.UTF_8)),
        TestFiles.JSON.readTree(new String(b, 8, n, StandardCharsets.UTF_8)),
        fresh + " header");
    assertArrayEquals(
        java.util.Arrays.copyOfRange(a, 8 + n, a.length),
        java.util.Arrays.copyOfRange(b, 8 + n, b.length),
        fresh + " data section");
  }

  /** Runs a script; returns its last output line, failing on a non-zero exit. */
  static String run(String python, Path script, Object... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
    for (Object a : args) {
      cmd.add(a.toString());
    }
    Path log = Files.createTempFile("safetensors-it", ".log");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python did not finish: " + cmd);
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), String.join("\n", lines));
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
