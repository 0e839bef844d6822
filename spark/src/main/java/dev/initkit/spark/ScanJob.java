package dev.initkit.spark;

import dev.initkit.ModelFormatException;
import dev.initkit.format.FormatDetector;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;
import dev.initkit.scan.Scanner;
import dev.initkit.spark.HubListing.Target;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scans a model hub on a Spark cluster with the converter's {@link Scanner}: the inputs are listed
 * through Hadoop's {@link FileSystem} API ({@code hdfs://}, {@code s3a://}, {@code file:}), each
 * model is scanned by one task, and the findings come back as a table of {@link #SCHEMA}.
 *
 * <p>A task scans a local file in place; anything else is copied to a local temporary file first
 * (the readers need a local path) and that copy is deleted whatever happens. Nothing about one file
 * fails the job: what cannot be scanned is an error row.
 *
 * <p>Rows: one per finding; one with a null {@code rule} and a non-null {@code error} for a path
 * that could not be scanned (findings made before the error are kept as rows of their own); one
 * with both null for a model scanned clean, so every listed model appears in the table.
 */
public final class ScanJob {
  /** The columns of the findings table, all strings. */
  public static final StructType SCHEMA =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("format", DataTypes.StringType, false)
          .add("rule", DataTypes.StringType, true)
          .add("severity", DataTypes.StringType, true)
          .add("file", DataTypes.StringType, true)
          .add("member", DataTypes.StringType, true)
          .add("layerPath", DataTypes.StringType, true)
          .add("message", DataTypes.StringType, true)
          .add("cve", DataTypes.StringType, true)
          .add("error", DataTypes.StringType, true);

  private ScanJob() {}

  /**
   * Scans {@code targets} on {@code spark}'s executors.
   *
   * @param health whether to apply the health rules (they read weight samples)
   * @param partitions how many tasks, or 0 for the default parallelism (at most one per target)
   * @return the findings, one row per finding, error or clean model ({@link #SCHEMA})
   */
  public static Dataset<Row> scan(
      SparkSession spark, List<Target> targets, boolean health, int partitions) {
    HadoopConf conf = HadoopConf.of(spark);
    JavaRDD<Row> rows =
        HubJob.parallelize(spark, targets, partitions)
            .mapPartitions(
                (Iterator<Target> it) -> {
                  Configuration c = conf.get();
                  Scanner scanner =
                      new Scanner(Scanner.Options.defaults().withThreads(1).withHealth(health));
                  List<Row> out = new ArrayList<>();
                  while (it.hasNext()) {
                    out.addAll(rows(scanOne(scanner, c, it.next())));
                  }
                  return out.iterator();
                });
    return spark.createDataFrame(rows, SCHEMA);
  }

  /**
   * Lists {@code roots}, scans them and writes the table as Parquet to {@code output}, which must
   * not exist (Spark's committer writes it whole or not at all).
   *
   * @return the number of rows written
   * @throws IOException when {@code output} exists or a root cannot be listed
   */
  public static long run(
      SparkSession spark, List<String> roots, String output, boolean health, int partitions)
      throws IOException {
    TableOutput.refuseExisting(spark, output);
    List<Target> targets = HubListing.list(spark.sparkContext().hadoopConfiguration(), roots);
    return TableOutput.write(scan(spark, targets, health, partitions), output);
  }

  /** Scans one target; never throws. {@code null} for a walked {@code .json} that is no model. */
  static FileScan scanOne(Scanner scanner, Configuration conf, Target t) {
    if (t.skip() != null) {
      return new FileScan(t.path(), "", List.of(), t.skip());
    }
    Path p = new Path(t.path());
    try (LocalCopy copy = LocalCopy.of(conf, p)) {
      java.nio.file.Path local = copy.path();
      if (!t.explicit() && p.getName().toLowerCase(Locale.ROOT).endsWith(".json")) {
        try {
          FormatDetector.detect(local);
        } catch (ModelFormatException e) {
          return null; // a JSON file beside the models that is not one, skipped as Scanner does
        }
      }
      FileScan r = scanner.scan(local);
      return copy.copied() ? rename(r, local.toString(), t.path()) : r;
    } catch (FileNotFoundException e) {
      return new FileScan(t.path(), "", List.of(), e.getMessage());
    } catch (IOException | RuntimeException e) {
      return new FileScan(t.path(), "", List.of(), HubJob.message(e));
    }
  }

  /** The result with the temporary copy's path replaced by the path the user knows. */
  private static FileScan rename(FileScan r, String local, String shown) {
    List<Finding> fs = new ArrayList<>();
    for (Finding f : r.findings()) {
      String file = f.location().file().equals(local) ? shown : f.location().file();
      fs.add(
          new Finding(
              f.rule(),
              f.severity(),
              new dev.initkit.scan.Location(file, f.location().member(), f.location().layerPath()),
              f.message().replace(local, shown),
              f.cve()));
    }
    String error = r.error() == null ? null : r.error().replace(local, shown);
    return new FileScan(shown, r.format(), fs, error);
  }

  /** The table rows of one result. */
  static List<Row> rows(FileScan r) {
    List<Row> out = new ArrayList<>();
    if (r == null) {
      return out;
    }
    for (Finding f : r.findings()) {
      out.add(
          RowFactory.create(
              r.path(),
              r.format(),
              f.rule(),
              f.severity().label(),
              f.location().file(),
              f.location().member(),
              f.location().layerPath(),
              f.message(),
              f.cve(),
              null));
    }
    if (r.error() != null || r.findings().isEmpty()) {
      out.add(
          RowFactory.create(
              r.path(), r.format(), null, null, r.path(), null, null, null, null, r.error()));
    }
    return out;
  }

  /**
   * {@code spark-submit --class dev.initkit.spark.ScanJob ... [--no-health] [--partitions N]
   * --output DIR (--manifest FILE | PATH...)}: {@code HubJob scan} with these arguments.
   */
  public static void main(String[] args) {
    String[] all = new String[args.length + 1];
    all[0] = "scan";
    System.arraycopy(args, 0, all, 1, args.length);
    HubJob.main(all);
  }
}
