package dev.initkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.format.Detection;
import dev.initkit.internal.Json;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.render.InitReportText;
import dev.initkit.render.ModelDescription;
import dev.initkit.render.ModelDescriptionJson;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config trees handed out are the caller's copies; views over a model die with their owner, loudly.
 */
class OwnershipAndViewsTest {
  @TempDir Path dir;

  private static final Path MLP = TestFiles.testdata().resolve("models/mlp/tfkeras.h5");

  @Test
  void changingAHandedOutConfigChangesNeitherTheModelNorTheWrittenFile() throws Exception {
    try (LoadedModel m = ModelIO.open(MLP)) {
      Layer dense =
          m.model().layers().stream().filter(l -> !l.weights().isEmpty()).findFirst().orElseThrow();
      String before = dense.config().toString();
      ((ObjectNode) dense.config()).put("units", 12345);
      ((ObjectNode) m.model().config().orElseThrow()).put("class_name", "Changed");
      assertEquals(before, dense.config().toString(), "the layer's config");
      assertEquals(
          before, m.model().layers().get(m.model().layers().indexOf(dense)).config().toString());
      assertFalse(
          m.model().config().orElseThrow().toString().contains("Changed"), "the model's config");

      Path out = dir.resolve("out.keras");
      ModelIO.write(m, out, ModelIO.WriteOptions.defaults());
      try (LoadedModel again = ModelIO.open(out)) {
        assertFalse(again.model().config().orElseThrow().toString().contains("12345"));
        assertFalse(again.model().config().orElseThrow().toString().contains("Changed"));
      }
    }
  }

  @Test
  void changingAHandedOutConfigOrInitializerChangesNoReport() throws Exception {
    try (LoadedModel m = ModelIO.open(MLP)) {
      String report = InitReportText.render(InitReport.of(m), "mlp");
      String described =
          Json.write(
              ModelDescriptionJson.toJson(
                  ModelDescription.of(m.model()), "mlp", Detection.Kind.HDF5));
      for (Layer l : m.model().allLayers()) {
        if (l.config() instanceof ObjectNode o) {
          o.put("activation", "softplus");
          o.put("units", 12345);
        }
      }
      ((ObjectNode) m.model().config().orElseThrow()).put("class_name", "Changed");
      for (ModelDescription.LayerRow r : ModelDescription.of(m.model()).layers()) {
        for (JsonNode init : r.initializers().values()) {
          if (init instanceof ObjectNode o) {
            o.put("class_name", "Changed");
          }
        }
      }
      assertEquals(report, InitReportText.render(InitReport.of(m), "mlp"), "the report");
      assertEquals(
          described,
          Json.write(
              ModelDescriptionJson.toJson(
                  ModelDescription.of(m.model()), "mlp", Detection.Kind.HDF5)),
          "the description");
    }
  }

  @Test
  void aViewReadsWhileItsOwnerIsOpenAndFailsClearlyAfter() throws Exception {
    OwnedModel owner = ModelIO.open(MLP);
    Weight w = owner.model().layerWeights().get(0);
    ModelView view =
        Reinitializer.apply(
            owner,
            Reinitializer.plan(owner.model(), new Reinitializer.Configured(), Selector.all(), 1L));
    ModelView described = view.withModel(owner.model());
    assertSame(owner, view.owner(), "a view names the model that owns the file");
    assertSame(owner, described.owner(), "a view of a view has the same owner");
    assertSame(owner, owner.owner());
    assertTrue(owner.ownsResources());
    assertFalse(view.ownsResources());
    assertFalse(described.ownsResources());
    float[] drawn = view.readFloats(w);
    assertArrayEquals(drawn, described.readFloats(w), "a view of a view reads the same tensors");

    view.close(); // a view's close releases nothing
    assertEquals(owner.readFloats(w).length, drawn.length);
    assertTrue(Files.exists(MLP));

    assertFalse(owner.isClosed());
    owner.close();
    assertTrue(owner.isClosed());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> described.readFloats(w));
    assertTrue(e.getMessage().contains("view over a closed model"), e.getMessage());
    assertTrue(e.getMessage().contains(MLP.toString()), "names the file: " + e.getMessage());
  }
}
