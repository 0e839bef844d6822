package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.VersionProvider;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.render.InitReportJson;
import dev.initkit.render.InitReportMarkdown;
import dev.initkit.render.InitReportText;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit report FILE}: how every weight is and should be initialized, with warnings and a
 * data-free estimate of activation variance through depth (see {@link InitReport}), rendered by
 * {@link InitReportText}, {@link InitReportMarkdown} or {@link InitReportJson}.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Report how every weight is, and should be, initialized; warn; estimate variance through depth.",
      "Per weight: the configured initializer (canonical and as written), Keras's fan_in/fan_out,"
          + " the std it implies, the observed mean/std/min/max and zeros, their ratio, the scheme the"
          + " activation calls for, and warnings.",
      "At model level: a data-free estimate of the activation variance through depth"
          + " (Var_out = fan_in * E[W^2] * gain^2 * Var_in), under the configured initializers and"
          + " from the stored weights."
    })
public final class ReportCommand extends AbstractCommand {
  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "The model (.keras, .h5, .weights.h5, ...).")
  Path file;

  @Mixin CommonOptions.ArchitectureConfig config;

  // the shared options' order: listed between --config and --force, as declared
  @Option(
      names = "--markdown",
      order = CommonOptions.TAIL_ORDER,
      description = "Print Markdown tables instead of plain text.")
  boolean markdown;

  @Option(
      names = "--html",
      order = CommonOptions.TAIL_ORDER,
      paramLabel = "OUT.html",
      description =
          "Also write analyze's HTML report of the stored weights (per layer activation std, gradient norm and"
              + " histograms; DL4J on a standard-normal batch, in a separate JVM).")
  Path html;

  @Mixin CommonOptions.Force force;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    if (markdown && output.json()) {
      throw usage("--markdown and --json cannot be combined");
    }
    ReadOptions options = config.readOptions();
    if (html != null) {
      writeHtml(options); // first: a model DL4J cannot run fails before anything is printed
    }
    InitReport report;
    try (LoadedModel loaded = ModelIO.open(file, options)) {
      report =
          InitReport.of(
              loaded, OpsSupport.progress(err(), !output.quiet() && !output.json(), "reading"));
    }
    if (output.json()) {
      ObjectNode doc = JsonOutput.success("report");
      InitReportJson.fill(doc, report, file.toString());
      JsonOutput.write(out(), doc);
    } else {
      if (markdown) {
        InitReportMarkdown.write(out(), report, file.toString());
      } else {
        InitReportText.write(out(), report, file.toString());
      }
      out().flush();
    }
    return ExitCodes.OK;
  }

  private void writeHtml(ReadOptions options) throws java.io.IOException {
    checkOutput(html, file, config.path());
    OpsSupport.refuseExisting(html, force.on());
    dev.initkit.analysis.Analysis.Settings s =
        new dev.initkit.analysis.Analysis.Settings(
            options,
            null,
            256,
            dev.initkit.ops.Reinitializer.DEFAULT_SEED,
            AnalysisSupport.launch(600),
            AnalysisSupport.progress(err(), !output.quiet() && !output.json()));
    var analyses =
        dev.initkit.analysis.Analysis.analyze(
            file,
            java.util.List.of(dev.initkit.analysis.Analysis.FILE),
            dev.initkit.analysis.Analysis.lsuvDefaults(),
            s);
    dev.initkit.analysis.HtmlReport.write(
        html, file.getFileName().toString(), analyses, null, force.on());
    info("wrote " + html);
  }
}
