package dev.initkit.spark;

import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.TargetRuntime;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.render.Labels;
import dev.initkit.spark.HubListing.Target;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
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
 * {@code initkit convert} over a model hub: every model is written in one format (and for one
 * runtime) under an output directory on a Hadoop file system, at its path relative to its root with
 * the new extension, and the outcome of each is a row of {@link #SCHEMA}.
 *
 * <p>A task converts into a local temporary directory with {@link ModelIO#write}, uploads the
 * result beside its final place under a hidden temporary name, writes its {@link OutputStamp} and
 * renames it into place; the local files are deleted whatever happens. An existing output is never
 * overwritten: it is an {@code exists} row, unless {@code replace} is on and the output is
 * initkit's own, unchanged since written (its stamp); nothing else is ever deleted.
 */
public final class ConvertJob {
  /** The columns of the conversion table. */
  public static final StructType SCHEMA =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("relative", DataTypes.StringType, false)
          .add("output", DataTypes.StringType, true)
          .add("status", DataTypes.StringType, false)
          .add("reason", DataTypes.StringType, true)
          .add("inputFormat", DataTypes.StringType, true)
          .add("format", DataTypes.StringType, true)
          .add("runtime", DataTypes.StringType, true)
          .add("bytes", DataTypes.LongType, true)
          .add("sha256", DataTypes.StringType, true)
          .add("replaced", DataTypes.BooleanType, false)
          .add("notes", DataTypes.createArrayType(DataTypes.StringType, false), false)
          .add("warnings", DataTypes.createArrayType(DataTypes.StringType, false), false);

  private ConvertJob() {}

  /**
   * What to write.
   *
   * @param format the format ({@code --to}), or null for the runtime's
   * @param runtime the runtime ({@code --for}), or null
   * @param strict refuse a conversion that would change what a layer computes
   * @param replace replace an existing output that is initkit's own and unchanged
   */
  public record Settings(Format format, TargetRuntime runtime, boolean strict, boolean replace)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The format written: the one given, else the runtime's; one the runtime cannot load fails. */
    public Format target() {
      if (format == null && runtime == null) {
        throw new IllegalArgumentException("give the format (--to) or the runtime (--for)");
      }
      return ModelIO.targetFormat(java.nio.file.Path.of("model"), options());
    }

    WriteOptions options() {
      return new WriteOptions(format, false, false, strict, runtime);
    }
  }

  /** One model and where it goes; {@code clash} names the model already going there, or null. */
  record Task(Target target, String output, String clash) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * The name a converted model takes: its relative path with its model extension replaced by the
   * target format's ({@code a/m.h5} to {@code a/m.keras}; a SavedModel is a directory without one).
   */
  public static String outputName(String relative, Format format) {
    String lower = relative.toLowerCase(Locale.ROOT);
    String stem = relative;
    for (String ext :
        List.of(
            ".safetensors.index.json",
            ".weights.h5",
            ".keras",
            ".hdf5",
            ".h5",
            ".safetensors",
            ".json")) {
      if (lower.endsWith(ext) && lower.length() > ext.length()) {
        stem = relative.substring(0, relative.length() - ext.length());
        break;
      }
    }
    String ext =
        switch (format) {
          case H5, H5_WEIGHTS -> ".h5";
          case KERAS3_WEIGHTS -> ".weights.h5";
          case KERAS -> ".keras";
          case SAFETENSORS -> ".safetensors";
          case SAVED_MODEL -> "";
        };
    return stem + ext;
  }

  /** The format as {@code initkit convert --to} spells it. */
  static String formatName(Format f) {
    return f == Format.H5_WEIGHTS ? "h5-weights" : f.extension();
  }

  /**
   * Converts {@code targets} into {@code into} on {@code spark}'s executors.
   *
   * @param partitions how many tasks, or 0 for the default parallelism (at most one per target)
   */
  public static Dataset<Row> convert(
      SparkSession spark, List<Target> targets, String into, Settings settings, int partitions) {
    Format format = settings.target();
    Path dir;
    try {
      Path d = new Path(into);
      dir = d.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(d);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<Task> tasks = new ArrayList<>();
    Map<String, String> taken = new HashMap<>();
    for (Target t : targets) {
      String out = new Path(dir, outputName(t.relative(), format)).toString();
      String first = taken.putIfAbsent(out, t.path());
      tasks.add(new Task(t, out, first));
    }
    HadoopConf conf = HadoopConf.of(spark);
    JavaRDD<Row> rows =
        HubJob.parallelize(spark, tasks, partitions)
            .mapPartitions(
                (Iterator<Task> it) -> {
                  Configuration c = conf.get();
                  List<Row> out = new ArrayList<>();
                  while (it.hasNext()) {
                    Row r = convertOne(c, it.next(), settings, format);
                    if (r != null) {
                      out.add(r);
                    }
                  }
                  return out.iterator();
                });
    return spark.createDataFrame(rows, SCHEMA);
  }

  /**
   * Lists {@code roots}, converts them into {@code into} and writes the table as Parquet to {@code
   * output}, which must not exist.
   *
   * @param base the directory relative paths are taken from (a manifest's), or null
   * @return the number of rows written
   * @throws IOException when {@code output} exists or a root cannot be listed
   * @throws IllegalArgumentException when the settings name no format the runtime loads
   */
  public static long run(
      SparkSession spark,
      List<String> roots,
      String base,
      String into,
      Settings settings,
      String output,
      int partitions)
      throws IOException {
    settings.target(); // a usage error before any work
    TableOutput.refuseExisting(spark, output);
    List<Target> targets = HubListing.list(spark.sparkContext().hadoopConfiguration(), roots, base);
    return TableOutput.write(convert(spark, targets, into, settings, partitions), output);
  }

  /** The row of one task; never throws. Null for a walked {@code .json} that is no model. */
  static Row convertOne(Configuration conf, Task task, Settings settings, Format format) {
    Target t = task.target();
    Outcome o = new Outcome(t, task.output(), settings, format);
    if (t.skip() != null) {
      return o.failed("skipped", t.skip());
    }
    if (task.clash() != null) {
      return o.failed("exists", "same output name as " + task.clash() + ", converted first");
    }
    Path out = new Path(task.output());
    java.nio.file.Path scratch = null;
    try (LocalCopy copy = LocalCopy.of(conf, new Path(t.path()))) {
      if (HubJob.notAModel(t, copy.path())) {
        return null;
      }
      FileSystem fs = target(out, conf);
      boolean replace = false;
      if (fs.exists(out)) {
        if (!settings.replace()) {
          return o.failed(
              "exists",
              out + " already exists: initkit never overwrites (replace lets it replace its own)");
        }
        if (!OutputStamp.owns(fs, out)) {
          return o.failed(
              "exists",
              out + " already exists and is not an unchanged output of initkit's: left as it is");
        }
        replace = true;
      }
      scratch = LocalCopy.scratch();
      java.nio.file.Path local = scratch.resolve(out.getName());
      WriteResult result;
      try (LoadedModel loaded = ModelIO.open(copy.path())) {
        o.inputFormat = Labels.format(loaded.model());
        result = ModelIO.write(loaded, local, settings.options());
      } catch (IOException | RuntimeException e) {
        String m = HubJob.message(e, copy, t.path()).replace(local.toString(), out.toString());
        return o.failed(kind(e), m);
      }
      String sha = OutputStamp.sha256(local);
      long bytes = OutputStamp.bytes(local);
      publish(fs, local, out, OutputStamp.text(sha, t.path()), replace);
      return o.converted(result, bytes, sha, replace);
    } catch (FileNotFoundException e) {
      return o.failed("io", e.getMessage());
    } catch (IOException | RuntimeException e) {
      return o.failed(kind(e), HubJob.message(e));
    } finally {
      if (scratch != null) {
        LocalCopy.delete(scratch);
      }
    }
  }

  /** The output's file system; the local one raw, so no {@code .crc} files are written beside. */
  private static FileSystem target(Path out, Configuration conf) throws IOException {
    FileSystem fs = out.getFileSystem(conf);
    return HubListing.isLocal(fs) ? FileSystem.getLocal(conf).getRaw() : fs;
  }

  /**
   * Uploads {@code local} beside {@code out} under a hidden temporary name, stamps it and renames
   * it into place; on failure the temporary upload (ours) is deleted. An output to replace is
   * checked again just before (the user may have changed it while the model was converted).
   */
  private static void publish(
      FileSystem fs, java.nio.file.Path local, Path out, String stamp, boolean replace)
      throws IOException {
    Path dir = out.getParent();
    fs.mkdirs(dir);
    Path staging = new Path(dir, "." + out.getName() + ".initkit-" + UUID.randomUUID() + ".tmp");
    boolean placed = false;
    try {
      fs.copyFromLocalFile(false, false, new Path(local.toUri()), staging);
      if (replace && !OutputStamp.owns(fs, out)) {
        throw new java.nio.file.FileAlreadyExistsException(
            out.toString(), null, "changed while converting: left as it is");
      }
      OutputStamp.write(fs, OutputStamp.of(out), stamp);
      if (replace) {
        fs.delete(out, true); // initkit's own, unchanged: OutputStamp.owns checked it
      }
      rename(fs, staging, out);
      placed = true;
    } finally {
      if (!placed) {
        fs.delete(staging, true);
      }
    }
  }

  /**
   * Renames without replacing: HDFS and S3A refuse an existing destination themselves; the local
   * file system's rename would replace a file, so it moves with {@link java.nio.file.Files#move}
   * without {@code REPLACE_EXISTING}.
   */
  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (HubListing.isLocal(fs)) {
      java.nio.file.Files.move(
          java.nio.file.Path.of(fs.makeQualified(from).toUri()),
          java.nio.file.Path.of(fs.makeQualified(to).toUri()));
    } else if (!fs.rename(from, to)) {
      throw new java.nio.file.FileAlreadyExistsException(
          to.toString(), null, "appeared while converting: left as it is");
    }
  }

  /** The CLI's name for the kind of failure ({@code initkit convert --json}'s error.kind). */
  static String kind(Throwable e) {
    if (e instanceof UnsupportedModelException) {
      return "unsupported";
    }
    if (e instanceof ModelFormatException) {
      return "malformed";
    }
    if (e instanceof java.nio.file.FileAlreadyExistsException) {
      return "exists";
    }
    if (e instanceof IOException || e instanceof java.io.UncheckedIOException) {
      return "io";
    }
    return e instanceof IllegalArgumentException ? "usage" : "internal";
  }

  /** Builds the row of one task. */
  private static final class Outcome {
    private final Target target;
    private final String output;
    private final Settings settings;
    private final Format format;
    String inputFormat;

    Outcome(Target target, String output, Settings settings, Format format) {
      this.target = target;
      this.output = output;
      this.settings = settings;
      this.format = format;
    }

    Row failed(String status, String reason) {
      return row(status, reason, null, null, false, List.of(), List.of());
    }

    Row converted(WriteResult r, long bytes, String sha, boolean replaced) {
      return row("converted", null, bytes, sha, replaced, r.notes(), r.warnings());
    }

    private Row row(
        String status,
        String reason,
        Long bytes,
        String sha,
        boolean replaced,
        List<String> notes,
        List<String> warnings) {
      return RowFactory.create(
          target.path(),
          target.relative(),
          output,
          status,
          reason,
          inputFormat,
          formatName(format),
          settings.runtime() == null ? null : settings.runtime().cliName(),
          bytes,
          sha,
          replaced,
          notes.toArray(String[]::new),
          warnings.toArray(String[]::new));
    }
  }
}
