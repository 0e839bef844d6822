package dev.initkit.format.keras3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.internal.AtomicFiles;
import dev.initkit.internal.ConfigViews;
import dev.initkit.internal.Json;
import dev.initkit.internal.h5.TensorCopier;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Quantization;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes Keras 3 saves: the {@code .keras} zip (stored, not deflated, as Keras writes it), an
 * unzipped archive directory, or a bare {@code .weights.h5}. Variables go to the class-derived
 * paths Keras 3 loads from; a model read from a Keras 3 file keeps its exact paths and groups.
 */
public final class KerasArchiveWriter {
  /** The Keras version written into metadata.json of archives made from other formats. */
  public static final String TARGET_KERAS_VERSION = "3.12.0";

  /** Zip entry time: fixed, so the same model written twice gives identical bytes. */
  private static final long ENTRY_TIME = 315532800000L + 86400000L; // 1980-01-02, valid DOS time

  private KerasArchiveWriter() {}

  /**
   * Writes a {@code .keras} zip. HDF5 writes the weights once, in place at {@code out}, after a
   * user block that then receives the other members ({@link UserBlockZip}), with zip64 fields when
   * the archive reaches 4 GiB; a config too large for that layout, or (zip64) a block with no 20
   * bytes of padding to spare, costs a second copy of the weights.
   *
   * @param keras3ConfigText the model config in Keras 3 form
   * @param notes receives one line per thing dropped or changed on the way
   */
  public static void writeZip(
      Model model, TensorSource tensors, String keras3ConfigText, Path out, Consumer<String> notes)
      throws IOException {
    byte[] metadata = metadataJson(model).getBytes(StandardCharsets.UTF_8);
    byte[] config = keras3ConfigText.getBytes(StandardCharsets.UTF_8);
    Optional<UserBlockZip> inPlace =
        UserBlockZip.plan(
            List.of("metadata.json", "config.json"),
            List.of(metadata, config),
            "model.weights.h5",
            ENTRY_TIME);
    if (inPlace.isPresent()) {
      // the weights are written once, by HDF5, where the archive holds them; the member's CRC is
      // computed dataset by dataset as HDF5 closes them
      boolean finished;
      try (RegionCrc crc = new RegionCrc(out)) {
        writeWeights(model, tensors, out, out, notes, inPlace.get().userBlockBytes(), crc);
        finished = inPlace.get().finish(out, crc);
      }
      if (!finished) {
        zipAside(out, metadata, config, inPlace.get().userBlockBytes());
      }
      return;
    }
    // beside the output, named as AtomicFiles names temporaries: one a killed process leaves
    // behind is recognisable (AtomicFiles.TEMP_NAME), and the next run does not trip over it
    Path weights = AtomicFiles.createTempSibling(out);
    try {
      writeWeights(model, tensors, weights, out, notes);
      List<StoredZipWriter.Member> members =
          List.of(
              new StoredZipWriter.Member("metadata.json", metadata, null),
              new StoredZipWriter.Member("config.json", config, null),
              new StoredZipWriter.Member("model.weights.h5", null, weights));
      if (StoredZipWriter.fits(members)) {
        // the same bytes as below, in one pass over the weights
        StoredZipWriter.write(out, members, ENTRY_TIME);
        return;
      }
      zipWithStream(out, metadata, config, weights, 0);
    } finally {
      AtomicFiles.deleteTemp(weights);
    }
  }

  /**
   * An archive too large for zip32 (4 GiB or more) whose user block has no room for the weights'
   * zip64 record (rare: see {@link UserBlockZip#finish}): the weights written in place at {@code
   * out} move to a temporary beside it, and {@code ZipOutputStream} (which writes zip64) copies
   * them back.
   */
  private static void zipAside(Path out, byte[] metadata, byte[] config, long userBlock)
      throws IOException {
    Path weights = AtomicFiles.createTempSibling(out);
    try {
      Set<PosixFilePermission> mode = posixPermissions(out);
      Files.move(out, weights, StandardCopyOption.REPLACE_EXISTING);
      zipWithStream(out, metadata, config, weights, userBlock);
      if (mode != null) {
        Files.setPosixFilePermissions(out, mode); // what AtomicFiles gave the output
      }
    } finally {
      AtomicFiles.deleteTemp(weights);
    }
  }

  private static Set<PosixFilePermission> posixPermissions(Path p) {
    try {
      return Files.getPosixFilePermissions(p);
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /**
   * The archive through {@code ZipOutputStream}; the weights are {@code weights} from {@code skip}
   * on.
   */
  private static void zipWithStream(
      Path out, byte[] metadata, byte[] config, Path weights, long skip) throws IOException {
    try (OutputStream os = Files.newOutputStream(out);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      storeEntry(zip, "metadata.json", metadata);
      storeEntry(zip, "config.json", config);
      storeFile(zip, "model.weights.h5", weights, skip);
    }
  }

  /** Writes an unzipped archive into the (new, empty) directory {@code dir}. */
  public static void writeDirectory(
      Model model, TensorSource tensors, String keras3ConfigText, Path dir, Consumer<String> notes)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("metadata.json"), metadataJson(model));
    Files.writeString(dir.resolve("config.json"), keras3ConfigText);
    writeWeights(model, tensors, dir.resolve("model.weights.h5"), dir, notes);
  }

  /** Writes a bare Keras 3 {@code .weights.h5} file. */
  public static void writeWeights(
      Model model, TensorSource tensors, Path file, Path shown, Consumer<String> notes)
      throws IOException {
    writeWeights(model, tensors, file, shown, notes, 0, null);
  }

  /**
   * Writes the weights as HDF5 after a user block of {@code userBlock} bytes (0: none); {@code crc}
   * (or null) is told where each dataset's bytes are.
   */
  private static void writeWeights(
      Model model,
      TensorSource tensors,
      Path file,
      Path shown,
      Consumer<String> notes,
      long userBlock,
      RegionCrc crc)
      throws IOException {
    try (H5File f = H5File.create(file, userBlock)) {
      if (crc != null) {
        f.onDatasetClosed(crc::written);
      }
      H5Group root = f.root();
      boolean keepPaths =
          model.metadata().containsKey(KerasArchiveReader.GROUPS) && allKeras3Keys(model);
      if (keepPaths) {
        writeLikeSource(model, tensors, root);
      } else {
        try {
          writeFromConfig(model, tensors, root, notes);
        } catch (IllegalArgumentException e) {
          // a nested model's layer list the reader tolerated (its weights stay on the nested
          // model) but the Keras 3 layout needs: the config is malformed, not the command line
          String m = String.valueOf(e.getMessage());
          int colon = m.indexOf(": ");
          throw new MalformedModelException(
              Path.of(model.source().isEmpty() ? "." : model.source()),
              colon > 0 ? "model_config" + m.substring(0, colon) : "model_config",
              colon > 0 ? m.substring(colon + 2) : m,
              e);
        }
      }
    } catch (H5Exception e) {
      throw new ModelFormatException(
          shown, "model.weights.h5", "cannot write HDF5: " + e.getMessage(), e);
    }
  }

  private static boolean allKeras3Keys(Model model) {
    for (Weight w : model.layerWeights()) {
      if (!datasetPath(w).startsWith("layers/")
          && !datasetPath(w).startsWith("_layer_checkpoint_dependencies/")) {
        return false;
      }
    }
    return true;
  }

  private static String datasetPath(Weight w) {
    String k = w.key();
    if (k.startsWith("@")) {
      k = k.substring(k.indexOf(':') + 1);
    }
    return k.startsWith("/") ? k.substring(1) : k;
  }

  /** Same groups, same names, same paths as the Keras 3 file the model came from. */
  private static void writeLikeSource(Model model, TensorSource tensors, H5Group root)
      throws IOException {
    JsonNode groups = Json.parse(model.metadata().get(KerasArchiveReader.GROUPS));
    boolean keepOptimizer = !model.optimizerWeights().isEmpty();
    for (Iterator<Map.Entry<String, JsonNode>> it = groups.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> g = it.next();
      if (!keepOptimizer
          && (g.getKey().equals("optimizer") || g.getKey().startsWith("optimizer/"))) {
        continue;
      }
      if (g.getKey().isEmpty()) {
        if (!g.getValue().asText().isEmpty()) {
          root.setAttribute("name", AttrValue.Str.vlenUtf8(g.getValue().asText()));
        }
        continue;
      }
      try (H5Group created = root.openOrCreateGroup(g.getKey())) {
        if (!g.getValue().asText().isEmpty()) {
          created.setAttribute("name", AttrValue.Str.vlenUtf8(g.getValue().asText()));
        }
      }
    }
    List<Weight> all = new ArrayList<>(model.layerWeights());
    all.addAll(model.modelWeights());
    all.addAll(model.optimizerWeights());
    for (Weight w : all) {
      TensorCopier.copy(w, tensors, root, datasetPath(w));
    }
  }

  /** Paths computed from the config, as Keras 3 would save this model. */
  private static void writeFromConfig(
      Model model, TensorSource tensors, H5Group root, Consumer<String> notes) throws IOException {
    JsonNode config = ConfigViews.of(model).orElse(null);
    if (config == null) {
      // no config: layer groups keep their stored names (a weights-only conversion)
      for (Layer l : model.layers()) {
        writeParts(root, "layers/" + l.name(), l, tensors);
      }
    } else {
      writeContainer(root, "layers", config, model.layers(), tensors);
      String modelName = config.path("config").path("name").asText("");
      try (H5Group vars = root.createGroup("vars")) {
        if (!modelName.isEmpty()) {
          vars.setAttribute("name", AttrValue.Str.vlenUtf8(modelName));
        }
      }
    }
    if (!model.optimizerWeights().isEmpty()) {
      notes.accept(
          "optimizer weights dropped: Keras 3 optimizers keep another set of variables than the source's");
    }
  }

  private static void writeContainer(
      H5Group root, String prefix, JsonNode modelConfig, List<Layer> layers, TensorSource tensors)
      throws IOException {
    boolean seq = ConfigLayers.isSequential(modelConfig);
    List<Layer> stored = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    for (Layer l : layers) {
      if (seq && l.className().equals("InputLayer")) {
        continue;
      }
      stored.add(l);
      classes.add(keras3Class(l.className()));
    }
    List<String> names = Keras3Layout.containerNames(classes);
    Map<String, JsonNode> innerConfigs = new LinkedHashMap<>();
    for (ConfigLayers.Entry e : ConfigLayers.entries(modelConfig)) {
      innerConfigs.put(e.name(), e.raw());
    }
    for (int i = 0; i < stored.size(); i++) {
      Layer l = stored.get(i);
      String p = prefix + "/" + names.get(i);
      if (l.isNestedModel() && innerConfigs.containsKey(l.name())) {
        writeContainer(root, p + "/layers", innerConfigs.get(l.name()), l.children(), tensors);
        try (H5Group vars = root.createGroup(p + "/vars")) {
          vars.setAttribute("name", AttrValue.Str.vlenUtf8(l.name()));
        }
        if (!l.weights().isEmpty()) {
          throw new ModelFormatException(
              null,
              l.name(),
              "the nested model's weights could not be attributed to its inner layers");
        }
      } else {
        writeParts(root, p, l, tensors);
      }
    }
  }

  private static void writeParts(H5Group root, String p, Layer l, TensorSource tensors)
      throws IOException {
    // a legacy .h5 lists a quantized layer's bias first; Keras loads an archive in its save order
    List<Weight> ws =
        Quantization.of(l)
            .map(q -> Quantization.arrange(l.allWeights(), q.saveOrder(l.className(), hasBias(l))))
            .orElse(l.allWeights());
    int next = 0;
    for (Keras3Layout.Part part :
        Keras3Layout.parts(keras3Class(l.className()), ConfigViews.of(l), l.name(), ws.size())) {
      try (H5Group vars = root.createGroup(p + "/" + part.relPath())) {
        vars.setAttribute("name", AttrValue.Str.vlenUtf8(part.objectName()));
        for (int i = 0; i < part.count(); i++) {
          TensorCopier.copy(ws.get(next++), tensors, vars, Integer.toString(i));
        }
      }
    }
  }

  private static boolean hasBias(Layer l) {
    return l.allWeights().stream().anyMatch(w -> w.shortName().equals("bias"));
  }

  /**
   * Keras 3's class for a tf.keras/Keras 2 class name (the path names come from Keras 3 classes).
   */
  static String keras3Class(String className) {
    return className.equals("Model") ? "Functional" : className;
  }

  private static String metadataJson(Model model) {
    String src = model.metadata().get(KerasArchiveReader.METADATA_JSON);
    if (src != null) {
      return src;
    }
    Map<String, String> m = new LinkedHashMap<>();
    m.put("keras_version", TARGET_KERAS_VERSION);
    m.put("date_saved", "1980-01-02@00:00:00");
    return Json.write(Json.object(m));
  }

  private static void storeEntry(ZipOutputStream zip, String name, byte[] data) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(data);
    ZipEntry e = storedEntry(name, data.length, crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  private static void storeFile(ZipOutputStream zip, String name, Path file, long skip)
      throws IOException {
    long size = Files.size(file) - skip;
    long crc;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      crc = RegionCrc.crc(ch, skip, size);
    }
    zip.putNextEntry(storedEntry(name, size, crc));
    byte[] buf = new byte[1 << 20];
    // 1 MiB writes: InputStream.transferTo's 16 KiB ones cost 64 system calls per MiB
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(skip);
      for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
        zip.write(buf, 0, n);
      }
    }
    zip.closeEntry();
  }

  private static ZipEntry storedEntry(String name, long size, long crc) {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(size);
    e.setCompressedSize(size);
    e.setCrc(crc);
    e.setTime(ENTRY_TIME);
    return e;
  }
}
