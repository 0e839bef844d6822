package dev.initkit.render;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.Detection;
import dev.initkit.internal.ConfigViews;
import dev.initkit.internal.Json;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.render.ModelDescription.LayerRow;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/**
 * A {@link ModelDescription} as aligned plain-text tables (the {@code initkit inspect} output): the
 * file's facts, metadata, layers, weights, initializers as written, and totals. Names from the
 * model file are shown escaped ({@link TerminalText}). Writes to the writer it is given and prints
 * nothing itself; thread-safe (stateless).
 */
public final class ModelDescriptionText {
  /** What the {@code Model:} row says for a file without a config, by default. */
  public static final String NO_CONFIG = "no config (weights only)";

  private ModelDescriptionText() {}

  /**
   * {@link #write(PrintWriter, ModelDescription, String, Detection.Kind, String)} saying {@link
   * #NO_CONFIG}.
   */
  public static void write(
      PrintWriter out, ModelDescription d, String file, Detection.Kind container) {
    write(out, d, file, container, NO_CONFIG);
  }

  /** The description as a string, lines ending as {@link PrintWriter#println()} ends them. */
  public static String render(ModelDescription d, String file, Detection.Kind container) {
    StringWriter s = new StringWriter();
    PrintWriter out = new PrintWriter(s);
    write(out, d, file, container);
    out.flush();
    return s.toString();
  }

  /**
   * Writes the description, one {@code println} per line.
   *
   * @param file how the description names the model's file
   * @param container the container the file was detected as ({@link dev.initkit.ModelIO#detect})
   * @param noConfig what the {@code Model:} row says when the file holds no config (an application
   *     may say how its users give one)
   */
  public static void write(
      PrintWriter out, ModelDescription d, String file, Detection.Kind container, String noConfig) {
    Model m = d.model();
    String format = Labels.format(m);
    TextTable head = new TextTable("", "");
    head.row("File:", file);
    head.row(
        "Format:",
        format + " (" + describeFormat(format) + ", " + describeContainer(container) + ")");
    head.row("Keras version:", m.kerasVersion().orElse("not recorded"));
    head.row("Backend:", m.backend().orElse("not recorded"));
    if (ConfigViews.of(m).isPresent()) {
      String name = d.modelName() == null ? "" : " \"" + d.modelName() + "\"";
      head.row("Model:", orUnknown(d.modelClass()) + name + " (" + d.configForm() + " config)");
    } else {
      head.row("Model:", noConfig);
    }
    String training =
        d.hasTrainingConfig()
            ? "yes" + (d.optimizer() == null ? "" : " (optimizer " + d.optimizer() + ")")
            : "no";
    head.row("Training config:", training);
    head.row(
        "Optimizer weights:",
        HumanFormat.count(m.optimizerWeights().size())
            + " ("
            + HumanFormat.count(ModelDescription.params(m.optimizerWeights()))
            + " params)");
    head.printRows(out, "");

    Map<String, JsonNode> metadata = d.metadata();
    if (!metadata.isEmpty()) {
      out.println();
      out.println("Metadata");
      TextTable t = new TextTable("Key", "Value");
      metadata.forEach((k, v) -> t.row(k, v.isTextual() ? v.asText() : Json.write(v)));
      t.print(out, "  ");
    }

    out.println();
    out.println("Layers");
    TextTable layers = new TextTable("Layer (type)", "Activation", "Trainable", ">Params");
    for (LayerRow r : d.layers()) {
      String cls = ModelDescription.className(r.layer());
      Boolean trainable = ModelDescription.trainable(r.layer());
      layers.row(
          "  ".repeat(r.depth()) + r.layer().name() + " (" + orUnknown(cls) + ")",
          r.layer().activation(),
          trainable == null ? null : trainable ? "yes" : "no",
          HumanFormat.count(r.params()));
    }
    printOrNone(out, layers);

    out.println();
    out.println("Weights");
    TextTable weights = new TextTable("Layer", "Weight", "Shape", "DType", "Role", ">Params");
    for (LayerRow r : d.layers()) {
      for (Weight w : r.layer().weights()) {
        weights.row(
            r.path(),
            w.name(),
            w.shape().toString(),
            dtypeText(w),
            w.role().label(),
            HumanFormat.count(w.shape().elementCount()));
      }
    }
    for (Weight w : m.modelWeights()) {
      weights.row(
          "(model)",
          w.name(),
          w.shape().toString(),
          dtypeText(w),
          w.role().label(),
          HumanFormat.count(w.shape().elementCount()));
    }
    printOrNone(out, weights);

    out.println();
    out.println("Initializers (as written in the config)");
    TextTable inits = new TextTable("Layer", "Key", "Value");
    for (LayerRow r : d.layers()) {
      r.initializers().forEach((k, v) -> inits.row(r.path(), k, Json.write(v)));
    }
    printOrNone(out, inits);

    out.println();
    out.println(
        "Total params: "
            + HumanFormat.count(d.totalParams())
            + " ("
            + HumanFormat.bytes(d.totalBytes())
            + ") in "
            + HumanFormat.count(m.layerWeights().size())
            + " weights of "
            + HumanFormat.count(d.layers().size())
            + " layers");
  }

  private static void printOrNone(PrintWriter out, TextTable t) {
    if (t.isEmpty()) {
      out.println("  (none)");
    } else {
      t.print(out, "  ");
    }
  }

  private static String orUnknown(String s) {
    return s == null ? "?" : s;
  }

  /** What a format name stands for, e.g. {@code keras}: Keras 3 archive. */
  public static String describeFormat(String format) {
    switch (format) {
      case "h5":
        return "legacy HDF5 model";
      case "h5-weights":
        return "legacy HDF5 weights";
      case "keras":
        return "Keras 3 archive";
      case "weights.h5":
        return "Keras 3 weights";
      case "safetensors":
        return "safetensors tensors";
      default:
        return format;
    }
  }

  /** What a container is, e.g. {@code KERAS_DIR}: unzipped directory. */
  public static String describeContainer(Detection.Kind kind) {
    switch (kind) {
      case HDF5:
        return "HDF5 file";
      case KERAS_ZIP:
        return "zip";
      case KERAS_DIR:
        return "unzipped directory";
      case SHARDED_WEIGHTS_JSON:
        return "sharded, with a JSON manifest";
      case SAFETENSORS:
        return "single file";
      case SAFETENSORS_INDEX:
        return "sharded, with model.safetensors.index.json";
      default:
        return ModelDescription.label(kind);
    }
  }

  /**
   * A weight's element type: the file's own code when it has one ({@code F8_E4M3}, {@code C64}).
   */
  private static String dtypeText(Weight w) {
    return w.stored() != null ? w.stored().code() : w.dtype().kerasName();
  }
}
