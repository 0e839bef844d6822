package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.format.Format;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.ops.ProgressListener;
import dev.initkit.render.HumanFormat;
import dev.initkit.render.JsonValues;
import dev.initkit.render.Labels;
import dev.initkit.render.Numbers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * What report, set-init, reinit and transplant share: number and spec rendering, output checks,
 * progress, and the tail of a command that writes a model (notes, the "wrote" line, the output
 * fields of its JSON).
 */
final class OpsSupport {
  private OpsSupport() {}

  /** A number for tables: 4 significant digits, {@code -} for NaN, the same in every locale. */
  static String num(double x) {
    return Numbers.num(x);
  }

  /** A percentage with one decimal. */
  static String percent(double fraction) {
    return Numbers.percent(fraction);
  }

  /** A finite number, or null for NaN and infinities (JSON has neither). */
  static void put(ObjectNode o, String key, double x) {
    JsonValues.put(o, key, x);
  }

  /** {@code {"className", "describe", "commandLine", "kerasLoadable"}}, or null. */
  static JsonNode specJson(InitializerSpec s) {
    return JsonValues.spec(s);
  }

  /** A shape as a JSON array. */
  static ArrayNode shape(Shape s) {
    return JsonValues.shape(s);
  }

  /** The config generation label ({@code keras3}, {@code keras2}, {@code keras1}) or null. */
  static String configForm(Model m) {
    return Labels.configForm(m);
  }

  /**
   * The output format from OUT's name, or a usage error. A SavedModel input written to a name
   * without an extension is written as a SavedModel directory.
   */
  static Format outputFormat(CommandLine cl, Path out) {
    return outputFormat(cl, out, null);
  }

  /**
   * {@link #outputFormat(CommandLine, Path)}; a name without an extension means a SavedModel when
   * {@code input} (may be null) is one.
   */
  static Format outputFormat(CommandLine cl, Path out, Path input) {
    return Format.fromFileName(out)
        .or(
            () -> {
              boolean savedModelIn =
                  input != null && Files.isRegularFile(input.resolve("saved_model.pb"));
              boolean noExtension =
                  out.getFileName() != null && !out.getFileName().toString().contains(".");
              return savedModelIn && noExtension
                  ? java.util.Optional.of(Format.SAVED_MODEL)
                  : java.util.Optional.empty();
            })
        .orElseThrow(
            () ->
                new ParameterException(
                    cl,
                    "cannot tell the output format from the name "
                        + out
                        + ": end OUT with .h5, .keras or .weights.h5"
                        + " (or, for a SavedModel input, give a name without an extension)"));
  }

  /**
   * The checks a command that writes a model makes before reading anything, and the format it
   * writes: {@code -o} given (else a usage error saying what {@code --dry-run} prints instead), a
   * format OUT's name tells ({@link #outputFormat(CommandLine, Path, Path)}), OUT none of the
   * inputs nor around them ({@link dev.initkit.internal.OutputSafety}), and no existing OUT without
   * {@code --force}.
   *
   * @param dryRunPrints what {@code --dry-run} prints, e.g. {@code the plan}
   * @param formatInput the input whose kind decides the format of an OUT without extension
   * @param inputs every file the command reads (null entries: options not given)
   */
  static Format checkModelOutput(
      CommandLine cl,
      Path out,
      boolean force,
      String dryRunPrints,
      Path formatInput,
      Path... inputs)
      throws java.nio.file.FileAlreadyExistsException {
    if (out == null) {
      throw new ParameterException(
          cl, "missing -o OUT (or give --dry-run to print " + dryRunPrints + " only)");
    }
    Format format = outputFormat(cl, out, formatInput);
    try {
      dev.initkit.internal.OutputSafety.check(java.util.Arrays.asList(inputs), out);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, e.getMessage());
    }
    refuseExisting(out, force);
    return format;
  }

  /**
   * Refuses an existing {@code out} unless {@code force} (exit code 5, as for every file initkit
   * writes).
   */
  static void refuseExisting(Path out, boolean force)
      throws java.nio.file.FileAlreadyExistsException {
    if (Files.exists(out) && !force) {
      throw new java.nio.file.FileAlreadyExistsException(
          out.toString(), null, "already exists; use --force to overwrite it");
    }
  }

  /** The format as {@code --to} spells it. */
  static String formatName(Format f) {
    return ConvertCommand.formatName(f);
  }

  /**
   * A progress line per tensor on stderr, when the terminal is interactive and neither {@code
   * --quiet} nor {@code --json} is set; otherwise nothing.
   */
  static ProgressListener progress(PrintWriter err, boolean enabled, String verb) {
    if (!enabled || System.console() == null) {
      return ProgressListener.NONE;
    }
    return (index, total, name, elements) -> {
      err.println(
          String.format(
              Locale.ROOT, "%s [%d/%d] %s (%,d values)", verb, index + 1, total, name, elements));
      err.flush();
    };
  }

  /** The note a command that redraws weights adds when the written file loses optimizer state. */
  static String optimizerWeightsDropped(int variables) {
    return "optimizer weights dropped ("
        + variables
        + " variables): their state belonged to the old weights";
  }

  /**
   * The command's notes followed by the writer's (none when nothing was written); the writer's
   * warnings go to {@code warn}: a write across Keras generations may change what a layer computes.
   */
  static List<String> withWriteNotes(
      List<String> notes, WriteResult result, Consumer<List<String>> warn) {
    List<String> all = new ArrayList<>(notes);
    if (result != null) {
      all.addAll(result.notes());
      warn.accept(result.warnings());
    }
    return all;
  }

  /** Each note on its own {@code note: } line. */
  static void printNotes(Consumer<String> line, List<String> notes) {
    notes.forEach(n -> line.accept("note: " + n));
  }

  /** The start of the line saying a model was written: {@code wrote OUT (format, size)}. */
  static String wrote(WriteResult result) throws IOException {
    return "wrote "
        + result.output()
        + " ("
        + formatName(result.format())
        + ", "
        + HumanFormat.bytes(ConvertCommand.sizeOf(result.output()))
        + ")";
  }

  /**
   * The {@code output}, {@code format} and {@code dryRun} fields (null when nothing was written).
   */
  static void putOutput(ObjectNode doc, WriteResult result, boolean dryRun) {
    doc.put("output", result == null ? null : result.output().toString());
    doc.put("format", result == null ? null : formatName(result.format()));
    doc.put("dryRun", dryRun);
  }

  /** The {@code notes} and {@code warnings} arrays (the writer's warnings, if it wrote). */
  static void putNotes(ObjectNode doc, List<String> notes, WriteResult result) {
    ArrayNode n = doc.putArray("notes");
    notes.forEach(n::add);
    ArrayNode w = doc.putArray("warnings");
    if (result != null) {
      result.warnings().forEach(w::add);
    }
  }
}
