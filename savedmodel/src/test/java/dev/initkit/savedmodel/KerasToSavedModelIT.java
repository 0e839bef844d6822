package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.format.Format;
import dev.initkit.format.UnsupportedModelException;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .keras/.h5 written as serving SavedModels: TensorFlow predicts what Keras predicted. */
class KerasToSavedModelIT {
  private static final List<String> MODELS = List.of("mlp", "mlp_inits", "conv1d", "conv2d", "batchnorm",
      "embedding", "simple_rnn", "lstm", "gru", "gru_v1", "compiled", "layernorm", "depthwise_conv2d",
      "separable_conv2d",
      // Functional with BatchNormalization, Activation, pooling, Flatten; Embedding into GRU
      "savedmodel/cnn", "savedmodel/embed_gru", "savedmodel/residual");

  private static Path models() {
    return SavedModelReadTest.testdata().getParent();
  }

  @Test
  void exportedSavedModelsPredictLikeKeras(@TempDir Path tmp) throws Exception {
    List<String> exported = new ArrayList<>();
    ArrayNode cases = Json.mapper().createArrayNode();
    for (String m : MODELS) {
      for (String file : List.of("keras3.keras", "tfkeras.h5")) {
        Path src = models().resolve(m).resolve(file);
        if (!Files.exists(src)) {
          continue;
        }
        Path out = tmp.resolve(m.replace('/', '_') + "." + file.replace('.', '_'));
        try (LoadedModel lm = ModelIO.open(src)) {
          ModelIO.write(lm, out, WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
          // the written checkpoint holds the source's values under layer/weight names
          try (LoadedModel back = ModelIO.open(out)) {
            Map<String, Weight> byName = new HashMap<>();
            back.model().layerWeights().forEach(w -> byName.put(w.name(), w));
            assertEquals(lm.model().layerWeights().size(), byName.size(), out.toString());
            for (var layer : lm.model().allLayers()) {
              for (Weight w : layer.weights()) {
                Weight b = byName.get(layer.name() + "/" + w.shortName());
                if (b == null) {
                  continue; // a name made unique with an index: covered by the predictions
                }
                assertArrayEquals(SavedModelReadTest.values(lm, w), SavedModelReadTest.values(back, b), out + " " + b.name());
              }
            }
          }
        }
        float[] y = TfJava.serve(out);
        for (float v : y) {
          assertTrue(Float.isFinite(v), "TF Java output of " + out);
        }
        ObjectNode c = cases.addObject();
        c.put("id", out.getFileName().toString());
        c.put("dir", out.toString());
        c.put("input", models().resolve(m).resolve("input.npz").toString());
        c.put("expected", models().resolve(m).resolve("expected.npz").toString());
        // the baseline is Keras's prediction of the source in the same process (TF ops lowered
        // by initkit compute the same layers in another order: 1e-5, relative above 1)
        ObjectNode ref = c.putObject("keras_reference");
        ref.put("file", src.toString());
        ref.put("loader", file.startsWith("keras3") ? "keras3" : "tfkeras");
        c.put("tolerance", 1e-5);
        exported.add(out.getFileName().toString());
      }
    }
    assertTrue(exported.size() >= 25, exported.toString());
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isEmpty(), "set -Dinitkit.python to compare with Keras's predictions");
    Path casesFile = tmp.resolve("cases.json");
    Files.writeString(casesFile, Json.write(cases));
    // both ends of the version matrix (TensorFlow 2.20 and, when set up, 2.21) serve the exports
    java.util.Map<String, String> stacks = new java.util.LinkedHashMap<>();
    stacks.put("pinned", python);
    if (!System.getProperty("initkit.pythonNewest", "").isEmpty()) {
      stacks.put("newest", System.getProperty("initkit.pythonNewest"));
    }
    List<String> failures = new ArrayList<>();
    JsonNode results = null;
    for (var stack : stacks.entrySet()) {
      Path out = tmp.resolve("results-" + stack.getKey() + ".json");
      Process p = new ProcessBuilder(stack.getValue(), models().getParent().resolve("interop/check_savedmodel.py").toString(),
          casesFile.toString()).redirectOutput(out.toFile()).redirectError(tmp.resolve("log").toFile()).start();
      assertTrue(p.waitFor(10, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), stack.getKey() + ": " + Files.readString(tmp.resolve("log")));
      results = Json.parse(Files.readString(out)).path("results");
      double worst = 0;
      for (JsonNode r : results) {
        if (!r.path("ok").asBoolean()) {
          failures.add(stack.getKey() + " " + r.path("id").asText() + ": " + r.path("reason").asText());
        }
        worst = Math.max(worst, r.path("maxDiff").asDouble());
        System.out.println("[" + stack.getKey() + "] " + r.path("id").asText() + ": diff " + r.path("maxDiff").asText() + " vs " + r.path("against").asText("-"));
      }
      System.out.println("serving SavedModels vs Keras in the same process (" + stack.getKey() + "): " + results.size()
          + " exports, largest difference " + worst);
    }
    assertEquals(cases.size(), results.size());
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  @Test
  void unsupportedLayerIsNamedAndNothingIsWritten(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("bi");
    try (LoadedModel lm = ModelIO.open(models().resolve("bidirectional/keras3.keras"))) {
      UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
          () -> ModelIO.write(lm, out, WriteOptions.defaults().withFormat(Format.SAVED_MODEL)));
      assertTrue(e.getMessage().contains("Bidirectional") && e.getMessage().contains("bi_lstm"), e.getMessage());
    }
    assertFalse(Files.exists(out));
    try (var s = Files.list(tmp)) {
      assertEquals(0, s.count(), "no temporary left behind");
    }
  }
}
