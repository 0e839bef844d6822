package dev.initkit.spark;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.render.InitReportJson;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code initkit report --json}'s document ({@link InitReportJson}) as flat table rows: one {@code
 * model} row per file, then one row per {@code weight}, {@code warning}, {@code advice} and depth
 * step ({@code depth}), told apart by {@code kind}. Each JSON field has its column (nested objects
 * flattened, e.g. {@code observed.std} is {@code observedStd}); what a kind has not is null.
 * Numbers stay numbers (NaN and infinities are null, as in the JSON); the initializer as written
 * (any JSON) is its JSON text. Stateless.
 */
public final class ReportRows {
  private static final DataType STR = DataTypes.StringType;
  private static final DataType DBL = DataTypes.DoubleType;
  private static final DataType LNG = DataTypes.LongType;
  private static final DataType BOOL = DataTypes.BooleanType;
  private static final DataType STRS = DataTypes.createArrayType(STR, false);

  /** The columns, in order; see docs/scan.md. */
  public static final StructType SCHEMA =
      new StructType()
          .add("path", STR, false)
          .add("kind", STR, false)
          .add("format", STR, true)
          // model
          .add("kerasVersion", STR, true)
          .add("configForm", STR, true)
          .add("weights", LNG, true)
          .add("warnings", LNG, true)
          .add("reluLayers", LNG, true)
          .add("configuredFinalVariance", DBL, true)
          .add("configuredStatus", STR, true)
          .add("configuredFirstOutOfRange", STR, true)
          .add("observedFinalVariance", DBL, true)
          .add("observedStatus", STR, true)
          .add("observedFirstOutOfRange", STR, true)
          .add("error", STR, true)
          // weight, warning, advice, depth
          .add("layer", STR, true)
          .add("className", STR, true)
          .add("activation", STR, true)
          // weight
          .add("followingActivation", STR, true)
          .add("weight", STR, true)
          .add("role", STR, true)
          .add("shape", DataTypes.createArrayType(LNG, false), true)
          .add("dtype", STR, true)
          .add("depth", LNG, true)
          .add("head", BOOL, true)
          .add("trainable", BOOL, true)
          .add("initializer", STR, true)
          .add("initializerDescribe", STR, true)
          .add("initializerCommandLine", STR, true)
          .add("initializerSource", STR, true)
          .add("initializerKey", STR, true)
          .add("initializerAsWritten", STR, true)
          .add("initializerKerasLoadable", BOOL, true)
          .add("unitForgetBias", BOOL, true)
          .add("initializerNotes", STRS, true)
          .add("fanIn", DBL, true)
          .add("fanOut", DBL, true)
          .add("quantizationMode", STR, true)
          .add("quantizationPolicy", STR, true)
          .add("quantizationPart", STR, true)
          .add("quantizationDescribe", STR, true)
          .add("expectedMean", DBL, true)
          .add("expectedStd", DBL, true)
          .add("observedCount", LNG, true)
          .add("observedMean", DBL, true)
          .add("observedStd", DBL, true)
          .add("observedMin", DBL, true)
          .add("observedMax", DBL, true)
          .add("observedZeroFraction", DBL, true)
          .add("observedNonFinite", LNG, true)
          .add("stdRatio", DBL, true)
          .add("recommended", STR, true)
          .add("recommendedDescribe", STR, true)
          .add("recommendedCommandLine", STR, true)
          .add("recommendedKerasLoadable", BOOL, true)
          .add("recommendedReason", STR, true)
          .add("recommendationMet", BOOL, true)
          .add("warningCodes", STRS, true)
          .add("warningMessages", STRS, true)
          // warning, advice
          .add("code", STR, true)
          .add("message", STR, true)
          // depth
          .add("basis", STR, true)
          .add("step", LNG, true)
          .add("weightMeanSquare", DBL, true)
          .add("gain2", DBL, true)
          .add("variance", DBL, true)
          .add("mean", DBL, true)
          .add("std", DBL, true)
          .add("gradient", DBL, true)
          .add("inputs", STRS, true)
          .add("note", STR, true);

  private ReportRows() {}

  /** The rows of one report document, {@code path} naming the model. */
  public static List<Row> of(String path, JsonNode doc) {
    List<Row> out = new ArrayList<>();
    String format = str(doc.get("format"));
    Object[] m = row(path, "model", format);
    set(m, "kerasVersion", str(doc.get("kerasVersion")));
    set(m, "configForm", str(doc.get("configForm")));
    JsonNode totals = doc.path("totals");
    set(m, "weights", lng(totals.get("weights")));
    set(m, "warnings", lng(totals.get("warnings")));
    set(m, "reluLayers", lng(totals.get("reluLayers")));
    for (String basis : List.of("configured", "observed")) {
      JsonNode d = doc.path("depth").path(basis);
      set(m, basis + "FinalVariance", dbl(d.get("finalVariance")));
      set(m, basis + "Status", str(d.get("status")));
      set(m, basis + "FirstOutOfRange", str(d.get("firstOutOfRange")));
    }
    out.add(RowFactory.create(m));
    for (JsonNode w : doc.path("weights")) {
      out.add(weight(path, format, w));
    }
    for (String kind : List.of("warnings", "advice")) {
      for (JsonNode w : doc.path(kind)) {
        Object[] r = row(path, kind.equals("warnings") ? "warning" : "advice", format);
        set(r, "layer", str(w.get("layer")));
        set(r, "weight", str(w.get("weight")));
        set(r, "code", str(w.get("code")));
        set(r, "message", str(w.get("message")));
        out.add(RowFactory.create(r));
      }
    }
    for (String basis : List.of("configured", "observed")) {
      long i = 0;
      for (JsonNode s : doc.path("depth").path(basis).path("steps")) {
        Object[] r = row(path, "depth", format);
        set(r, "basis", basis);
        set(r, "step", i++);
        set(r, "layer", str(s.get("layer")));
        set(r, "className", str(s.get("className")));
        set(r, "activation", str(s.get("activation")));
        set(r, "fanIn", dbl(s.get("fanIn")));
        for (String f :
            List.of("weightMeanSquare", "gain2", "variance", "mean", "std", "gradient")) {
          set(r, f, dbl(s.get(f)));
        }
        set(r, "inputs", strs(s.get("inputs")));
        set(r, "note", str(s.get("note")));
        out.add(RowFactory.create(r));
      }
    }
    return out;
  }

  /** The one row of a file that could not be reported on. */
  public static Row error(String path, String format, String message) {
    Object[] r = row(path, "model", format);
    set(r, "error", message);
    return RowFactory.create(r);
  }

  private static Row weight(String path, String format, JsonNode w) {
    Object[] r = row(path, "weight", format);
    for (String f : List.of("layer", "className", "activation", "followingActivation", "weight")) {
      set(r, f, str(w.get(f)));
    }
    set(r, "role", str(w.get("role")));
    List<Long> shape = new ArrayList<>();
    w.path("shape").forEach(d -> shape.add(d.asLong()));
    set(r, "shape", shape.toArray(Long[]::new));
    set(r, "dtype", str(w.get("dtype")));
    set(r, "depth", lng(w.get("depth")));
    set(r, "head", bool(w.get("head")));
    set(r, "trainable", bool(w.get("trainable")));
    JsonNode init = w.path("initializer");
    set(r, "initializer", str(init.get("canonical")));
    set(r, "initializerDescribe", str(init.get("describe")));
    set(r, "initializerCommandLine", str(init.get("commandLine")));
    set(r, "initializerSource", str(init.get("source")));
    set(r, "initializerKey", str(init.get("key")));
    JsonNode written = init.get("asWritten");
    set(r, "initializerAsWritten", written == null || written.isNull() ? null : written.toString());
    set(r, "initializerKerasLoadable", bool(init.get("kerasLoadable")));
    set(r, "unitForgetBias", bool(init.get("unitForgetBias")));
    set(r, "initializerNotes", strs(init.get("notes")));
    set(r, "fanIn", dbl(w.get("fanIn")));
    set(r, "fanOut", dbl(w.get("fanOut")));
    JsonNode q = w.path("quantization");
    set(r, "quantizationMode", str(q.get("mode")));
    set(r, "quantizationPolicy", str(q.get("policy")));
    set(r, "quantizationPart", str(q.get("part")));
    set(r, "quantizationDescribe", str(q.get("describe")));
    set(r, "expectedMean", dbl(w.get("expectedMean")));
    set(r, "expectedStd", dbl(w.get("expectedStd")));
    JsonNode o = w.path("observed");
    set(r, "observedCount", lng(o.get("count")));
    set(r, "observedMean", dbl(o.get("mean")));
    set(r, "observedStd", dbl(o.get("std")));
    set(r, "observedMin", dbl(o.get("min")));
    set(r, "observedMax", dbl(o.get("max")));
    set(r, "observedZeroFraction", dbl(o.get("zeroFraction")));
    set(r, "observedNonFinite", lng(o.get("nonFinite")));
    set(r, "stdRatio", dbl(w.get("stdRatio")));
    JsonNode rec = w.path("recommended");
    JsonNode ri = rec.path("initializer");
    set(r, "recommended", str(ri.get("className")));
    set(r, "recommendedDescribe", str(ri.get("describe")));
    set(r, "recommendedCommandLine", str(ri.get("commandLine")));
    set(r, "recommendedKerasLoadable", bool(ri.get("kerasLoadable")));
    set(r, "recommendedReason", str(rec.get("reason")));
    set(r, "recommendationMet", bool(rec.get("met")));
    List<String> codes = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    for (JsonNode x : w.path("warnings")) {
      codes.add(x.path("code").asText());
      messages.add(x.path("message").asText());
    }
    set(r, "warningCodes", codes.toArray(String[]::new));
    set(r, "warningMessages", messages.toArray(String[]::new));
    return RowFactory.create(r);
  }

  private static Object[] row(String path, String kind, String format) {
    Object[] r = new Object[SCHEMA.size()];
    r[0] = path;
    r[1] = kind;
    r[2] = format;
    return r;
  }

  private static void set(Object[] row, String column, Object value) {
    row[SCHEMA.fieldIndex(column)] = value; // arrays as Java arrays, which Spark converts
  }

  private static String str(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode() ? null : n.asText();
  }

  private static Double dbl(JsonNode n) {
    return n == null || !n.isNumber() ? null : n.doubleValue();
  }

  private static Long lng(JsonNode n) {
    return n == null || !n.isNumber() ? null : n.longValue();
  }

  private static Boolean bool(JsonNode n) {
    return n == null || !n.isBoolean() ? null : n.booleanValue();
  }

  private static String[] strs(JsonNode n) {
    if (n == null || !n.isArray()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out.toArray(String[]::new);
  }
}
