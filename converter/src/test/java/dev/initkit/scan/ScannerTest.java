package dev.initkit.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scanner against the hostile and health files {@code testdata/generate_scan.py} built with
 * real Keras and h5py (never loaded), the clean models of testdata, and every file of the corpus.
 */
class ScannerTest {
  private static final Scanner SCANNER = new Scanner(Scanner.Options.defaults().withThreads(2));

  /** The rules that need saved_model.pb read: raised with the savedmodel module installed. */
  private static final Set<String> GRAPH_RULES =
      Set.of(
          "savedmodel-host-op",
          "savedmodel-python-op",
          "savedmodel-init-op",
          "savedmodel-asset-path",
          "savedmodel-foreign-object",
          "savedmodel-graph-unchecked");

  private static List<FileScan> scan(List<Path> roots, Scanner s) throws Exception {
    List<FileScan> out = new ArrayList<>();
    s.scan(roots, out::add);
    return out;
  }

  private static String name(FileScan r) {
    return Path.of(r.path()).getFileName().toString();
  }

  private static Set<String> described(FileScan r) {
    return r.findings().stream()
        .map(f -> f.rule() + "|" + f.location().member() + "|" + f.location().layerPath())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void everyHostileFileRaisesExactlyItsRulesAtTheirLocations() throws Exception {
    Map<String, Set<String>> got = new TreeMap<>();
    Map<String, String> errors = new TreeMap<>();
    for (FileScan r : scan(List.of(TestFiles.testdata().resolve("scan")), SCANNER)) {
      got.put(name(r), described(r));
      if (r.error() != null) {
        errors.put(name(r), r.error());
      }
    }
    Map<String, Set<String>> want = new TreeMap<>();
    want.put("bidirectional_foreign.keras", Set.of("foreign-module|config.json|bi/backward_lstm"));
    want.put("rnn_cell_foreign.keras", Set.of("foreign-module|config.json|rnn/cell"));
    want.put("clean.h5", Set.of());
    want.put("clean.keras", Set.of());
    want.put("foreign_module.keras", Set.of("foreign-module|config.json|d1", "unreadable||"));
    want.put("h5_external_link.h5", Set.of("h5-external-link|/model_weights/d1/leak|"));
    want.put("h5_external_storage.h5", Set.of("h5-external-storage|/model_weights/d1/ext|"));
    want.put("h5_shape_bomb.h5", Set.of("shape-bomb|/model_weights/d1/huge|"));
    want.put("h5_gzip.h5", Set.of());
    want.put("h5_gzip_bomb.h5", Set.of("shape-bomb|/model_weights/d1/huge|"));
    want.put("h5_virtual.h5", Set.of("h5-virtual-dataset|/model_weights/d1/virtual|"));
    want.put("health_constant.keras", Set.of("constant-kernel||d1"));
    want.put("keras_utility.keras", Set.of("keras-utility-call|config.json|d2"));
    want.put("health_nan.keras", Set.of("non-finite-weights||d1"));
    want.put("health_scaled.keras", Set.of("depth-exploding||", "weight-spread||d1"));
    want.put("health_zero.keras", Set.of("zero-kernel||d1", "depth-vanishing||"));
    want.put(
        "lambda_nested.h5",
        Set.of(
            "h5-lambda|/@model_config|inner/td/lambda",
            "lambda-code|/@model_config|inner/td/lambda"));
    want.put("lambda_nested.keras", Set.of("lambda-code|config.json|inner/td/lambda"));
    want.put("tfsm_layer.keras", Set.of("tfsm-layer|config.json|d1", "unreadable||"));
    want.put("unsafe_deserialization.keras", Set.of("unsafe-deserialization|config.json|d1"));
    want.put("vocab_file.keras", Set.of("lookup-vocabulary-path|config.json|words"));
    want.put("vocab_url.keras", Set.of("lookup-vocabulary-path|config.json|words"));
    want.put("zip_bomb.keras", Set.of("zip-bomb|assets/zeros.bin|"));
    want.put("zip_disguised.keras", Set.of("zip-member-mismatch|model.weights.h5|"));
    want.put("zip_duplicate.keras", Set.of("zip-duplicate-member|config.json|"));
    want.put("zip_traversal.keras", Set.of("zip-path-traversal|../../evil.txt|"));
    // SavedModels: without the savedmodel module (not a dependency of this one) the graph is not
    // examined and the model cannot be opened; SavedModelScanTest (savedmodel) pins their findings
    Set<String> unchecked = Set.of("savedmodel-graph-unchecked|saved_model.pb|", "unreadable||");
    for (String sm :
        List.of(
            "sm_asset_escape",
            "sm_foreign_object",
            "sm_init_write",
            "sm_py_func",
            "sm_read_file",
            "sm_tf1_main_op",
            "sm_write_file",
            "tfk_clean_sm",
            "tfk_custom_module_sm",
            "tfk_lambda_nested_sm",
            "tfk_lambda_sm")) {
      want.put(sm, unchecked);
    }
    want.put(
        "sm_pbtxt_read_file",
        Set.of("savedmodel-graph-unchecked|saved_model.pbtxt|", "unreadable||"));
    // tf-keras's .h5 writer (generate_scan_savedmodel.py)
    want.put("tfk_clean.h5", Set.of());
    want.put("tfk_custom_module.h5", Set.of("foreign-module|/@model_config|d1"));
    want.put(
        "tfk_lambda.h5",
        Set.of("h5-lambda|/@model_config|double", "lambda-code|/@model_config|double"));
    want.put(
        "tfk_lambda_nested.h5",
        Set.of(
            "h5-lambda|/@model_config|inner/td/shift",
            "lambda-code|/@model_config|inner/td/shift"));
    assertEquals(want, got);
    // every rule has a file that raises it (the graph rules' files: in SavedModelScanTest)
    Set<String> raised = new TreeSet<>();
    got.values().forEach(v -> v.forEach(d -> raised.add(d.substring(0, d.indexOf('|')))));
    Set<String> all =
        Rules.ALL.stream().map(Rule::id).collect(Collectors.toCollection(TreeSet::new));
    all.removeAll(GRAPH_RULES);
    all.add(Rules.SAVEDMODEL_GRAPH_UNCHECKED.id());
    assertEquals(all, raised);
    // the reader refuses these two outright; the scan still says rule by rule why
    assertEquals(Set.of("zip_duplicate.keras", "zip_traversal.keras"), errors.keySet());
  }

  @Test
  void findingsCarryTheirRulesSeverityAndCve() throws Exception {
    FileScan r = SCANNER.scan(TestFiles.testdata().resolve("scan/lambda_nested.h5"));
    for (Finding f : r.findings()) {
      Rule rule = Rules.ALL.stream().filter(x -> x.id().equals(f.rule())).findFirst().get();
      assertEquals(rule.severity(), f.severity());
      assertEquals(rule.cve(), f.cve());
    }
    assertEquals(
        Set.of("CVE-2024-3660", "CVE-2025-9905"),
        r.findings().stream().map(Finding::cve).collect(Collectors.toSet()));
    assertTrue(r.findings().get(0).location().file().endsWith("lambda_nested.h5"));
  }

  @Test
  void cleanModelsRaiseNothingAtHighSeverity() throws Exception {
    List<Path> roots = new ArrayList<>(TestFiles.catalogueRoots());
    roots.add(TestFiles.testdata().resolve("models"));
    roots.add(TestFiles.testdata().resolve("safetensors"));
    Scanner noHealth = new Scanner(Scanner.Options.defaults().withThreads(2).withHealth(false));
    List<FileScan> all = scan(roots, noHealth);
    assertTrue(all.size() >= 450, "scanned " + all.size());
    for (FileScan r : all) {
      assertNull(r.error(), r.path());
      for (Finding f : r.findings()) {
        assertTrue(f.severity() != Severity.HIGH, r.path() + ": " + f);
      }
    }
  }

  @Test
  void everyCorpusFileIsScannedAndItsHighFindingsArePinned() throws Exception {
    Path corpus = TestFiles.corpus();
    List<String> lines = Files.readAllLines(corpus.resolve("MANIFEST.tsv"));
    List<String> header = List.of(lines.get(0).split("\t", -1));
    int layers = header.indexOf("layer_classes");
    int format = header.indexOf("format");
    List<Path> files = new ArrayList<>();
    Set<String> h5Lambdas = new TreeSet<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      Path p = corpus.resolve(f[0]);
      files.add(p);
      if (f[format].equals("h5-full") && List.of(f[layers].split(",")).contains("Lambda")) {
        h5Lambdas.add(p.getFileName().toString());
      }
    }
    Map<String, Set<String>> high = new TreeMap<>();
    List<FileScan> results = new ArrayList<>();
    SCANNER.scan(files, results::add);
    assertEquals(files.size(), results.size());
    for (FileScan r : results) {
      assertNull(r.error(), r.path() + ": " + r.error());
      Set<String> rules =
          r.findings().stream()
              .filter(f -> f.severity() == Severity.HIGH)
              .map(Finding::rule)
              .collect(Collectors.toCollection(TreeSet::new));
      if (!rules.isEmpty()) {
        high.put(name(r), rules);
      }
    }
    Set<String> lambda = Set.of("h5-lambda", "lambda-code");
    Map<String, Set<String>> want = new TreeMap<>();
    want.put("k1-lambda-space-to-depth.h5", lambda);
    want.put("k2-lambda-concat-functional.h5", lambda);
    want.put("k2-lambda-sequential.h5", lambda);
    want.put("tfk-deepfm-lambda-embedding-optimizer.h5", lambda);
    want.put("k3-qkeras-custom-layers-3.14.keras", Set.of("foreign-module"));
    assertEquals(want, high);
    // the manifest, written when the corpus was collected, agrees on which hold Lambda layers
    for (String f : h5Lambdas) {
      assertEquals(lambda, high.get(f), f);
    }
  }

  @Test
  void aLinkOutOfTheTreeIsNotFollowedAndOneInsideIs(@TempDir Path dir) throws Exception {
    Path outside = TestFiles.testdata().resolve("scan/lambda_nested.h5").toAbsolutePath();
    Files.createSymbolicLink(dir.resolve("away.h5"), outside);
    Files.copy(outside, dir.resolve("here.h5"));
    Files.createSymbolicLink(dir.resolve("alias.h5"), dir.resolve("here.h5"));
    Map<String, FileScan> got = new TreeMap<>();
    for (FileScan r : scan(List.of(dir), SCANNER)) {
      got.put(name(r), r);
    }
    assertEquals(Set.of("alias.h5", "away.h5", "here.h5"), got.keySet());
    assertTrue(got.get("away.h5").findings().isEmpty());
    assertTrue(got.get("away.h5").error().contains("outside the tree: not followed"));
    assertEquals(described(got.get("here.h5")), described(got.get("alias.h5")));
    assertEquals(2, got.get("here.h5").findings().size());
  }

  @Test
  void aDamagedFileIsAnErrorEntryAndTheScanGoesOn(@TempDir Path dir) throws Exception {
    byte[] h5 = Files.readAllBytes(TestFiles.testdata().resolve("scan/clean.h5"));
    Files.write(dir.resolve("a_truncated.h5"), java.util.Arrays.copyOf(h5, 700));
    Files.writeString(dir.resolve("b_text.keras"), "<html>not found</html>");
    Files.write(dir.resolve("c_ok.h5"), h5);
    Files.writeString(dir.resolve("notes.txt"), "not scanned: not a model name");
    List<FileScan> got = scan(List.of(dir), SCANNER);
    assertEquals(
        List.of("a_truncated.h5", "b_text.keras", "c_ok.h5"),
        got.stream().map(ScannerTest::name).collect(Collectors.toList()));
    assertNotNull(got.get(0).error());
    assertTrue(got.get(1).error().contains("b_text.keras"), got.get(1).error());
    assertNull(got.get(2).error());
    assertEquals("h5", got.get(2).format());
  }

  /** Found by FuzzIT: a SavedModel whose saved_model.pb is gone was walked and gave no entry. */
  @Test
  void aSavedModelWithoutItsGraphIsOneErrorEntry(@TempDir Path dir) throws Exception {
    Path sm = dir.resolve("sm");
    Path src = TestFiles.corpus().resolve("savedmodel/tf2.11-keras-functional-dense");
    try (var files = Files.walk(src)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path to = sm.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    Files.delete(sm.resolve("saved_model.pb"));
    for (List<Path> roots : List.of(List.of(sm), List.of(dir))) {
      List<FileScan> got = scan(roots, SCANNER);
      assertEquals(1, got.size(), got.toString());
      assertEquals("sm", name(got.get(0)));
      assertNotNull(got.get(0).error());
      assertTrue(got.get(0).error().contains("saved_model.pb"), got.get(0).error());
    }
  }

  /** Found by FuzzIT: a directory named on the command line is never dropped from the results. */
  @Test
  void aNamedDirectoryWithNoModelIsOneErrorEntry(@TempDir Path dir) throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(empty.resolve("notes.txt"), "no model here");
    List<FileScan> got = scan(List.of(empty), SCANNER);
    assertEquals(1, got.size(), got.toString());
    assertTrue(got.get(0).error().contains("no model file"), got.get(0).error());
    // inside a walk, a directory without models is simply passed over
    Files.write(
        dir.resolve("ok.h5"), Files.readAllBytes(TestFiles.testdata().resolve("scan/clean.h5")));
    assertEquals(
        List.of("ok.h5"),
        scan(List.of(dir), SCANNER).stream().map(ScannerTest::name).collect(Collectors.toList()));
  }

  @Test
  void ruleIdsAreUniqueAndEveryOneIsDocumented() throws Exception {
    Set<String> ids = new TreeSet<>();
    String doc = Files.readString(TestFiles.testdata().resolveSibling("docs/scan.md"));
    for (Rule r : Rules.ALL) {
      assertTrue(ids.add(r.id()), r.id());
      assertTrue(doc.contains("`" + r.id() + "`"), "docs/scan.md lacks " + r.id());
      if (r.cve() != null) {
        assertTrue(doc.contains(r.cve()), "docs/scan.md lacks " + r.cve());
      }
    }
  }
}
