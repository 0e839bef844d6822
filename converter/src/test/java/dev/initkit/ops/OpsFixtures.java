package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The generated real-Keras models and statistics helpers shared by the ops tests. */
final class OpsFixtures {
  private OpsFixtures() {}

  /** The three files every generated model has, and the Keras that loads what initkit derives. */
  enum Flavor {
    KERAS3_KERAS("keras3.keras", ".keras", "keras3"),
    KERAS3_H5("keras3.h5", ".h5", "keras3"),
    TFKERAS_H5("tfkeras.h5", ".h5", "tfkeras");

    final String file;
    final String ext;
    final String loader;

    Flavor(String file, String ext, String loader) {
      this.file = file;
      this.ext = ext;
      this.loader = loader;
    }

    /** A short tag for output names. */
    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** A generated model file. */
  record ModelFile(String model, Flavor flavor, Path path, Path input, Path expected) {
    @Override
    public String toString() {
      return model + "/" + flavor.file;
    }
  }

  /** The models of testdata/models/MANIFEST.json. */
  static List<String> models() throws IOException {
    JsonNode manifest =
        Json.mapper().readTree(TestFiles.testdata().resolve("models/MANIFEST.json").toFile());
    List<String> out = new ArrayList<>();
    for (JsonNode e : manifest.path("models")) {
      // quantized models: their codes are refused by set-init/reinit and have no fans
      // (QuantizedModelTest)
      if (!e.has("quantization")) {
        out.add(e.path("name").asText());
      }
    }
    assertTrue(out.size() >= 20, "expected the generated models, found " + out);
    return out;
  }

  /** Every (model, flavor) file that exists. */
  static List<ModelFile> files() throws IOException {
    List<ModelFile> out = new ArrayList<>();
    for (String m : models()) {
      Path dir = TestFiles.testdata().resolve("models").resolve(m);
      for (Flavor f : Flavor.values()) {
        Path p = dir.resolve(f.file);
        if (Files.exists(p)) {
          out.add(new ModelFile(m, f, p, dir.resolve("input.npz"), dir.resolve("expected.npz")));
        }
      }
    }
    return out;
  }

  /** One generated file. */
  static ModelFile file(String model, Flavor flavor) {
    Path dir = TestFiles.testdata().resolve("models").resolve(model);
    return new ModelFile(
        model,
        flavor,
        dir.resolve(flavor.file),
        dir.resolve("input.npz"),
        dir.resolve("expected.npz"));
  }

  /** A weight's values as doubles. */
  static double[] values(LoadedModel m, Weight w) throws IOException {
    byte[] b = TestFiles.bytes(m, w);
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    return dev.initkit.init.DTypeCodec.decodeAll(buf, w.dtype());
  }
}
