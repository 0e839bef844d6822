package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.HumanFormat;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.cli.command.ModelDescription.LayerRow;
import dev.initkit.format.Detection;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.render.Labels;
import dev.initkit.render.TextTable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit inspect FILE}: describes a model file (format, Keras version, layers, weights,
 * initializers as written, metadata) from its description only; no weight value is read.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Describe a model file: format, Keras version, layers, weights, initializers as written"
          + " in the config, metadata.",
      "Reads the file's structure only, never the weight values."
    })
public final class InspectCommand extends AbstractCommand {

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = {
        "The model: .keras (zip or directory), .h5,",
        ".weights.h5 or .weights.json; the content, not",
        "the name, tells the format."
      })
  Path file;

  @Mixin CommonOptions.ArchitectureConfig config;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    ReadOptions options = config.readOptions();
    Detection detection = ModelIO.detect(file);
    ModelDescription d;
    try (LoadedModel loaded = ModelIO.open(file, options)) {
      d = ModelDescription.of(loaded.model());
    }
    String format = formatName(d.model());
    if (config.path() != null && (format.equals("h5") || format.equals("keras"))) {
      info("note: --config ignored: " + file + " holds its own model config");
    }
    if (output.json()) {
      JsonOutput.write(out(), toJson(detection, format, d));
    } else {
      printText(out(), detection, format, d);
      out().flush();
    }
    return ExitCodes.OK;
  }

  /** The format as {@code --to} spells it: h5, h5-weights, keras, weights.h5. */
  static String formatName(Model m) {
    return Labels.format(m);
  }

  private ObjectNode toJson(Detection detection, String format, ModelDescription d) {
    Model m = d.model();
    ObjectNode doc = JsonOutput.success("inspect");
    doc.put("file", file.toString());
    doc.put("format", format);
    doc.put("container", ModelDescription.label(detection.kind()));
    doc.put("kerasVersion", m.kerasVersion().orElse(null));
    doc.put("backend", m.backend().orElse(null));

    ObjectNode model = doc.putObject("model");
    model.put("className", d.modelClass());
    model.put("name", d.modelName());
    model.put("configForm", d.configForm());
    model.put("hasConfig", m.config().isPresent());

    ObjectNode training = doc.putObject("training");
    training.put("hasConfig", d.hasTrainingConfig());
    training.put("optimizer", d.optimizer());
    training.put("optimizerWeights", m.optimizerWeights().size());
    training.put("optimizerParams", ModelDescription.params(m.optimizerWeights()));

    ObjectNode totals = doc.putObject("totals");
    totals.put("layers", d.layers().size());
    totals.put("weights", m.layerWeights().size());
    totals.put("params", d.totalParams());
    totals.put("bytes", d.totalBytes());

    ArrayNode layers = doc.putArray("layers");
    for (LayerRow r : d.layers()) {
      ObjectNode l = layers.addObject();
      l.put("path", r.path());
      l.put("name", r.layer().name());
      l.put("className", ModelDescription.className(r.layer()));
      l.put("depth", r.depth());
      l.put("parent", r.parent());
      l.put("nestedModel", r.layer().isNestedModel());
      l.put("activation", r.layer().activation());
      l.put("trainable", ModelDescription.trainable(r.layer()));
      l.put("params", r.params());
      ArrayNode weights = l.putArray("weights");
      for (Weight w : r.layer().weights()) {
        weights.add(ModelDescription.weightJson(w));
      }
      ObjectNode inits = l.putObject("initializers");
      r.initializers().forEach(inits::set);
    }

    ArrayNode modelWeights = doc.putArray("modelWeights");
    for (Weight w : m.modelWeights()) {
      modelWeights.add(ModelDescription.weightJson(w));
    }
    ObjectNode metadata = doc.putObject("metadata");
    d.metadata().forEach(metadata::set);
    return doc;
  }

  private void printText(PrintWriter out, Detection detection, String format, ModelDescription d) {
    Model m = d.model();
    TextTable head = new TextTable("", "");
    head.row("File:", file.toString());
    head.row("Format:", format + " (" + describeFormat(format) + ", "
        + describeContainer(detection.kind()) + ")");
    head.row("Keras version:", m.kerasVersion().orElse("not recorded"));
    head.row("Backend:", m.backend().orElse("not recorded"));
    if (m.config().isPresent()) {
      String name = d.modelName() == null ? "" : " \"" + d.modelName() + "\"";
      head.row("Model:", orUnknown(d.modelClass()) + name + " (" + d.configForm() + " config)");
    } else {
      head.row("Model:", "no config (weights only; give the architecture with --config)");
    }
    String training = d.hasTrainingConfig()
        ? "yes" + (d.optimizer() == null ? "" : " (optimizer " + d.optimizer() + ")")
        : "no";
    head.row("Training config:", training);
    head.row("Optimizer weights:", HumanFormat.count(m.optimizerWeights().size())
        + " (" + HumanFormat.count(ModelDescription.params(m.optimizerWeights())) + " params)");
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
        weights.row(r.path(), w.name(), w.shape().toString(), w.dtype().kerasName(),
            w.role().label(), HumanFormat.count(w.shape().elementCount()));
      }
    }
    for (Weight w : m.modelWeights()) {
      weights.row("(model)", w.name(), w.shape().toString(), w.dtype().kerasName(),
          w.role().label(), HumanFormat.count(w.shape().elementCount()));
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
    out.println("Total params: " + HumanFormat.count(d.totalParams()) + " ("
        + HumanFormat.bytes(d.totalBytes()) + ") in " + HumanFormat.count(m.layerWeights().size())
        + " weights of " + HumanFormat.count(d.layers().size()) + " layers");
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

  private static String describeFormat(String format) {
    switch (format) {
      case "h5":
        return "legacy HDF5 model";
      case "h5-weights":
        return "legacy HDF5 weights";
      case "keras":
        return "Keras 3 archive";
      case "weights.h5":
        return "Keras 3 weights";
      default:
        return format;
    }
  }

  private static String describeContainer(Detection.Kind kind) {
    switch (kind) {
      case HDF5:
        return "HDF5 file";
      case KERAS_ZIP:
        return "zip";
      case KERAS_DIR:
        return "unzipped directory";
      case SHARDED_WEIGHTS_JSON:
        return "sharded, with a JSON manifest";
      default:
        return ModelDescription.label(kind);
    }
  }
}
