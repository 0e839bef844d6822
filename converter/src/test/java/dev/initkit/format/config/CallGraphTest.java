package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.format.config.CallGraph.Ref;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.InitReport.DepthStep;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The calls of real Keras 3 and tf-keras configs: shared, nested, multi-input/output models. */
class CallGraphTest {

  private static JsonNode config(String model, String file) throws IOException {
    try (LoadedModel m =
        ModelIO.open(TestFiles.testdata().resolve("models").resolve(model).resolve(file))) {
      return m.model().config().orElseThrow();
    }
  }

  private static List<String> steps(String model, String file) throws IOException {
    Path p = TestFiles.testdata().resolve("models").resolve(model).resolve(file);
    try (LoadedModel m = ModelIO.open(p)) {
      InitReport r = InitReport.of(m);
      assertTrue(
          r.configuredDepth().steps().stream().allMatch(s -> !Double.isNaN(s.mean())),
          "the graph estimate (with means), not the chain: " + p);
      return r.configuredDepth().steps().stream().map(DepthStep::layerPath).toList();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3.keras", "tfkeras.h5"})
  void aSharedLayerHasACallPerUse(String file) throws IOException {
    CallGraph g = CallGraph.of(config("shared_layer", file));
    assertEquals(2, g.calls("shared_dense").size());
    List<Ref> add = g.calls("add").get(0).inputs();
    assertEquals(List.of(new Ref("shared_dense", 0, 0), new Ref("shared_dense", 1, 0)), add);
    assertEquals(List.of(new Ref("head", 0, 0)), g.outputs());
    assertTrue(
        steps("shared_layer", file)
            .containsAll(List.of("shared_dense", "shared_dense#1", "add", "head")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3.keras", "tfkeras.h5"})
  void multipleInputsAndOutputsInTheirOrder(String file) throws IOException {
    CallGraph g = CallGraph.of(config("multi_io", file));
    assertEquals(List.of("input_a", "input_b"), g.inputs().stream().map(Ref::layer).toList());
    assertEquals(List.of("out_a", "out_b"), g.outputs().stream().map(Ref::layer).toList());
    assertEquals(2, g.calls("concat").get(0).inputs().size());
    assertTrue(
        steps("multi_io", file)
            .containsAll(List.of("branch_a", "branch_b", "concat", "out_a", "out_b")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"nested_functional", "nested_sequential"})
  void nestedModelsOpenAsGraphs(String model) throws IOException {
    for (String file : List.of("keras3.keras", "tfkeras.h5")) {
      CallGraph g = CallGraph.of(config(model, file));
      String inner = model.equals("nested_functional") ? "inner_fn" : "inner_seq";
      CallGraph nested = CallGraph.nested(g.entries().get(inner));
      assertFalse(nested.outputs().isEmpty(), model + " " + file);
      List<String> steps = steps(model, file);
      assertTrue(
          steps.stream().anyMatch(s -> s.startsWith(inner + "/")),
          model + " " + file + ": " + steps);
      assertTrue(steps.contains("head"), steps.toString());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras3.keras", "tfkeras.h5"})
  void keras3RecordsTheShapesOfACallsInputs(String file) throws IOException {
    CallGraph g = CallGraph.of(config("multi_io", file));
    CallGraph.Call concat = g.calls("concat").get(0);
    if (file.startsWith("keras3")) {
      assertEquals(2, concat.shapes().size());
      assertEquals(-1, concat.shape(0)[0], "the batch is unknown");
    } else {
      assertArrayEquals(new long[0], concat.shape(0), "tf-keras configs record no shapes");
    }
  }
}
