package dev.initkit.format.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Format;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** {@code convert -o x.safetensors}: Keras models' weights written as safetensors and read back. */
class SafetensorsWriterTest {

  static final List<String> MODELS =
      List.of(
          "mlp/keras3.keras",
          "nested_functional/keras3.keras",
          "bidirectional/tfkeras.h5",
          "float16/keras3.keras",
          "conv2d/keras3.weights.h5",
          "compiled/keras3.keras");

  @TestFactory
  Stream<DynamicTest> writtenWeightsReadBackBitForBit(@TempDir Path tmp) {
    return MODELS.stream()
        .map(
            name ->
                DynamicTest.dynamicTest(
                    name,
                    () -> roundTrip(TestFiles.testdata().resolve("models").resolve(name), tmp)));
  }

  /**
   * A file initkit wrote under Keras paths transplants back whole with the identity tensor rule
   * {@code * => $1}; and, since it reads back as the model's layers (grouped at the last {@code
   * /}), by plain name matching too where no weight lies in a sub-layer (Bidirectional's do).
   */
  @TestFactory
  Stream<DynamicTest> writtenFilesTransplantBackByName(@TempDir Path tmp) {
    return MODELS.stream()
        .filter(n -> !n.endsWith(".weights.h5"))
        .map(
            name ->
                DynamicTest.dynamicTest(
                    name,
                    () -> {
                      Path in = TestFiles.testdata().resolve("models").resolve(name);
                      Path out = tmp.resolve(name.replace('/', '-') + ".safetensors");
                      try (OwnedModel src = ModelIO.open(in)) {
                        ModelIO.write(src, out, ModelIO.WriteOptions.defaults());
                        try (OwnedModel back = ModelIO.open(out)) {
                          var identity =
                              dev.initkit.transplant.TransplantOptions.defaults()
                                  .withMapping(
                                      dev.initkit.transplant.LayerMapping.parse(
                                          "* => $1", "identity"));
                          assertAllLoaded(back, src, identity, name);
                          if (!name.startsWith("bidirectional/")) {
                            assertAllLoaded(
                                back,
                                src,
                                dev.initkit.transplant.TransplantOptions.defaults(),
                                name);
                          }
                        }
                      }
                    }));
  }

  private static void assertAllLoaded(
      OwnedModel from, OwnedModel to, dev.initkit.transplant.TransplantOptions o, String name)
      throws IOException, dev.initkit.TransplantException {
    dev.initkit.transplant.TransplantPlan plan =
        dev.initkit.transplant.Transplanter.plan(from.model(), to.model(), o);
    long loaded =
        plan.entries().stream()
            .filter(e -> e.action() == dev.initkit.transplant.Action.LOADED)
            .count();
    assertEquals(
        to.model().layerWeights().size(),
        loaded,
        name + " " + o.strategy() + " " + plan.entries() + " " + plan.notes());
    assertTrue(plan.unused().isEmpty(), plan.unused().toString());
  }

  private static void roundTrip(Path in, Path tmp) throws IOException {
    Path out = tmp.resolve(in.getParent().getFileName() + "-" + in.getFileName() + ".safetensors");
    try (OwnedModel src = ModelIO.open(in)) {
      ModelIO.WriteResult r = ModelIO.write(src, out, ModelIO.WriteOptions.defaults());
      assertEquals(Format.SAFETENSORS, r.format());
      assertTrue(
          r.notes().stream().anyMatch(n -> n.contains("tensors only")), r.notes().toString());
      if (!src.model().optimizerWeights().isEmpty()) {
        assertTrue(
            r.notes().stream().anyMatch(n -> n.contains("optimizer state")), r.notes().toString());
      }
      List<SafetensorsWriter.Named> names =
          SafetensorsWriter.names(src.model(), TensorNaming.kerasPaths());
      try (OwnedModel back = ModelIO.open(out)) {
        List<Weight> read = back.model().layerWeights();
        assertEquals(names.size(), read.size());
        for (SafetensorsWriter.Named n : names) {
          Weight w = SafetensorsReaderTest.byKey(read, n.name());
          assertEquals(n.weight().dtype(), w.dtype(), n.name());
          assertEquals(n.weight().shape(), w.shape(), n.name());
          assertArrayEquals(TestFiles.bytes(src, n.weight()), TestFiles.bytes(back, w), n.name());
          assertFalse(n.name().contains(":"), n.name());
        }
      }
    }
    // the header is padded to 8 bytes, and the data section starts right after it
    byte[] all = Files.readAllBytes(out);
    long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8);
    JsonNode h = TestFiles.JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
    assertEquals("keras", h.get("__metadata__").get("layout").asText());
    // writing twice gives the same bytes
    Path again = tmp.resolve("again-" + out.getFileName());
    try (OwnedModel src = ModelIO.open(in)) {
      ModelIO.write(src, again, ModelIO.WriteOptions.defaults());
    }
    assertArrayEquals(all, Files.readAllBytes(again));
  }

  @Test
  void kerasPathsOfATopLevelAndANestedLayer() throws IOException {
    Path in = TestFiles.testdata().resolve("models/nested_functional/keras3.keras");
    try (OwnedModel m = ModelIO.open(in)) {
      List<String> names =
          SafetensorsWriter.names(m.model(), TensorNaming.kerasPaths()).stream()
              .map(SafetensorsWriter.Named::name)
              .toList();
      assertTrue(names.stream().anyMatch(s -> s.split("/").length == 3), names.toString());
      assertTrue(names.stream().anyMatch(s -> s.split("/").length == 2), names.toString());
    }
  }

  @Test
  void clashingNamesAreRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws IOException {
    Path in = TestFiles.testdata().resolve("models/mlp/keras3.keras");
    try (OwnedModel m = ModelIO.open(in)) {
      UnsupportedModelException e =
          assertThrows(
              UnsupportedModelException.class,
              () -> SafetensorsWriter.names(m.model(), (path, layer, w) -> "same"));
      assertTrue(e.getMessage().contains("would both be written as 'same'"), e.getMessage());
    }
  }

  @Test
  void anExistingOutputIsKeptWithoutOverwrite(@TempDir Path tmp) throws IOException {
    Path out = Files.writeString(tmp.resolve("x.safetensors"), "keep");
    try (OwnedModel m = ModelIO.open(TestFiles.testdata().resolve("models/mlp/keras3.keras"))) {
      assertThrows(
          java.nio.file.FileAlreadyExistsException.class,
          () -> ModelIO.write(m, out, ModelIO.WriteOptions.defaults()));
    }
    assertEquals("keep", Files.readString(out));
  }
}
