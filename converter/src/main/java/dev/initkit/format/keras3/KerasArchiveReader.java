package dev.initkit.format.keras3;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.format.h5.KerasH5Input;
import dev.initkit.internal.BoundedText;
import dev.initkit.internal.Json;
import dev.initkit.internal.h5.H5Input;
import dev.initkit.internal.h5.H5Store;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * .weights.h5} files and sharded {@code .weights.json} manifests. Weights are mapped to the
 * config's layers the way Keras itself does it, through class-derived paths ({@link Keras3Layout}).
 */
public final class KerasArchiveReader {
  /** Metadata key: the archive's metadata.json as written. */
  public static final String METADATA_JSON = "keras3.metadata";

  /** Metadata key: every group of the weights file with its {@code name} attribute, as JSON. */
  public static final String GROUPS = "keras3.groups";

  static final String WEIGHTS_H5 = "model.weights.h5";
  private static final long MAX_JSON_BYTES = Json.MAX_CONFIG_CHARS;

  private KerasArchiveReader() {}

  /**
   * A deflated member may inflate to at most this many times its compressed size once it is past
   * {@link #BOMB_FLOOR_BYTES} (Apache POI's zip bomb default). Keras stores members uncompressed.
   */
  static final long MAX_INFLATE_RATIO = 100;

  /** Below this, a member is extracted whatever its compression ratio. */
  static final long BOMB_FLOOR_BYTES = 16L << 20;

  /** Free space kept on the temporary directory's file system after extracting the weights. */
  static final long TEMP_SPACE_MARGIN = 64L << 20;

  /**
   * Reads a zipped {@code .keras} archive. The archive is untrusted: a member that inflates past
   * its declared size or far beyond its compressed size (a decompression bomb), or that would not
   * fit in the temporary directory, is refused before or while it is extracted.
   */
  public static OwnedModel readZip(Path path) throws IOException {
    try (ZipFile zip = openZip(path)) {
      checkUnique(zip, path);
      long weightsAt = -1; // where a stored weights member's bytes lie, read once for all uses
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        List<ZipDirectory.Entry> members = StoredMemberLocator.directory(ch, path);
        if (members != null) {
          StoredMemberLocator.checkLocalHeaders(ch, members, path);
          ZipEntry we = zip.getEntry(WEIGHTS_H5);
          if (we != null && we.getMethod() == ZipEntry.STORED && we.getSize() > 0) {
            weightsAt = StoredMemberLocator.dataOffset(ch, members, WEIGHTS_H5, we.getSize(), path);
          }
        }
      }
      String config = text(zip, path, "config.json", true);
      String metadata = text(zip, path, "metadata.json", false);
      ZipEntry w = zip.getEntry(WEIGHTS_H5);
      if (w == null) {
        if (zip.getEntry("model.weights.npz") != null) {
          throw new UnsupportedModelException(
              path,
              "model.weights.npz",
              "weights saved in npz format are not supported: re-save with the default h5 weights format");
        }
        throw new MalformedModelException(
            path, WEIGHTS_H5, "missing: the archive holds no weights");
      }
      MemberCrc check =
          weightsAt < 0 || w.getCrc() == -1
              ? null
              : new MemberCrc(path, w.getName(), weightsAt, w.getSize(), w.getCrc());
      H5File inPlace = openInPlace(path, w, weightsAt);
      if (inPlace != null) {
        return assemble(path, List.of(inPlace), () -> {}, config, metadata, "keras", check);
      }
      // a compressed member (or one whose place the zip directory does not tell) is extracted to
      // a private temporary file, which HDF5 opens by path
      Path tmp = Files.createTempFile("initkit-", ".weights.h5");
      boolean ok = false;
      try {
        extract(zip, w, path, tmp);
        H5File f = open(path, tmp, WEIGHTS_H5);
        // HDF5 keeps the file open by descriptor: unlinking it now means nothing is left behind in
        // the temporary directory even if the process is killed (where unlinking an open file is
        // refused, as on Windows, it is deleted on close instead)
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // deleted when the model is closed
        }
        // a compressed member's CRC was checked as it inflated; a stored one's is checked beside
        // the reads
        OwnedModel m =
            assemble(
                path,
                List.of(f),
                () -> Files.deleteIfExists(tmp),
                config,
                metadata,
                "keras",
                check);
        ok = true;
        return m;
      } finally {
        if (!ok) {
          Files.deleteIfExists(tmp);
        }
      }
    } catch (IllegalArgumentException e) {
      // java.util.zip reports undecodable entry names so
      throw new MalformedModelException(path, "", "corrupt zip archive: " + e.getMessage(), e);
    }
  }

  private static ZipFile openZip(Path path) throws IOException {
    try {
      return new ZipFile(path.toFile());
    } catch (java.util.zip.ZipException e) {
      throw new MalformedModelException(
          path, "", "corrupt zip archive: " + e.getMessage() + " (incomplete download?)", e);
    }
  }

  /** Two members of the same name: which one a reader takes differs between zip tools. */
  private static void checkUnique(ZipFile zip, Path path) throws MalformedModelException {
    Set<String> seen = new HashSet<>();
    for (java.util.Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
      String n = en.nextElement().getName();
      if (!seen.add(n)) {
        throw new MalformedModelException(
            path, n, "the archive holds two members of this name (tampered?)");
      }
    }
  }

  /** Copies a member to {@code tmp}, refusing bombs and lies about sizes. */
  private static void extract(ZipFile zip, ZipEntry e, Path path, Path tmp) throws IOException {
    String name = e.getName();
    long declared = e.getSize();
    long compressed = e.getCompressedSize();
    long free = Files.getFileStore(tmp.toAbsolutePath().getParent()).getUsableSpace();
    if (declared >= 0 && declared > free - TEMP_SPACE_MARGIN) {
      throw new java.nio.file.FileSystemException(
          tmp.getParent().toString(),
          null,
          "not enough temporary space to extract "
              + name
              + " of "
              + path
              + ": it needs "
              + declared
              + " bytes, "
              + free
              + " are free (set java.io.tmpdir to a larger file system)");
    }
    boolean deflated = e.getMethod() != ZipEntry.STORED;
    if (deflated
        && declared > BOMB_FLOOR_BYTES
        && compressed > 0
        && declared / compressed > MAX_INFLATE_RATIO) {
      throw bomb(path, name, declared, compressed);
    }
    if (!deflated && declared > COPY_DIRECT_MIN_BYTES && copyStored(path, name, declared, tmp)) {
      return;
    }
    long limit = declared >= 0 ? declared : free - TEMP_SPACE_MARGIN;
    byte[] buf = new byte[1 << 20]; // 1 MiB reads and writes: 16x fewer system calls than 64 KiB
    long total = 0;
    java.util.zip.CRC32 crc = new java.util.zip.CRC32(); // as the bytes stream: no second pass
    try (InputStream in = memberStream(zip, e, path);
        OutputStream out = Files.newOutputStream(tmp)) {
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (java.util.zip.ZipException | java.io.EOFException ex) {
          throw new MalformedModelException(
              path, name, "corrupt archive member: " + ex.getMessage(), ex);
        }
        if (n < 0) {
          break;
        }
        total += n;
        if (total > limit) {
          throw new MalformedModelException(
              path,
              name,
              "inflates to more than the "
                  + limit
                  + " bytes it declares (a tampered archive or a decompression bomb)");
        }
        if (deflated
            && total > BOMB_FLOOR_BYTES
            && compressed > 0
            && total / compressed > MAX_INFLATE_RATIO) {
          throw bomb(path, name, total, compressed);
        }
        crc.update(buf, 0, n);
        out.write(buf, 0, n);
      }
    }
    if (declared >= 0 && total != declared) {
      throw new MalformedModelException(
          path,
          name,
          "holds "
              + total
              + " bytes but declares "
              + declared
              + " (truncated or tampered archive)");
    }
    if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) {
      throw MemberCrc.mismatch(path, name, crc.getValue(), e.getCrc());
    }
  }

  /** Stored members above this size are copied kernel-side ({@link #copyStored}). */
  private static final long COPY_DIRECT_MIN_BYTES = 8L << 20;

  /**
   * Copies a stored member's {@code size} bytes from the archive into {@code tmp} file to file
   * (sendfile), without passing them through Java arrays; false (nothing written) when the member's
   * place in the archive cannot be told from a plain zip directory, and the caller streams it.
   */
  private static boolean copyStored(Path path, String name, long size, Path tmp)
      throws IOException {
    try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
      long at = StoredMemberLocator.dataOffset(in, name, size, path);
      if (at < 0) {
        return false;
      }
      try (FileChannel out =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        long done = 0;
        while (done < size) {
          long n = in.transferTo(at + done, size - done, out);
          if (n <= 0) {
            throw new MalformedModelException(
                path,
                name,
                "holds "
                    + done
                    + " bytes but declares "
                    + size
                    + " (truncated or tampered archive)");
          }
          done += n;
        }
      }
      return true;
    }
  }

  private static UnsupportedModelException bomb(
      Path path, String name, long size, long compressed) {
    return new UnsupportedModelException(
        path,
        name,
        "inflates to "
            + size
            + " bytes from "
            + compressed
            + " (more than "
            + MAX_INFLATE_RATIO
            + ":1, a decompression bomb?); Keras stores archive members uncompressed: re-save the model with Keras");
  }

  private static InputStream memberStream(ZipFile zip, ZipEntry e, Path path) throws IOException {
    try {
      return zip.getInputStream(e);
    } catch (java.util.zip.ZipException ex) {
      throw new MalformedModelException(
          path, e.getName(), "unreadable archive member: " + ex.getMessage(), ex);
    }
  }

  /** Reads an unzipped archive directory. */
  public static OwnedModel readDirectory(Path dir) throws IOException {
    String config = boundedText(dir.resolve("config.json"), dir);
    Path meta = dir.resolve("metadata.json");
    String metadata = Files.exists(meta) ? boundedText(meta, dir) : null;
    Path w = dir.resolve(WEIGHTS_H5);
    if (Files.exists(w)) {
      return assemble(dir, List.of(open(dir, w, WEIGHTS_H5)), null, config, metadata, "keras");
    }
    Path manifest = dir.resolve("model.weights.json");
    if (Files.exists(manifest)) {
      return assemble(dir, openShards(manifest), null, config, metadata, "keras");
    }
    throw new MalformedModelException(
        dir, WEIGHTS_H5, "missing: the archive directory holds no weights");
  }

  /**
   * Reads a bare Keras 3 weights file ({@link dev.initkit.format.Format#KERAS3_WEIGHTS}), with an
   * optional config for layer names and classes; takes ownership of the open file.
   */
  public static OwnedModel readWeights(KerasH5Input input, JsonNode companion) throws IOException {
    return H5Input.of(input).readWith((path, file) -> readWeights(path, file, companion));
  }

  /** Reads a bare Keras 3 weights file, with an optional config for layer names and classes. */
  private static OwnedModel readWeights(Path path, H5File file, JsonNode companion)
      throws IOException {
    String config = companion == null ? null : Json.write(companion);
    return assemble(path, List.of(file), null, config, null, "keras3-weights");
  }

  /** Reads a sharded weights manifest ({@code .weights.json}) and its shards. */
  public static OwnedModel readShardedWeights(Path manifest, JsonNode companion)
      throws IOException {
    String config = companion == null ? null : Json.write(companion);
    return assemble(manifest, openShards(manifest), null, config, null, "keras3-weights");
  }

  /**
   * A JSON member of an unzipped archive (or a manifest), read only if it is a regular file of at
   * most {@link #MAX_JSON_BYTES}: a link to {@code /dev/zero} or a multi-gigabyte file is refused.
   */
  static String boundedText(Path file, Path shown) throws IOException {
    if (!Files.exists(file)) {
      throw new MalformedModelException(shown, file.getFileName().toString(), "missing");
    }
    return BoundedText.readFile(file, MAX_JSON_BYTES, shown, file.getFileName().toString());
  }

  private static List<H5File> openShards(Path manifest) throws IOException {
    JsonNode m = parse(manifest, "", boundedText(manifest, manifest));
    JsonNode map = m.path("weight_map");
    if (!map.isObject()) {
      throw new MalformedModelException(
          manifest, "/weight_map", "missing: not a sharded weights manifest");
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
        if (!p.getParent().equals(manifest.toAbsolutePath().normalize().getParent())
            && !p.getParent().equals(manifest.getParent())) {
          throw new MalformedModelException(
              manifest, "/weight_map", "shard '" + s + "' is outside the manifest's directory");
        }
        if (!Files.exists(p)) {
          throw new MalformedModelException(
              manifest, "/weight_map", "shard file " + s + " is missing");
        }
        if (!Files.isRegularFile(p)) {
          // a FIFO or device would block HDF5's open forever
          throw new MalformedModelException(
              manifest, "/weight_map", "shard " + s + " is not a regular file");
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

  /**
   * Opens a stored weights member where it lies in the archive (Keras stores its members
   * uncompressed), or returns null when it is compressed or its place cannot be told from the zip
   * directory. Extracting the member first cost a copy of every byte (1.3 s of the 1.5 s that
   * inspecting a 1 GiB archive took).
   */
  private static H5File openInPlace(Path path, ZipEntry w, long at) throws IOException {
    if (!IN_PLACE || at < 0) { // at >= 0 only for a stored, non-empty member
      return null;
    }
    try {
      return H5File.openMember(path, at, w.getSize(), path);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          path, w.getName(), "not a readable HDF5 file: " + e.getMessage(), e);
    }
  }

  /** {@code -Dinitkit.inPlace=false} extracts every weights member (to compare). */
  private static final boolean IN_PLACE =
      Boolean.parseBoolean(System.getProperty("initkit.inPlace", "true"));

  private static H5File open(Path shown, Path file, String member) throws IOException {
    try {
      return H5File.openReadOnly(file);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          shown, member, "not a readable HDF5 file: " + e.getMessage(), e);
    }
  }

  private static String text(ZipFile zip, Path path, String name, boolean required)
      throws IOException {
    ZipEntry e = zip.getEntry(name);
    if (e == null) {
      if (required) {
        throw new MalformedModelException(path, name, "missing: not a Keras 3 archive");
      }
      return null;
    }
    if (e.getSize() > MAX_JSON_BYTES) {
      throw new MalformedModelException(
          path,
          name,
          "declares " + e.getSize() + " bytes, more than the " + MAX_JSON_BYTES + " initkit reads");
    }
    try (InputStream in = memberStream(zip, e, path)) {
      byte[] b;
      try {
        b = in.readNBytes((int) MAX_JSON_BYTES + 1);
      } catch (java.util.zip.ZipException | java.io.EOFException ex) {
        throw new MalformedModelException(
            path, name, "corrupt archive member: " + ex.getMessage(), ex);
      }
      if (b.length > MAX_JSON_BYTES) {
        throw new MalformedModelException(
            path, name, "larger than the " + MAX_JSON_BYTES + " bytes initkit reads");
      }
      checkCrc(path, e, b);
      return BoundedText.utf8(b, path, name);
    }
  }

  /**
   * java.util.zip checks no CRC when reading through ZipFile; Keras's zipfile refuses a wrong one.
   */
  private static void checkCrc(Path path, ZipEntry e, byte[] b) throws MalformedModelException {
    java.util.zip.CRC32 c = new java.util.zip.CRC32();
    c.update(b);
    if (e.getCrc() != -1 && c.getValue() != e.getCrc()) {
      throw MemberCrc.mismatch(path, e.getName(), c.getValue(), e.getCrc());
    }
  }

  static JsonNode parse(Path path, String location, String text) throws MalformedModelException {
    try {
      JsonNode n = Json.parse(text);
      if (!n.isObject()) {
        throw new MalformedModelException(
            path, location, "expected a JSON object, found " + n.getNodeType());
      }
      return n;
    } catch (JsonProcessingException e) {
      // constraint violations (nesting, size, token count) carry no location
      com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
      throw new MalformedModelException(
          path,
          location,
          "malformed JSON: "
              + e.getOriginalMessage()
              + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(path, location, e.getMessage());
    }
  }

  private static OwnedModel assemble(
      Path path,
      List<H5File> files,
      AutoCloseable extra,
      String configText,
      String metadataText,
      String format)
      throws IOException {
    return assemble(path, files, extra, configText, metadataText, format, null);
  }

  private static OwnedModel assemble(
      Path path,
      List<H5File> files,
      AutoCloseable extra,
      String configText,
      String metadataText,
      String format,
      H5Store.SourceCheck check)
      throws IOException {
    H5Store store = new H5Store(files, path, extra, check);
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
      b.metadata(GROUPS, Json.write(Json.object(idx.allGroups())));
      Set<String> used = new HashSet<>();
      String prefix =
          idx.hasGroup("layers")
              ? "layers"
              : idx.hasGroup("_layer_checkpoint_dependencies")
                  ? "_layer_checkpoint_dependencies"
                  : "layers";
      List<Layer> layers =
          config == null
              ? layersWithoutConfig(idx, prefix, used)
              : container(path, config, prefix, idx, used);
      b.layers(layers);
      b.modelWeights(weights("", idx.vars("vars"), "vars", used), idx.hasGroup("vars"));
      List<Weight> opt = new ArrayList<>();
      if (idx.hasGroup("optimizer")) {
        opt.addAll(weights("optimizer", idx.vars("optimizer/vars"), "optimizer/vars", used));
      }
      b.optimizerWeights(opt);
      for (String d : idx.datasetPaths()) {
        if (!used.contains(d) && d.startsWith(prefix + "/")) {
          throw new UnsupportedModelException(
              path,
              d,
              "weights that no layer of the config accounts for (a custom layer layout or an unknown Keras version's path scheme)");
        }
      }
      ok = true;
      return new OwnedModel(b.build(), store, store);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          path, WEIGHTS_H5, "cannot read HDF5 structure: " + e.getMessage(), e);
    } finally {
      if (!ok) {
        store.close();
      }
    }
  }

  private static List<Layer> layersWithoutConfig(
      WeightsIndex idx, String prefix, Set<String> used) {
    List<Layer> out = new ArrayList<>();
    for (String g : idx.childGroups(prefix)) {
      String p = prefix + "/" + g;
      out.add(new Layer(g, "", null, collect(g, "", p, idx, used, null), List.of()));
    }
    return out;
  }

  private static List<Layer> container(
      Path path, JsonNode modelConfig, String prefix, WeightsIndex idx, Set<String> used)
      throws IOException {
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
        out.add(
            new Layer(
                e.name(),
                e.className(),
                e.config(),
                collect(e.name(), e.className(), p, idx, used, e.config()),
                List.of()));
      }
    }
    return out;
  }

  /** A layer's variables in positional order: own {@code vars}, then sub-objects. */
  private static List<Weight> collect(
      String layerName, String cls, String p, WeightsIndex idx, Set<String> used, JsonNode config) {
    List<Map.Entry<String, WeightsIndex.Entry>> found = new ArrayList<>();
    gather(cls, p, idx, found);
    List<String> names =
        Keras3Layout.variableNames(
            cls, config == null ? JsonNodeFactory.instance.objectNode() : config, found.size());
    List<Weight> out = new ArrayList<>();
    for (int i = 0; i < found.size(); i++) {
      Map.Entry<String, WeightsIndex.Entry> e = found.get(i);
      used.add(e.getKey());
      String n = layerName + "/" + names.get(i);
      out.add(
          new Weight(
              n,
              e.getValue().shape(),
              e.getValue().dtype(),
              WeightRole.of(cls, n),
              e.getValue().key()));
    }
    return out;
  }

  private static void gather(
      String cls, String p, WeightsIndex idx, List<Map.Entry<String, WeightsIndex.Entry>> found) {
    found.addAll(idx.vars(p + "/vars"));
    for (String c : Keras3Layout.childOrder(cls, idx.childGroups(p))) {
      if (!c.equals("vars")) {
        gather("", p + "/" + c, idx, found);
      }
    }
  }

  private static List<Weight> weights(
      String owner,
      List<Map.Entry<String, WeightsIndex.Entry>> vars,
      String base,
      Set<String> used) {
    List<Weight> out = new ArrayList<>();
    for (Map.Entry<String, WeightsIndex.Entry> e : vars) {
      used.add(e.getKey());
      String n = e.getKey();
      out.add(
          new Weight(
              n, e.getValue().shape(), e.getValue().dtype(), WeightRole.OTHER, e.getValue().key()));
    }
    return out;
  }
}
