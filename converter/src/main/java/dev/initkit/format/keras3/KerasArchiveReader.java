package dev.initkit.format.keras3;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.ConfigLayers;
import dev.initkit.format.MalformedModelException;
import dev.initkit.format.UnsupportedModelException;
import dev.initkit.format.h5.H5Store;
import dev.initkit.internal.Json;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads Keras 3 saves: {@code .keras} archives (zipped, or unzipped into a directory), bare {@code
 * .weights.h5} files and sharded {@code .weights.json} manifests. Weights are mapped to the config's
 * layers the way Keras itself does it, through class-derived paths ({@link Keras3Layout}).
 */
public final class KerasArchiveReader {
  /** Metadata key: the archive's metadata.json as written. */
  public static final String METADATA_JSON = "keras3.metadata";
  /** Metadata key: every group of the weights file with its {@code name} attribute, as JSON. */
  public static final String GROUPS = "keras3.groups";

  static final String WEIGHTS_H5 = "model.weights.h5";
  private static final long MAX_JSON_BYTES = Json.MAX_CONFIG_CHARS;

  private KerasArchiveReader() {}

  /** Reads a zipped {@code .keras} archive. */
  public static LoadedModel readZip(Path path) throws IOException {
    try (ZipFile zip = new ZipFile(path.toFile())) {
      String config = text(zip, path, "config.json", true);
      String metadata = text(zip, path, "metadata.json", false);
      ZipEntry w = zip.getEntry(WEIGHTS_H5);
      if (w == null) {
        if (zip.getEntry("model.weights.npz") != null) {
          throw new UnsupportedModelException(path, "model.weights.npz", "weights saved in npz format are not supported: re-save with the default h5 weights format");
        }
        throw new MalformedModelException(path, WEIGHTS_H5, "missing: the archive holds no weights");
      }
      // HDF5 opens files by path: the member is extracted to a private temporary file
      Path tmp = Files.createTempFile("initkit-", ".weights.h5");
      boolean ok = false;
      try {
        try (InputStream in = zip.getInputStream(w); OutputStream out = Files.newOutputStream(tmp)) {
          in.transferTo(out);
        }
        H5File f = open(path, tmp, WEIGHTS_H5);
        LoadedModel m = assemble(path, List.of(f), () -> Files.deleteIfExists(tmp), config, metadata, "keras");
        ok = true;
        return m;
      } finally {
        if (!ok) {
          Files.deleteIfExists(tmp);
        }
      }
    }
  }

  /** Reads an unzipped archive directory. */
  public static LoadedModel readDirectory(Path dir) throws IOException {
    String config = Files.readString(dir.resolve("config.json"), StandardCharsets.UTF_8);
    Path meta = dir.resolve("metadata.json");
    String metadata = Files.exists(meta) ? Files.readString(meta, StandardCharsets.UTF_8) : null;
    Path w = dir.resolve(WEIGHTS_H5);
    if (Files.exists(w)) {
      return assemble(dir, List.of(open(dir, w, WEIGHTS_H5)), null, config, metadata, "keras");
    }
    Path manifest = dir.resolve("model.weights.json");
    if (Files.exists(manifest)) {
      return assemble(dir, openShards(manifest), null, config, metadata, "keras");
    }
    throw new MalformedModelException(dir, WEIGHTS_H5, "missing: the archive directory holds no weights");
  }

  /** Reads a bare Keras 3 weights file, with an optional config for layer names and classes. */
  public static LoadedModel readWeights(Path path, H5File file, JsonNode companion) throws IOException {
    String config = companion == null ? null : Json.write(companion);
    return assemble(path, List.of(file), null, config, null, "keras3-weights");
  }

  /** Reads a sharded weights manifest ({@code .weights.json}) and its shards. */
  public static LoadedModel readShardedWeights(Path manifest, JsonNode companion) throws IOException {
    String config = companion == null ? null : Json.write(companion);
    return assemble(manifest, openShards(manifest), null, config, null, "keras3-weights");
  }

  private static List<H5File> openShards(Path manifest) throws IOException {
    JsonNode m = parse(manifest, "", Files.readString(manifest, StandardCharsets.UTF_8));
    JsonNode map = m.path("weight_map");
    if (!map.isObject()) {
      throw new MalformedModelException(manifest, "/weight_map", "missing: not a sharded weights manifest");
    }
    Set<String> shardNames = new java.util.TreeSet<>();
    for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
      JsonNode v = it.next();
      if (v.isArray()) {
        v.forEach(s -> shardNames.add(s.asText()));
      } else {
        shardNames.add(v.asText());
      }
    }
    List<H5File> files = new ArrayList<>();
    try {
      for (String s : shardNames) {
        Path p = manifest.resolveSibling(s).normalize();
        if (!p.getParent().equals(manifest.toAbsolutePath().normalize().getParent()) && !p.getParent().equals(manifest.getParent())) {
          throw new MalformedModelException(manifest, "/weight_map", "shard '" + s + "' is outside the manifest's directory");
        }
        if (!Files.exists(p)) {
          throw new MalformedModelException(manifest, "/weight_map", "shard file " + s + " is missing");
        }
        files.add(open(manifest, p, s));
      }
    } catch (IOException e) {
      for (H5File f : files) {
        f.close();
      }
      throw e;
    }
    return files;
  }

  private static H5File open(Path shown, Path file, String member) throws IOException {
    try {
      return H5File.openReadOnly(file);
    } catch (H5Exception e) {
      throw new MalformedModelException(shown, member, "not a readable HDF5 file: " + e.getMessage(), e);
    }
  }

  private static String text(ZipFile zip, Path path, String name, boolean required) throws IOException {
    ZipEntry e = zip.getEntry(name);
    if (e == null) {
      if (required) {
        throw new MalformedModelException(path, name, "missing: not a Keras 3 archive");
      }
      return null;
    }
    if (e.getSize() > MAX_JSON_BYTES) {
      throw new MalformedModelException(path, name, "declares " + e.getSize() + " bytes, more than the " + MAX_JSON_BYTES + " initkit reads");
    }
    try (InputStream in = zip.getInputStream(e)) {
      byte[] b = in.readNBytes((int) MAX_JSON_BYTES + 1);
      if (b.length > MAX_JSON_BYTES) {
        throw new MalformedModelException(path, name, "larger than the " + MAX_JSON_BYTES + " bytes initkit reads");
      }
      return new String(b, StandardCharsets.UTF_8);
    }
  }

  static JsonNode parse(Path path, String location, String text) throws MalformedModelException {
    try {
      JsonNode n = Json.parse(text);
      if (!n.isObject()) {
        throw new MalformedModelException(path, location, "expected a JSON object, found " + n.getNodeType());
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new MalformedModelException(path, location, "malformed JSON: " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(path, location, e.getMessage());
    }
  }

  private static LoadedModel assemble(Path path, List<H5File> files, AutoCloseable extra, String configText, String metadataText, String format) throws IOException {
    H5Store store = new H5Store(files, path, extra);
    boolean ok = false;
    try {
      Model.Builder b = Model.builder().source(path.toString()).sourceFormat(format);
      JsonNode config = null;
      if (configText != null) {
        config = parse(path, "config.json", configText);
        b.config(configText, config);
        JsonNode compile = config.get("compile_config");
        // an uncompiled Keras 3 model writes "compile_config": {} (or null): no training config
        if (compile != null && !compile.isNull() && !(compile.isObject() && compile.isEmpty())) {
          b.trainingConfigText(Json.write(compile));
        }
      }
      if (metadataText != null) {
        JsonNode meta = parse(path, "metadata.json", metadataText);
        b.metadata(METADATA_JSON, metadataText);
        b.kerasVersion(meta.path("keras_version").asText(null));
      }
      WeightsIndex idx = WeightsIndex.of(files);
      b.metadata(GROUPS, Json.mapper().valueToTree(idx.allGroups()).toString());
      Set<String> used = new HashSet<>();
      String prefix = idx.hasGroup("layers") ? "layers" : idx.hasGroup("_layer_checkpoint_dependencies") ? "_layer_checkpoint_dependencies" : "layers";
      List<Layer> layers = config == null ? layersWithoutConfig(idx, prefix, used) : container(path, config, prefix, idx, used);
      b.layers(layers);
      b.modelWeights(weights("", idx.vars("vars"), "vars", used), idx.hasGroup("vars"));
      List<Weight> opt = new ArrayList<>();
      if (idx.hasGroup("optimizer")) {
        opt.addAll(weights("optimizer", idx.vars("optimizer/vars"), "optimizer/vars", used));
      }
      b.optimizerWeights(opt);
      for (String d : idx.datasetPaths()) {
        if (!used.contains(d) && d.startsWith(prefix + "/")) {
          throw new UnsupportedModelException(path, d, "weights that no layer of the config accounts for (a custom layer layout or an unknown Keras version's path scheme)");
        }
      }
      ok = true;
      return new LoadedModel(b.build(), store, store);
    } catch (H5Exception e) {
      throw new MalformedModelException(path, WEIGHTS_H5, "cannot read HDF5 structure: " + e.getMessage(), e);
    } finally {
      if (!ok) {
        store.close();
      }
    }
  }

  private static List<Layer> layersWithoutConfig(WeightsIndex idx, String prefix, Set<String> used) {
    List<Layer> out = new ArrayList<>();
    for (String g : idx.childGroups(prefix)) {
      String p = prefix + "/" + g;
      out.add(new Layer(g, "", null, collect(g, "", p, idx, used, null), List.of()));
    }
    return out;
  }

  private static List<Layer> container(Path path, JsonNode modelConfig, String prefix, WeightsIndex idx, Set<String> used) throws IOException {
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(modelConfig);
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(path, "config.json", e.getMessage());
    }
    boolean seq = ConfigLayers.isSequential(modelConfig);
    List<String> classes = new ArrayList<>();
    for (ConfigLayers.Entry e : entries) {
      if (!(seq && e.className().equals("InputLayer"))) {
        classes.add(e.className());
      }
    }
    List<String> names = Keras3Layout.containerNames(classes);
    List<Layer> out = new ArrayList<>();
    int k = 0;
    for (ConfigLayers.Entry e : entries) {
      if (seq && e.className().equals("InputLayer")) {
        out.add(new Layer(e.name(), e.className(), e.config(), List.of(), List.of()));
        continue;
      }
      String p = prefix + "/" + names.get(k++);
      if (!idx.hasGroup(p) && idx.hasGroup(prefix + "/" + e.name())) {
        p = prefix + "/" + e.name(); // tf.keras 2.13-2.15 "keras_v3" saves
      }
      if (Layer.isModelClass(e.className())) {
        List<Layer> children = container(path, e.raw(), p + "/layers", idx, used);
        List<Weight> own = weights(e.name(), idx.vars(p + "/vars"), p + "/vars", used);
        out.add(new Layer(e.name(), e.className(), e.config(), own, children));
      } else {
        out.add(new Layer(e.name(), e.className(), e.config(), collect(e.name(), e.className(), p, idx, used, e.config()), List.of()));
      }
    }
    return out;
  }

  /** A layer's variables in positional order: own {@code vars}, then sub-objects. */
  private static List<Weight> collect(String layerName, String cls, String p, WeightsIndex idx, Set<String> used, JsonNode config) {
    List<Map.Entry<String, WeightsIndex.Entry>> found = new ArrayList<>();
    gather(cls, p, idx, found);
    List<String> names = Keras3Layout.variableNames(cls, config == null ? Json.mapper().createObjectNode() : config, found.size());
    List<Weight> out = new ArrayList<>();
    for (int i = 0; i < found.size(); i++) {
      Map.Entry<String, WeightsIndex.Entry> e = found.get(i);
      used.add(e.getKey());
      String n = layerName + "/" + names.get(i);
      out.add(new Weight(n, e.getValue().shape(), e.getValue().dtype(), WeightRole.of(cls, n), e.getValue().key()));
    }
    return out;
  }

  private static void gather(String cls, String p, WeightsIndex idx, List<Map.Entry<String, WeightsIndex.Entry>> found) {
    found.addAll(idx.vars(p + "/vars"));
    for (String c : Keras3Layout.childOrder(cls, idx.childGroups(p))) {
      if (!c.equals("vars")) {
        gather("", p + "/" + c, idx, found);
      }
    }
  }

  private static List<Weight> weights(String owner, List<Map.Entry<String, WeightsIndex.Entry>> vars, String base, Set<String> used) {
    List<Weight> out = new ArrayList<>();
    for (Map.Entry<String, WeightsIndex.Entry> e : vars) {
      used.add(e.getKey());
      String n = e.getKey();
      out.add(new Weight(n, e.getValue().shape(), e.getValue().dtype(), WeightRole.OTHER, e.getValue().key()));
    }
    return out;
  }
}
