package dev.initkit.spark;

import org.apache.spark.sql.SparkSession;

/**
 * One local Spark session for all the module's tests (starting one costs seconds): {@code
 * local[2]}, no UI, and the local disk under the scheme {@code remotefs:} ({@link
 * RemoteLikeFileSystem}). Stopped when the JVM exits.
 */
final class LocalSpark {
  private static SparkSession spark;

  private LocalSpark() {}

  static synchronized SparkSession session() {
    if (spark == null) {
      spark =
          SparkSession.builder()
              .master("local[2]")
              .appName("initkit-spark tests")
              .config("spark.ui.enabled", "false")
              .config("spark.driver.host", "127.0.0.1")
              .config("spark.sql.shuffle.partitions", "2")
              .config("spark.hadoop.fs.remotefs.impl", RemoteLikeFileSystem.class.getName())
              .config("spark.hadoop.fs.remotefs.impl.disable.cache", "true")
              .getOrCreate();
    }
    return spark;
  }
}
