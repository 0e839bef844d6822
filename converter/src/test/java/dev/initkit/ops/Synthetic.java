package dev.initkit.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.init.Initializer;
import dev.initkit.init.InitializerSpec;
import dev.initkit.internal.Json;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Shape;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small Sequential Dense models built in memory (ORT's ModelGenerators style): a Keras 2 config
 * written as tf.keras writes it, and weight values drawn from given specs.
 */
final class Synthetic {
  private Synthetic() {}

  /**
   * One Dense layer: units, activation, the kernel initializer as the config writes it (null: no
   * key), and the values.
   */
  record Dense(int units, String activation, JsonNode kernelInitializer, InitializerSpec values) {}

  static LoadedModel sequential(int inputs, List<Dense> layers) throws IOException {
    ObjectNode root = Json.mapper().createObjectNode();
    root.put("class_name", "Sequential");
    ObjectNode cfg = root.putObject("config");
    cfg.put("name", "synthetic");
    ArrayNode list = cfg.putArray("layers");
    List<Layer> out = new ArrayList<>();
    Map<String, GeneratedTensors.Draw> draws = new LinkedHashMap<>();
    int in = inputs;
    for (int i = 0; i < layers.size(); i++) {
      Dense d = layers.get(i);
      String name = "dense_" + i;
      ObjectNode e = list.addObject();
      e.put("class_name", "Dense");
      ObjectNode lc = e.putObject("config");
      lc.put("name", name);
      lc.put("trainable", true);
      lc.put("dtype", "float32");
      lc.put("units", d.units());
      lc.put("activation", d.activation());
      lc.put("use_bias", true);
      if (d.kernelInitializer() != null) {
        lc.set("kernel_initializer", d.kernelInitializer());
      }
      lc.set("bias_initializer", Json.parse("{\"class_name\": \"Zeros\", \"config\": {}}"));
      Weight k =
          new Weight(
              name + "/kernel:0",
              Shape.of(in, d.units()),
              DType.FLOAT32,
              WeightRole.KERNEL,
              "/" + name + "/kernel");
      Weight b =
          new Weight(
              name + "/bias:0",
              Shape.of(d.units()),
              DType.FLOAT32,
              WeightRole.BIAS,
              "/" + name + "/bias");
      draws.put(k.key(), new GeneratedTensors.Draw(Initializer.of(d.values()), 100 + i));
      draws.put(b.key(), new GeneratedTensors.Draw(Initializer.of(InitializerSpec.zeros()), 0));
      in = d.units();
    }
    String text = Json.write(root);
    JsonNode tree = Json.parse(text);
    int i = 0;
    for (JsonNode e : tree.path("config").path("layers")) {
      String name = "dense_" + i;
      Weight k =
          new Weight(
              name + "/kernel:0",
              Shape.of(i == 0 ? inputs : layers.get(i - 1).units(), layers.get(i).units()),
              DType.FLOAT32,
              WeightRole.KERNEL,
              "/" + name + "/kernel");
      Weight b =
          new Weight(
              name + "/bias:0",
              Shape.of(layers.get(i).units()),
              DType.FLOAT32,
              WeightRole.BIAS,
              "/" + name + "/bias");
      out.add(new Layer(name, "Dense", e.get("config"), List.of(k, b), List.of()));
      i++;
    }
    Model m =
        Model.builder()
            .source("synthetic")
            .sourceFormat("h5")
            .config(text, tree)
            .layers(out)
            .build();
    TensorSource nothing =
        (w, first, rows, dst) -> {
          throw new IOException("no stored values for " + w.name());
        };
    return new OwnedModel(m, new GeneratedTensors(nothing, draws), null);
  }

  static JsonNode keras2(String className, String config) throws IOException {
    return Json.parse("{\"class_name\": \"" + className + "\", \"config\": " + config + "}");
  }
}
