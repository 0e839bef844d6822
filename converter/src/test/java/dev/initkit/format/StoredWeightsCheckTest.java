package dev.initkit.format;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelIO;
import dev.initkit.internal.Json;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 7: a full model whose stored weights are not what its config builds is refused.
 */
class StoredWeightsCheckTest {
  @TempDir Path tmp;

  /**
   * A real tf-keras file whose layer_names attribute lists no layer: it read as a weightless model.
   */
  @Test
  void fullH5WithNoStoredLayersIsMalformed() throws IOException {
    Path h5 =
        Files.copy(TestFiles.testdata().resolve("models/mlp/tfkeras.h5"), tmp.resolve("m.h5"));
    try (H5File f = H5File.openReadWrite(h5)) {
      f.root()
          .openGroup("model_weights")
          .setAttribute(
              "layer_names", new AttrValue.StrArray(List.of(), false, AttrValue.Charset.ASCII));
    }
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> ModelIO.open(h5).close());
    assertTrue(
        e.getMessage().startsWith(h5.toString()) && e.getMessage().contains("the file holds 0"),
        e.getMessage());
  }

  @Test
  void missingBiasScalarKernelAndEmptyKernelAreMalformed() throws IOException {
    JsonNode dense = Json.parse("{\"name\": \"d\", \"units\": 16, \"use_bias\": true}");
    Weight kernel = weight("kernel", WeightRole.KERNEL, 4, 16);
    Weight bias = weight("bias", WeightRole.BIAS, 16);
    check(dense, List.of(kernel), "builds 2 weights (Dense), the file holds 1");
    check(dense, List.of(weight("kernel", WeightRole.KERNEL), bias), "has at least 2 dimensions");
    check(dense, List.of(weight("kernel", WeightRole.KERNEL, 0, 16), bias), "with no elements");
    // without a bias one weight is right; more than counted (quantized, LoRA) is accepted
    StoredWeightsCheck.check(
        tmp,
        model(
            Json.parse("{\"name\": \"d\", \"units\": 16, \"use_bias\": false}"), List.of(kernel)));
    StoredWeightsCheck.check(
        tmp, model(dense, List.of(kernel, bias, weight("kernel_scale", WeightRole.OTHER, 16))));
  }

  private void check(JsonNode config, List<Weight> weights, String message) {
    MalformedModelException e =
        assertThrows(
            MalformedModelException.class,
            () -> StoredWeightsCheck.check(tmp, model(config, weights)));
    assertTrue(e.getMessage().contains(message) && e.getMessage().contains("d"), e.getMessage());
  }

  private static Weight weight(String name, WeightRole role, long... dims) {
    return new Weight("d/" + name + ":0", Shape.of(dims), DType.FLOAT32, role, "/d/" + name);
  }

  private static Model model(JsonNode config, List<Weight> weights) throws IOException {
    String text = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": []}}";
    return Model.builder()
        .source("synthetic")
        .sourceFormat("h5")
        .config(text, Json.parse(text))
        .layers(List.of(new Layer("d", "Dense", config, weights, List.of())))
        .build();
  }

  @Test
  void everyGeneratedModelPasses() throws IOException {
    for (Path d : TestFiles.modelDirs()) {
      for (String f : List.of("keras3.keras", "keras3.h5", "tfkeras.h5")) {
        if (Files.exists(d.resolve(f))) {
          try (LoadedModel m = ModelIO.open(d.resolve(f))) {
            StoredWeightsCheck.check(d.resolve(f), m.model());
          }
        }
      }
    }
  }
}
