package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.TargetRuntime;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.render.HumanFormat;
import dev.initkit.transplant.LayerMapping;
import dev.initkit.transplant.SafetensorsExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code initkit convert IN -o OUT}: writes a model in another format. The output is written
 * atomically (a temporary file beside it, renamed when complete); an existing output is replaced
 * only with {@code --force}, and never when it is the input.
 */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Write a model in another format: legacy HDF5 (.h5), Keras 3 archive (.keras),"
          + " or weights only (.weights.h5, .safetensors).",
      "The target format comes from --to, else from OUT's name. An existing OUT is replaced only"
          + " with --force; OUT may never be IN (exit code 2).",
      "Between Keras 2 (tf-keras) and Keras 3 a layer using hard_sigmoid computes something else:"
          + " the conversion is written with a warning per layer, or refused with --strict."
    })
public final class ConvertCommand extends AbstractCommand {

  @Parameters(index = "0", paramLabel = "IN", description = "The model to read.")
  Path input;

  @Mixin CommonOptions.RequiredOutput outputFile;

  @Option(
      names = "--to",
      order = 2,
      paramLabel = "FORMAT",
      converter = FormatConverter.class,
      completionCandidates = FormatCandidates.class,
      description =
          "Target format: ${COMPLETION-CANDIDATES}."
              + " Default: from the name of OUT, which ends in h5, keras, weights.h5 or safetensors (with --for"
              + " tensorflow and no extension: a SavedModel directory).")
  Format to;

  @Option(
      names = "--for",
      order = 3,
      paramLabel = "RUNTIME",
      converter = RuntimeConverter.class,
      completionCandidates = RuntimeCandidates.class,
      description =
          "Write what this runtime loads: ${COMPLETION-CANDIDATES}. keras3: .keras, or"
              + " .h5 as Keras 3 writes it; tf-keras: .h5 with only the keys tf-keras knows; dl4j:"
              + " .h5 that DL4J's KerasModelImport reads; tensorflow: a SavedModel with a serving"
              + " signature. Without an extension on OUT it picks the format. What the runtime cannot"
              + " express is refused before writing (exit code 4).")
  TargetRuntime runtime;

  @Mixin CommonOptions.ArchitectureConfig config;

  @Mixin CommonOptions.Force force;

  @Option(
      names = "--unzipped",
      order = 93,
      description = "Write a .keras archive as a directory instead of a zip file.")
  boolean unzipped;

  @Option(
      names = "--strict",
      order = 94,
      description =
          "Refuse (exit code 4, nothing written) when the conversion would change what a"
              + " layer computes: a conversion between Keras 2 (tf-keras) and Keras 3 of a layer using"
              + " hard_sigmoid, which the two define differently. Without it such a conversion is"
              + " written, with one warning per layer. With --map: also when a weight has no rule"
              + " (without it, such a weight is written under its Keras path, with a note).")
  boolean strict;

  @Option(
      names = "--map",
      order = 95,
      paramLabel = "FILE|NAME",
      description =
          "With a .safetensors output: name the tensors as this mapping's tensor rules read them,"
              + " undoing their steps (a mapping file, or a shipped one: torch-cnn, bert,"
              + " torch-lstm, torch-gru), so that 'transplant --map' of the output gives the weights"
              + " back. A weight no rule fits keeps its Keras path. See docs/transplant-mappings.md.")
  Path map;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    Format format = targetFormat();
    if (unzipped && format != Format.KERAS) {
      throw usage("--unzipped applies to the keras format only, not " + formatName(format));
    }
    if (map != null && format != Format.SAFETENSORS) {
      throw usage("--map names the tensors of a safetensors output, not " + formatName(format));
    }
    checkOutput(outputFile.path(), input, config.path());
    ReadOptions read = config.readOptions();
    WriteOptions write = new WriteOptions(format, force.on(), unzipped, strict, runtime);
    WriteResult result;
    String inputFormat;
    SafetensorsExport export = null;
    LayerMapping mapping = map == null ? null : TransplantCommand.mapping(map);
    try (LoadedModel loaded = ModelIO.open(input, read)) {
      inputFormat = InspectCommand.formatName(loaded.model());
      if (mapping != null) {
        export = SafetensorsExport.plan(loaded.model(), mapping);
        result = ModelIO.writeSafetensors(loaded, outputFile.path(), write, export);
      } else {
        result = ModelIO.write(loaded, outputFile.path(), write);
      }
    }
    long bytes = sizeOf(result.output());
    warn(result.warnings());
    if (output.json()) {
      ObjectNode doc = JsonOutput.success("convert");
      doc.put("input", input.toString());
      doc.put("inputFormat", inputFormat);
      doc.put("output", result.output().toString());
      doc.put("format", formatName(result.format()));
      doc.put("runtime", runtime == null ? null : runtime.cliName());
      doc.put("unzipped", unzipped);
      doc.put("bytes", bytes);
      if (export != null) {
        doc.put("mapping", export.origin());
        ArrayNode unmatched = doc.putArray("unmatched");
        export.unmatched().forEach(unmatched::add);
      }
      ArrayNode notes = doc.putArray("notes");
      result.notes().forEach(notes::add);
      ArrayNode warnings = doc.putArray("warnings");
      result.warnings().forEach(warnings::add);
      JsonOutput.write(out(), doc);
    } else {
      info(
          "wrote "
              + result.output()
              + " ("
              + formatName(result.format())
              + (unzipped ? ", unzipped" : "")
              + (runtime == null ? "" : ", for " + runtime.cliName())
              + ", "
              + HumanFormat.bytes(bytes)
              + ") from "
              + input
              + " ("
              + inputFormat
              + ")");
      for (String note : result.notes()) {
        info("note: " + note);
      }
      if (export != null) {
        for (String w : export.unmatched()) {
          info("note: no rule of " + export.origin() + " fits " + w + ": written as " + w);
        }
      }
    }
    return ExitCodes.OK;
  }

  private Format targetFormat() {
    if (runtime != null) {
      if (unzipped && to == null && Format.fromFileName(outputFile.path()).isEmpty()) {
        to = Format.KERAS;
      }
      try {
        return ModelIO.targetFormat(
            outputFile.path(), new WriteOptions(to, force.on(), unzipped, strict, runtime));
      } catch (IllegalArgumentException e) {
        throw usage(
            "--for "
                + runtime.cliName()
                + ": "
                + e.getMessage()
                + (to != null ? " (--to " + formatName(to) + ")" : ""));
      }
    }
    if (to != null) {
      return to;
    }
    return Format.fromFileName(outputFile.path())
        .orElseGet(
            () -> {
              if (unzipped) {
                return Format.KERAS;
              }
              throw usage(
                  "cannot tell the target format from the name "
                      + outputFile.path()
                      + ": give --to h5|keras|weights.h5|safetensors, or end OUT with .h5, .keras, .weights.h5 or .safetensors");
            });
  }

  /** The format as {@code --to} spells it. */
  static String formatName(Format f) {
    switch (f) {
      case H5:
        return "h5";
      case H5_WEIGHTS:
        return "h5-weights";
      case KERAS3_WEIGHTS:
        return "weights.h5";
      case KERAS:
        return "keras";
      case SAVED_MODEL:
        return "savedmodel";
      case SAFETENSORS:
        return "safetensors";
      default:
        throw new IllegalArgumentException("unknown format " + f);
    }
  }

  /** Bytes of a file, or of all files below a directory. */
  static long sizeOf(Path p) throws IOException {
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return Files.size(p);
    }
    try (Stream<Path> files = Files.walk(p)) {
      long n = 0;
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          n += Files.size(f);
        }
      }
      return n;
    }
  }

  /** Parses {@code --to} with {@link Format#parse(String)}. */
  public static final class FormatConverter implements ITypeConverter<Format> {
    /** {@inheritDoc} */
    @Override
    public Format convert(String value) {
      try {
        return Format.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** Parses {@code --for} with {@link TargetRuntime#parse(String)}. */
  public static final class RuntimeConverter implements ITypeConverter<TargetRuntime> {
    /** {@inheritDoc} */
    @Override
    public TargetRuntime convert(String value) {
      try {
        return TargetRuntime.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** The {@code --for} values shown in help and offered by shell completion. */
  public static final class RuntimeCandidates implements Iterable<String> {
    /** {@inheritDoc} */
    @Override
    public java.util.Iterator<String> iterator() {
      return java.util.Arrays.stream(TargetRuntime.values()).map(TargetRuntime::cliName).iterator();
    }
  }

  /** The {@code --to} values shown in help and offered by shell completion. */
  public static final class FormatCandidates implements Iterable<String> {
    /** {@inheritDoc} */
    @Override
    public java.util.Iterator<String> iterator() {
      return List.of("h5", "keras", "weights.h5", "h5-weights", "savedmodel", "safetensors")
          .iterator();
    }
  }
}
