package dev.initkit.cli.guarantees;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.guarantees.FuzzHarness.Input;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5File;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Makes fuzz inputs from seed files: bit flips (aimed at HDF5 metadata when the raw data ranges are
 * known), truncation, JSON config mutations (wrong types, huge and negative shapes, deep nesting,
 * cycles in {@code inbound_nodes}, duplicate keys, odd names), zip tampering ({@code ..} and
 * absolute entries, duplicates, missing members, lying sizes, decompression bombs, unknown methods,
 * bad names) and, through {@code fuzz/h5mutate.py} when a Python with h5py is given, structural
 * HDF5 mutations (attributes of the wrong type, allocation and decompression bombs, external
 * storage and links, hard-link cycles, deep groups, odd datatypes).
 *
 * <p>Deterministic for a given seed and seed file list. Each input gets its own directory (so a
 * weights file keeps its companion {@code <name>.json}).
 */
public final class FuzzInputs {
  /** Escapes non-ASCII as Python's json.dumps (and so Keras) does; keeps lone surrogates. */
  private static final ObjectMapper JSON =
      new ObjectMapper(
          com.fasterxml.jackson.core.JsonFactory.builder()
              .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII)
              .build());

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Bytes of zeros the decompression bombs inflate to. */
  static final long BOMB_BYTES = 2L << 30;

  static final List<String> JSON_OPS =
      List.of(
          "wrong_type",
          "wrong_type",
          "shape",
          "shape",
          "deep_over",
          "deep_within",
          "nested_models",
          "inbound_cycle",
          "inbound_cycle",
          "duplicate_key",
          "remove_key",
          "dup_layer_names",
          "weird_names",
          "class_name",
          "huge_list",
          "text_truncate",
          "numbers",
          "empty_layers");
  static final List<String> ZIP_OPS =
      List.of(
          "dotdot",
          "absolute",
          "dotdot_weights",
          "dup_config",
          "dup_weights",
          "missing_config",
          "missing_weights",
          "missing_metadata",
          "declared_huge",
          "declared_small",
          "bomb",
          "bomb_lying",
          "bomb_config",
          "many_entries",
          "nested_zip",
          "method_unknown",
          "encrypted_flag",
          "crc_wrong",
          "prefix_garbage",
          "comment_fake_eocd",
          "truncated_cd",
          "bad_name_utf8",
          "deflated_weights",
          // issue 18: a member's bytes changed under its CRC; a local header naming another member;
          // another archive prepended (offsets move, as java.util.zip and Python move them)
          "data_flip_keep_crc",
          "local_name_differs",
          "prefix_zip");
  static final List<String> DIR_OPS =
      List.of("dir_symlink_out", "dir_config_huge", "dir_fifo_weights");

  private final Path root;
  private final long seed;
  private final Path python;
  private final Path script;
  private final Random rng;
  private final Map<Path, List<long[]>> rawRanges = new LinkedHashMap<>();
  private final List<String> h5pyOps = new ArrayList<>();
  private byte[] bombDeflate;
  private long bombCrc;
  private int counter;

  /**
   * @param root where inputs are created (one directory each)
   * @param python a Python with h5py for structural mutations, or null to skip them
   * @param script {@code fuzz/h5mutate.py}
   */
  public FuzzInputs(Path root, long seed, Path python, Path script) {
    this.root = root;
    this.seed = seed;
    this.python = python;
    this.script = script;
    this.rng = new Random(seed);
  }

  /**
   * The seed files: every file of the corpus model directories and of testdata/models, and the
   * {@code .safetensors} files of testdata/safetensors.
   */
  public static List<Path> seeds(Path corpus, Path testdataModels) throws IOException {
    List<Path> out = new ArrayList<>();
    if (corpus != null) {
      for (String d : List.of("h5-full", "h5-weights", "h5-other", "keras-v3")) {
        Path dir = corpus.resolve(d);
        if (Files.isDirectory(dir)) {
          try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).sorted().forEach(out::add);
          }
        }
      }
      // SavedModel directories: their protobufs and variables are corrupted ("savedmodel" family)
      Path sm = corpus.resolve("savedmodel");
      if (Files.isDirectory(sm)) {
        try (Stream<Path> s = Files.list(sm)) {
          s.filter(p -> Files.isRegularFile(p.resolve("saved_model.pb")))
              .sorted()
              .forEach(out::add);
        }
      }
    }
    if (testdataModels != null && Files.isDirectory(testdataModels)) {
      try (Stream<Path> s = Files.walk(testdataModels)) {
        s.filter(p -> Files.isRegularFile(p) && !p.toString().contains("_unzipped"))
            .sorted()
            .forEach(out::add);
      }
      try (Stream<Path> s = Files.walk(testdataModels)) {
        s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().endsWith("_unzipped"))
            .sorted()
            .forEach(out::add);
      }
      // the reference library's safetensors files (testdata/generate_safetensors.py), flipped
      Path safetensors = testdataModels.resolveSibling("safetensors");
      if (Files.isDirectory(safetensors)) {
        try (Stream<Path> s = Files.list(safetensors)) {
          s.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
              .sorted()
              .forEach(out::add);
        }
      }
    }
    return out;
  }

  /** Asks h5mutate.py for the raw data ranges of the HDF5 seeds and for its operation names. */
  public void prepare(List<Path> seeds) throws IOException, InterruptedException {
    if (python == null) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "ranges"));
    for (Path s : seeds) {
      if (isHdf5(s)) {
        cmd.add(s.toString());
      }
    }
    String out = runPython(cmd, 300);
    JsonNode ranges = JSON.readTree(out);
    for (Iterator<Map.Entry<String, JsonNode>> it = ranges.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      List<long[]> list = new ArrayList<>();
      for (JsonNode r : e.getValue()) {
        list.add(new long[] {r.get(0).asLong(), r.get(1).asLong()});
      }
      rawRanges.put(Path.of(e.getKey()), list);
    }
    h5pyOps.addAll(
        runPython(List.of(python.toString(), script.toString(), "ops"), 60).lines().toList());
  }

  /**
   * Makes {@code count} inputs, going round the seeds in a shuffled order so that every seed is
   * used once before any is used twice.
   */
  public List<Input> generate(List<Path> seeds, int count) throws Exception {
    List<Path> order = new ArrayList<>(seeds);
    Collections.shuffle(order, rng);
    List<Input> out = new ArrayList<>();
    List<Map<String, Object>> pySpec = new ArrayList<>();
    Map<String, Path> pyDirs = new LinkedHashMap<>();
    Map<String, Path> pySeeds = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      Path s = order.get(i % order.size());
      String family = pickFamily(s);
      String id = String.format(Locale.ROOT, "%05d", counter++);
      Path dir = root.resolve(id);
      Files.createDirectories(dir);
      try {
        switch (family) {
          case "h5py":
            {
              String op = h5pyOps.get(rng.nextInt(h5pyOps.size()));
              Path target = dir.resolve(s.getFileName());
              copyCompanion(s, dir);
              Map<String, Object> e = new LinkedHashMap<>();
              e.put("seed", s.toString());
              e.put("out", target.toString());
              e.put("op", op);
              e.put("rng", rng.nextInt(1 << 30));
              pySpec.add(e);
              pyDirs.put(target.toString(), dir);
              pySeeds.put(target.toString(), s);
              continue; // made below, in one Python run
            }
          default:
            out.add(new Input(id, makeJava(family, s, dir), describeSeed(s) + " " + lastOp));
        }
      } catch (IOException | RuntimeException e) {
        // this mutation does not apply to this seed (or the generator tripped): a bit flip instead
        FuzzChild.deleteTree(dir);
        Files.createDirectories(dir);
        out.add(new Input(id, makeJava("flip", s, dir), describeSeed(s) + " " + lastOp));
      }
    }
    if (!pySpec.isEmpty()) {
      Path spec = root.resolve("h5mutate-" + counter + ".json");
      Files.writeString(spec, JSON.writeValueAsString(pySpec));
      String res =
          runPython(List.of(python.toString(), script.toString(), "mutate", spec.toString()), 900);
      for (String line : res.lines().toList()) {
        JsonNode r = JSON.readTree(line);
        Path target = Path.of(r.get("out").asText());
        Path dir = pyDirs.get(target.toString());
        Path s = pySeeds.get(target.toString());
        String id = dir.getFileName().toString();
        if (r.get("ok").asBoolean()) {
          out.add(
              new Input(
                  id,
                  target,
                  describeSeed(s)
                      + " h5py:"
                      + r.get("op").asText()
                      + " "
                      + r.get("detail").asText()));
        } else {
          FuzzChild.deleteTree(dir);
          Files.createDirectories(dir);
          out.add(new Input(id, makeJava("flip", s, dir), describeSeed(s) + " " + lastOp));
        }
      }
    }
    out.sort((a, b) -> a.id().compareTo(b.id()));
    return out;
  }

  private String describeSeed(Path s) {
    Path p = s;
    int n = p.getNameCount();
    return n >= 2 ? p.getName(n - 2) + "/" + p.getFileName() : p.toString();
  }

  private String pickFamily(Path s) throws IOException {
    boolean dir = Files.isDirectory(s);
    boolean zip = !dir && isZip(s);
    boolean h5 = !dir && isHdf5(s);
    boolean hasJson =
        dir || zip || isJsonFile(s) || companionOf(s) != null || (h5 && hasModelConfig(s));
    List<String> families = new ArrayList<>();
    if (dir && Files.isRegularFile(s.resolve("saved_model.pb"))) {
      families.add("savedmodel");
    } else if (dir) {
      families.addAll(List.of("dir", "json", "json", "flip"));
    } else {
      families.addAll(List.of("flip", "flip", "flip", "truncate"));
      if (hasJson) {
        families.addAll(List.of("json", "json", "json"));
      }
      if (zip) {
        families.addAll(List.of("zip", "zip", "zip", "zipflip", "ziptruncate"));
      }
      if ((h5 || zip) && python != null && !h5pyOps.isEmpty()) {
        families.addAll(List.of("h5py", "h5py", "h5py", "h5py"));
      }
    }
    return families.get(rng.nextInt(families.size()));
  }

  private String lastOp = "";

  private Path makeJava(String family, Path s, Path dir) throws Exception {
    switch (family) {
      case "flip":
        return flip(s, dir);
      case "truncate":
        return truncate(s, dir);
      case "json":
        return jsonMutation(s, dir);
      case "zip":
        return zipMutation(s, dir);
      case "zipflip":
      case "ziptruncate":
        return zipInner(s, dir, family.equals("zipflip"));
      case "dir":
        return dirMutation(s, dir);
      case "savedmodel":
        return savedModelMutation(s, dir);
      default:
        throw new IllegalArgumentException(family);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // bytes

  private Path flip(Path s, Path dir) throws IOException {
    if (Files.isDirectory(s)) {
      Path copy = Cli.copyTree(s, dir.resolve(s.getFileName()));
      Path w = copy.resolve("model.weights.h5");
      byte[] b = Files.readAllBytes(w);
      String d = flipBits(b, null);
      Files.write(w, b);
      lastOp = "flip model.weights.h5 " + d;
      return copy;
    }
    copyCompanion(s, dir);
    byte[] b = Files.readAllBytes(s);
    String d = flipBits(b, rawRanges.get(s));
    Path out = dir.resolve(s.getFileName());
    Files.write(out, b);
    lastOp = "flip " + d;
    return out;
  }

  /** Flips 1 to 8 bits; with known raw data ranges, 9 in 10 land outside them (in metadata). */
  private String flipBits(byte[] b, List<long[]> raw) {
    if (b.length == 0) {
      return "(empty)";
    }
    int n = 1 + rng.nextInt(8);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int pos = rng.nextInt(b.length);
      if (raw != null && !raw.isEmpty() && rng.nextInt(10) != 0) {
        for (int tries = 0; tries < 50 && inRanges(pos, raw); tries++) {
          pos = rng.nextInt(b.length);
        }
      } else if (rng.nextInt(3) == 0) {
        pos = rng.nextInt(Math.min(b.length, 4096)); // the superblock and root group
      }
      int bit = rng.nextInt(8);
      b[pos] ^= (byte) (1 << bit);
      sb.append(i == 0 ? "" : ",").append(pos).append(':').append(bit);
    }
    return sb.toString();
  }

  private static boolean inRanges(long pos, List<long[]> raw) {
    for (long[] r : raw) {
      if (pos >= r[0] && pos < r[0] + r[1]) {
        return true;
      }
    }
    return false;
  }

  private Path truncate(Path s, Path dir) throws IOException {
    copyCompanion(s, dir);
    byte[] b = Files.readAllBytes(s);
    int cut =
        b.length == 0
            ? 0
            : rng.nextInt(3) == 0
                ? Math.max(0, b.length - 1 - rng.nextInt(Math.min(b.length, 4096)))
                : rng.nextInt(b.length);
    Path out = dir.resolve(s.getFileName());
    Files.write(out, java.util.Arrays.copyOf(b, cut));
    lastOp = "truncate at " + cut + " of " + b.length;
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // JSON configs

  private Path jsonMutation(Path s, Path dir) throws Exception {
    if (Files.isDirectory(s)) {
      Path copy = Cli.copyTree(s, dir.resolve(s.getFileName()));
      String name = rng.nextInt(5) == 0 ? "metadata.json" : "config.json";
      Path c = copy.resolve(name);
      Files.writeString(c, mutateJsonText(Files.readString(c, StandardCharsets.UTF_8)));
      lastOp = "json " + name + " " + lastOp;
      return copy;
    }
    if (isZip(s)) {
      List<ZipMember> members = readZip(s);
      String name = rng.nextInt(5) == 0 ? "metadata.json" : "config.json";
      ZipMember m = find(members, name);
      if (m == null) {
        throw new Skip();
      }
      String text = mutateJsonText(new String(m.data, StandardCharsets.UTF_8));
      m.data = text.getBytes(StandardCharsets.UTF_8);
      Path out = dir.resolve(s.getFileName());
      writeZip(out, members);
      lastOp = "json " + name + " " + lastOp;
      return out;
    }
    if (isJsonFile(s)) {
      Path out = dir.resolve(s.getFileName());
      Files.writeString(out, mutateJsonText(Files.readString(s, StandardCharsets.UTF_8)));
      lastOp = "json " + lastOp;
      return out;
    }
    Path companion = companionOf(s);
    if (companion != null) {
      Path out = dir.resolve(s.getFileName());
      Files.copy(s, out);
      Files.writeString(
          dir.resolve(companion.getFileName()),
          mutateJsonText(Files.readString(companion, StandardCharsets.UTF_8)));
      lastOp = "json companion " + lastOp;
      return out;
    }
    if (isHdf5(s) && hasModelConfig(s)) {
      Path out = dir.resolve(s.getFileName());
      Files.copy(s, out);
      String attr = rng.nextInt(5) == 0 ? "training_config" : "model_config";
      try (H5File f = H5File.openReadWrite(out)) {
        if (!f.root().hasAttribute(attr)) {
          attr = "model_config";
        }
        String text = f.root().attribute(attr).asString();
        if (text == null) {
          throw new Skip();
        }
        String mutated = mutateJsonText(text);
        f.root().setAttribute(attr, AttrValue.Str.vlenUtf8(mutated));
      }
      lastOp = "json @" + attr + " " + lastOp;
      return out;
    }
    throw new Skip();
  }

  /** One JSON mutation of a config text; sets {@link #lastOp}. */
  String mutateJsonText(String text) throws IOException {
    JsonNode tree;
    try {
      tree = JSON.readTree(text);
    } catch (IOException e) {
      lastOp = "(not JSON) truncated";
      return text.substring(0, rng.nextInt(Math.max(1, text.length())));
    }
    if (tree == null || !tree.isContainerNode()) {
      lastOp = "(scalar JSON) wrapped";
      return "[" + text + "]";
    }
    String op = JSON_OPS.get(rng.nextInt(JSON_OPS.size()));
    List<Slot> slots = new ArrayList<>();
    collect(tree, "", slots, 0);
    String deepMarker = null;
    switch (op) {
      case "wrong_type":
        {
          Slot s = pick(slots);
          JsonNode v = weirdValue();
          s.set(v);
          lastOp = op + " " + s.path + " := " + abbreviate(v.toString());
          break;
        }
      case "shape":
        {
          List<Slot> shapes = new ArrayList<>();
          for (Slot s : slots) {
            if (s.key != null && SHAPE_KEYS.contains(s.key)) {
              shapes.add(s);
            }
          }
          Slot s = shapes.isEmpty() ? pick(slots) : shapes.get(rng.nextInt(shapes.size()));
          JsonNode v = s.get();
          JsonNode bad = badNumber();
          if (v != null && v.isArray() && v.size() > 0 && rng.nextBoolean()) {
            ((ArrayNode) v).set(rng.nextInt(v.size()), bad);
            lastOp = op + " " + s.path + "[i] := " + bad;
          } else if (rng.nextInt(4) == 0) {
            ArrayNode a = F.arrayNode();
            for (int i = 0; i < 40; i++) {
              a.add(badNumber());
            }
            s.set(a);
            lastOp = op + " " + s.path + " := rank-40 shape";
          } else {
            s.set(bad);
            lastOp = op + " " + s.path + " := " + bad;
          }
          break;
        }
      case "deep_over":
        {
          Slot s = pick(slots);
          deepMarker = "\"@@DEEP@@\"";
          s.set(F.textNode("@@DEEP@@"));
          lastOp = op + " " + s.path + " := 20000 nested arrays";
          break;
        }
      case "deep_within":
        {
          Slot s = pick(slots);
          int depth = 300 - Math.min(290, s.depth);
          JsonNode v = F.objectNode();
          for (int i = 0; i < depth; i++) {
            ObjectNode o = F.objectNode();
            o.put("class_name", "GlorotUniform");
            o.set("config", v);
            v = o;
          }
          s.set(v);
          lastOp = op + " " + s.path + " := " + depth + " nested objects";
          break;
        }
      case "nested_models":
        {
          int levels = rng.nextBoolean() ? 20 : 95;
          JsonNode m = tree;
          for (int i = 0; i < levels; i++) {
            ObjectNode seq = F.objectNode();
            seq.put("class_name", "Sequential");
            ObjectNode cfg = seq.putObject("config");
            cfg.put("name", "wrap_" + i);
            ObjectNode inner = m.deepCopy();
            if (inner.path("config").isObject()) {
              ((ObjectNode) inner.get("config")).put("name", "wrap_" + i + "_inner");
            }
            cfg.putArray("layers").add(inner);
            m = seq;
          }
          tree = m;
          lastOp = op + " " + levels + " Sequential levels";
          break;
        }
      case "inbound_cycle":
        {
          List<ObjectNode> layers = layers(tree);
          List<ObjectNode> withInbound = new ArrayList<>();
          for (ObjectNode l : layers) {
            if (l.path("inbound_nodes").isArray() && l.path("inbound_nodes").size() > 0) {
              withInbound.add(l);
            }
          }
          if (withInbound.isEmpty() || layers.size() < 2) {
            throw new Skip();
          }
          ObjectNode a = withInbound.get(rng.nextInt(withInbound.size()));
          ObjectNode b = rng.nextInt(3) == 0 ? a : layers.get(layers.size() - 1);
          String bName = layerName(b);
          int replaced = renameRefs(a.get("inbound_nodes"), names(layers), bName);
          if (b != a && b.path("inbound_nodes").isArray() && b.path("inbound_nodes").size() > 0) {
            renameRefs(b.get("inbound_nodes"), names(layers), layerName(a));
          }
          lastOp = op + " " + layerName(a) + " <-> " + bName + " (" + replaced + " refs)";
          break;
        }
      case "duplicate_key":
        {
          List<Slot> objects = new ArrayList<>();
          for (Slot s : slots) {
            JsonNode v = s.get();
            if (v != null && v.isObject() && v.size() > 0) {
              objects.add(s);
            }
          }
          ObjectNode o =
              objects.isEmpty()
                  ? (ObjectNode) (tree.isObject() ? tree : F.objectNode())
                  : (ObjectNode) objects.get(rng.nextInt(objects.size())).get();
          if (o.size() == 0) {
            throw new Skip();
          }
          String key = o.fieldNames().next();
          o.put("@@DUP@@", 0);
          String out =
              JSON.writeValueAsString(tree)
                  .replace("\"@@DUP@@\":0", JSON.writeValueAsString(key) + ":" + weirdValue());
          lastOp = op + " " + key;
          return out;
        }
      case "remove_key":
        {
          List<Slot> fields = new ArrayList<>();
          for (Slot s : slots) {
            if (s.parent.isObject() && (IMPORTANT.contains(s.key) || rng.nextInt(4) == 0)) {
              fields.add(s);
            }
          }
          Slot s = fields.isEmpty() ? pick(slots) : fields.get(rng.nextInt(fields.size()));
          s.remove();
          lastOp = op + " " + s.path;
          break;
        }
      case "dup_layer_names":
        {
          List<ObjectNode> layers = layers(tree);
          if (layers.size() < 2) {
            throw new Skip();
          }
          ObjectNode a = layers.get(rng.nextInt(layers.size()));
          ObjectNode b = layers.get(rng.nextInt(layers.size()));
          setLayerName(a, layerName(b));
          lastOp = op + " " + layerName(b);
          break;
        }
      case "weird_names":
        {
          List<ObjectNode> layers = layers(tree);
          if (layers.isEmpty()) {
            throw new Skip();
          }
          String n = WEIRD_NAMES.get(rng.nextInt(WEIRD_NAMES.size()));
          ObjectNode a = layers.get(rng.nextInt(layers.size()));
          String old = layerName(a);
          setLayerName(a, n);
          lastOp = op + " " + old + " := " + abbreviate(JSON.writeValueAsString(n));
          break;
        }
      case "class_name":
        {
          List<ObjectNode> layers = layers(tree);
          if (layers.isEmpty()) {
            throw new Skip();
          }
          ObjectNode a = layers.get(rng.nextInt(layers.size()));
          String c = CLASS_NAMES.get(rng.nextInt(CLASS_NAMES.size()));
          a.put("class_name", c);
          lastOp = op + " " + layerName(a) + " := " + c;
          break;
        }
      case "huge_list":
        {
          ArrayNode list = layerList(tree);
          if (list == null || list.size() == 0) {
            throw new Skip();
          }
          JsonNode last = list.get(list.size() - 1);
          for (int i = 0; i < 20000; i++) {
            ObjectNode c = F.objectNode();
            c.put("class_name", "Dropout");
            c.putObject("config").put("name", "zz_" + i).put("rate", 0.5);
            c.put("name", "zz_" + i);
            if (last.has("inbound_nodes")) {
              c.set("inbound_nodes", last.get("inbound_nodes").deepCopy());
            }
            list.add(c);
          }
          lastOp = op + " +20000 layers";
          break;
        }
      case "text_truncate":
        {
          String t = JSON.writeValueAsString(tree);
          int cut = rng.nextInt(Math.max(1, t.length()));
          lastOp = op + " at " + cut;
          return t.substring(0, cut);
        }
      case "numbers":
        {
          List<Slot> numbers = new ArrayList<>();
          for (Slot s : slots) {
            JsonNode v = s.get();
            if (v != null && v.isNumber()) {
              numbers.add(s);
            }
          }
          Slot s = numbers.isEmpty() ? pick(slots) : numbers.get(rng.nextInt(numbers.size()));
          JsonNode v = badNumber();
          s.set(v);
          lastOp = op + " " + s.path + " := " + v;
          break;
        }
      case "empty_layers":
        {
          ArrayNode list = layerList(tree);
          if (list == null) {
            throw new Skip();
          }
          list.removeAll();
          lastOp = op;
          break;
        }
      default:
        throw new IllegalStateException(op);
    }
    String out = JSON.writeValueAsString(tree);
    if (deepMarker != null) {
      out = out.replace(deepMarker, "[".repeat(20000) + "]".repeat(20000));
    }
    return out;
  }

  private static final List<String> SHAPE_KEYS =
      List.of(
          "batch_input_shape",
          "batch_shape",
          "input_shape",
          "shape",
          "units",
          "filters",
          "kernel_size",
          "strides",
          "output_dim",
          "input_dim",
          "target_shape",
          "dims",
          "pool_size",
          "size",
          "input_length",
          "num_heads",
          "key_dim",
          "depth_multiplier",
          "dilation_rate",
          "axis",
          "n",
          "padding",
          "cropping",
          "output_padding",
          "groups");
  private static final List<String> IMPORTANT =
      List.of(
          "class_name",
          "config",
          "layers",
          "name",
          "inbound_nodes",
          "batch_input_shape",
          "module",
          "registered_name",
          "build_config",
          "dtype",
          "input_layers",
          "output_layers",
          "layer",
          "cell",
          "function",
          "keras_version");
  private static final List<String> WEIRD_NAMES =
      List.of(
          "",
          "/",
          "a/b",
          "..",
          "../../evil",
          ".",
          "x\u0000y",
          "\u540d\u524d",
          "n".repeat(3000),
          "layers",
          "vars",
          "model_weights",
          "top_level_model_weights",
          "optimizer_weights",
          "kernel:0",
          "\ud800",
          " ",
          "@0:x",
          "dense/kernel:0");
  private static final List<String> CLASS_NAMES =
      List.of(
          "Sequential",
          "Functional",
          "Model",
          "Bidirectional",
          "TimeDistributed",
          "Lambda",
          "",
          "NoSuchLayer",
          "__keras_tensor__",
          "InputLayer",
          "RNN",
          "StackedRNNCells",
          "Dense",
          "LSTM",
          "BatchNormalization",
          "Conv2D",
          "Embedding",
          "MultiHeadAttention");

  private JsonNode weirdValue() {
    switch (rng.nextInt(12)) {
      case 0:
        return F.textNode("str");
      case 1:
        return F.numberNode(123);
      case 2:
        return F.numberNode(-1);
      case 3:
        return F.numberNode(1.5);
      case 4:
        return F.booleanNode(true);
      case 5:
        return F.nullNode();
      case 6:
        return F.arrayNode();
      case 7:
        return F.objectNode();
      case 8:
        return F.arrayNode().add(1).add(F.arrayNode().add(2));
      case 9:
        return F.objectNode().set("a", F.objectNode());
      case 10:
        return F.objectNode().put("class_name", "Functional").set("config", F.objectNode());
      default:
        return F.textNode("x".repeat(10000));
    }
  }

  private JsonNode badNumber() {
    switch (rng.nextInt(14)) {
      case 0:
        return F.numberNode(-1);
      case 1:
        return F.numberNode(-2147483649L);
      case 2:
        return F.numberNode(1L << 31);
      case 3:
        return F.numberNode((1L << 53) + 1);
      case 4:
        return F.numberNode(Long.MAX_VALUE);
      case 5:
        return F.numberNode(Long.MIN_VALUE);
      case 6:
        return F.numberNode(new BigInteger("92233720368547758080000"));
      case 7:
        return F.numberNode(1e308);
      case 8:
        return F.numberNode(new BigDecimal("1e400"));
      case 9:
        return F.numberNode(-0.0);
      case 10:
        return F.numberNode(0);
      case 11:
        return F.textNode("12");
      case 12:
        return F.numberNode(2.5);
      default:
        return F.numberNode(1L << 40);
    }
  }

  /** A place in the tree: its parent container and key or index. */
  private static final class Slot {
    final JsonNode parent;
    final String key;
    final int index;
    final String path;
    final int depth;

    Slot(JsonNode parent, String key, int index, String path, int depth) {
      this.parent = parent;
      this.key = key;
      this.index = index;
      this.path = path;
      this.depth = depth;
    }

    JsonNode get() {
      return parent.isObject() ? parent.get(key) : parent.get(index);
    }

    void set(JsonNode v) {
      if (parent.isObject()) {
        ((ObjectNode) parent).set(key, v);
      } else {
        ((ArrayNode) parent).set(index, v);
      }
    }

    void remove() {
      if (parent.isObject()) {
        ((ObjectNode) parent).remove(key);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static void collect(JsonNode n, String path, List<Slot> out, int depth) {
    if (n.isObject()) {
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        out.add(new Slot(n, k, -1, path + "/" + k, depth + 1));
        collect(n.get(k), path + "/" + k, out, depth + 1);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        out.add(new Slot(n, null, i, path + "/" + i, depth + 1));
        collect(n.get(i), path + "/" + i, out, depth + 1);
      }
    }
  }

  private Slot pick(List<Slot> slots) throws Skip {
    if (slots.isEmpty()) {
      throw new Skip();
    }
    return slots.get(rng.nextInt(slots.size()));
  }

  /** Every layer object of a model config, nested models' layers included. */
  private static List<ObjectNode> layers(JsonNode tree) {
    List<ObjectNode> out = new ArrayList<>();
    collectLayers(tree, out, 0);
    return out;
  }

  private static void collectLayers(JsonNode n, List<ObjectNode> out, int depth) {
    if (depth > 300 || n == null || !n.isContainerNode()) {
      return;
    }
    if (n.isObject()
        && n.has("class_name")
        && n.has("config")
        && !n.path("class_name").asText().startsWith("__")) {
      out.add((ObjectNode) n);
    }
    for (JsonNode c : n) {
      collectLayers(c, out, depth + 1);
    }
  }

  private static ArrayNode layerList(JsonNode tree) {
    JsonNode c = tree.path("config");
    if (c.isArray()) {
      return (ArrayNode) c;
    }
    return c.path("layers").isArray() ? (ArrayNode) c.get("layers") : null;
  }

  private static String layerName(ObjectNode l) {
    return l.hasNonNull("name") ? l.get("name").asText() : l.path("config").path("name").asText("");
  }

  private static void setLayerName(ObjectNode l, String n) {
    if (l.has("name")) {
      l.put("name", n);
    }
    if (l.path("config").isObject()) {
      ((ObjectNode) l.get("config")).put("name", n);
    }
  }

  private static List<String> names(List<ObjectNode> layers) {
    List<String> out = new ArrayList<>();
    for (ObjectNode l : layers) {
      out.add(layerName(l));
    }
    return out;
  }

  /** Replaces every string naming a layer inside {@code n} by {@code to}; returns how many. */
  private static int renameRefs(JsonNode n, List<String> names, String to) {
    int k = 0;
    if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual() && names.contains(a.get(i).asText())) {
          a.set(i, F.textNode(to));
          k++;
        } else {
          k += renameRefs(a.get(i), names, to);
        }
      }
    } else if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isTextual() && names.contains(e.getValue().asText())) {
          e.setValue(F.textNode(to));
          k++;
        } else {
          k += renameRefs(e.getValue(), names, to);
        }
      }
    }
    return k;
  }

  // ---------------------------------------------------------------------------------------------
  // zip

  /** A zip member as read. */
  static final class ZipMember {
    String name;
    byte[] data;
    int method = ZipEntry.STORED;

    ZipMember(String name, byte[] data) {
      this.name = name;
      this.data = data;
    }
  }

  static List<ZipMember> readZip(Path p) throws IOException {
    List<ZipMember> out = new ArrayList<>();
    try (ZipFile z = new ZipFile(p.toFile())) {
      for (ZipEntry e : Collections.list(z.entries())) {
        try (InputStream in = z.getInputStream(e)) {
          out.add(new ZipMember(e.getName(), in.readAllBytes()));
        }
      }
    }
    return out;
  }

  static void writeZip(Path out, List<ZipMember> members) throws IOException {
    try (OutputStream os = Files.newOutputStream(out);
        ZipOutputStream z = new ZipOutputStream(os)) {
      for (ZipMember m : members) {
        ZipEntry e = new ZipEntry(m.name);
        if (m.method == ZipEntry.STORED) {
          CRC32 crc = new CRC32();
          crc.update(m.data);
          e.setMethod(ZipEntry.STORED);
          e.setSize(m.data.length);
          e.setCompressedSize(m.data.length);
          e.setCrc(crc.getValue());
        } else {
          e.setMethod(ZipEntry.DEFLATED);
        }
        e.setTime(315532800000L + 86400000L);
        z.putNextEntry(e);
        z.write(m.data);
        z.closeEntry();
      }
    }
  }

  private static ZipMember find(List<ZipMember> members, String name) {
    for (ZipMember m : members) {
      if (m.name.equals(name)) {
        return m;
      }
    }
    return null;
  }

  private Path zipMutation(Path s, Path dir) throws Exception {
    String op = ZIP_OPS.get(rng.nextInt(ZIP_OPS.size()));
    List<ZipMember> members = readZip(s);
    Path out = dir.resolve(s.getFileName());
    ZipMember weights = find(members, "model.weights.h5");
    ZipMember config = find(members, "config.json");
    lastOp = "zip:" + op;
    switch (op) {
      case "dotdot":
        members.add(
            new ZipMember(
                rng.nextBoolean() ? "../evil.txt" : "assets/../../evil.txt",
                "x".getBytes(StandardCharsets.UTF_8)));
        writeZip(out, members);
        return out;
      case "absolute":
        members.add(
            new ZipMember(
                rng.nextBoolean() ? "/tmp/initkit-evil.txt" : "C:\\evil.txt",
                "x".getBytes(StandardCharsets.UTF_8)));
        writeZip(out, members);
        return out;
      case "dotdot_weights":
        if (weights == null) {
          throw new Skip();
        }
        weights.name = "../model.weights.h5";
        writeZip(out, members);
        return out;
      case "dup_config":
        {
          if (config == null) {
            throw new Skip();
          }
          ZipMember second =
              new ZipMember(
                  "config.json",
                  "{\"class_name\": \"Sequential\", \"config\": {\"layers\": []}}"
                      .getBytes(StandardCharsets.UTF_8));
          members.add(rng.nextBoolean() ? members.indexOf(config) : members.size(), second);
          writeZipAllowingDuplicates(out, members);
          return out;
        }
      case "dup_weights":
        {
          if (weights == null) {
            throw new Skip();
          }
          members.add(
              new ZipMember("model.weights.h5", "not hdf5".getBytes(StandardCharsets.UTF_8)));
          writeZipAllowingDuplicates(out, members);
          return out;
        }
      case "missing_config":
        members.remove(config);
        writeZip(out, members);
        return out;
      case "missing_weights":
        members.remove(weights);
        writeZip(out, members);
        return out;
      case "missing_metadata":
        members.removeIf(m -> m.name.equals("metadata.json"));
        writeZip(out, members);
        return out;
      case "declared_huge":
        {
          writeZip(out, members);
          String victim = rng.nextBoolean() ? "model.weights.h5" : "config.json";
          long size = rng.nextBoolean() ? 0xFFFFFFFEL : 0x7FFFFFFFL;
          patchZip(
              out,
              victim,
              z -> {
                z.putInt(z.cd + 24, (int) size);
                z.putInt(z.cd + 20, (int) size);
                z.putInt(z.loc + 22, (int) size);
                z.putInt(z.loc + 18, (int) size);
              });
          lastOp += " " + victim + " " + size;
          return out;
        }
      case "declared_small":
        {
          if (weights == null) {
            throw new Skip();
          }
          weights.method = ZipEntry.DEFLATED;
          writeZip(out, members);
          patchZip(
              out,
              "model.weights.h5",
              z -> {
                z.putInt(z.cd + 24, 1000);
                z.putInt(z.loc + 22, 1000);
              });
          return out;
        }
      case "bomb":
      case "bomb_lying":
        {
          if (weights == null) {
            throw new Skip();
          }
          writeBomb(out, members, "model.weights.h5", op.equals("bomb_lying"));
          lastOp += " " + (BOMB_BYTES >> 20) + " MiB of zeros";
          return out;
        }
      case "bomb_config":
        writeBomb(out, members, "config.json", rng.nextBoolean());
        return out;
      case "many_entries":
        {
          int n = rng.nextBoolean() ? 150_000 : 70_000;
          try (OutputStream os = Files.newOutputStream(out);
              ZipOutputStream z = new ZipOutputStream(os)) {
            for (ZipMember m : members) {
              storedEntry(z, m.name, m.data);
            }
            for (int i = 0; i < n; i++) {
              storedEntry(z, "assets/" + i, new byte[0]);
            }
          }
          lastOp += " " + n;
          return out;
        }
      case "nested_zip":
        if (weights == null) {
          throw new Skip();
        }
        weights.data = Files.readAllBytes(s);
        writeZip(out, members);
        return out;
      case "method_unknown":
        writeZip(out, members);
        patchZip(
            out,
            "model.weights.h5",
            z -> {
              z.putShort(z.cd + 10, (short) 99);
              z.putShort(z.loc + 8, (short) 99);
            });
        return out;
      case "encrypted_flag":
        writeZip(out, members);
        patchZip(
            out,
            rng.nextBoolean() ? "model.weights.h5" : "config.json",
            z -> {
              z.putShort(z.cd + 8, (short) (z.getShort(z.cd + 8) | 1));
              z.putShort(z.loc + 6, (short) (z.getShort(z.loc + 6) | 1));
            });
        return out;
      case "crc_wrong":
        writeZip(out, members);
        patchZip(
            out,
            rng.nextBoolean() ? "model.weights.h5" : "config.json",
            z -> {
              z.putInt(z.cd + 16, z.getInt(z.cd + 16) ^ 0x5a5a5a5a);
              z.putInt(z.loc + 14, z.getInt(z.loc + 14) ^ 0x5a5a5a5a);
            });
        return out;
      case "data_flip_keep_crc":
        {
          writeZip(out, members);
          patchZip(
              out,
              rng.nextBoolean() ? "model.weights.h5" : "config.json",
              z -> {
                int data =
                    z.loc
                        + 30
                        + (z.getShort(z.loc + 26) & 0xffff)
                        + (z.getShort(z.loc + 28) & 0xffff);
                int size = z.getInt(z.cd + 20);
                if (size <= 0) {
                  throw new Skip();
                }
                int at = data + rng.nextInt(size);
                z.buf.put(at, (byte) (z.buf.get(at) ^ (1 << rng.nextInt(8))));
              });
          return out;
        }
      case "local_name_differs":
        writeZip(out, members);
        patchZip(
            out,
            rng.nextBoolean() ? "model.weights.h5" : "config.json",
            z -> {
              byte[] evil = "../".getBytes(StandardCharsets.UTF_8);
              z.buf.put(z.loc + 30, evil);
            });
        return out;
      case "prefix_zip":
        {
          writeZip(out, members);
          byte[] b = Files.readAllBytes(out);
          ByteArrayOutputStream other = new ByteArrayOutputStream();
          try (ZipOutputStream z = new ZipOutputStream(other)) {
            storedEntry(z, "model.weights.h5", new byte[64 + rng.nextInt(4096)]);
          }
          try (OutputStream os = Files.newOutputStream(out)) {
            os.write(other.toByteArray());
            os.write(b);
          }
          return out;
        }
      case "prefix_garbage":
        {
          writeZip(out, members);
          byte[] b = Files.readAllBytes(out);
          byte[] g = new byte[512 * (1 + rng.nextInt(4))];
          rng.nextBytes(g);
          if (rng.nextBoolean()) {
            System.arraycopy("PK\3\4".getBytes(StandardCharsets.ISO_8859_1), 0, g, 0, 4);
          }
          try (OutputStream os = Files.newOutputStream(out)) {
            os.write(g);
            os.write(b);
          }
          return out;
        }
      case "comment_fake_eocd":
        {
          writeZip(out, members);
          byte[] b = Files.readAllBytes(out);
          // the real end record's comment holds a fake end record pointing nowhere
          byte[] fake = new byte[22];
          System.arraycopy(new byte[] {'P', 'K', 5, 6}, 0, fake, 0, 4);
          fake[10] = (byte) 0xff;
          fake[11] = (byte) 0xff;
          fake[16] = (byte) 0xff;
          fake[17] = (byte) 0xff;
          fake[18] = (byte) 0xff;
          fake[19] = (byte) 0x7f;
          b[b.length - 2] = (byte) fake.length;
          try (OutputStream os = Files.newOutputStream(out)) {
            os.write(b);
            os.write(fake);
          }
          return out;
        }
      case "truncated_cd":
        {
          writeZip(out, members);
          byte[] b = Files.readAllBytes(out);
          int cd = indexOf(b, new byte[] {'P', 'K', 1, 2}, 0);
          int cut = cd < 0 ? b.length / 2 : cd + rng.nextInt(Math.max(1, b.length - cd - 22));
          Files.write(out, java.util.Arrays.copyOf(b, cut));
          return out;
        }
      case "bad_name_utf8":
        {
          if (config == null) {
            throw new Skip();
          }
          config.name = "config.jsoX";
          writeZip(out, members);
          byte[] b = Files.readAllBytes(out);
          byte[] name = "config.jsoX".getBytes(StandardCharsets.ISO_8859_1);
          for (int i = indexOf(b, name, 0); i >= 0; i = indexOf(b, name, i + 1)) {
            b[i + name.length - 1] = (byte) 0xff;
          }
          // the UTF-8 flag (bit 11) on every entry
          for (int i = indexOf(b, new byte[] {'P', 'K', 1, 2}, 0);
              i >= 0;
              i = indexOf(b, new byte[] {'P', 'K', 1, 2}, i + 1)) {
            b[i + 9] |= 0x08;
          }
          Files.write(out, b);
          return out;
        }
      case "deflated_weights":
        for (ZipMember m : members) {
          m.method = ZipEntry.DEFLATED;
        }
        writeZip(out, members);
        return out;
      default:
        throw new IllegalStateException(op);
    }
  }

  private static void storedEntry(ZipOutputStream z, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    e.setCrc(crc.getValue());
    z.putNextEntry(e);
    z.write(data);
    z.closeEntry();
  }

  /** ZipOutputStream refuses duplicate names: write under unique names, then rename in place. */
  private static void writeZipAllowingDuplicates(Path out, List<ZipMember> members)
      throws IOException {
    List<String> real = new ArrayList<>();
    List<ZipMember> renamed = new ArrayList<>();
    int i = 0;
    for (ZipMember m : members) {
      real.add(m.name);
      String alias = String.format(Locale.ROOT, "%0" + m.name.length() + "d", i++);
      if (alias.length() != m.name.length()) {
        throw new IllegalStateException("too many members");
      }
      ZipMember c = new ZipMember(alias, m.data);
      c.method = m.method;
      renamed.add(c);
    }
    writeZip(out, renamed);
    byte[] b = Files.readAllBytes(out);
    for (int k = 0; k < renamed.size(); k++) {
      byte[] from = renamed.get(k).name.getBytes(StandardCharsets.ISO_8859_1);
      byte[] to = real.get(k).getBytes(StandardCharsets.ISO_8859_1);
      for (int at = indexOf(b, from, 0); at >= 0; at = indexOf(b, from, at + 1)) {
        // only where it is a header's name field (preceded by a local or central header)
        System.arraycopy(to, 0, b, at, to.length);
      }
    }
    Files.write(out, b);
  }

  /** Offsets of one entry's central and local headers, for raw patches. */
  static final class ZipPatch {
    final java.nio.ByteBuffer buf;
    int cd;
    int loc;

    ZipPatch(byte[] b) {
      buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    void putInt(int at, int v) {
      buf.putInt(at, v);
    }

    void putShort(int at, short v) {
      buf.putShort(at, v);
    }

    int getInt(int at) {
      return buf.getInt(at);
    }

    short getShort(int at) {
      return buf.getShort(at);
    }
  }

  interface Patcher {
    void patch(ZipPatch z);
  }

  /** Finds the entry's headers in the file and lets {@code p} change them. */
  static void patchZip(Path file, String entry, Patcher p) throws IOException {
    byte[] b = Files.readAllBytes(file);
    ZipPatch z = new ZipPatch(b);
    byte[] name = entry.getBytes(StandardCharsets.UTF_8);
    for (int i = indexOf(b, new byte[] {'P', 'K', 1, 2}, 0);
        i >= 0;
        i = indexOf(b, new byte[] {'P', 'K', 1, 2}, i + 1)) {
      int nameLen = z.getShort(i + 28) & 0xffff;
      if (nameLen == name.length
          && java.util.Arrays.equals(b, i + 46, i + 46 + nameLen, name, 0, nameLen)) {
        z.cd = i;
        z.loc = z.getInt(i + 42);
        p.patch(z);
        Files.write(file, b);
        return;
      }
    }
    throw new Skip();
  }

  /** A decompression bomb: {@code name} becomes {@link #BOMB_BYTES} zeros, deflated (~2 MB). */
  private void writeBomb(Path out, List<ZipMember> members, String name, boolean lie)
      throws IOException {
    ensureBomb();
    try (OutputStream os = Files.newOutputStream(out)) {
      // hand-written zip: the data is too large to pass through ZipOutputStream quickly
      ByteArrayOutputStream central = new ByteArrayOutputStream();
      long offset = 0;
      int count = 0;
      List<ZipMember> all = new ArrayList<>(members);
      if (find(all, name) == null) {
        all.add(new ZipMember(name, new byte[0]));
      }
      for (ZipMember m : all) {
        boolean bomb = m.name.equals(name);
        byte[] data = bomb ? bombDeflate : m.data;
        CRC32 c = new CRC32();
        c.update(m.data);
        long crc = bomb ? bombCrc : c.getValue();
        long usize = bomb ? (lie ? 1000 : BOMB_BYTES) : m.data.length;
        int method = bomb ? 8 : 0;
        byte[] n = m.name.getBytes(StandardCharsets.UTF_8);
        long csize = data.length;
        boolean zip64 = usize >= 0xFFFFFFFFL;
        java.nio.ByteBuffer lh =
            java.nio.ByteBuffer.allocate(30 + n.length + (zip64 ? 20 : 0))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        lh.putInt(0x04034b50)
            .putShort((short) (zip64 ? 45 : 20))
            .putShort((short) 0)
            .putShort((short) method)
            .putShort((short) 0)
            .putShort((short) 0x21)
            .putInt((int) crc)
            .putInt(zip64 ? -1 : (int) csize)
            .putInt(zip64 ? -1 : (int) usize)
            .putShort((short) n.length)
            .putShort((short) (zip64 ? 20 : 0))
            .put(n);
        if (zip64) {
          lh.putShort((short) 1).putShort((short) 16).putLong(usize).putLong(csize);
        }
        os.write(lh.array());
        if (bomb) {
          writeBombData(os);
        } else {
          os.write(data);
        }
        java.nio.ByteBuffer ch =
            java.nio.ByteBuffer.allocate(46 + n.length + (zip64 ? 28 : 0))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ch.putInt(0x02014b50)
            .putShort((short) (zip64 ? 45 : 20))
            .putShort((short) (zip64 ? 45 : 20))
            .putShort((short) 0)
            .putShort((short) method)
            .putShort((short) 0)
            .putShort((short) 0x21)
            .putInt((int) crc)
            .putInt(zip64 ? -1 : (int) csize)
            .putInt(zip64 ? -1 : (int) usize)
            .putShort((short) n.length)
            .putShort((short) (zip64 ? 28 : 0))
            .putShort((short) 0)
            .putShort((short) 0)
            .putShort((short) 0)
            .putInt(0)
            .putInt(zip64 ? -1 : (int) offset)
            .put(n);
        if (zip64) {
          ch.putShort((short) 1).putShort((short) 24).putLong(usize).putLong(csize).putLong(offset);
        }
        central.write(ch.array());
        offset += lh.capacity() + (bomb ? bombLength() : data.length);
        count++;
      }
      byte[] cd = central.toByteArray();
      os.write(cd);
      java.nio.ByteBuffer end =
          java.nio.ByteBuffer.allocate(22).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      end.putInt(0x06054b50)
          .putShort((short) 0)
          .putShort((short) 0)
          .putShort((short) count)
          .putShort((short) count)
          .putInt(cd.length)
          .putInt((int) offset)
          .putShort((short) 0);
      os.write(end.array());
    }
  }

  private byte[] bombBlock;
  private byte[] bombTail;
  private long bombBlocks;

  /** The deflate stream: one fully flushed block of 1 MiB zeros repeated, then the final block. */
  private void ensureBomb() {
    if (bombBlock != null) {
      return;
    }
    Deflater d = new Deflater(9, true);
    byte[] zeros = new byte[1 << 20];
    byte[] buf = new byte[1 << 16];
    d.setInput(zeros);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    int n;
    while ((n = d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH)) > 0) {
      first.write(buf, 0, n);
    }
    d.setInput(zeros);
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    while ((n = d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH)) > 0) {
      second.write(buf, 0, n);
    }
    d.finish();
    ByteArrayOutputStream tail = new ByteArrayOutputStream();
    while (!d.finished()) {
      n = d.deflate(buf);
      tail.write(buf, 0, n);
    }
    d.end();
    bombBlock = second.toByteArray(); // the first may differ (stream start); the rest repeat
    byte[] head = first.toByteArray();
    bombTail = tail.toByteArray();
    bombBlocks = BOMB_BYTES >> 20;
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.write(head, 0, head.length);
    bombDeflate = all.toByteArray();
    CRC32 c = new CRC32();
    for (long i = 0; i < bombBlocks; i++) {
      c.update(zeros);
    }
    bombCrc = c.getValue();
  }

  private long bombLength() {
    return bombDeflate.length + (bombBlocks - 1) * bombBlock.length + bombTail.length;
  }

  private void writeBombData(OutputStream os) throws IOException {
    os.write(bombDeflate);
    for (long i = 1; i < bombBlocks; i++) {
      os.write(bombBlock);
    }
    os.write(bombTail);
  }

  /** Bit flips or truncation of the archive's model.weights.h5, zipped again. */
  private Path zipInner(Path s, Path dir, boolean flip) throws IOException {
    List<ZipMember> members = readZip(s);
    ZipMember w = find(members, "model.weights.h5");
    if (w == null) {
      throw new Skip();
    }
    if (flip) {
      lastOp = "model.weights.h5 flip " + flipBits(w.data, null);
    } else {
      int cut = rng.nextInt(Math.max(1, w.data.length));
      w.data = java.util.Arrays.copyOf(w.data, cut);
      lastOp = "model.weights.h5 truncate at " + cut;
    }
    Path out = dir.resolve(s.getFileName());
    writeZip(out, members);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // unzipped archives

  private Path dirMutation(Path s, Path dir) throws IOException {
    String op = DIR_OPS.get(rng.nextInt(DIR_OPS.size()));
    Path copy = Cli.copyTree(s, dir.resolve(s.getFileName()));
    lastOp = "dir:" + op;
    switch (op) {
      case "dir_symlink_out":
        {
          // weights that are a link to a file outside the directory
          Path w = copy.resolve("model.weights.h5");
          Files.delete(w);
          Files.createSymbolicLink(w, Path.of(rng.nextBoolean() ? "/etc/passwd" : "/dev/zero"));
          return copy;
        }
      case "dir_config_huge":
        {
          // a config.json of 80 MB of spaces around an object
          Path c = copy.resolve("config.json");
          String text = Files.readString(c, StandardCharsets.UTF_8);
          try (OutputStream os = Files.newOutputStream(c)) {
            byte[] spaces = new byte[1 << 20];
            java.util.Arrays.fill(spaces, (byte) ' ');
            for (int i = 0; i < 80; i++) {
              os.write(spaces);
            }
            os.write(text.getBytes(StandardCharsets.UTF_8));
          }
          return copy;
        }
      case "dir_fifo_weights":
        {
          Path w = copy.resolve("model.weights.h5");
          Files.delete(w);
          try {
            Process p = new ProcessBuilder("mkfifo", w.toString()).start();
            p.waitFor(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return copy;
        }
      default:
        throw new IllegalStateException(op);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SavedModel directories

  static final List<String> SAVED_MODEL_OPS =
      List.of(
          "pb_flip",
          "pb_flip",
          "pb_truncate",
          "pb_length_bomb",
          "pb_empty",
          "pb_garbage",
          "pb_missing",
          "variables_flip",
          "variables_truncate",
          "variables_missing");

  /**
   * Corrupts a copy of a SavedModel directory: bit flips, truncation, a protobuf length prefix that
   * claims gigabytes, an empty or random {@code .pb}, a missing file, in {@code saved_model.pb},
   * {@code keras_metadata.pb}, {@code fingerprint.pb} or the variables.
   */
  private Path savedModelMutation(Path s, Path dir) throws IOException {
    String op = SAVED_MODEL_OPS.get(rng.nextInt(SAVED_MODEL_OPS.size()));
    Path copy = Cli.copyTree(s, dir.resolve(s.getFileName()));
    List<Path> pbs = new ArrayList<>();
    List<Path> vars = new ArrayList<>();
    try (Stream<Path> st = Files.walk(copy)) {
      for (Path p : st.filter(Files::isRegularFile).sorted().toList()) {
        (p.getParent().getFileName().toString().equals("variables") ? vars : pbs).add(p);
      }
    }
    if (op.startsWith("variables") && vars.isEmpty()) {
      op = "pb_flip"; // a graph-only SavedModel has no variables
    }
    // saved_model.pb twice as likely as any other protobuf
    pbs.add(copy.resolve("saved_model.pb"));
    Path f =
        (op.startsWith("variables") ? vars : pbs)
            .get(rng.nextInt((op.startsWith("variables") ? vars : pbs).size()));
    String rel = copy.relativize(f).toString();
    byte[] b = Files.readAllBytes(f);
    String detail;
    switch (op) {
      case "pb_flip":
      case "variables_flip":
        detail = flipBits(b, null);
        Files.write(f, b);
        break;
      case "pb_truncate":
      case "variables_truncate":
        {
          int cut = b.length == 0 ? 0 : rng.nextInt(b.length);
          Files.write(f, java.util.Arrays.copyOf(b, cut));
          detail = "at " + cut + " of " + b.length;
          break;
        }
      case "pb_length_bomb":
        {
          // a length-delimited field (wire type 2) whose varint length claims ~2^35 bytes
          int pos = b.length < 8 ? 0 : rng.nextInt(b.length - 6);
          byte[] bomb = {
            (byte) 0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f
          };
          byte[] out = java.util.Arrays.copyOf(b, Math.max(b.length, pos + bomb.length));
          System.arraycopy(bomb, 0, out, pos, bomb.length);
          Files.write(f, out);
          detail = "at " + pos;
          break;
        }
      case "pb_empty":
        Files.write(f, new byte[0]);
        detail = "";
        break;
      case "pb_garbage":
        {
          byte[] g = new byte[1 + rng.nextInt(4096)];
          rng.nextBytes(g);
          Files.write(f, g);
          detail = g.length + " random bytes";
          break;
        }
      default: // pb_missing, variables_missing
        Files.delete(f);
        detail = "deleted";
    }
    lastOp = "savedmodel:" + op + " " + rel + " " + detail;
    return copy;
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  static final class Skip extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Skip() {
      super(null, null, false, false);
    }
  }

  /** Copies {@code <name>.json} beside a weights file into the input's directory. */
  private static void copyCompanion(Path s, Path dir) throws IOException {
    Path c = companionOf(s);
    if (c != null) {
      Files.copy(c, dir.resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static Path companionOf(Path s) {
    String name = s.getFileName().toString();
    for (String ext : List.of(".weights.h5", ".h5", ".hdf5")) {
      if (name.endsWith(ext)) {
        Path c = s.resolveSibling(name.substring(0, name.length() - ext.length()) + ".json");
        if (Files.isRegularFile(c)) {
          return c;
        }
      }
    }
    return null;
  }

  static boolean isHdf5(Path p) throws IOException {
    return Files.isRegularFile(p) && startsWith(p, new byte[] {(byte) 0x89, 'H', 'D', 'F'});
  }

  static boolean isZip(Path p) throws IOException {
    return Files.isRegularFile(p) && startsWith(p, new byte[] {'P', 'K', 3, 4});
  }

  private static boolean isJsonFile(Path p) throws IOException {
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
        && p.toString().endsWith(".json")
        && Files.size(p) < (16 << 20);
  }

  private static boolean hasModelConfig(Path p) {
    try (H5File f = H5File.openReadOnly(p)) {
      return f.root().hasAttribute("model_config");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean startsWith(Path p, byte[] magic) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      byte[] head = in.readNBytes(magic.length);
      return java.util.Arrays.equals(head, magic);
    }
  }

  private static int indexOf(byte[] b, byte[] pat, int from) {
    outer:
    for (int i = Math.max(0, from); i <= b.length - pat.length; i++) {
      for (int j = 0; j < pat.length; j++) {
        if (b[i + j] != pat[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  private static String runPython(List<String> cmd, int seconds)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("h5mutate", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + cmd);
      }
      if (p.exitValue() != 0) {
        throw new IOException(cmd + " failed: " + Files.readString(log));
      }
      return new String(out, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** The seed this generator was built with. */
  public long seed() {
    return seed;
  }
}
