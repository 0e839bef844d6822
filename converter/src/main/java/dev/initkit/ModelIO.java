package dev.initkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.Detection;
import dev.initkit.format.Format;
import dev.initkit.format.FormatDetector;
import dev.initkit.format.SavedModelSupport;
import dev.initkit.format.StoredWeightsCheck;
import dev.initkit.format.config.MeaningChange;
import dev.initkit.format.h5.KerasH5Input;
import dev.initkit.format.h5.KerasH5Reader;
import dev.initkit.format.h5.KerasH5Writer;
import dev.initkit.format.keras3.KerasArchiveReader;
import dev.initkit.format.keras3.KerasArchiveWriter;
import dev.initkit.format.safetensors.SafetensorsReader;
import dev.initkit.format.safetensors.SafetensorsWriter;
import dev.initkit.format.safetensors.TensorNaming;
import dev.initkit.internal.AtomicFiles;
import dev.initkit.internal.BoundedText;
import dev.initkit.internal.ConfigViews;
import dev.initkit.internal.Json;
import dev.initkit.internal.OutputSafety;
import dev.initkit.internal.h5.H5Store;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The entry point: read any supported Keras/TensorFlow model file, write it in any supported
 * format.
 *
 * <p>Formats are detected by content, never by extension. Reading loads metadata only; weight
 * values stream from the file while writing. Writing is atomic: a temporary file beside the target,
 * renamed over it when complete, and never the input file itself. Thread-safe: models may be read
 * and written from several threads (native HDF5 access is serialised inside).
 */
public final class ModelIO {
  private ModelIO() {}

  /** Options for reading. */
  public record ReadOptions(Path config, boolean autoCompanionConfig) {
    /** Defaults: no explicit config; a {@code <name>.json} beside a weights-only file is used. */
    public static ReadOptions defaults() {
      return new ReadOptions(null, true);
    }

    /** Read a weights-only file with this architecture JSON. */
    public ReadOptions withConfig(Path c) {
      return new ReadOptions(c, autoCompanionConfig);
    }
  }

  /**
   * Options for writing.
   *
   * @param strict refuse ({@link UnsupportedModelException}, nothing written) a conversion that
   *     would change what a layer computes, instead of writing it with a warning
   * @param runtime the runtime the output is for ({@link TargetRuntime}): the config form, the
   *     header and, where neither {@code format} nor the output's name gives one, the format; null
   *     writes initkit's portable forms
   */
  public record WriteOptions(
      Format format, boolean overwrite, boolean unzipped, boolean strict, TargetRuntime runtime) {
    /** For no runtime in particular. */
    public WriteOptions(Format format, boolean overwrite, boolean unzipped, boolean strict) {
      this(format, overwrite, unzipped, strict, null);
    }

    /** Not strict, for no runtime in particular. */
    public WriteOptions(Format format, boolean overwrite, boolean unzipped) {
      this(format, overwrite, unzipped, false, null);
    }

    /** Format from the output's extension, no overwrite, zipped archives, not strict. */
    public static WriteOptions defaults() {
      return new WriteOptions(null, false, false, false, null);
    }

    public WriteOptions withFormat(Format f) {
      return new WriteOptions(f, overwrite, unzipped, strict, runtime);
    }

    public WriteOptions withOverwrite(boolean o) {
      return new WriteOptions(format, o, unzipped, strict, runtime);
    }

    public WriteOptions withStrict(boolean s) {
      return new WriteOptions(format, overwrite, unzipped, s, runtime);
    }

    public WriteOptions withRuntime(TargetRuntime r) {
      return new WriteOptions(format, overwrite, unzipped, strict, r);
    }
  }

  /**
   * What a write did.
   *
   * @param notes what the caller may want to know (a config kept as written, a training config left
   *     out)
   * @param changes where the written model computes something else than the original when loaded by
   *     the other Keras generation ({@link MeaningChange#message()} says it in one line); empty
   *     under {@link WriteOptions#strict()}, which refuses such a write
   */
  public record WriteResult(
      Path output, Format format, List<String> notes, List<MeaningChange> changes) {
    public WriteResult {
      notes = List.copyOf(notes);
      changes = List.copyOf(changes);
    }

    /** A write that changed nothing a layer computes. */
    public WriteResult(Path output, Format format, List<String> notes) {
      this(output, format, notes, List.of());
    }

    /** The changes as one-line warnings. */
    public List<String> warnings() {
      return changes.stream().map(MeaningChange::message).toList();
    }
  }

  /** Detects what a path is, by content. */
  public static Detection detect(Path path) throws IOException {
    return FormatDetector.detect(path);
  }

  /** Opens a model with default options. The caller closes the result. */
  public static OwnedModel open(Path path) throws IOException {
    return open(path, ReadOptions.defaults());
  }

  /**
   * Opens a model. The caller closes the result, which holds the file open (or a temporary copy of
   * an archive's weights) until then.
   *
   * @throws MalformedModelException the file is broken or not a model (the message says which and
   *     what to do)
   * @throws UnsupportedModelException the file is valid but uses something initkit does not handle
   * @throws IOException the file cannot be read
   */
  public static OwnedModel open(Path path, ReadOptions options) throws IOException {
    OwnedModel m = read(path, options);
    try {
      StoredWeightsCheck.check(path, m.model());
    } catch (MalformedModelException e) {
      m.close();
      throw e;
    }
    return m;
  }

  private static OwnedModel read(Path path, ReadOptions options) throws IOException {
    Detection d = FormatDetector.detect(path);
    switch (d.kind()) {
      case HDF5:
        return openHdf5(path, options);
      case KERAS_ZIP:
        return KerasArchiveReader.readZip(path);
      case KERAS_DIR:
        return KerasArchiveReader.readDirectory(path);
      case SHARDED_WEIGHTS_JSON:
        return KerasArchiveReader.readShardedWeights(path, companion(path, options));
      case SAFETENSORS:
      case SAFETENSORS_INDEX:
        refuseArchitecture(
            path, options, "safetensors: its tensors are found by key, not placed by a config");
        return d.kind() == Detection.Kind.SAFETENSORS
            ? SafetensorsReader.readFile(path)
            : SafetensorsReader.readIndex(path);
      case SAVED_MODEL_DIR:
        refuseArchitecture(
            path, options, "a SavedModel: its Keras config comes from its own Keras metadata");
        return SavedModelSupport.load(path).read(path);
      case KERAS_JSON_CONFIG:
        throw new UnsupportedModelException(
            path,
            "",
            "an architecture JSON holds no weights: give the weights file and pass this file with "
                + Hint.ARCHITECTURE_CONFIG.apiName(),
            Hint.ARCHITECTURE_CONFIG);
      default:
        throw new UnsupportedModelException(path, "", "unsupported input kind " + d.kind());
    }
  }

  /**
   * An HDF5 file goes to the reader of its layout: Keras 3 weights, or a legacy model or weights.
   */
  /** Refuses an architecture JSON for a format whose weights it would not place. */
  private static void refuseArchitecture(Path path, ReadOptions options, String why)
      throws UnsupportedModelException {
    if (options.config() != null) {
      throw new UnsupportedModelException(
          path,
          "",
          "an architecture JSON ("
              + Hint.ARCHITECTURE_CONFIG.apiName()
              + ") is not used with "
              + why,
          Hint.ARCHITECTURE_CONFIG);
    }
  }

  private static OwnedModel openHdf5(Path path, ReadOptions options) throws IOException {
    try (KerasH5Input in = KerasH5Input.open(path)) {
      if (in.layout() == Format.KERAS3_WEIGHTS) {
        return KerasArchiveReader.readWeights(in, companion(path, options));
      }
      JsonNode config = in.layout() == Format.H5_WEIGHTS ? companion(path, options) : null;
      return KerasH5Reader.read(
          in, config, config == null ? null : companionPath(path, options).orElse(null));
    }
  }

  private static Optional<Path> companionPath(Path path, ReadOptions options) {
    if (options.config() != null) {
      return Optional.of(options.config());
    }
    if (!options.autoCompanionConfig()) {
      return Optional.empty();
    }
    for (String n : companionConfigNames(path.getFileName().toString())) {
      Path c = path.resolveSibling(n);
      if (Files.isRegularFile(c)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /**
   * The names, in the order {@link #open} tries them, of the architecture JSON it reads beside a
   * weights-only file of this name ({@code NAME.json} beside {@code NAME.h5}, {@code
   * NAME.weights.h5}, {@code NAME.hdf5} or {@code NAME.weights.json}); for callers that copy a
   * model elsewhere before opening it and must take its companion along.
   *
   * @param fileName the weights file's name, without directory
   */
  public static List<String> companionConfigNames(String fileName) {
    String lower = fileName.toLowerCase(Locale.ROOT);
    List<String> names = new ArrayList<>();
    for (String ext : List.of(".weights.h5", ".weights.json", ".h5", ".hdf5")) {
      if (lower.endsWith(ext)) {
        String c = fileName.substring(0, fileName.length() - ext.length()) + ".json";
        if (!c.equals(fileName)) {
          names.add(c);
        }
      }
    }
    return List.copyOf(names);
  }

  private static JsonNode companion(Path path, ReadOptions options) throws IOException {
    Optional<Path> c = companionPath(path, options);
    if (c.isEmpty()) {
      return null;
    }
    // bounded whatever the file system says of its size (--config /dev/zero), strict UTF-8
    String text = BoundedText.readFile(c.get(), Json.MAX_CONFIG_CHARS, c.get(), "");
    JsonNode n;
    try {
      n = Json.parse(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new MalformedModelException(
          c.get(), "", "malformed JSON config: " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(c.get(), "", "malformed JSON config: " + e.getMessage());
    }
    if (!n.isObject()) {
      if (options.config() == null) {
        return null; // an unrelated JSON beside the file: ignore it
      }
      throw new MalformedModelException(
          c.get(),
          "",
          "not a Keras architecture JSON: expected an object with class_name and config");
    }
    if (!n.has("class_name") || !n.has("config")) {
      if (options.config() == null) {
        return null; // an unrelated JSON beside the file: ignore it
      }
      throw new MalformedModelException(
          c.get(), "", "not a Keras architecture JSON: expected class_name and config");
    }
    return n;
  }

  /**
   * Checks the integrity of the stored bytes that {@code loaded}'s values were read or copied from
   * so far (a {@code .keras} member's CRC-32, computed beside the reads); values that were not read
   * are not checked. Writers call it before an output is kept; a caller that reads values itself
   * calls it when done.
   *
   * @throws MalformedModelException when the stored bytes are damaged
   */
  public static void verifyStoredBytes(LoadedModel loaded) throws IOException {
    java.util.Set<H5Store> stores =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    Model m = loaded.model();
    for (List<Weight> ws : List.of(m.layerWeights(), m.optimizerWeights(), m.modelWeights())) {
      for (Weight w : ws) {
        if (loaded.tensors().origin(w) instanceof H5Store s) {
          stores.add(s);
        }
      }
    }
    for (H5Store s : stores) {
      s.verify();
    }
  }

  /** The writer, then the verdict on the bytes it read: a damaged input leaves no output. */
  private static AtomicFiles.IoConsumer<Path> checked(
      LoadedModel loaded, AtomicFiles.IoConsumer<Path> writer) {
    return tmp -> {
      writer.accept(tmp);
      verifyStoredBytes(loaded);
    };
  }

  /**
   * Writes a model's weights atomically as a {@code .safetensors} file in the layout {@code export}
   * planned ({@link dev.initkit.transplant.SafetensorsExport#plan}: a mapping's tensor rules read
   * backwards). With {@code options.strict()}, a weight no rule fits is refused before anything is
   * written.
   *
   * @throws UnsupportedModelException when strict and some weight has no rule
   * @throws java.nio.file.FileAlreadyExistsException when the output exists and overwrite is off
   */
  public static WriteResult writeSafetensors(
      LoadedModel loaded,
      Path out,
      WriteOptions options,
      dev.initkit.transplant.SafetensorsExport export)
      throws IOException {
    Model model = loaded.model();
    if (!model.source().isEmpty()) {
      OutputSafety.check(Path.of(model.source()), out);
    }
    if (options.strict() && !export.unmatched().isEmpty()) {
      throw new UnsupportedModelException(
          model.source().isEmpty() ? null : Path.of(model.source()),
          "",
          "no rule of "
              + export.origin()
              + " fits "
              + export.unmatched().size()
              + (export.unmatched().size() == 1 ? " weight" : " weights")
              + " (first: "
              + export.unmatched().get(0)
              + "); without --strict they are written under their Keras path");
    }
    AtomicFiles.write(
        out, options.overwrite(), checked(loaded, tmp -> export.write(loaded.tensors(), tmp)));
    List<String> notes = new ArrayList<>();
    notes.add(
        "safetensors holds tensors only: wrote "
            + export.tensors().size()
            + " tensors named by "
            + export.origin());
    optimizerLeftOut(model, notes);
    return new WriteResult(out, Format.SAFETENSORS, notes);
  }

  /** The note that a safetensors output leaves the model's optimizer state out, when it has one. */
  private static void optimizerLeftOut(Model model, List<String> notes) {
    if (!model.optimizerWeights().isEmpty()) {
      notes.add(
          "optimizer state ("
              + model.optimizerWeights().size()
              + " weights) left out: safetensors output holds the model's weights only");
    }
  }

  /**
   * Writes a model atomically. The target format comes from {@code options.format()}, else the
   * output's name ({@code .keras}, {@code .weights.h5}, {@code .h5}, {@code .safetensors}), else
   * {@code options.runtime()} ({@link #targetFormat}). With a runtime, the config and header are
   * written in the form it loads ({@link TargetRuntime}), and what it cannot express raises {@link
   * UnsupportedModelException} before anything is written.
   *
   * @throws java.nio.file.FileAlreadyExistsException when the output exists and overwrite is off
   * @throws ModelFormatException when the model cannot be expressed in the target format
   */
  public static WriteResult write(LoadedModel loaded, Path out, WriteOptions options)
      throws IOException {
    Format format = targetFormat(out, options);
    Model model = loaded.model();
    List<String> notes = new ArrayList<>();
    List<MeaningChange> changes = new ArrayList<>();
    if (!model.source().isEmpty()) {
      OutputSafety.check(Path.of(model.source()), out);
    }
    if (format != Format.SAFETENSORS
        && format != Format.SAVED_MODEL
        && model.sourceFormat().equals(SafetensorsReader.FORMAT)) {
      refuseBoolForHdf5(model, format);
    }
    switch (format) {
      case H5:
        {
          TargetRuntime runtime = options.runtime();
          if (runtime == TargetRuntime.DL4J) {
            refuseForDl4j(model);
          } else if (runtime == TargetRuntime.KERAS3) {
            ConfigForms.refuseForKeras3(model);
          }
          String config =
              ConfigViews.of(model).isEmpty() ? null : h5ConfigText(model, runtime, notes, changes);
          if (config == null) {
            notes.add("no model config: wrote a weights-only file");
          }
          refuseIfStrict(model, options, changes);
          KerasH5Writer.Form form = H5Forms.of(model, runtime);
          AtomicFiles.write(
              out,
              options.overwrite(),
              checked(
                  loaded, tmp -> KerasH5Writer.write(model, loaded.tensors(), config, form, tmp)));
          break;
        }
      case H5_WEIGHTS:
        AtomicFiles.write(
            out,
            options.overwrite(),
            checked(loaded, tmp -> KerasH5Writer.write(model, loaded.tensors(), null, tmp)));
        break;
      case KERAS:
        {
          if (ConfigViews.of(model).isEmpty() && model.sourceFormat().equals("savedmodel")) {
            throw new UnsupportedModelException(
                Path.of(model.source()),
                "",
                "a .keras archive needs the Keras config, and this SavedModel has none (Keras 3 model.export, plain TensorFlow, or a subclassed Keras model)");
          }
          if (ConfigViews.of(model).isEmpty()
              && model.sourceFormat().equals(SafetensorsReader.FORMAT)) {
            throw new UnsupportedModelException(
                Path.of(model.source()),
                "",
                "a .keras archive needs the model config, and a safetensors file holds tensors only:"
                    + " write .weights.h5 or .h5 (weights only), or transplant into a Keras model");
          }
          if (ConfigViews.of(model).isEmpty()) {
            throw new UnsupportedModelException(
                Path.of(model.source()),
                "",
                "a .keras archive needs the model config, and this weights-only file has none: pass the architecture JSON with "
                    + Hint.ARCHITECTURE_CONFIG.apiName()
                    + ", or write .weights.h5",
                Hint.ARCHITECTURE_CONFIG);
          }
          if (options.runtime() == TargetRuntime.KERAS3) {
            ConfigForms.refuseForKeras3(model);
          }
          String config = ConfigForms.keras3Text(model, notes::add, changes::add);
          refuseIfStrict(model, options, changes);
          if (options.unzipped()) {
            AtomicFiles.writeDirectory(
                out,
                options.overwrite(),
                checked(
                    loaded,
                    tmp ->
                        KerasArchiveWriter.writeDirectory(
                            model, loaded.tensors(), config, tmp, notes::add)));
          } else {
            AtomicFiles.write(
                out,
                options.overwrite(),
                checked(
                    loaded,
                    tmp ->
                        KerasArchiveWriter.writeZip(
                            model, loaded.tensors(), config, tmp, notes::add)));
          }
          break;
        }
      case KERAS3_WEIGHTS:
        AtomicFiles.write(
            out,
            options.overwrite(),
            checked(
                loaded,
                tmp ->
                    KerasArchiveWriter.writeWeights(
                        model, loaded.tensors(), tmp, out, notes::add)));
        break;
      case SAVED_MODEL:
        SavedModelSupport.load(out).write(loaded, out, options.overwrite(), notes::add);
        break;
      case SAFETENSORS:
        {
          TensorNaming naming = TensorNaming.kerasPaths();
          SafetensorsWriter.names(model, naming); // refuses clashing names before the temp file
          AtomicFiles.write(
              out,
              options.overwrite(),
              checked(
                  loaded, tmp -> SafetensorsWriter.write(model, loaded.tensors(), naming, tmp)));
          if (ConfigViews.of(model).isPresent()) {
            notes.add(
                "safetensors holds tensors only: the model config was left out (keep the source"
                    + " file for the architecture)");
          } else {
            notes.add("safetensors holds tensors only: wrote the weights, named by Keras path");
          }
          optimizerLeftOut(model, notes);
          break;
        }
      default:
        throw new UnsupportedModelException(
            out, "", "writing " + format.name().toLowerCase(Locale.ROOT) + " is not supported yet");
    }
    return new WriteResult(out, format, notes, changes);
  }

  /**
   * The format to write: the one given, else the output's extension, else the runtime's default;
   * one the runtime does not load is refused.
   *
   * @throws IllegalArgumentException when there is none, or the runtime does not load it
   */
  public static Format targetFormat(Path out, WriteOptions options) {
    TargetRuntime runtime = options.runtime();
    Format format =
        options.format() != null
            ? options.format()
            : Format.fromFileName(out)
                .or(
                    () ->
                        java.util.Optional.ofNullable(
                            runtime == null ? null : runtime.defaultFormat()))
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            out
                                + ": cannot tell the output format from the name: use .h5, .keras, .weights.h5 or .safetensors, or give the format"));
    if (runtime != null && !runtime.accepts(format)) {
      throw new IllegalArgumentException(
          runtime.cliName()
              + " does not load the "
              + format.extension()
              + " format"
              + (options.format() == null ? " that " + out.getFileName() + " names" : "")
              + ": it loads "
              + runtime.defaultFormat().extension()
              + (runtime == TargetRuntime.KERAS3 ? " or h5" : ""));
    }
    return format;
  }

  private static String h5ConfigText(
      Model model, TargetRuntime runtime, List<String> notes, List<MeaningChange> changes)
      throws IOException {
    if (runtime == null) {
      return ConfigForms.keras2Text(model, notes::add, changes::add);
    }
    switch (runtime) {
      case KERAS3:
        return ConfigForms.keras3H5Text(model, changes::add);
      case TF_KERAS:
        return ConfigForms.tfKerasText(model, changes::add);
      case DL4J:
        return ConfigForms.dl4jText(model, changes::add);
      default:
        throw new IllegalStateException(runtime + " writes no .h5");
    }
  }

  /**
   * HDF5 has no bool type (h5py writes an enum, which initkit's HDF5 writer creates only by copying
   * an HDF5 source's dataset): a safetensors source's bool tensor is refused before anything is
   * written, and so is a tensor prefix the legacy layout cannot make a group of.
   */
  private static void refuseBoolForHdf5(Model model, Format format)
      throws UnsupportedModelException {
    boolean legacy = format == Format.H5 || format == Format.H5_WEIGHTS;
    for (dev.initkit.model.Layer l : model.allLayers()) {
      if (legacy && (l.name().isEmpty() || l.name().contains("/")) && !l.weights().isEmpty()) {
        // the legacy layout makes each layer name an HDF5 group: "" is none, "/" nests groups
        throw new UnsupportedModelException(
            source(model),
            l.weights().get(0).key(),
            "layer name '"
                + l.name()
                + "' cannot be a legacy HDF5 group name: write .weights.h5 or .safetensors");
      }
      for (Weight w : l.weights()) {
        if (w.dtype() == dev.initkit.model.DType.BOOL) {
          throw new UnsupportedModelException(
              source(model),
              w.key(),
              "a bool tensor, which initkit does not write to HDF5 ("
                  + format.extension()
                  + "): write .safetensors");
        }
      }
    }
  }

  /** What DL4J cannot read whatever the config says: no config, bfloat16 datasets. */
  private static void refuseForDl4j(Model model) throws UnsupportedModelException {
    if (ConfigViews.of(model).isEmpty()) {
      throw new UnsupportedModelException(
          source(model),
          "",
          "DL4J's Keras import needs the model config, and this weights-only file has none: pass the architecture JSON with "
              + Hint.ARCHITECTURE_CONFIG.apiName(),
          Hint.ARCHITECTURE_CONFIG);
    }
    for (dev.initkit.model.Layer l : model.allLayers()) {
      for (Weight w : l.weights()) {
        if (w.dtype() == dev.initkit.model.DType.BFLOAT16) {
          // measured on testdata bfloat16: "H5Dread failed" in DL4J's Hdf5Archive.readDataSet
          throw new UnsupportedModelException(
              source(model),
              l.name(),
              "weight " + w.name() + " is bfloat16, which DL4J's HDF5 reader cannot read");
        }
      }
    }
  }

  private static Path source(Model model) {
    return model.source().isEmpty() ? null : Path.of(model.source());
  }

  /** Under strict mode, refuses a write that changes what a layer computes, before writing. */
  private static void refuseIfStrict(Model model, WriteOptions options, List<MeaningChange> changes)
      throws UnsupportedModelException {
    if (options.strict() && !changes.isEmpty()) {
      MeaningChange first = changes.get(0);
      String more = changes.size() > 1 ? " (and " + (changes.size() - 1) + " more)" : "";
      throw new UnsupportedModelException(
          model.source().isEmpty() ? null : Path.of(model.source()),
          first.layerPath(),
          first.detail() + more + "; refused under strict mode");
    }
  }
}
