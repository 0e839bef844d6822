package dev.initkit.spark;

import dev.initkit.ModelFormatException;
import dev.initkit.format.FormatDetector;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;
import dev.initkit.scan.Scanner;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
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

  /** What a directory walk picks up, as {@link Scanner} does. */
  private static final List<String> MODEL_EXTENSIONS =
      List.of(".h5", ".hdf5", ".keras", ".json", ".safetensors");

  private ScanJob() {}

  /**
   * One model to scan.
   *
   * @param path its Hadoop path (a URI string)
   * @param explicit true when named by the user (not found by a walk): a {@code .json} that is not
   *     a Keras file is then an error row instead of being skipped, as in {@link Scanner}
   * @param skip why the walk did not scan it (a symbolic link out of the tree), or null
   */
  public record Target(String path, boolean explicit, String skip) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A target to scan. */
    public Target(String path, boolean explicit) {
      this(path, explicit, null);
    }
  }

  /**
   * The models under {@code roots}, walked on the driver in name order as {@link Scanner} walks a
   * directory: model files by extension, SavedModel and unzipped {@code .keras} directories as one
   * model each. A root that is a file, a model directory or missing is a target of its own (a
   * missing one becomes an error row).
   */
  public static List<Target> list(Configuration conf, List<String> roots) throws IOException {
    List<Target> out = new ArrayList<>();
    for (String r : roots) {
      Path root = new Path(r);
      FileSystem fs = root.getFileSystem(conf);
      FileStatus st;
      try {
        st = fs.getFileStatus(root);
      } catch (FileNotFoundException e) {
        out.add(new Target(root.toString(), true));
        continue;
      }
      if (!st.isDirectory() || isModelDirectory(fs.listStatus(root))) {
        out.add(new Target(fs.makeQualified(root).toString(), true));
      } else {
        Path q = fs.makeQualified(root);
        java.nio.file.Path realRoot =
            isLocal(fs) ? java.nio.file.Path.of(q.toUri()).toRealPath() : null;
        walk(fs, q, realRoot, out);
      }
    }
    return out;
  }

  private static boolean isLocal(FileSystem fs) {
    return "file".equals(fs.getUri().getScheme());
  }

  /**
   * {@code realRoot}: the local root's real path, for symbolic links, which only a local file
   * system has and Hadoop's listing follows: they are treated as {@link Scanner} treats them (never
   * followed out of the tree, a link to a directory not walked), so a link loop cannot hang the
   * driver either.
   */
  private static void walk(FileSystem fs, Path dir, java.nio.file.Path realRoot, List<Target> out)
      throws IOException {
    FileStatus[] entries = fs.listStatus(dir);
    Arrays.sort(entries, Comparator.comparing(s -> s.getPath().getName()));
    for (FileStatus s : entries) {
      if (realRoot != null) {
        java.nio.file.Path local = java.nio.file.Path.of(s.getPath().toUri());
        if (Files.isSymbolicLink(local)) {
          link(s.getPath(), local, realRoot, out);
          continue;
        }
      }
      if (s.isDirectory()) {
        FileStatus[] children = fs.listStatus(s.getPath());
        if (isModelDirectory(children)) {
          out.add(new Target(s.getPath().toString(), false));
        } else {
          walk(fs, s.getPath(), realRoot, out);
        }
      } else if (s.isFile() && hasModelExtension(s.getPath().getName())) {
        out.add(new Target(s.getPath().toString(), false));
      }
    }
  }

  private static void link(
      Path path, java.nio.file.Path local, java.nio.file.Path realRoot, List<Target> out) {
    java.nio.file.Path real;
    try {
      real = local.toRealPath();
    } catch (IOException e) {
      return; // dangling: nothing to scan
    }
    if (!real.startsWith(realRoot)) {
      out.add(
          new Target(
              path.toString(),
              false,
              "symbolic link to " + real + ", outside the tree: not followed"));
    } else if (Files.isRegularFile(real) && hasModelExtension(path.getName())) {
      out.add(new Target(path.toString(), false));
    }
    // a link to a directory inside the tree is walked where the directory is
  }

  private static boolean hasModelExtension(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return MODEL_EXTENSIONS.stream().anyMatch(n::endsWith);
  }

  private static boolean isModelDirectory(FileStatus[] children) {
    Set<String> names = new java.util.HashSet<>();
    for (FileStatus c : children) {
      if (c.isFile()) {
        names.add(c.getPath().getName());
      }
    }
    return names.contains("saved_model.pb")
        || names.contains("saved_model.pbtxt")
        || (names.contains("config.json")
            && (names.contains("model.weights.h5") || names.contains("model.weights.npz")));
  }

  /**
   * The roots a manifest names: a text file of one path per line (blank lines and lines starting
   * with {@code #} skipped), or a {@code .csv} whose first column is the path (a header {@code
   * path} skipped; paths with commas need the plain text form). A relative path is taken from the
   * manifest's directory.
   */
  public static List<String> manifest(Configuration conf, String manifest) throws IOException {
    Path m = new Path(manifest);
    FileSystem fs = m.getFileSystem(conf);
    Path base = fs.makeQualified(m).getParent();
    boolean csv = m.getName().toLowerCase(Locale.ROOT).endsWith(".csv");
    List<String> roots = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(fs.open(m), StandardCharsets.UTF_8))) {
      String line;
      boolean first = true;
      while ((line = in.readLine()) != null) {
        String p = line.strip();
        if (csv) {
          int comma = p.indexOf(',');
          p = (comma < 0 ? p : p.substring(0, comma)).strip();
          if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) {
            p = p.substring(1, p.length() - 1);
          }
        }
        boolean header = first && csv && p.equalsIgnoreCase("path");
        first = false;
        if (p.isEmpty() || p.startsWith("#") || header) {
          continue;
        }
        roots.add(new Path(base, p).toString());
      }
    }
    return roots;
  }

  /**
   * Scans {@code targets} on {@code spark}'s executors.
   *
   * @param health whether to apply the health rules (they read weight samples)
   * @param partitions how many tasks, or 0 for the default parallelism (at most one per target)
   * @return the findings, one row per finding, error or clean model ({@link #SCHEMA})
   */
  public static Dataset<Row> scan(
      SparkSession spark, List<Target> targets, boolean health, int partitions) {
    HashMap<String, String> conf = new HashMap<>();
    for (Map.Entry<String, String> e : spark.sparkContext().hadoopConfiguration()) {
      conf.put(e.getKey(), e.getValue()); // Configuration is not serializable: shipped as entries
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int n = partitions > 0 ? partitions : jsc.defaultParallelism();
    n = Math.max(1, Math.min(n, targets.size()));
    JavaRDD<Row> rows =
        jsc.parallelize(targets, n)
            .mapPartitions(
                (Iterator<Target> it) -> {
                  Configuration c = new Configuration(false);
                  conf.forEach(c::set);
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
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path out = new Path(output);
    if (out.getFileSystem(conf).exists(out)) {
      // checked before any work; Spark's own message suggests overwriting, which initkit never does
      throw new IOException(output + " already exists: initkit never overwrites, give a new path");
    }
    List<Target> targets = list(conf, roots);
    Dataset<Row> table = scan(spark, targets, health, partitions).cache();
    try {
      table.write().mode(SaveMode.ErrorIfExists).parquet(output);
      return table.count();
    } finally {
      table.unpersist();
    }
  }

  /** Scans one target; never throws. {@code null} for a walked {@code .json} that is no model. */
  static FileScan scanOne(Scanner scanner, Configuration conf, Target t) {
    if (t.skip() != null) {
      return new FileScan(t.path(), "", List.of(), t.skip());
    }
    java.nio.file.Path tmp = null;
    try {
      Path p = new Path(t.path());
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        return new FileScan(t.path(), "", List.of(), "no such file or directory: " + t.path());
      }
      java.nio.file.Path local;
      if (isLocal(fs)) {
        local = java.nio.file.Path.of(fs.makeQualified(p).toUri());
      } else {
        tmp = Files.createTempDirectory("initkit-scan");
        local = tmp.resolve(p.getName());
        // raw local destination: no .crc files beside the copy; a directory is copied whole
        fs.copyToLocalFile(false, p, new Path(local.toUri()), true);
      }
      if (!t.explicit() && p.getName().toLowerCase(Locale.ROOT).endsWith(".json")) {
        try {
          FormatDetector.detect(local);
        } catch (ModelFormatException e) {
          return null; // a JSON file beside the models that is not one, skipped as Scanner does
        }
      }
      FileScan r = scanner.scan(local);
      return tmp == null ? r : rename(r, local.toString(), t.path());
    } catch (IOException | RuntimeException e) {
      String m = e.getMessage();
      return new FileScan(
          t.path(), "", List.of(), e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    } finally {
      if (tmp != null) {
        delete(tmp);
      }
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

  private static void delete(java.nio.file.Path dir) {
    try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              q -> {
                try {
                  Files.deleteIfExists(q);
                } catch (IOException e) {
                  // best effort: the rest is still deleted; the temp directory is ours
                }
              });
    } catch (IOException e) {
      // nothing more to do: the scan's result stands
    }
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
   * {@code spark-submit ... initkit-spark.jar [--no-health] [--partitions N] --output DIR
   * (--manifest FILE | PATH...)}. Exit codes: 0 written, 2 usage, 5 input or output not usable.
   */
  public static void main(String[] args) {
    List<String> roots = new ArrayList<>();
    String output = null;
    String manifest = null;
    boolean health = true;
    int partitions = 0;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--output" -> output = args[++i];
          case "--manifest" -> manifest = args[++i];
          case "--no-health" -> health = false;
          case "--partitions" -> partitions = Integer.parseInt(args[++i]);
          default -> {
            if (args[i].startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + args[i]);
            }
            roots.add(args[i]);
          }
        }
      }
      if (output == null || (manifest == null) == roots.isEmpty()) {
        throw new IllegalArgumentException("give --output and either --manifest or paths");
      }
    } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
      System.err.println(
          "initkit-spark: "
              + (e instanceof ArrayIndexOutOfBoundsException
                  ? "option needs a value"
                  : e.getMessage())
              + "\nusage: ScanJob [--no-health] [--partitions N] --output DIR (--manifest FILE |"
              + " PATH...)");
      System.exit(2);
      return;
    }
    SparkSession spark = SparkSession.builder().appName("initkit scan").getOrCreate();
    int code = 0;
    try {
      List<String> in =
          manifest == null ? roots : manifest(spark.sparkContext().hadoopConfiguration(), manifest);
      long n = run(spark, in, output, health, partitions);
      System.err.println("initkit-spark: " + n + " rows written to " + output);
    } catch (
        Exception e) { // IOException, or Spark's AnalysisException (output exists), unchecked here
      System.err.println("initkit-spark: " + e.getMessage());
      code = 5;
    } finally {
      spark.stop();
    }
    System.exit(code);
  }
}
