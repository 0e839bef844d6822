package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.internal.AtomicFiles;
import dev.initkit.internal.Json;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Writes a changed SavedModel: a copy of the source directory in which the checkpoint is written
 * anew with {@code SaveV2} under the same keys (changed variables from the model's tensors, every
 * other entry restored unchanged) and, when the Keras config changed ({@code set-init}), the Keras
 * metadata rewritten. Everything else (graph, signatures, assets) is copied byte for byte. The copy
 * is built in a temporary sibling directory and renamed into place.
 */
final class SavedModelWriter {
  private SavedModelWriter() {}

  static void write(LoadedModel loaded, Path out, boolean overwrite, Consumer<String> notes)
      throws IOException {
    Model model = loaded.model();
    Path source = Path.of(model.source());
    if (!model.sourceFormat().equals("savedmodel")
        || !Files.isRegularFile(source.resolve("saved_model.pb"))) {
      // a Keras file: build the serving graph (the model is validated before anything is written)
      AtomicFiles.writeDirectory(
          out, overwrite, tmp -> KerasGraphExporter.export(loaded, tmp, notes));
      return;
    }
    SavedModelReader.Contents c = SavedModelReader.read(source);
    Map<String, byte[]> replaced = changedValues(loaded, c, out);
    resetOptimizerState(loaded.model(), c, replaced, notes);
    byte[] newMetadata = rewrittenMetadata(model, c, notes);
    AtomicFiles.writeDirectory(
        out,
        overwrite,
        tmp -> {
          copyTree(source, tmp);
          if (c.index() != null) {
            Path vars = tmp.resolve("variables");
            try (var files = Files.list(vars)) {
              for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().startsWith("variables.")) {
                  Files.delete(f);
                }
              }
            }
            try {
              Checkpoint.rewrite(
                  c.prefix(), c.index(), replaced, vars.resolve("variables").toString());
            } catch (RuntimeException e) {
              throw new IOException(
                  out + ": TensorFlow could not write the checkpoint: " + e.getMessage(), e);
            }
          }
          if (newMetadata != null) {
            Files.write(tmp.resolve("keras_metadata.pb"), newMetadata);
          }
          Fingerprints.update(tmp, notes);
        });
  }

  /** The raw bytes of every weight whose values are not the source's own, under all its keys. */
  private static Map<String, byte[]> changedValues(
      LoadedModel loaded, SavedModelReader.Contents c, Path out) throws IOException {
    Map<String, byte[]> replaced = new LinkedHashMap<>();
    TensorSource tensors = loaded.tensors();
    for (Weight w : loaded.model().layerWeights()) {
      TensorSource origin = tensors.origin(w);
      if (origin instanceof CheckpointTensors ct && ct.dir().equals(c.dir())) {
        continue; // unchanged: restored and saved again inside the graph
      }
      if (c.index() == null || !c.index().entries().containsKey(w.key())) {
        throw new UnsupportedModelException(
            out, w.key(), "weight " + w.name() + " has no entry in the source checkpoint");
      }
      long bytes = w.byteSize();
      if (bytes > Integer.MAX_VALUE - 16) {
        throw new UnsupportedModelException(
            out, w.key(), "a tensor of " + bytes + " bytes is too large to write");
      }
      // direct: some sources (HDF5) transfer into native memory only
      ByteBuffer buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
      long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
      if (rows > 0) {
        tensors.readRows(w, 0, rows, buf);
      }
      byte[] values = new byte[(int) bytes];
      buf.flip().get(values);
      for (String key : c.aliases().getOrDefault(w.key(), List.of(w.key()))) {
        replaced.put(key, values);
      }
    }
    return replaced;
  }

  /**
   * When the model dropped its optimizer weights (reinit), the checkpoint still has to hold every
   * entry its object graph names, so the optimizer's slots and step counter are zeroed instead: the
   * state of a fresh optimizer. Hyperparameters (learning rate, betas) are kept.
   */
  private static void resetOptimizerState(
      Model model,
      SavedModelReader.Contents c,
      Map<String, byte[]> replaced,
      Consumer<String> notes) {
    if (!model.optimizerWeights().isEmpty() || c.model().optimizerWeights().isEmpty()) {
      return;
    }
    int n = 0;
    for (Weight w : c.model().optimizerWeights()) {
      if (SavedModelReader.isOptimizerState(w.key())) {
        replaced.put(w.key(), new byte[(int) w.byteSize()]);
        n++;
      }
    }
    notes.accept(
        "optimizer state reset in the SavedModel's checkpoint ("
            + n
            + " slot and step variables"
            + " zeroed, as a fresh optimizer's; hyperparameters kept): its object graph needs every entry");
  }

  /**
   * The Keras metadata with the new config when it changed: the root's config (and {@code
   * model_config}) and every layer node's own config, which is what tf-keras revives layers from.
   */
  private static byte[] rewrittenMetadata(
      Model model, SavedModelReader.Contents c, Consumer<String> notes) throws IOException {
    String before = c.model().configText().orElse(null);
    String after = model.configText().orElse(null);
    if (after == null || Objects.equals(before, after)) {
      return null;
    }
    if (!c.metadataSource().equals("keras_metadata.pb")) {
      throw new UnsupportedModelException(
          c.dir(),
          "saved_model.pb",
          "rewriting the Keras metadata stored inside saved_model.pb (TF 2.4-era files) is not supported");
    }
    JsonNode config = model.config().orElseThrow();
    Map<String, JsonNode> layerConfigs = new LinkedHashMap<>();
    collect(config, layerConfigs);
    List<KerasMetadata.Node> nodes = new ArrayList<>();
    int changed = 0;
    for (KerasMetadata.Node n : c.kerasNodes()) {
      JsonNode meta;
      try {
        meta = Json.parse(n.metadata());
      } catch (IOException e) {
        nodes.add(n);
        continue;
      }
      if (!(meta instanceof ObjectNode o)) {
        nodes.add(n);
        continue;
      }
      boolean edit = false;
      if (n.nodePath().equals("root")) {
        if (o.has("model_config")) {
          o.set("model_config", config);
          edit = true;
        }
        if (o.path("config").path("layers").isArray()) {
          o.set("config", config.get("config"));
          edit = true;
        }
      } else if (o.has("config") && layerConfigs.containsKey(o.path("name").asText())) {
        JsonNode lc = layerConfigs.get(o.path("name").asText());
        if (!lc.equals(o.get("config"))) {
          o.set("config", lc);
          edit = true;
        }
      }
      if (edit) {
        changed++;
        nodes.add(n.withMetadata(Json.write(o)));
      } else {
        nodes.add(n);
      }
    }
    notes.accept("Keras metadata rewritten (" + changed + " objects' configs)");
    return KerasMetadata.serialize(nodes);
  }

  /** Every layer config of a model config by layer name, nested models included. */
  private static void collect(JsonNode modelConfig, Map<String, JsonNode> out) {
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(modelConfig);
    } catch (IllegalArgumentException e) {
      return;
    }
    for (ConfigLayers.Entry e : entries) {
      out.put(e.name(), e.config());
      if (Layer.isModelClass(e.className())) {
        collect(e.raw(), out);
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(to.resolve(from.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.copy(
                f, to.resolve(from.relativize(f).toString()), StandardCopyOption.REPLACE_EXISTING);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
