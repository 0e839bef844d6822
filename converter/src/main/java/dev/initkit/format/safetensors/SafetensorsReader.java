package dev.initkit.format.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.internal.BoundedText;
import dev.initkit.internal.Json;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code .safetensors} file, or a sharded checkpoint given as its {@code
 * model.safetensors.index.json}, as a weights-only model of format {@code "safetensors"}.
 *
 * <p>The model has no config. Each tensor-name prefix (the key up to its last {@code .}; a key
 * without a dot is its own prefix) is one {@link Layer} named by it, with class name {@code ""}, in
 * file order (shards by name, then by data offset). Each {@link Weight} has the full safetensors
 * key as its {@link Weight#key()}, and {@code <prefix>/<rest>} as its {@link Weight#name()} ({@code
 * encoder.layer.0.attention.self.query.weight} is {@code
 * encoder.layer.0.attention.self.query/weight}, short name {@code weight}); a key without a dot is
 * its own name. Values are the file's little-endian bytes, in the source's layout (PyTorch's {@code
 * (out, in)} kernels stay so); a tensor of a low-precision float code ({@code F8_E4M3}, {@code F4},
 * {@code F6_E2M3}...) is a float32 weight whose values are its exact decode, its {@link
 * Weight#stored()} naming the code, and a {@code C64} tensor is listed but its values are not read.
 *
 * <p>The header is validated before anything is allocated ({@code SafetensorsHeader}); the files
 * stay open, and values stream from them, until the returned model is closed.
 */
public final class SafetensorsReader {
  /** Format name of the models this reader returns ({@link Model#sourceFormat()}). */
  public static final String FORMAT = "safetensors";

  /** Largest index JSON read, 64 MB (a real index is a few MB for tens of thousands of keys). */
  static final long MAX_INDEX_BYTES = 64L << 20;

  /** Metadata key of the {@code __metadata__} object (JSON text). */
  public static final String METADATA_KEY = "__metadata__";

  /** Metadata key of a sharded index's {@code metadata} object (JSON text). */
  public static final String INDEX_METADATA_KEY = "index.metadata";

  private SafetensorsReader() {}

  /**
   * Opens one {@code .safetensors} file. The caller closes the result.
   *
   * @throws MalformedModelException when the file breaks the format (naming the tensor or field)
   * @throws IOException when the file cannot be read
   */
  public static OwnedModel readFile(Path file) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    boolean ok = false;
    try {
      SafetensorsHeader h = SafetensorsHeader.read(file, ch);
      Model.Builder b = Model.builder().source(file.toString()).sourceFormat(FORMAT);
      if (!h.metadata().isEmpty()) {
        b.metadata(METADATA_KEY, Json.write(Json.object(h.metadata())));
      }
      Map<String, SafetensorsStore.Slot> slots = new LinkedHashMap<>();
      List<Weight> weights = new ArrayList<>();
      for (SafetensorsHeader.Entry e : h.entries()) {
        weights.add(weight(e));
        slots.put(e.name(), new SafetensorsStore.Slot(file, ch, h.dataStart() + e.begin()));
      }
      b.layers(group(weights));
      SafetensorsStore store = new SafetensorsStore(slots, List.of(ch));
      ok = true;
      return new OwnedModel(b.build(), store, store);
    } finally {
      if (!ok) {
        ch.close();
      }
    }
  }

  /**
   * Opens a sharded checkpoint from its index ({@code model.safetensors.index.json}: {@code
   * weight_map} from tensor key to shard file, shards beside the index). The caller closes the
   * result.
   *
   * @throws MalformedModelException when the index or a shard breaks the format: a shard named
   *     outside the index's directory ({@code ..}, an absolute path or a subdirectory), missing, or
   *     not holding the keys the index gives it; a key in two shards
   * @throws IOException when a file cannot be read
   */
  public static OwnedModel readIndex(Path index) throws IOException {
    JsonNode root = parseIndex(index);
    JsonNode map = root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new MalformedModelException(index, "/weight_map", "missing or not an object");
    }
    // shard name -> keys the index places there
    Map<String, List<String>> byShard = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new MalformedModelException(
            index, "/weight_map/" + e.getKey(), "expected a shard file name (a string)");
      }
      String shard = e.getValue().asText();
      checkShardName(index, e.getKey(), shard);
      byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
    }
    Model.Builder b = Model.builder().source(index.toString()).sourceFormat(FORMAT);
    JsonNode meta = root.get("metadata");
    if (meta != null && meta.isObject() && !meta.isEmpty()) {
      b.metadata(INDEX_METADATA_KEY, Json.write(meta));
    }
    Map<String, SafetensorsStore.Slot> slots = new LinkedHashMap<>();
    List<FileChannel> channels = new ArrayList<>();
    List<Weight> weights = new ArrayList<>();
    boolean ok = false;
    try {
      for (Map.Entry<String, List<String>> s : byShard.entrySet()) {
        Path shard = index.resolveSibling(s.getKey());
        if (!Files.isRegularFile(shard)) {
          throw new MalformedModelException(
              index,
              "/weight_map/" + s.getValue().get(0),
              "shard file "
                  + s.getKey()
                  + (Files.exists(shard) ? " is not a regular file" : " is missing"));
        }
        FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ);
        channels.add(ch);
        SafetensorsHeader h = SafetensorsHeader.read(shard, ch);
        if (!h.metadata().isEmpty()) {
          b.metadata(METADATA_KEY + " " + s.getKey(), Json.write(Json.object(h.metadata())));
        }
        java.util.Set<String> listed = new java.util.HashSet<>(s.getValue());
        for (SafetensorsHeader.Entry e : h.entries()) {
          if (!listed.remove(e.name())) {
            throw new MalformedModelException(
                shard,
                e.name(),
                map.has(e.name())
                    ? "the index places this tensor in " + map.get(e.name()).asText()
                    : "tensor not listed in the index's weight_map (" + index.getFileName() + ")");
          }
          weights.add(weight(e));
          slots.put(e.name(), new SafetensorsStore.Slot(shard, ch, h.dataStart() + e.begin()));
        }
        if (!listed.isEmpty()) {
          String key = s.getValue().stream().filter(listed::contains).findFirst().orElseThrow();
          throw new MalformedModelException(
              index, "/weight_map/" + key, "shard " + s.getKey() + " holds no tensor of this name");
        }
      }
      b.layers(group(weights));
      SafetensorsStore store = new SafetensorsStore(slots, channels);
      ok = true;
      return new OwnedModel(b.build(), store, store);
    } finally {
      if (!ok) {
        for (FileChannel c : channels) {
          c.close();
        }
      }
    }
  }

  private static JsonNode parseIndex(Path index) throws IOException {
    String text = BoundedText.readFile(index, MAX_INDEX_BYTES, index, "");
    JsonNode root;
    try {
      root = Json.parse(text);
    } catch (JsonProcessingException e) {
      throw new MalformedModelException(index, "", "invalid JSON: " + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(index, "", "invalid JSON: " + e.getMessage(), e);
    }
    if (!root.isObject()) {
      throw new MalformedModelException(index, "", "not a JSON object");
    }
    return root;
  }

  /** A shard is a plain file name beside the index: no directory part, no {@code ..}. */
  private static void checkShardName(Path index, String key, String shard)
      throws MalformedModelException {
    boolean escapes =
        shard.isEmpty()
            || shard.equals(".")
            || shard.equals("..")
            || shard.contains("/")
            || shard.contains("\\")
            || shard.indexOf('\0') >= 0
            || (shard.length() >= 2 && shard.charAt(1) == ':');
    if (escapes) {
      throw new MalformedModelException(
          index,
          "/weight_map/" + key,
          "shard '"
              + shard
              + "' is not a file name beside the index (refusing paths that leave its directory)");
    }
  }

  private static Weight weight(SafetensorsHeader.Entry e) {
    String name = weightName(e.name());
    return new Weight(name, e.shape(), e.dtype(), WeightRole.of("", name), e.name(), e.stored());
  }

  /**
   * {@code a.b.c} is {@code a.b/c}; a Keras path ({@code block/dense/kernel}, what initkit's own
   * writer names tensors) is itself; a key with neither is its own name.
   */
  static String weightName(String key) {
    if (key.indexOf('/') >= 0) {
      return key;
    }
    int dot = key.lastIndexOf('.');
    return dot < 0 ? key : key.substring(0, dot) + "/" + key.substring(dot + 1);
  }

  /**
   * The layer a key belongs to: a Keras path's layer path (up to its last {@code /}), so that a
   * file initkit wrote matches its model by name again; else the key up to its last dot (the
   * PyTorch module path); else the key itself.
   */
  static String layerName(String key) {
    int cut = key.indexOf('/') >= 0 ? key.lastIndexOf('/') : key.lastIndexOf('.');
    return cut < 0 ? key : key.substring(0, cut);
  }

  /** One layer per prefix, in order of each prefix's first tensor. */
  private static List<Layer> group(List<Weight> weights) {
    Map<String, List<Weight>> byLayer = new LinkedHashMap<>();
    for (Weight w : weights) {
      byLayer.computeIfAbsent(layerName(w.key()), k -> new ArrayList<>()).add(w);
    }
    List<Layer> layers = new ArrayList<>();
    byLayer.forEach((name, ws) -> layers.add(new Layer(name, "", null, ws, List.of())));
    return layers;
  }
}
