package dev.initkit.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.TargetRuntime;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.spark.HubListing.Target;
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
 * The convert job in local mode against the single-JVM conversion ({@link ModelIO#write}, what
 * {@code initkit convert} calls) on the same inputs: the same outputs byte for byte at the same
 * relative paths, the same refusals with the same reasons, and nothing overwritten that initkit did
 * not write.
 */
class ConvertJobTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = LocalSpark.session();
  }

  /** What the single JVM gives for one input: the output's bytes, or kind and message. */
  private record Expected(
      String name, byte[] bytes, String kind, String message, List<String> warnings) {}

  /**
   * Converts each listed model in this JVM into {@code dir} at the job's relative output names (a
   * name taken by an earlier model: refused as the job refuses it); keyed by input path.
   */
  private static Map<String, Expected> expected(
      List<String> roots, ConvertJob.Settings settings, Path dir) throws Exception {
    return expected(roots, settings, dir, "file");
  }

  /**
   * {@link #expected(List, ConvertJob.Settings, Path)} for the job reading the same files under
   * {@code scheme}: inputs keyed, and named in messages, as {@code scheme:/local/path}.
   */
  private static Map<String, Expected> expected(
      List<String> roots, ConvertJob.Settings settings, Path dir, String scheme) throws Exception {
    Format format = settings.target();
    Map<String, Expected> want = new TreeMap<>();
    Map<String, String> taken = new TreeMap<>();
    for (Target t : HubListing.list(spark.sparkContext().hadoopConfiguration(), roots)) {
      Path in = Path.of(URI.create(t.path()));
      if (HubJob.notAModel(t, in)) {
        continue;
      }
      String name = ConvertJob.outputName(t.relative(), format);
      String shown = scheme + ":" + in;
      String first = taken.putIfAbsent(name, shown);
      if (first != null) {
        want.put(
            shown,
            new Expected(
                name, null, "exists", "same output name as " + first + ", converted first", null));
        continue;
      }
      Path out = dir.resolve(name);
      Files.createDirectories(out.getParent());
      try (LoadedModel m = ModelIO.open(in)) {
        WriteResult r = ModelIO.write(m, out, settings.options());
        want.put(shown, new Expected(name, Files.readAllBytes(out), null, null, r.warnings()));
      } catch (Exception e) {
        String m = HubJob.message(e).replace(out.toString(), "OUT");
        want.put(
            shown,
            new Expected(
                name,
                null,
                ConvertJob.kind(e),
                scheme.equals("file") ? m : m.replace(in.toString(), shown),
                null));
      }
    }
    return want;
  }

  /** The table by input path. */
  private static Map<String, Row> table(Path parquet) {
    Map<String, Row> got = new TreeMap<>();
    for (Row r : spark.read().parquet(parquet.toString()).collectAsList()) {
      assertNull(got.put(r.getAs("path"), r), r.toString());
    }
    return got;
  }

  private static void assertSame(Map<String, Expected> want, Map<String, Row> got, Path into)
      throws Exception {
    assertEquals(want.keySet(), got.keySet());
    for (Map.Entry<String, Expected> e : want.entrySet()) {
      Row r = got.get(e.getKey());
      Expected x = e.getValue();
      Path out = into.resolve(x.name());
      assertEquals(
          new org.apache.hadoop.fs.Path(out.toUri()).toString().replace("file:", ""),
          r.<String>getAs("output").replaceFirst("^[a-z]+:", ""));
      if (x.bytes() != null) {
        assertEquals("converted", r.getAs("status"), e.getKey() + ": " + r.getAs("reason"));
        assertArrayEquals(x.bytes(), Files.readAllBytes(out), e.getKey());
        assertEquals((long) x.bytes().length, r.<Long>getAs("bytes"));
        assertEquals(x.warnings(), r.getList(r.fieldIndex("warnings")), e.getKey());
        assertTrue(OutputStamp.owns(localFs(), new org.apache.hadoop.fs.Path(out.toUri())));
      } else {
        assertEquals(x.kind(), r.getAs("status"), e.getKey());
        String reason = r.<String>getAs("reason").replace(r.<String>getAs("output"), "OUT");
        assertEquals(x.message(), reason, e.getKey());
        if (!x.kind().equals("exists")) {
          assertFalse(Files.exists(out), e.getKey() + ": nothing written for a refusal");
        }
      }
    }
  }

  private static org.apache.hadoop.fs.FileSystem localFs() throws Exception {
    return org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration())
        .getRaw();
  }

  private static List<String> roots(String... dirs) {
    List<String> out = new ArrayList<>();
    for (String d : dirs) {
      out.add(TestFiles.testdata().resolve(d).toUri().toString());
    }
    return out;
  }

  /** Files under {@code dir} that are no output: staging names left behind. */
  private static List<String> leftovers(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
    }
  }

  @Test
  void toKerasGivesTheSingleJvmOutputsAndRefusals(@TempDir Path tmp) throws Exception {
    List<String> roots =
        roots(
            "models/mlp_inits",
            "models/quant_int4",
            "models/lstm",
            "models/nested_functional",
            "models/savedmodel",
            "scan");
    ConvertJob.Settings settings = new ConvertJob.Settings(Format.KERAS, null, false, false);
    Map<String, Expected> want = expected(roots, settings, tmp.resolve("single"));
    Path into = tmp.resolve("into");
    ConvertJob.run(spark, roots, null, into.toString(), settings, tmp.resolve("t").toString(), 0);
    Map<String, Row> got = table(tmp.resolve("t"));
    assertSame(want, got, into);
    long converted = want.values().stream().filter(x -> x.bytes() != null).count();
    assertTrue(converted > 15, "converted: " + converted);
    assertTrue(want.size() - converted > 3, "refused: " + (want.size() - converted));
    assertEquals(List.of(), leftovers(into));
  }

  @Test
  void remoteInputAndOutputForDl4jStrict(@TempDir Path tmp) throws Exception {
    Set<String> before = tempDirs();
    List<String> local =
        roots("models/hard_sigmoid", "models/mlp", "models/mha", "scan/zip_bomb.keras");
    List<String> remote = local.stream().map(u -> "remotefs://" + URI.create(u).getPath()).toList();
    ConvertJob.Settings settings = new ConvertJob.Settings(null, TargetRuntime.DL4J, true, false);
    Map<String, Expected> want = expected(local, settings, tmp.resolve("single"), "remotefs");
    Path into = tmp.resolve("into");
    ConvertJob.run(
        spark, remote, null, "remotefs://" + into, settings, tmp.resolve("t").toString(), 2);
    Map<String, Row> got = table(tmp.resolve("t"));
    assertSame(want, got, into);
    assertTrue(
        got.values().stream().anyMatch(r -> r.getAs("status").equals("unsupported")),
        "what DL4J cannot import is refused");
    assertTrue(got.values().stream().anyMatch(r -> r.getAs("status").equals("converted")));
    assertEquals("dl4j", got.values().iterator().next().getAs("runtime"));
    assertEquals(before, tempDirs(), "every local copy and scratch directory deleted");
    assertEquals(List.of(), leftovers(into));
  }

  private static Set<String> tempDirs() throws Exception {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      Set<String> out = new TreeSet<>();
      s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(LocalCopy.PREFIX))
          .forEach(out::add);
      return out;
    }
  }

  @Test
  void existingOutputsAreKeptAndOnlyInitkitsOwnAreReplaced(@TempDir Path tmp) throws Exception {
    Path hub = Files.createDirectories(tmp.resolve("hub/sub"));
    Path models = TestFiles.testdata().resolve("models");
    Files.copy(models.resolve("mlp/keras3.keras"), hub.resolve("a.keras"));
    Files.copy(models.resolve("gru/keras3.keras"), hub.resolve("b.keras"));
    Files.copy(models.resolve("lstm/keras3.keras"), hub.resolve("c.keras"));
    Files.copy(models.resolve("lstm/keras3.h5"), hub.resolve("c.h5")); // c.safetensors twice
    List<String> roots = List.of(tmp.resolve("hub").toUri().toString());
    Path into = tmp.resolve("into");
    ConvertJob.Settings keep = new ConvertJob.Settings(Format.SAFETENSORS, null, false, false);
    ConvertJob.run(spark, roots, null, into.toString(), keep, tmp.resolve("t1").toString(), 0);
    Set<String> outputs = new TreeSet<>();
    for (Row r : spark.read().parquet(tmp.resolve("t1").toString()).collectAsList()) {
      outputs.add(into.relativize(Path.of(URI.create(r.getAs("output")))).toString());
    }
    assertEquals(
        Set.of("hub/sub/a.safetensors", "hub/sub/b.safetensors", "hub/sub/c.safetensors"), outputs);
    Path a = into.resolve("hub/sub/a.safetensors");
    Path b = into.resolve("hub/sub/b.safetensors");
    Path c = into.resolve("hub/sub/c.safetensors");
    byte[] aBytes = Files.readAllBytes(a);

    // the same output name twice: the second model is refused, the first converted
    List<Row> cRows =
        spark
            .read()
            .parquet(tmp.resolve("t1").toString())
            .filter("relative like 'hub/sub/c.%'")
            .collectAsList();
    assertEquals(2, cRows.size());
    assertTrue(
        cRows.stream()
            .anyMatch(
                r ->
                    r.getAs("status").equals("exists")
                        && r.<String>getAs("reason").startsWith("same output name as")));

    // without replace: every existing output is an error row, nothing touched
    byte[] bChanged = Files.readAllBytes(b);
    bChanged[bChanged.length - 1] ^= 1;
    Files.write(b, bChanged); // changed by the user since initkit wrote it
    Files.delete(c);
    Files.delete(into.resolve("hub/sub/.c.safetensors.initkit"));
    Files.writeString(c, "the user's own file");
    ConvertJob.run(spark, roots, null, into.toString(), keep, tmp.resolve("t2").toString(), 0);
    for (Row r : spark.read().parquet(tmp.resolve("t2").toString()).collectAsList()) {
      assertEquals("exists", r.getAs("status"), r.toString());
    }
    // with replace: only a.safetensors, initkit's and unchanged, is replaced
    ConvertJob.Settings replace = new ConvertJob.Settings(Format.SAFETENSORS, null, false, true);
    ConvertJob.run(spark, roots, null, into.toString(), replace, tmp.resolve("t3").toString(), 0);
    Map<String, String> status = new TreeMap<>();
    for (Row r : spark.read().parquet(tmp.resolve("t3").toString()).collectAsList()) {
      status.merge(
          r.<String>getAs("relative"),
          r.getAs("status") + (r.<Boolean>getAs("replaced") ? " replaced" : ""),
          (x, y) -> x + "," + y);
    }
    assertEquals(
        Map.of(
            "hub/sub/a.keras", "converted replaced",
            "hub/sub/b.keras", "exists",
            "hub/sub/c.h5", "exists",
            "hub/sub/c.keras", "exists"),
        status);
    assertArrayEquals(aBytes, Files.readAllBytes(a));
    assertArrayEquals(bChanged, Files.readAllBytes(b));
    assertEquals("the user's own file", Files.readString(c));
    assertEquals(List.of(), leftovers(into));
  }

  @Test
  void outputNamesKeepTheRelativePathWithTheFormatsExtension() {
    assertEquals("a/m.keras", ConvertJob.outputName("a/m.h5", Format.KERAS));
    assertEquals("a/m.weights.h5", ConvertJob.outputName("a/m.keras", Format.KERAS3_WEIGHTS));
    assertEquals("m.h5", ConvertJob.outputName("m.weights.h5", Format.H5));
    assertEquals("s/model", ConvertJob.outputName("s/model", Format.SAVED_MODEL));
    assertEquals("x/y.safetensors", ConvertJob.outputName("x/y.safetensors", Format.SAFETENSORS));
    assertEquals("c.keras", ConvertJob.outputName("c.json", Format.KERAS));
  }
}
