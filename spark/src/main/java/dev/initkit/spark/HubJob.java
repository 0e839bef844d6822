package dev.initkit.spark;

import dev.initkit.ModelFormatException;
import dev.initkit.TargetRuntime;
import dev.initkit.format.Format;
import dev.initkit.format.FormatDetector;
import dev.initkit.spark.HubListing.Target;
import java.io.Serializable;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The entry point for {@code spark-submit}: {@code HubJob scan|report|convert [OPTIONS] --output
 * TABLE (--manifest FILE | PATH...)} (docs/scan.md, Spark), and what the three jobs share.
 *
 * <p>Exit codes: 0 the table written (the driver prints its row count on stderr), 2 usage, 5 the
 * output exists or a root cannot be listed.
 */
public final class HubJob {
  static final String USAGE =
      "usage: HubJob scan [--no-health] COMMON\n"
          + "       HubJob report COMMON\n"
          + "       HubJob convert (--to FORMAT | --for RUNTIME)... [--strict] [--replace]"
          + " --into DIR COMMON\n"
          + "COMMON: [--partitions N] --output TABLE (--manifest FILE | PATH...)";

  private HubJob() {}

  /**
   * The command line.
   *
   * @param verb scan, report or convert
   * @param roots paths (or empty with a manifest)
   * @param manifest a manifest, or null
   * @param output the Parquet table
   * @param partitions tasks, 0 for the default parallelism
   * @param health scan: the health rules
   * @param convert convert: what to write
   * @param into convert: the output directory
   */
  record Args(
      String verb,
      List<String> roots,
      String manifest,
      String output,
      int partitions,
      boolean health,
      ConvertJob.Settings convert,
      String into) {

    static Args parse(String[] args) {
      if (args.length == 0 || !List.of("scan", "report", "convert").contains(args[0])) {
        throw new IllegalArgumentException("give the job: scan, report or convert");
      }
      String verb = args[0];
      List<String> roots = new ArrayList<>();
      String output = null;
      String manifest = null;
      String into = null;
      boolean health = true;
      boolean strict = false;
      boolean replace = false;
      Format to = null;
      TargetRuntime runtime = null;
      int partitions = 0;
      for (int i = 1; i < args.length; i++) {
        String a = args[i];
        boolean applies =
            switch (a) {
              case "--no-health" -> verb.equals("scan");
              case "--to", "--for", "--strict", "--replace", "--into" -> verb.equals("convert");
              default -> true;
            };
        if (!applies) {
          throw new IllegalArgumentException(a + " does not apply to " + verb);
        }
        switch (a) {
          case "--output" -> output = value(args, ++i, a);
          case "--manifest" -> manifest = value(args, ++i, a);
          case "--no-health" -> health = false;
          case "--partitions" -> partitions = partitions(value(args, ++i, a));
          case "--to" -> to = Format.parse(value(args, ++i, a));
          case "--for" -> runtime = TargetRuntime.parse(value(args, ++i, a));
          case "--strict" -> strict = true;
          case "--replace" -> replace = true;
          case "--into" -> into = value(args, ++i, a);
          default -> {
            if (a.startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + a);
            }
            roots.add(a);
          }
        }
      }
      if (output == null || (manifest == null) == roots.isEmpty()) {
        throw new IllegalArgumentException("give --output and either --manifest or paths");
      }
      ConvertJob.Settings settings = null;
      if (verb.equals("convert")) {
        if (into == null) {
          throw new IllegalArgumentException("convert needs --into DIR");
        }
        settings = new ConvertJob.Settings(to, runtime, strict, replace);
        settings.target(); // no format, or one the runtime does not load: a usage error
      }
      return new Args(verb, roots, manifest, output, partitions, health, settings, into);
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static int partitions(String v) {
      try {
        int n = Integer.parseInt(v);
        if (n < 0) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--partitions takes a count, not " + v);
      }
    }
  }

  /**
   * {@code spark-submit --class dev.initkit.spark.HubJob initkit-spark.jar scan|report|convert
   * ...}.
   */
  public static void main(String[] args) {
    Args a;
    try {
      a = Args.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("initkit-spark: " + e.getMessage() + "\n" + USAGE);
      System.exit(2);
      return;
    }
    SparkSession spark = SparkSession.builder().appName("initkit " + a.verb()).getOrCreate();
    int code = 0;
    try {
      long n = run(spark, a);
      System.err.println("initkit-spark: " + n + " rows written to " + a.output());
    } catch (
        Exception e) { // IOException, or Spark's AnalysisException (output exists), unchecked here
      System.err.println("initkit-spark: " + e.getMessage());
      code = 5;
    } finally {
      spark.stop();
    }
    System.exit(code);
  }

  /** Runs the job {@code a} names; returns the rows written. */
  static long run(SparkSession spark, Args a) throws java.io.IOException {
    var conf = spark.sparkContext().hadoopConfiguration();
    List<String> roots = a.manifest() == null ? a.roots() : HubListing.manifest(conf, a.manifest());
    String base = a.manifest() == null ? null : HubListing.base(conf, a.manifest());
    return switch (a.verb()) {
      case "scan" -> ScanJob.run(spark, roots, a.output(), a.health(), a.partitions());
      case "report" -> ReportJob.run(spark, roots, base, a.output(), a.partitions());
      default ->
          ConvertJob.run(spark, roots, base, a.into(), a.convert(), a.output(), a.partitions());
    };
  }

  /** {@code items} as an RDD of {@code partitions} slices (default parallelism for 0). */
  static <T extends Serializable> JavaRDD<T> parallelize(
      SparkSession spark, List<T> items, int partitions) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int n = partitions > 0 ? partitions : jsc.defaultParallelism();
    return jsc.parallelize(items, Math.max(1, Math.min(n, items.size())));
  }

  /**
   * Whether a walked {@code .json} is no model (a file beside the models), skipped as {@link
   * dev.initkit.scan.Scanner} skips it.
   */
  static boolean notAModel(Target t, java.nio.file.Path local) {
    if (t.explicit() || !t.path().toLowerCase(Locale.ROOT).endsWith(".json")) {
      return false;
    }
    try {
      FormatDetector.detect(local);
      return false;
    } catch (ModelFormatException e) {
      return true;
    } catch (java.io.IOException e) {
      return false; // reading it again gives the error its row
    }
  }

  /** One line for an error row: the library's message, the class for anything else. */
  static String message(Throwable e) {
    String m = e.getMessage();
    if (e instanceof ModelFormatException || e instanceof FileSystemException) {
      return m == null ? e.getClass().getSimpleName() : m;
    }
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** {@link #message(Throwable)} naming {@code shown} where it named a local copy. */
  static String message(Throwable e, LocalCopy copy, String shown) {
    return copy.unlocalize(message(e), shown);
  }
}
