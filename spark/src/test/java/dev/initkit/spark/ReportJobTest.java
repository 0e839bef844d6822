package dev.initkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.render.InitReportJson;
import dev.initkit.spark.HubListing.Target;
import dev.initkit.testing.TestFiles;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report job in local mode against the single-JVM report ({@code initkit report --json}'s
 * document, {@link InitReportJson}) on the same files: each file's document is rebuilt from the
 * Parquet rows and must equal the library's, field by field.
 */
class ReportJobTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static SparkSession spark;

  /** Model directories of testdata/models covering the report's branches, kept few for time. */
  static final List<String> MODELS =
      List.of(
          "mlp_inits",
          "quant_int4",
          "mha",
          "lstm",
          "bidirectional",
          "nested_functional",
          "batchnorm",
          "depthwise_conv2d",
          "savedmodel");

  @BeforeAll
  static void start() {
    spark = LocalSpark.session();
  }

  /** Per model: the report document, or {"error": message}; keyed by local path. */
  private static Map<String, JsonNode> expected(List<String> roots) throws Exception {
    Map<String, JsonNode> want = new TreeMap<>();
    for (Target t : HubListing.list(spark.sparkContext().hadoopConfiguration(), roots)) {
      Path p = Path.of(URI.create(t.path()));
      if (HubJob.notAModel(t, p)) {
        continue;
      }
      ObjectNode doc;
      try (LoadedModel m = ModelIO.open(p)) {
        doc = InitReportJson.toJson(InitReport.of(m), p.toString());
        // the constants of every report, which the table does not repeat
        ObjectNode depth = (ObjectNode) doc.get("depth");
        depth.remove(List.of("assumptions", "vanishingBelow", "explodingAbove"));
      } catch (Exception e) {
        doc = F.objectNode().put("file", p.toString()).put("error", HubJob.message(e));
      }
      want.put(p.toString(), doc);
    }
    return want;
  }

  /** The documents rebuilt from the table. */
  private static Map<String, JsonNode> read(Path parquet) {
    List<Row> rows = spark.read().parquet(parquet.toString()).collectAsList();
    Map<String, ObjectNode> docs = new TreeMap<>();
    Map<String, List<Row>> byPath = new TreeMap<>();
    for (Row r : rows) {
      byPath.computeIfAbsent(local(r.getAs("path")), k -> new ArrayList<>()).add(r);
    }
    Map<String, JsonNode> out = new TreeMap<>();
    byPath.forEach((path, rs) -> out.put(path, rebuild(path, rs)));
    return out;
  }

  private static JsonNode rebuild(String path, List<Row> rs) {
    Row model = rs.stream().filter(r -> r.getAs("kind").equals("model")).findFirst().orElseThrow();
    assertEquals(1, rs.stream().filter(r -> r.getAs("kind").equals("model")).count(), path);
    ObjectNode d = F.objectNode().put("file", path);
    if (model.getAs("error") != null) {
      assertEquals(1, rs.size(), path + ": an error is the file's only row");
      return d.put("error", model.<String>getAs("error"));
    }
    d.put("format", model.<String>getAs("format"));
    d.put("kerasVersion", model.<String>getAs("kerasVersion"));
    d.put("configForm", model.<String>getAs("configForm"));
    ObjectNode totals = d.putObject("totals");
    totals.put("weights", model.<Long>getAs("weights"));
    totals.put("warnings", model.<Long>getAs("warnings"));
    totals.put("reluLayers", model.<Long>getAs("reluLayers"));
    ArrayNode weights = d.putArray("weights");
    ArrayNode warnings = d.putArray("warnings");
    ArrayNode advice = d.putArray("advice");
    ObjectNode depth = d.putObject("depth");
    for (String basis : List.of("configured", "observed")) {
      ObjectNode b = depth.putObject(basis);
      b.putArray("steps");
      b.put("finalVariance", model.<Double>getAs(basis + "FinalVariance"));
      b.put("status", model.<String>getAs(basis + "Status"));
      b.put("firstOutOfRange", model.<String>getAs(basis + "FirstOutOfRange"));
    }
    // rows come back in any order: weights and warnings keep model order by their position in the
    // table, which Parquet preserves within a file's task; depth steps carry their index
    List<Row> steps = new ArrayList<>();
    for (Row r : rs) {
      switch (r.<String>getAs("kind")) {
        case "weight" -> weights.add(weight(r));
        case "warning" -> warnings.add(warning(r));
        case "advice" -> advice.add(warning(r));
        case "depth" -> steps.add(r);
        case "model" -> {}
        default -> throw new AssertionError(r.toString());
      }
    }
    steps.sort(
        Comparator.comparing((Row r) -> r.<String>getAs("basis"))
            .thenComparing(r -> r.<Long>getAs("step")));
    for (Row s : steps) {
      ObjectNode o = ((ArrayNode) depth.path(s.<String>getAs("basis")).path("steps")).addObject();
      o.put("layer", s.<String>getAs("layer"));
      o.put("className", s.<String>getAs("className"));
      o.put("activation", s.<String>getAs("activation"));
      for (String f :
          List.of("fanIn", "weightMeanSquare", "gain2", "variance", "mean", "std", "gradient")) {
        o.put(f, s.<Double>getAs(f));
      }
      o.set("inputs", strings(s, "inputs"));
      o.put("note", s.<String>getAs("note"));
    }
    return d;
  }

  private static ObjectNode weight(Row r) {
    ObjectNode o = F.objectNode();
    for (String f : List.of("layer", "className", "activation", "followingActivation", "weight")) {
      o.put(f, r.<String>getAs(f));
    }
    o.put("role", r.<String>getAs("role"));
    ArrayNode shape = o.putArray("shape");
    r.<Long>getList(r.fieldIndex("shape")).forEach(shape::add);
    o.put("dtype", r.<String>getAs("dtype"));
    o.put("depth", r.<Long>getAs("depth"));
    o.put("head", r.<Boolean>getAs("head"));
    o.put("trainable", r.<Boolean>getAs("trainable"));
    ObjectNode init = o.putObject("initializer");
    init.put("canonical", r.<String>getAs("initializer"));
    init.put("describe", r.<String>getAs("initializerDescribe"));
    init.put("commandLine", r.<String>getAs("initializerCommandLine"));
    init.put("source", r.<String>getAs("initializerSource"));
    init.put("key", r.<String>getAs("initializerKey"));
    String written = r.getAs("initializerAsWritten");
    try {
      init.set("asWritten", written == null ? F.nullNode() : new ObjectMapper().readTree(written));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    init.put("kerasLoadable", r.<Boolean>getAs("initializerKerasLoadable"));
    init.put("unitForgetBias", r.<Boolean>getAs("unitForgetBias"));
    init.set("notes", strings(r, "initializerNotes"));
    o.put("fanIn", r.<Double>getAs("fanIn"));
    o.put("fanOut", r.<Double>getAs("fanOut"));
    if (r.getAs("quantizationMode") == null) {
      o.putNull("quantization");
    } else {
      ObjectNode q = o.putObject("quantization");
      q.put("mode", r.<String>getAs("quantizationMode"));
      q.put("policy", r.<String>getAs("quantizationPolicy"));
      q.put("part", r.<String>getAs("quantizationPart"));
      q.put("describe", r.<String>getAs("quantizationDescribe"));
    }
    o.put("expectedMean", r.<Double>getAs("expectedMean"));
    o.put("expectedStd", r.<Double>getAs("expectedStd"));
    if (r.getAs("observedCount") == null) {
      o.putNull("observed");
    } else {
      ObjectNode ob = o.putObject("observed");
      ob.put("count", r.<Long>getAs("observedCount"));
      ob.put("mean", r.<Double>getAs("observedMean"));
      ob.put("std", r.<Double>getAs("observedStd"));
      ob.put("min", r.<Double>getAs("observedMin"));
      ob.put("max", r.<Double>getAs("observedMax"));
      ob.put("zeroFraction", r.<Double>getAs("observedZeroFraction"));
      ob.put("nonFinite", r.<Long>getAs("observedNonFinite"));
    }
    o.put("stdRatio", r.<Double>getAs("stdRatio"));
    ObjectNode rec = o.putObject("recommended");
    if (r.getAs("recommended") == null) {
      rec.putNull("initializer");
    } else {
      ObjectNode i = rec.putObject("initializer");
      i.put("className", r.<String>getAs("recommended"));
      i.put("describe", r.<String>getAs("recommendedDescribe"));
      i.put("commandLine", r.<String>getAs("recommendedCommandLine"));
      i.put("kerasLoadable", r.<Boolean>getAs("recommendedKerasLoadable"));
    }
    rec.put("reason", r.<String>getAs("recommendedReason"));
    rec.put("met", r.<Boolean>getAs("recommendationMet"));
    ArrayNode ws = o.putArray("warnings");
    List<String> codes = r.getList(r.fieldIndex("warningCodes"));
    List<String> messages = r.getList(r.fieldIndex("warningMessages"));
    for (int i = 0; i < codes.size(); i++) {
      ws.addObject().put("code", codes.get(i)).put("message", messages.get(i));
    }
    return o;
  }

  private static ObjectNode warning(Row r) {
    return F.objectNode()
        .put("code", r.<String>getAs("code"))
        .put("layer", r.<String>getAs("layer"))
        .put("weight", r.<String>getAs("weight"))
        .put("message", r.<String>getAs("message"));
  }

  private static JsonNode strings(Row r, String column) {
    if (r.isNullAt(r.fieldIndex(column))) {
      return F.nullNode();
    }
    ArrayNode a = F.arrayNode();
    r.<String>getList(r.fieldIndex(column)).forEach(a::add);
    return a;
  }

  /** A local path, or the local disk's path under {@code remotefs:}, as a plain path. */
  private static String local(String uri) {
    if (uri.startsWith("remotefs:")) {
      return uri.substring("remotefs:".length());
    }
    return uri.startsWith("file:") ? Path.of(URI.create(uri)).toString() : uri;
  }

  /** Numbers equal by value (the table's longs and doubles against the JSON's ints and doubles). */
  private static void assertSameDocument(JsonNode want, JsonNode got, String where) {
    Comparator<JsonNode> numeric =
        (a, b) -> {
          if (a.isNumber() && b.isNumber()) {
            return Double.compare(a.doubleValue(), b.doubleValue());
          }
          return a.equals(b) ? 0 : 1;
        };
    if (!want.equals(numeric, got)) {
      assertEquals(want.toPrettyString(), got.toPrettyString(), where); // shows the difference
      throw new AssertionError(where + ": numbers differ");
    }
  }

  @Test
  void everyModelsReportEqualsTheSingleJvmReport(@TempDir Path tmp) throws Exception {
    List<String> roots = new ArrayList<>();
    for (String d : MODELS) {
      roots.add(TestFiles.testdata().resolve("models/" + d).toUri().toString());
    }
    roots.add(TestFiles.testdata().resolve("scan").toUri().toString());
    Map<String, JsonNode> want = expected(roots);
    long rows = ReportJob.run(spark, roots, null, tmp.resolve("out").toString(), 0);
    Map<String, JsonNode> got = read(tmp.resolve("out"));
    assertEquals(want.keySet(), got.keySet());
    for (String p : want.keySet()) {
      assertSameDocument(want.get(p), got.get(p), p);
    }
    long errors = want.values().stream().filter(d -> d.has("error")).count();
    assertTrue(want.size() - errors > 25, "models reported: " + (want.size() - errors));
    assertTrue(errors > 0, "some files are refused (testdata/scan)");
    assertTrue(rows > want.size());
  }

  @Test
  void aCopiedWeightsOnlyFileIsReadWithItsCompanionConfig(@TempDir Path tmp) throws Exception {
    Path hub = java.nio.file.Files.createDirectories(tmp.resolve("hub"));
    Path mlp = TestFiles.testdata().resolve("models/mlp");
    java.nio.file.Files.copy(mlp.resolve("tfkeras_weights.h5"), hub.resolve("w.h5"));
    java.nio.file.Files.copy(mlp.resolve("tfkeras.json"), hub.resolve("w.json"));
    Map<String, JsonNode> want = expected(List.of(hub.toUri().toString()));
    ReportJob.run(spark, List.of("remotefs://" + hub), null, tmp.resolve("out").toString(), 1);
    Map<String, JsonNode> got = read(tmp.resolve("out"));
    assertEquals(want.keySet(), got.keySet());
    String w = hub.resolve("w.h5").toString();
    assertTrue(want.get(w).path("configForm").isTextual(), "the companion gives the config");
    for (String p : want.keySet()) {
      JsonNode g = got.get(p);
      if (g.has("error")) { // errors name the path the job was given
        assertTrue(g.get("error").asText().startsWith("remotefs:" + p), g.toString());
        ((ObjectNode) g).put("error", g.get("error").asText().substring("remotefs:".length()));
      }
      assertSameDocument(want.get(p), g, p);
    }
  }
}
