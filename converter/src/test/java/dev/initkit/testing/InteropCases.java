package dev.initkit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cases for {@code testdata/interop/check.py} whose reference is the original file, loaded by real
 * Keras in the same process as initkit's output: never predictions recorded on another machine
 * (float32 kernels differ in their last bits from one CPU to the next). The recorded {@code
 * expected.npz} rides along as a sanity check of the original only.
 *
 * <p>Tolerances: where the output is loaded by a Keras that can load the original itself, the two
 * must predict bit for bit the same (initkit changed nothing the computation depends on); where
 * only the other generation loads the original (a tf-keras file converted to {@code .keras} for
 * Keras 3), the two frameworks' kernels legitimately differ and the model's recorded
 * cross-framework tolerance of {@code MANIFEST.json} applies (relative above 1).
 */
public final class InteropCases {
  private final Map<String, JsonNode> models = new LinkedHashMap<>();
  private final Path root;
  private final JsonNode versions;

  private InteropCases(Path root, JsonNode manifest) {
    this.root = root;
    this.versions = manifest.path("versions");
    for (JsonNode m : manifest.path("models")) {
      models.put(m.path("name").asText(), m);
    }
  }

  /** The generated models' manifest ({@code testdata/models/MANIFEST.json}). */
  public static InteropCases fromManifest() throws IOException {
    return fromManifest(TestFiles.testdata().resolve("models"));
  }

  /**
   * The models of another directory with a {@code MANIFEST.json} of the same form (a catalogue).
   */
  public static InteropCases fromManifest(Path root) throws IOException {
    return new InteropCases(root, TestFiles.JSON.readTree(root.resolve("MANIFEST.json").toFile()));
  }

  /** The version the generator ran with ({@code keras}, {@code tf_keras}), or null. */
  public String version(String key) {
    return versions.hasNonNull(key) ? versions.path(key).asText() : null;
  }

  /** The manifest's model entries, in its order. */
  public java.util.Collection<JsonNode> entries() {
    return models.values();
  }

  /** An original file of a generated model, as the manifest's {@code files} key names it. */
  public enum Original {
    KERAS3_KERAS("keras3_keras", "keras3"),
    KERAS3_H5("keras3_h5", "keras3"),
    KERAS3_UNZIPPED("keras3_unzipped", "keras3"),
    TFKERAS_H5("tfkeras_h5", "tfkeras");

    final String key;
    final String nativeLoader;

    Original(String key, String nativeLoader) {
      this.key = key;
      this.nativeLoader = nativeLoader;
    }
  }

  /** Where a reference comes from: a file (and, for weights, the architecture it loads into). */
  public record Reference(Path file, String loader, Path architecture, double tolerance) {
    ObjectNode toJson() {
      ObjectNode r = TestFiles.JSON.createObjectNode();
      r.put("file", file.toString());
      r.put("loader", loader);
      if (architecture != null) {
        ObjectNode w = r.putObject("weights_into");
        w.put("architecture", architecture.toString());
        w.put("loader", loader);
      }
      return r;
    }
  }

  private JsonNode model(String name) {
    JsonNode m = models.get(name);
    if (m == null) {
      throw new IllegalArgumentException("no model " + name + " in MANIFEST.json");
    }
    return m;
  }

  /** The model's directory. */
  public Path dir(String model) {
    return root.resolve(model);
  }

  /**
   * The reference for a file derived from {@code original} and loaded by {@code loader}: the
   * original in the same loader (bit-equal) when that loader loads it, else in its own generation
   * (the model's cross-framework tolerance).
   */
  public Reference reference(String model, Original original, String loader) {
    JsonNode m = model(model);
    Path file = dir(model).resolve(m.path("files").path(original.key).asText());
    if (loader.equals(original.nativeLoader) || crossLoads(m, original, loader)) {
      return new Reference(file, loader, null, 0);
    }
    return new Reference(file, original.nativeLoader, null, crossTolerance(model));
  }

  /** The reference for a weights-only file: the original weights into the same architecture. */
  public Reference weightsReference(Path originalWeights, Path architecture, String loader) {
    return new Reference(originalWeights, loader, architecture, 0);
  }

  /** Keras 3 vs tf-keras on the same machine: the manifest's tf-keras tolerance for the model. */
  public double crossTolerance(String model) {
    return model(model).path("tolerance").path("tfkeras").asDouble(1e-5);
  }

  private static boolean crossLoads(JsonNode m, Original original, String loader) {
    String probe =
        switch (original) {
          case TFKERAS_H5 -> "keras3_loads_tfkeras_h5";
          case KERAS3_H5 -> "tfkeras_loads_keras3_h5";
          case KERAS3_KERAS, KERAS3_UNZIPPED -> "tfkeras_loads_keras3_keras";
        };
    return !loader.equals(original.nativeLoader)
        && m.path("crossload").path(probe).path("ok").asBoolean(false);
  }

  /**
   * Adds a case: {@code file} loaded by {@code loader} (into {@code architecture} when it holds
   * weights only) must predict what the reference does ({@code expect} "equal") or not
   * ("different").
   */
  public ObjectNode add(
      ArrayNode cases,
      String id,
      String model,
      Path file,
      String loader,
      Path architecture,
      Reference ref,
      String expect) {
    // the original against what generate.py recorded on another machine: loose, relative
    return add(
        cases,
        id,
        dir(model),
        file,
        loader,
        architecture,
        ref,
        expect,
        Math.max(1e-3, 10 * crossTolerance(model)));
  }

  /**
   * Adds an "equal" case for a model outside the manifest (a directory with {@code input.npz} and
   * {@code expected.npz}, e.g. {@code testdata/models-newest/NAME}).
   */
  public ObjectNode addIn(
      ArrayNode cases,
      String id,
      Path dir,
      Path file,
      String loader,
      Path architecture,
      Reference ref) {
    return add(cases, id, dir, file, loader, architecture, ref, "equal", 1e-3);
  }

  private static ObjectNode add(
      ArrayNode cases,
      String id,
      Path dir,
      Path file,
      String loader,
      Path architecture,
      Reference ref,
      String expect,
      double sanity) {
    ObjectNode c = cases.addObject();
    c.put("id", id);
    c.put("file", file.toString());
    c.put("loader", loader);
    c.put("input", dir.resolve("input.npz").toString());
    c.put("expected", dir.resolve("expected.npz").toString());
    c.put("sanity_tolerance", sanity);
    c.put("tolerance", ref.tolerance());
    c.put("expect", expect);
    c.set("reference", ref.toJson());
    if (architecture != null) {
      ObjectNode w = c.putObject("weights_into");
      w.put("architecture", architecture.toString());
      w.put("loader", loader);
    }
    return c;
  }
}
