package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.cli.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code testdata/analysis/layer_variance.py} with the pinned real Keras: per layer output
 * variance and std of a model on a batch. Skips the test when {@code initkit.python} is not set.
 */
final class KerasProbe {
  private KerasProbe() {}

  /** Layer name to {@code {"variance", "std"}}, in model order. */
  static Map<String, JsonNode> layers(Path model, String... args)
      throws IOException, InterruptedException {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isBlank(), "initkit.python not set: real-Keras check skipped");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                python,
                Cli.testdata().resolve("analysis/layer_variance.py").toString(),
                model.toString()));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile("layer-variance", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      byte[] out = p.getInputStream().readAllBytes();
      boolean done = p.waitFor(300, TimeUnit.SECONDS);
      assertEquals(true, done, "layer_variance.py timed out");
      assertEquals(0, p.exitValue(), () -> "layer_variance.py failed: " + read(log));
      JsonNode doc = new ObjectMapper().readTree(new String(out, StandardCharsets.UTF_8));
      assertEquals(true, doc.get("loaded").asBoolean());
      Map<String, JsonNode> m = new HashMap<>();
      doc.get("layers").forEach(l -> m.put(l.get("name").asText(), l));
      return m;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
