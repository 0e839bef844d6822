package dev.initkit.spark;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The driver's Hadoop configuration shipped to the tasks (a {@link Configuration} is not
 * serializable): credentials and file system settings given as {@code spark.hadoop.*} reach every
 * executor.
 */
final class HadoopConf implements Serializable {
  private static final long serialVersionUID = 1L;

  private final HashMap<String, String> entries = new HashMap<>();

  private HadoopConf(Configuration c) {
    for (Map.Entry<String, String> e : c) {
      entries.put(e.getKey(), e.getValue());
    }
  }

  /** The session's Hadoop configuration, as entries. */
  static HadoopConf of(SparkSession spark) {
    return new HadoopConf(spark.sparkContext().hadoopConfiguration());
  }

  /** A configuration with these entries and nothing else (no default resources loaded). */
  Configuration get() {
    Configuration c = new Configuration(false);
    entries.forEach(c::set);
    return c;
  }
}
