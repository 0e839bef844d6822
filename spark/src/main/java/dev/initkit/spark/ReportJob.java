package dev.initkit.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.render.InitReportJson;
import dev.initkit.spark.HubListing.Target;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code initkit report} over a model hub: each model's {@link InitReport} (what {@code initkit
 * report --json} prints: initializers, fans, implied against observed statistics, warnings, advice,
 * the depth estimate) as rows of {@link ReportRows#SCHEMA}, one task per group of files. A file
 * that cannot be read is one {@code model} row with {@code error} set; nothing about one file fails
 * the job.
 */
public final class ReportJob {
  private ReportJob() {}

  /**
   * Reports on {@code targets} on {@code spark}'s executors.
   *
   * @param partitions how many tasks, or 0 for the default parallelism (at most one per target)
   */
  public static Dataset<Row> report(SparkSession spark, List<Target> targets, int partitions) {
    HadoopConf conf = HadoopConf.of(spark);
    JavaRDD<Row> rows =
        HubJob.parallelize(spark, targets, partitions)
            .mapPartitions(
                (Iterator<Target> it) -> {
                  Configuration c = conf.get();
                  List<Row> out = new ArrayList<>();
                  while (it.hasNext()) {
                    out.addAll(reportOne(c, it.next()));
                  }
                  return out.iterator();
                });
    return spark.createDataFrame(rows, ReportRows.SCHEMA);
  }

  /**
   * Lists {@code roots}, reports on them and writes the table as Parquet to {@code output}, which
   * must not exist.
   *
   * @param base the directory relative paths are taken from (a manifest's), or null
   * @return the number of rows written
   * @throws IOException when {@code output} exists or a root cannot be listed
   */
  public static long run(
      SparkSession spark, List<String> roots, String base, String output, int partitions)
      throws IOException {
    TableOutput.refuseExisting(spark, output);
    List<Target> targets = HubListing.list(spark.sparkContext().hadoopConfiguration(), roots, base);
    return TableOutput.write(report(spark, targets, partitions), output);
  }

  /** The rows of one target; never throws. Empty for a walked {@code .json} that is no model. */
  static List<Row> reportOne(Configuration conf, Target t) {
    if (t.skip() != null) {
      return List.of(ReportRows.error(t.path(), "", t.skip()));
    }
    try (LocalCopy copy = LocalCopy.of(conf, new Path(t.path()))) {
      if (HubJob.notAModel(t, copy.path())) {
        return List.of();
      }
      ObjectNode doc;
      try (LoadedModel loaded = ModelIO.open(copy.path())) {
        doc = InitReportJson.toJson(InitReport.of(loaded), t.path());
      } catch (IOException | RuntimeException e) {
        return List.of(ReportRows.error(t.path(), "", HubJob.message(e, copy, t.path())));
      }
      return ReportRows.of(t.path(), doc);
    } catch (FileNotFoundException e) {
      return List.of(ReportRows.error(t.path(), "", e.getMessage()));
    } catch (IOException | RuntimeException e) {
      return List.of(ReportRows.error(t.path(), "", HubJob.message(e)));
    }
  }
}
