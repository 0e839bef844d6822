package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.VersionProvider;
import dev.initkit.internal.AtomicFiles;
import dev.initkit.render.ScanSarif;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;
import dev.initkit.scan.Scanner;
import dev.initkit.scan.Severity;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit scan PATH...}: a static safety and health audit of model files (docs/scan.md);
 * nothing in the files is run.
 */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Audit model files for what loading them could do (run code, read or fetch other files,"
          + " exhaust memory) and for the health of their weights, without running anything"
          + " in them.",
      "Directories are walked recursively; every rule is in docs/scan.md."
    })
public final class ScanCommand extends AbstractCommand {

  @Parameters(
      arity = "1..*",
      paramLabel = "PATH",
      description = {"Model files and directories (walked recursively)."})
  List<Path> paths;

  @Option(
      names = "--sarif",
      paramLabel = "FILE",
      description = "Also write the findings as a SARIF 2.1.0 log to FILE (replaced if present).")
  Path sarif;

  @Option(
      names = "--fail-on",
      paramLabel = "SEVERITY",
      description = {
        "Exit with code 7 when a finding is at least SEVERITY: high, medium, low or info."
      })
  String failOn;

  @Option(
      names = "--no-health",
      description = "Leave out the health rules (they open the model and sample its weights).")
  boolean noHealth;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Files scanned at once (default: all cores).")
  Integer threads;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    Severity threshold;
    try {
      threshold = failOn == null ? null : Severity.parse(failOn);
    } catch (IllegalArgumentException e) {
      throw usage("--fail-on: " + e.getMessage());
    }
    if (threads != null && threads < 1) {
      throw usage("--threads must be at least 1");
    }
    for (Path p : paths) {
      if (!Files.exists(p)) {
        throw new NoSuchFileException(p.toString());
      }
    }
    if (sarif != null) {
      checkOutput(sarif, paths.toArray(new Path[0]));
    }
    Scanner.Options options = Scanner.Options.defaults().withHealth(!noHealth);
    if (threads != null) {
      options = options.withThreads(threads);
    }
    for (Path p : paths) {
      if (Files.isDirectory(p) && p.toRealPath() == null) {
        // the walk's only failure (toRealPath throws), met before any output: the JSON document
        // is streamed
        throw new NoSuchFileException(p.toString());
      }
    }
    boolean progress = !output.quiet() && !output.json() && System.console() != null;
    // SARIF is the one output kept whole: its log is written at the end, to a temporary file
    // renamed into place (a half-written log is never seen), and its rules and notifications
    // sum up all files
    List<FileScan> kept = sarif == null ? null : new ArrayList<>();
    Tally tally = new Tally();
    PrintWriter out = out();
    ScanJsonWriter json = output.json() ? new ScanJsonWriter(out) : null;
    long start = System.nanoTime();
    long[] lastProgress = {start};
    try {
      new Scanner(options)
          .scan(
              paths,
              r -> {
                tally.add(r, threshold);
                if (kept != null) {
                  kept.add(r);
                }
                try {
                  if (json != null) {
                    json.add(r);
                  } else {
                    printFile(out, r);
                    out.flush();
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
                long now = System.nanoTime();
                if (progress && now - lastProgress[0] >= 1_000_000_000L) {
                  lastProgress[0] = now;
                  err()
                      .println(
                          String.format(
                              Locale.ROOT,
                              "scanned %d files (%.0f/s): %s",
                              tally.files,
                              tally.files / ((now - start) / 1e9),
                              r.path()));
                  err().flush();
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause(); // stdout closed: the usual I/O error
    }
    if (json != null) {
      json.finish();
    } else {
      out.println(tally.summary());
      out.flush();
    }
    if (sarif != null) {
      byte[] bytes = render(kept).getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(sarif, true, tmp -> Files.write(tmp, bytes));
    }
    return tally.failed ? ExitCodes.FINDINGS : ExitCodes.OK;
  }

  /** What the summary line and {@code --fail-on} need of the results: counts, not the results. */
  private static final class Tally {
    final Map<Severity, Integer> counts = new EnumMap<>(Severity.class);
    int files;
    int errors;
    boolean failed;

    void add(FileScan r, Severity threshold) {
      files++;
      for (Finding f : r.findings()) {
        counts.merge(f.severity(), 1, Integer::sum);
        failed |= threshold != null && f.severity().atLeast(threshold);
      }
      if (r.error() != null) {
        errors++;
      }
    }

    String summary() {
      StringBuilder b = new StringBuilder();
      b.append(files).append(files == 1 ? " file scanned: " : " files scanned: ");
      for (Severity s : Severity.values()) {
        b.append(counts.getOrDefault(s, 0)).append(' ').append(s.label()).append(", ");
      }
      b.append(errors).append(" not scannable");
      return b.toString();
    }
  }

  private static String render(List<FileScan> results) {
    ObjectNode log = ScanSarif.log(VersionProvider.version(), results);
    return log.toPrettyString() + "\n";
  }

  /** One line per finding, {@code SEVERITY RULE LOCATION MESSAGE [CVE]}; errors as "error". */
  private static void printFile(PrintWriter out, FileScan r) {
    for (Finding f : r.findings()) {
      out.println(
          String.format(
              Locale.ROOT,
              "%-6s  %-24s  %s  %s%s",
              f.severity().label(),
              f.rule(),
              f.location(),
              f.message(),
              f.cve() == null ? "" : " [" + f.cve() + "]"));
    }
    if (r.error() != null) {
      out.println(
          String.format(Locale.ROOT, "%-6s  %-24s  %s  %s", "error", "-", r.path(), r.error()));
    }
  }
}
