package dev.initkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --for keras3} refuses exactly the Attention layers Keras 3.12 cannot run: tf-keras writes
 * Attention models over inputs of rank 2, 3 and 4 ({@code testdata/interop/attention_ranks.py}: dot
 * and concat scores, AdditiveAttention); each is written {@code --for keras3} and, beside it, as a
 * plain {@code .keras} without the check. In each Python stack ({@code check_corpus.py}, one
 * process, Keras on the original in the same process):
 *
 * <ul>
 *   <li>pinned (Keras 3.12): the plain file of a case fails exactly when {@code --for keras3}
 *       refused it; every file {@code --for keras3} wrote predicts what tf-keras predicts on the
 *       original, within 1e-5;
 *   <li>newest (Keras 3.15.1): every file predicts the same, refused cases' plain files included
 *       (what the refusal line says of Keras 3.15).
 * </ul>
 */
class DotAttentionRankIT {
  private static final double TOLERANCE = 1e-5;

  @TempDir Path tmp;

  @Test
  void keras3RefusesExactlyTheAttentionKeras312CannotRun() throws Exception {
    Map<String, String> stacks = PythonStacks.all();
    Path models = tmp.resolve("models");
    run(
        stacks.get("pinned"),
        tmp.resolve("gen.log"),
        TestFiles.testdata().resolve("interop/attention_ranks.py").toString(),
        models.toString());
    List<Path> originals;
    try (Stream<Path> s = Files.list(models)) {
      originals = s.filter(p -> p.toString().endsWith(".h5")).sorted().toList();
    }
    assertEquals(6, originals.size(), "attention_ranks.py cases: " + originals);

    Map<String, String> refused = new TreeMap<>();
    ArrayNode entries = TestFiles.JSON.createArrayNode();
    for (Path original : originals) {
      String name = original.getFileName().toString().replace(".h5", "");
      Path forKeras3 = tmp.resolve(name + ".for-keras3.keras");
      Path plain = tmp.resolve(name + ".plain.keras");
      ObjectNode e = entries.addObject();
      e.put("id", name);
      e.put("original", original.toString());
      e.put("native", "tfkeras");
      ArrayNode outs = e.putArray("outputs");
      try (LoadedModel lm = ModelIO.open(original)) {
        ModelIO.write(lm, plain, ModelIO.WriteOptions.defaults());
        outs.addObject().put("file", plain.toString()).put("loader", "keras3");
        try {
          ModelIO.write(
              lm, forKeras3, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.KERAS3));
          outs.addObject().put("file", forKeras3.toString()).put("loader", "keras3");
        } catch (UnsupportedModelException ex) {
          assertFalse(Files.exists(forKeras3), "refused, yet written: " + forKeras3);
          String line = ex.getMessage();
          assertFalse(line.contains("\n"), line);
          assertTrue(
              line.contains("/attention")
                  && line.contains("score_mode")
                  && line.contains("'dot'")
                  && line.contains("rank "),
              line);
          refused.put(name, line);
        }
      }
    }
    assertFalse(refused.isEmpty(), "no case refused");
    assertTrue(refused.size() < originals.size(), "every case refused: " + refused);
    Path entriesFile = tmp.resolve("entries.json");
    Files.writeString(entriesFile, TestFiles.JSON.writeValueAsString(entries));

    for (var stack : stacks.entrySet()) {
      Path results = tmp.resolve("results-" + stack.getKey() + ".json");
      run(
          stack.getValue(),
          tmp.resolve("check-" + stack.getKey() + ".log"),
          TestFiles.testdata().resolve("interop/check_corpus.py").toString(),
          entriesFile.toString(),
          "--json-out",
          results.toString(),
          "--tolerance",
          Double.toString(TOLERANCE));
      JsonNode res = TestFiles.JSON.readTree(results.toFile());
      TreeSet<String> plainFails = new TreeSet<>();
      List<String> wrong = new ArrayList<>();
      for (JsonNode e : entries) {
        String id = e.get("id").asText();
        for (JsonNode c : res.path(id).path("cases")) {
          String status = c.path("status").asText();
          boolean isPlain = c.path("file").asText().endsWith(".plain.keras");
          if (isPlain && !status.equals("PASS")) {
            plainFails.add(id);
          }
          if (!isPlain && !status.equals("PASS")) {
            wrong.add(id + " --for keras3: " + status + " " + c.path("reason").asText());
          }
        }
      }
      assertEquals(List.of(), wrong, stack.getKey() + ": files --for keras3 wrote");
      if (stack.getKey().equals("pinned")) {
        assertEquals(refused.keySet(), plainFails, "pinned: refused vs what Keras 3.12 fails on");
      } else {
        assertEquals(
            new TreeSet<String>(), plainFails, stack.getKey() + ": Keras 3.15 runs every case");
      }
    }
  }

  private static void run(String python, Path log, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(python);
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out: " + cmd);
    assertEquals(0, p.exitValue(), () -> cmd + " failed:\n" + read(log));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }
}
