package dev.initkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;
import dev.initkit.scan.Scanner;
import dev.initkit.testing.TestFiles;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local mode against the single-JVM {@link Scanner} on the same files: the hostile
 * and health files of {@code testdata/scan} and every file of the shared corpus, read back from the
 * Parquet the job writes.
 */
class ScanJobTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = LocalSpark.session();
  }

  /**
   * Per scanned path: its findings as rule|severity|file|member|layerPath|cve|message, and error.
   */
  private static Map<String, List<String>> expected(List<Path> roots, boolean health)
      throws Exception {
    Map<String, List<String>> want = new TreeMap<>();
    new Scanner(Scanner.Options.defaults().withThreads(2).withHealth(health))
        .scan(roots, r -> want.put(r.path(), described(r)));
    return want;
  }

  /** Sorted, duplicates kept: a rule may find the same thing twice, and so must the job. */
  private static List<String> described(FileScan r) {
    List<String> s = new ArrayList<>();
    for (Finding f : r.findings()) {
      s.add(
          String.join(
              "|",
              f.rule(),
              f.severity().label(),
              f.location().file(),
              f.location().member(),
              f.location().layerPath(),
              String.valueOf(f.cve()),
              f.message()));
    }
    if (r.error() != null) {
      s.add("error");
    }
    s.sort(null);
    return s;
  }

  /** The table read back, in the same form, keyed by local path ({@code file:} dropped). */
  private static Map<String, List<String>> read(Path parquet) {
    Map<String, List<String>> got = new TreeMap<>();
    for (Row r : spark.read().parquet(parquet.toString()).collectAsList()) {
      String path = local(r.getAs("path"));
      List<String> s = got.computeIfAbsent(path, k -> new ArrayList<>());
      if (r.getAs("rule") != null) {
        s.add(
            String.join(
                "|",
                r.<String>getAs("rule"),
                r.<String>getAs("severity"),
                r.<String>getAs("file"),
                r.<String>getAs("member"),
                r.<String>getAs("layerPath"),
                String.valueOf(r.<String>getAs("cve")),
                r.<String>getAs("message")));
      } else if (r.getAs("error") != null) {
        s.add("error");
      }
    }
    got.values().forEach(l -> l.sort(null));
    return got;
  }

  private static String local(String uri) {
    return uri.startsWith("file:") ? Path.of(URI.create(uri)).toString() : uri;
  }

  private static List<String> uris(List<Path> roots) {
    return roots.stream().map(p -> p.toUri().toString()).toList();
  }

  @Test
  void hostileFilesAndCorpusGiveTheSingleJvmScannersFindings(@TempDir Path tmp) throws Exception {
    List<Path> roots = List.of(TestFiles.testdata().resolve("scan"), TestFiles.corpus());
    Map<String, List<String>> want = expected(roots, true);
    long rows = ScanJob.run(spark, uris(roots), tmp.resolve("out").toString(), true, 0);
    Map<String, List<String>> got = read(tmp.resolve("out"));
    assertEquals(want, got);
    assertTrue(want.size() > 100, "files scanned: " + want.size());
    long findings = want.values().stream().mapToLong(List::size).sum();
    long clean = want.values().stream().filter(List::isEmpty).count();
    assertEquals(findings + clean, rows, "one row per finding or error, one per clean model");
    assertTrue(
        got.get(TestFiles.testdata().resolve("scan/lambda_nested.h5").toString()).stream()
            .anyMatch(s -> s.startsWith("h5-lambda|high|") && s.contains("|CVE-2025-9905|")));
  }

  @Test
  void withoutHealthTheHealthRulesAreOff(@TempDir Path tmp) throws Exception {
    List<Path> roots = List.of(TestFiles.testdata().resolve("scan"));
    Map<String, List<String>> want = expected(roots, false);
    ScanJob.run(spark, uris(roots), tmp.resolve("out").toString(), false, 3);
    Map<String, List<String>> got = read(tmp.resolve("out"));
    assertEquals(want, got);
    assertEquals(
        List.of(),
        got.get(TestFiles.testdata().resolve("scan/health_nan.keras").toString()),
        "no health rule ran");
  }

  @Test
  void manifestWithAMissingPathGivesAnErrorRowAndTheJobSucceeds(@TempDir Path tmp)
      throws Exception {
    Path scan = TestFiles.testdata().resolve("scan");
    Path manifest = tmp.resolve("hub.csv");
    Files.writeString(
        manifest,
        "path,owner\n"
            + scan.resolve("lambda_nested.keras")
            + ",alice\n"
            + "# a comment\n\n"
            + "missing/model.keras,bob\n"
            + scan.resolve("clean.h5")
            + ",carol\n");
    List<String> roots =
        HubListing.manifest(
            spark.sparkContext().hadoopConfiguration(), manifest.toUri().toString());
    assertEquals(3, roots.size(), roots.toString());
    ScanJob.run(spark, roots, tmp.resolve("out").toString(), true, 0);
    Map<String, List<String>> got = read(tmp.resolve("out"));
    Map<String, List<String>> want =
        expected(List.of(scan.resolve("lambda_nested.keras"), scan.resolve("clean.h5")), true);
    String missing = tmp.resolve("missing/model.keras").toString();
    want.put(missing, List.of("error"));
    assertEquals(want, got);
    Row err =
        spark.read().parquet(tmp.resolve("out").toString()).filter("error is not null").first();
    assertEquals(missing, local(err.getAs("path")));
    assertNull(err.getAs("rule"));
    assertTrue(err.<String>getAs("error").contains("no such file"), err.<String>getAs("error"));
  }

  @Test
  void manifestLinesAsTextOrCsvRelativeToTheManifest(@TempDir Path tmp) throws Exception {
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path txt = tmp.resolve("hub.txt");
    Files.writeString(txt, "# models\n\n  models/a.h5  \nwith,comma.keras\n/abs/b.keras\n");
    String base = tmp.toUri().toString().replaceAll("/$", "").replace("file:///", "file:/");
    assertEquals(
        List.of(base + "/models/a.h5", base + "/with,comma.keras", "file:/abs/b.keras"),
        HubListing.manifest(conf, txt.toUri().toString()));
    Path csv = tmp.resolve("hub.csv");
    Files.writeString(csv, "\"models/a.h5\",x\nc.keras\n");
    assertEquals(
        List.of(base + "/models/a.h5", base + "/c.keras"),
        HubListing.manifest(conf, csv.toUri().toString()),
        "no header: the first line is a path");
  }

  @Test
  void aNonLocalFileSystemIsCopiedToATemporaryFileThatIsDeleted(@TempDir Path tmp)
      throws Exception {
    Path scan = TestFiles.testdata().resolve("scan");
    Set<String> before = tempCopies();
    List<String> roots =
        List.of(
            "remotefs://" + scan.resolve("lambda_nested.h5"),
            "remotefs://" + scan.resolve("zip_bomb.keras"),
            "remotefs://" + scan.resolve("nothing-here.h5"));
    ScanJob.run(spark, roots, tmp.resolve("out").toString(), true, 2);
    Map<String, List<String>> got = read(tmp.resolve("out"));
    Map<String, List<String>> local =
        expected(List.of(scan.resolve("lambda_nested.h5"), scan.resolve("zip_bomb.keras")), true);
    for (String name : List.of("lambda_nested.h5", "zip_bomb.keras")) {
      String shown = "remotefs:" + scan.resolve(name);
      List<String> want = new ArrayList<>();
      String path = scan.resolve(name).toString();
      for (String s : local.get(path)) {
        want.add(s.replace(path, shown)); // the location names the remote path, not the copy
      }
      want.sort(null);
      assertFalse(want.isEmpty());
      assertEquals(want, got.get(shown), name);
    }
    assertEquals(List.of("error"), got.get("remotefs:" + scan.resolve("nothing-here.h5")));
    assertEquals(before, tempCopies(), "every temporary copy deleted");
  }

  private static Set<String> tempCopies() throws Exception {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      Set<String> out = new TreeSet<>();
      s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(LocalCopy.PREFIX))
          .forEach(out::add);
      return out;
    }
  }

  @Test
  void symbolicLinksAreTreatedAsTheScannerTreatsThem(@TempDir Path tmp) throws Exception {
    Path scan = TestFiles.testdata().resolve("scan");
    Path hub = Files.createDirectories(tmp.resolve("hub"));
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.copy(scan.resolve("lambda_nested.keras"), hub.resolve("a.keras"));
    Files.copy(scan.resolve("clean.h5"), outside.resolve("secret.h5"));
    Files.createSymbolicLink(hub.resolve("b.keras"), hub.resolve("a.keras"));
    Files.createSymbolicLink(hub.resolve("out.h5"), outside.resolve("secret.h5"));
    Files.createSymbolicLink(hub.resolve("loop"), hub); // a directory link: never walked
    Files.createSymbolicLink(hub.resolve("dangling.h5"), tmp.resolve("none.h5"));
    Map<String, List<String>> want = expected(List.of(hub), true);
    ScanJob.run(spark, uris(List.of(hub)), tmp.resolve("out").toString(), true, 0);
    Map<String, List<String>> got = read(tmp.resolve("out"));
    assertEquals(want, got);
    assertEquals(List.of("error"), got.get(hub.resolve("out.h5").toString()));
    assertEquals(3, got.size(), got.keySet().toString());
  }

  @Test
  void anExistingOutputIsNeverOverwritten(@TempDir Path tmp) throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path mine = Files.writeString(out.resolve("keep.txt"), "mine");
    List<String> roots = uris(List.of(TestFiles.testdata().resolve("scan/clean.h5")));
    Exception e =
        org.junit.jupiter.api.Assertions.assertThrows(
            Exception.class, () -> ScanJob.run(spark, roots, out.toString(), false, 0));
    assertNotNull(e.getMessage());
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals("mine", Files.readString(mine));
    assertEquals(1, new ArrayList<>(List.of(out.toFile().list())).size());
  }
}
