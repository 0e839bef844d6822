package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.format.Detection;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.render.Labels;
import dev.initkit.render.ModelDescription;
import dev.initkit.render.ModelDescriptionJson;
import dev.initkit.render.ModelDescriptionText;
import java.nio.file.Path;
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
        ".weights.h5, .weights.json, .safetensors or a",
        "model.safetensors.index.json; the content, not",
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
      ObjectNode doc = JsonOutput.success("inspect");
      ModelDescriptionJson.fill(doc, d, file.toString(), detection.kind());
      JsonOutput.write(out(), doc);
    } else {
      ModelDescriptionText.write(
          out(),
          d,
          file.toString(),
          detection.kind(),
          format.equals("safetensors")
              ? "no config (safetensors holds tensors only)"
              : "no config (weights only; give the architecture with --config)");
      out().flush();
    }
    return ExitCodes.OK;
  }

  /** The format as {@code --to} spells it: h5, h5-weights, keras, weights.h5. */
  static String formatName(Model m) {
    return Labels.format(m);
  }
}
