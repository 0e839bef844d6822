package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.format.Format;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.ops.ProgressListener;
import dev.initkit.render.JsonValues;
import dev.initkit.render.Labels;
import dev.initkit.render.Numbers;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** What report, set-init and reinit share: number and spec rendering, output checks, progress. */
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
}
