package dev.initkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: the {@code --json} documents are a contract, pinned by the golden files in {@code
 * docs/json/} (see its README). Each case runs the CLI in-process on bundled testdata, normalizes
 * what legitimately varies per machine or run, and compares the tree with {@code
 * docs/json/<case>.json}; {@code -Dinitkit.golden.update=true} rewrites the goldens instead.
 *
 * <p>The commands that run DL4J in a child JVM (analyze, lsuv, compare) have their cases in {@link
 * JsonGoldenIT}: unit tests run no DL4J.
 */
class JsonGoldenTest {
  /**
   * Set to {@code true} to rewrite the golden files from the current output instead of comparing.
   */
  static final String UPDATE_PROPERTY = "initkit.golden.update";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * One golden case: the file {@code docs/json/<name>.json}, the exit code, the arguments. In the
   * arguments {@code <testdata>/} and {@code <tmp>/} stand for the testdata root and the case's own
   * empty temporary directory; {@code setup} may put files there first. {@code tolerance} is 0
   * (every number exact) except for documents of numbers DL4J computes (see {@link JsonGoldenIT}):
   * the relative difference allowed in their floating-point numbers.
   */
  record Case(String name, int exit, List<String> args, Setup setup, double tolerance) {
    Case(String name, int exit, List<String> args, Setup setup) {
      this(name, exit, List.copyOf(args), setup, 0);
    }
  }

  @FunctionalInterface
  interface Setup {
    void prepare(Path tmp) throws IOException;
  }

  private static Case ok(String name, String... args) {
    return new Case(name, ExitCodes.OK, List.of(args), t -> {});
  }

  private static Case failing(String name, int exit, String... args) {
    return new Case(name, exit, List.of(args), t -> {});
  }

  /** Every pinned case; the golden file of each is {@code docs/json/<name>.json}. */
  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // inspect: each container and Keras generation of the bundled models
    c.add(
        ok("inspect-mlp-keras3-keras", "inspect", "--json", "<testdata>/models/mlp/keras3.keras"));
    c.add(
        ok(
            "inspect-mlp-keras3-unzipped",
            "inspect",
            "--json",
            "<testdata>/models/mlp/keras3_unzipped"));
    c.add(ok("inspect-mlp-tfkeras-h5", "inspect", "--json", "<testdata>/models/mlp/tfkeras.h5"));
    c.add(
        ok(
            "inspect-mlp-tfkeras-weights-h5",
            "inspect",
            "--json",
            "<testdata>/models/mlp/tfkeras_weights.h5"));
    c.add(
        ok(
            "inspect-mlp-keras3-weights-h5",
            "inspect",
            "--json",
            "<testdata>/models/mlp/keras3.weights.h5"));
    c.add(
        ok("inspect-conv2d-keras3-h5", "inspect", "--json", "<testdata>/models/conv2d/keras3.h5"));
    c.add(ok("inspect-lstm-tfkeras-h5", "inspect", "--json", "<testdata>/models/lstm/tfkeras.h5"));
    c.add(
        ok(
            "inspect-compiled-keras3-keras",
            "inspect",
            "--json",
            "<testdata>/models/compiled/keras3.keras"));

    // scan: config, zip and health rules, a file the reader refuses, --fail-on's own exit code
    c.add(
        ok(
            "scan-hostile",
            "scan",
            "--json",
            "<testdata>/scan/lambda_nested.h5",
            "<testdata>/scan/zip_traversal.keras",
            "<testdata>/scan/health_zero.keras"));
    c.add(
        failing(
            "scan-fail-on-high",
            ExitCodes.FINDINGS,
            "scan",
            "--json",
            "--fail-on",
            "high",
            "<testdata>/scan/vocab_url.keras"));

    // report
    c.add(ok("report-mlp-tfkeras-h5", "report", "--json", "<testdata>/models/mlp/tfkeras.h5"));
    c.add(
        ok(
            "report-conv2d-keras3-keras",
            "report",
            "--json",
            "<testdata>/models/conv2d/keras3.keras"));
    c.add(
        ok("report-lstm-keras3-keras", "report", "--json", "<testdata>/models/lstm/keras3.keras"));
    c.add(
        ok(
            "report-mlp-inits-tfkeras-h5",
            "report",
            "--json",
            "<testdata>/models/mlp_inits/tfkeras.h5"));

    // convert
    c.add(
        ok(
            "convert-mlp-tfkeras-h5-to-keras",
            "convert",
            "--json",
            "<testdata>/models/mlp/tfkeras.h5",
            "-o",
            "<tmp>/out.keras"));
    c.add(
        ok(
            "convert-conv2d-keras3-keras-to-h5",
            "convert",
            "--json",
            "<testdata>/models/conv2d/keras3.keras",
            "-o",
            "<tmp>/out.h5"));

    // reinit
    c.add(
        ok(
            "reinit-lstm-dry-run",
            "reinit",
            "--json",
            "<testdata>/models/lstm/keras3.keras",
            "--dry-run",
            "--seed",
            "5"));
    c.add(
        ok(
            "reinit-mlp-he-normal",
            "reinit",
            "--json",
            "<testdata>/models/mlp/tfkeras.h5",
            "-o",
            "<tmp>/out.h5",
            "--scheme",
            "he_normal",
            "--seed",
            "42"));

    // set-init
    c.add(
        ok(
            "set-init-mlp-keras3-keras",
            "set-init",
            "--json",
            "<testdata>/models/mlp/keras3.keras",
            "-o",
            "<tmp>/out.keras",
            "--rule",
            "role:kernel=he_normal(seed=3)",
            "--rule",
            "role:bias=zeros"));
    c.add(
        ok(
            "set-init-lstm-dry-run",
            "set-init",
            "--json",
            "<testdata>/models/lstm/keras3.keras",
            "-o",
            "<tmp>/out.keras",
            "--rule",
            "all=glorot_uniform(seed=1)",
            "--dry-run"));

    // transplant: the plan only, a written result, and the --strict failure (exit 6, with the plan)
    c.add(
        ok(
            "transplant-cnn-head3-dry-run",
            "transplant",
            "--json",
            "--from",
            "<testdata>/models/transplant/cnn/source.keras",
            "--to",
            "<testdata>/models/transplant/cnn/head3.keras",
            "--adapt",
            "head=fresh",
            "--dry-run"));
    c.add(
        ok(
            "transplant-cnn-extra",
            "transplant",
            "--json",
            "--from",
            "<testdata>/models/transplant/cnn/source.keras",
            "--to",
            "<testdata>/models/transplant/cnn/extra.keras",
            "-o",
            "<tmp>/out.keras",
            "--seed",
            "7"));
    c.add(
        ok(
            "transplant-lstm-units8-adapt",
            "transplant",
            "--json",
            "--from",
            "<testdata>/models/transplant/rnn/lstm_source.keras",
            "--to",
            "<testdata>/models/transplant/rnn/lstm_units8.keras",
            "--adapt",
            "units",
            "--dry-run"));
    c.add(
        failing(
            "transplant-cnn-head3-strict-error",
            ExitCodes.CHECK_FAILED,
            "transplant",
            "--json",
            "--from",
            "<testdata>/models/transplant/cnn/source.keras",
            "--to",
            "<testdata>/models/transplant/cnn/head3.keras",
            "-o",
            "<tmp>/out.keras",
            "--strict"));

    // failure documents
    c.add(
        failing(
            "error-usage-unknown-option",
            ExitCodes.USAGE,
            "inspect",
            "--bogus",
            "<testdata>/models/mlp/keras3.keras",
            "--json"));
    c.add(
        failing("error-io-missing-file", ExitCodes.IO, "--json", "inspect", "<tmp>/missing.keras"));
    c.add(
        new Case(
            "error-malformed-not-a-model",
            ExitCodes.MALFORMED,
            List.of("report", "--json", "<tmp>/junk.h5"),
            t ->
                Files.writeString(
                    t.resolve("junk.h5"), "this is not a model\n", StandardCharsets.UTF_8)));
    return c;
  }

  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> goldens() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c, tmp)));
  }

  /** A golden file without a case is stale: remove it, or add its case. */
  @Test
  void everyGoldenHasACase() throws IOException {
    Set<String> names = new TreeSet<>();
    Stream.concat(cases().stream(), JsonGoldenIT.cases().stream())
        .forEach(c -> assertTrue(names.add(c.name()), "duplicate case " + c.name()));
    List<String> stale = new ArrayList<>();
    try (Stream<Path> s = Files.list(goldenDir())) {
      s.map(p -> p.getFileName().toString())
          .filter(f -> f.endsWith(".json"))
          .filter(f -> !names.contains(f.substring(0, f.length() - ".json".length())))
          .sorted()
          .forEach(stale::add);
    }
    assertEquals(
        List.of(),
        stale,
        "golden files in " + goldenDir() + " without a case in JsonGoldenTest or JsonGoldenIT");
  }

  /** Runs one case in its own directory under {@code tmp} and compares (or rewrites) its golden. */
  static void check(Case c, Path tmp) throws IOException {
    Path caseTmp = Files.createDirectories(tmp.resolve(c.name()));
    c.setup().prepare(caseTmp);
    Path testdata = Cli.testdata();
    Object[] args =
        c.args().stream()
            .map(
                a ->
                    a.replace("<testdata>/", testdata.toString() + "/")
                        .replace("<tmp>/", caseTmp.toString() + "/"))
            .toArray();
    Cli.Result r = Cli.run(args).assertExit(c.exit());
    JsonNode actual = normalize(r.json(), testdata, caseTmp);
    Path golden = goldenDir().resolve(c.name() + ".json");
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      StringWriter s = new StringWriter();
      JsonOutput.write(new PrintWriter(s), actual);
      Files.writeString(golden, s.toString(), StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(golden)) {
      fail("missing golden file " + golden + " (write it with -D" + UPDATE_PROPERTY + "=true)");
    }
    JsonNode expected = MAPPER.readTree(Files.readString(golden, StandardCharsets.UTF_8));
    String diff = firstDifference(expected, actual, "", c.tolerance());
    if (diff != null) {
      fail(
          "--json output differs from golden "
              + golden
              + " at "
              + diff
              + "\n(if the change is intended, rewrite the goldens with -D"
              + UPDATE_PROPERTY
              + "=true and review the diff; docs/json/README.md)");
    }
  }

  /** {@code docs/json/} beside testdata/ in the repository. */
  static Path goldenDir() {
    return Cli.testdata().toAbsolutePath().normalize().getParent().resolve("docs").resolve("json");
  }

  // ------------------------------------------------------------------------------------------
  // normalization: only what varies per machine or run

  /**
   * A copy of the document with machine- and run-specific values replaced:
   *
   * <ul>
   *   <li>the testdata root and the case's temporary directory in any string become {@code
   *       <testdata>} and {@code <tmp>} (with {@code /} separators after them);
   *   <li>initkit's own version in any string becomes {@code <version>} (none of today's documents
   *       carries it; this keeps a release from touching every golden should one start to);
   *   <li>wall-clock durations (a number under a key {@value #DURATION_KEYS}: compare's epochs)
   *       become {@code "<seconds>"}; a null stays null;
   *   <li>in {@code report} documents, the numbers under {@code /depth} are rounded to 6
   *       significant digits: the depth estimate goes through {@code Math.exp}, {@code Math.log}
   *       and {@code Math.pow} (GaussianMoments, SignalEstimate), which HotSpot may compute with
   *       CPU-specific intrinsics that differ in the last bit. Everything else stays exact: weight
   *       statistics and shapes come from the stored bytes in sequential double arithmetic.
   * </ul>
   */
  static JsonNode normalize(JsonNode doc, Path testdata, Path tmp) {
    Map<String, String> replace = new LinkedHashMap<>();
    for (Path t : variants(tmp)) {
      replace.put(t.toString(), "<tmp>");
    }
    for (Path t : variants(testdata)) {
      replace.put(t.toString(), "<testdata>");
    }
    String version = VersionProvider.version();
    if (version.matches(".*\\d.*")) {
      replace.put(version, "<version>");
    }
    JsonNode copy = doc.deepCopy();
    JsonNode out = strings(copy, replace);
    if ("report".equals(out.path("command").asText()) && out.has("depth")) {
      ((ObjectNode) out).set("depth", round(out.get("depth")));
    }
    return out;
  }

  /**
   * The path as given, absolute and normalized, and real (longest first, so they replace cleanly).
   */
  private static List<Path> variants(Path p) {
    Set<String> seen =
        new TreeSet<>(
            (a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b));
    seen.add(p.toString());
    seen.add(p.toAbsolutePath().normalize().toString());
    try {
      seen.add(p.toRealPath().toString());
    } catch (IOException e) {
      // not there: nothing more to replace
    }
    return seen.stream().map(Path::of).toList();
  }

  /** The keys whose numbers are wall-clock durations. */
  static final String DURATION_KEYS = "seconds, secondsToTarget";

  private static final Set<String> DURATIONS = Set.of(DURATION_KEYS.split(", "));

  private static final Pattern PLACEHOLDER_PATH = Pattern.compile("(<testdata>|<tmp>)([^\\s'\"]*)");

  private static JsonNode strings(JsonNode n, Map<String, String> replace) {
    if (n.isTextual()) {
      String s = n.asText();
      for (Map.Entry<String, String> e : replace.entrySet()) {
        s = s.replace(e.getKey(), e.getValue());
      }
      Matcher m = PLACEHOLDER_PATH.matcher(s);
      StringBuilder b = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(
            b, Matcher.quoteReplacement(m.group(1) + m.group(2).replace('\\', '/')));
      }
      m.appendTail(b);
      return TextNode.valueOf(b.toString());
    }
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      List<String> keys = new ArrayList<>();
      o.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        JsonNode v = o.get(k);
        o.set(
            k,
            DURATIONS.contains(k) && v.isNumber()
                ? TextNode.valueOf("<seconds>")
                : strings(v, replace));
      }
    } else if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        a.set(i, strings(a.get(i), replace));
      }
    }
    return n;
  }

  /** Every floating-point number in the tree rounded to 6 significant digits. */
  private static JsonNode round(JsonNode n) {
    if (n.isFloatingPointNumber()) {
      double d = n.doubleValue();
      return Double.isFinite(d) && d != 0
          ? DoubleNode.valueOf(new BigDecimal(d).round(new MathContext(6)).doubleValue())
          : n;
    }
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      List<String> keys = new ArrayList<>();
      o.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        o.set(k, round(o.get(k)));
      }
    } else if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        a.set(i, round(a.get(i)));
      }
    }
    return n;
  }

  // ------------------------------------------------------------------------------------------
  // comparison

  /**
   * The first difference as {@code <JSON pointer>: expected <x>, actual <y>}, or null when the
   * trees are equal. Objects must have the same keys in the same order (the order the CLI emits);
   * numbers compare by value, so {@code 1.0} in a golden matches {@code 1.0} however it was parsed.
   */
  static String firstDifference(JsonNode expected, JsonNode actual, String pointer) {
    return firstDifference(expected, actual, pointer, 0);
  }

  /**
   * As {@link #firstDifference(JsonNode, JsonNode, String)}, but two floating-point numbers are
   * equal when they differ by at most {@code tolerance} relative to the larger (and to at least
   * 1e-3: values near zero get that absolute slack times the tolerance).
   */
  static String firstDifference(
      JsonNode expected, JsonNode actual, String pointer, double tolerance) {
    String at = pointer.isEmpty() ? "/" : pointer;
    if (expected.isNumber() && actual.isNumber()) {
      if (expected.isIntegralNumber() == actual.isIntegralNumber()
          && expected.decimalValue().compareTo(actual.decimalValue()) == 0) {
        return null;
      }
      if (tolerance > 0 && expected.isFloatingPointNumber() && actual.isFloatingPointNumber()) {
        double e = expected.doubleValue();
        double a = actual.doubleValue();
        if (Math.abs(e - a) <= tolerance * Math.max(1e-3, Math.max(Math.abs(e), Math.abs(a)))) {
          return null;
        }
        return at
            + ": expected "
            + expected
            + ", actual "
            + actual
            + " (beyond the relative tolerance "
            + tolerance
            + ")";
      }
      return at + ": expected " + expected + ", actual " + actual;
    }
    if (expected.getNodeType() != actual.getNodeType()) {
      return at
          + ": expected "
          + expected.getNodeType().name().toLowerCase()
          + " "
          + brief(expected)
          + ", actual "
          + actual.getNodeType().name().toLowerCase()
          + " "
          + brief(actual);
    }
    if (expected.isObject()) {
      List<String> ek = new ArrayList<>();
      expected.fieldNames().forEachRemaining(ek::add);
      List<String> ak = new ArrayList<>();
      actual.fieldNames().forEachRemaining(ak::add);
      for (String k : ek) {
        if (!actual.has(k)) {
          return child(pointer, k) + ": expected " + brief(expected.get(k)) + ", actual missing";
        }
      }
      for (String k : ak) {
        if (!expected.has(k)) {
          return child(pointer, k) + ": expected missing, actual " + brief(actual.get(k));
        }
      }
      for (String k : ek) {
        String d = firstDifference(expected.get(k), actual.get(k), child(pointer, k), tolerance);
        if (d != null) {
          return d;
        }
      }
      if (!ek.equals(ak)) {
        return at + ": key order: expected " + ek + ", actual " + ak;
      }
      return null;
    }
    if (expected.isArray()) {
      int n = Math.min(expected.size(), actual.size());
      for (int i = 0; i < n; i++) {
        String d = firstDifference(expected.get(i), actual.get(i), pointer + "/" + i, tolerance);
        if (d != null) {
          return d;
        }
      }
      if (expected.size() != actual.size()) {
        String p = pointer + "/" + n;
        return expected.size() > n
            ? p
                + ": expected "
                + brief(expected.get(n))
                + ", actual missing (array of "
                + actual.size()
                + " instead of "
                + expected.size()
                + ")"
            : p
                + ": expected missing, actual "
                + brief(actual.get(n))
                + " (array of "
                + actual.size()
                + " instead of "
                + expected.size()
                + ")";
      }
      return null;
    }
    return expected.equals(actual) ? null : at + ": expected " + expected + ", actual " + actual;
  }

  private static String child(String pointer, String key) {
    return pointer + "/" + key.replace("~", "~0").replace("/", "~1");
  }

  /** A value for a message: the JSON text, cut after 200 characters. */
  private static String brief(JsonNode n) {
    String s = n.toString();
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  /** The comparison itself: a changed value, a missing key, a reordered object, a longer array. */
  @Test
  void differencesNameTheirPointer() throws IOException {
    JsonNode a = MAPPER.readTree("{\"a\": 1, \"b\": {\"c/d\": [1.5, \"x\"]}}");
    assertEquals(
        null,
        firstDifference(a, MAPPER.readTree("{\"a\": 1, \"b\": {\"c/d\": [1.50, \"x\"]}}"), ""));
    assertEquals(
        "/b/c~1d/1: expected \"x\", actual \"y\"",
        firstDifference(a, MAPPER.readTree("{\"a\": 1, \"b\": {\"c/d\": [1.5, \"y\"]}}"), ""));
    assertEquals(
        "/a: expected 1, actual missing",
        firstDifference(a, MAPPER.readTree("{\"b\": {\"c/d\": [1.5, \"x\"]}}"), ""));
    assertEquals(
        "/: key order: expected [a, b], actual [b, a]",
        firstDifference(a, MAPPER.readTree("{\"b\": {\"c/d\": [1.5, \"x\"]}, \"a\": 1}"), ""));
    assertEquals(
        "/b/c~1d/2: expected missing, actual null (array of 3 instead of 2)",
        firstDifference(
            a, MAPPER.readTree("{\"a\": 1, \"b\": {\"c/d\": [1.5, \"x\", null]}}"), ""));
    assertEquals(
        "/a: expected 1, actual 1.0",
        firstDifference(a, MAPPER.readTree("{\"a\": 1.0, \"b\": {\"c/d\": [1.5, \"x\"]}}"), ""));
    JsonNode f = MAPPER.readTree("[0.5, 1e-9]");
    assertEquals(null, firstDifference(f, MAPPER.readTree("[0.50002, 1.5e-9]"), "", 1e-4));
    assertEquals(
        "/0: expected 0.5, actual 0.5001 (beyond the relative tolerance 1.0E-4)",
        firstDifference(f, MAPPER.readTree("[0.5001, 1e-9]"), "", 1e-4));
    assertEquals(
        "/0: expected 0.5, actual 0.50002",
        firstDifference(f, MAPPER.readTree("[0.50002, 1e-9]"), ""));
  }

  /** Paths become placeholders with forward slashes; other strings stay as they are. */
  @Test
  void normalizationReplacesOnlyPaths() throws IOException {
    Path td = Path.of("/data/testdata");
    Path t = Path.of("/scratch/junit1/case");
    JsonNode doc =
        MAPPER.readTree(
            "{\"command\": \"inspect\", \"file\": \"/data/testdata/models/m.h5\","
                + " \"out\": \"/scratch/junit1/case/o.keras\", \"msg\": \"cannot read /scratch/junit1/case/x: no\","
                + " \"n\": 0.123456789}");
    JsonNode n = normalize(doc, td, t);
    assertEquals("<testdata>/models/m.h5", n.get("file").asText());
    assertEquals("<tmp>/o.keras", n.get("out").asText());
    assertEquals("cannot read <tmp>/x: no", n.get("msg").asText());
    assertEquals(0.123456789, n.get("n").asDouble());
    JsonNode runs =
        normalize(
            MAPPER.readTree("{\"runs\": [{\"seconds\": 2.17, \"secondsToTarget\": null}]}"), td, t);
    assertEquals(
        "{\"runs\":[{\"seconds\":\"<seconds>\",\"secondsToTarget\":null}]}", runs.toString());
    Iterator<String> keys = n.fieldNames();
    assertEquals("command", keys.next());
  }
}
