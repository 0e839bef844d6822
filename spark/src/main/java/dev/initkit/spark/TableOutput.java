package dev.initkit.spark;

import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/** A job's table written as Parquet to a path that must not exist. */
final class TableOutput {
  private TableOutput() {}

  /**
   * Fails before any work when {@code output} exists: Spark's own message suggests overwriting,
   * which initkit never does.
   */
  static void refuseExisting(SparkSession spark, String output) throws IOException {
    Path out = new Path(output);
    if (out.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(out)) {
      throw new IOException(output + " already exists: initkit never overwrites, give a new path");
    }
  }

  /**
   * Writes {@code table} (computed once: it is cached for the count) to {@code output}; Spark's
   * committer writes it whole or not at all.
   *
   * @return the number of rows written
   */
  static long write(Dataset<Row> table, String output) {
    Dataset<Row> t = table.cache();
    try {
      t.write().mode(SaveMode.ErrorIfExists).parquet(output);
      return t.count();
    } finally {
      t.unpersist();
    }
  }
}
