package dev.initkit.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.scan.Scanner;
import dev.initkit.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three jobs against a real HDFS (Hadoop's {@link MiniDFSCluster}: a name node and a data node
 * in this JVM): inputs listed and read from {@code hdfs://}, tables and converted models written
 * there, and the results those of the single JVM on the same files on the local disk.
 */
class HdfsTest {
  private static final List<String> FILES =
      List.of(
          "scan/lambda_nested.h5",
          "scan/zip_bomb.keras",
          "scan/health_nan.keras",
          "models/mlp_inits/keras3.h5",
          "models/lstm/keras3.keras");

  @TempDir static Path base;
  private static MiniDFSCluster cluster;
  private static FileSystem hdfs;
  private static String root;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
    conf.setInt("dfs.replication", 1); // one data node: no pipeline waiting for replicas
    conf.setInt("dfs.namenode.safemode.extension", 0);
    conf.setInt("dfs.block.scanner.volume.bytes.per.second", 0); // no background block scans
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem();
    root = "hdfs://localhost:" + cluster.getNameNodePort();
    for (String f : FILES) {
      hdfs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(TestFiles.testdata().resolve(f).toUri()),
          new org.apache.hadoop.fs.Path(root + "/hub/" + f));
    }
    spark = LocalSpark.session();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  /** The HDFS path of a testdata file, as the job names it, mapped to the local one. */
  private static String local(String hdfsPath) {
    String prefix = root + "/hub/";
    assertTrue(hdfsPath.startsWith(prefix), hdfsPath);
    return TestFiles.testdata().resolve(hdfsPath.substring(prefix.length())).toString();
  }

  @Test
  void scanFromHdfsGivesTheLocalScannersFindings() throws Exception {
    String out = root + "/tables/scan";
    ScanJob.run(spark, List.of(root + "/hub"), out, true, 2);
    assertTrue(hdfs.exists(new org.apache.hadoop.fs.Path(out + "/_SUCCESS")));
    Map<String, List<String>> got = new TreeMap<>();
    for (Row r : spark.read().parquet(out).collectAsList()) {
      List<String> l =
          got.computeIfAbsent(local(r.getAs("path")), k -> new java.util.ArrayList<>());
      if (r.getAs("rule") != null) {
        l.add(r.getAs("rule") + "|" + r.getAs("severity"));
      } else if (r.getAs("error") != null) {
        l.add("error");
      }
    }
    Map<String, List<String>> want = new TreeMap<>();
    new Scanner(Scanner.Options.defaults().withThreads(1).withHealth(true))
        .scan(
            FILES.stream().map(f -> TestFiles.testdata().resolve(f)).toList(),
            r -> {
              List<String> l = new java.util.ArrayList<>();
              r.findings().forEach(f -> l.add(f.rule() + "|" + f.severity().label()));
              if (r.error() != null) {
                l.add("error");
              }
              want.put(r.path(), l);
            });
    got.values().forEach(l -> l.sort(null));
    want.values().forEach(l -> l.sort(null));
    assertEquals(want, got);
    assertTrue(
        got.get(TestFiles.testdata().resolve("scan/lambda_nested.h5").toString()).stream()
            .anyMatch(s -> s.startsWith("h5-lambda|high")));
  }

  @Test
  void reportFromHdfsGivesTheLocalReport() throws Exception {
    String out = root + "/tables/report";
    ReportJob.run(spark, List.of(root + "/hub/models"), null, out, 0);
    Map<String, Long> weights = new TreeMap<>();
    Map<String, Double> observedStd = new TreeMap<>();
    for (Row r : spark.read().parquet(out).collectAsList()) {
      String p = local(r.getAs("path"));
      if (r.getAs("kind").equals("model")) {
        weights.put(p, r.getAs("weights"));
      } else if (r.getAs("kind").equals("weight")) {
        observedStd.put(
            p + "|" + r.getAs("layer") + "|" + r.getAs("weight"), r.getAs("observedStd"));
      }
    }
    Map<String, Long> wantWeights = new TreeMap<>();
    Map<String, Double> wantStd = new TreeMap<>();
    for (String f : List.of("models/mlp_inits/keras3.h5", "models/lstm/keras3.keras")) {
      Path p = TestFiles.testdata().resolve(f);
      try (LoadedModel m = ModelIO.open(p)) {
        InitReport r = InitReport.of(m);
        wantWeights.put(p.toString(), (long) r.weights().size());
        for (InitReport.WeightEntry e : r.weights()) {
          wantStd.put(p + "|" + e.site().layerPath() + "|" + e.weight().name(), e.observed().std());
        }
      }
    }
    assertEquals(wantWeights, weights);
    assertEquals(wantStd, observedStd);
  }

  @Test
  void convertFromHdfsIntoHdfsGivesTheLocalBytes(@TempDir Path tmp) throws Exception {
    String into = root + "/converted";
    ConvertJob.Settings s = new ConvertJob.Settings(Format.KERAS, null, false, false);
    ConvertJob.run(spark, List.of(root + "/hub/models"), null, into, s, root + "/tables/c", 0);
    for (String f : List.of("models/mlp_inits/keras3.h5", "models/lstm/keras3.keras")) {
      Path single = tmp.resolve(f.replace('/', '_') + ".keras");
      try (LoadedModel m = ModelIO.open(TestFiles.testdata().resolve(f))) {
        ModelIO.write(m, single, s.options());
      }
      String rel = ConvertJob.outputName(f, Format.KERAS);
      assertArrayEquals(
          Files.readAllBytes(single), read(into + "/" + rel), rel + " equals the single JVM's");
    }
    List<Row> rows = spark.read().parquet(root + "/tables/c").collectAsList();
    assertEquals(2, rows.size());
    rows.forEach(r -> assertEquals("converted", r.getAs("status"), r.toString()));
  }

  private static byte[] read(String path) throws Exception {
    try (InputStream in = hdfs.open(new org.apache.hadoop.fs.Path(path))) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    }
  }
}
