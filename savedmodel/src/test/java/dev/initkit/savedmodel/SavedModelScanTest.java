package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;
import dev.initkit.scan.Rule;
import dev.initkit.scan.Rules;
import dev.initkit.scan.Scanner;
import dev.initkit.scan.Severity;
import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scanner with this module installed (its {@link TfSavedModelGraphReader} reads {@code
 * saved_model.pb}) on the SavedModel and tf-keras files {@code
 * testdata/generate_scan_savedmodel.py} wrote with real TensorFlow 2.20 and tf-keras 2.20 (never
 * run or loaded), and on every SavedModel of the bundled models and the corpus.
 */
class SavedModelScanTest {
  private static final Scanner SCANNER = new Scanner(Scanner.Options.defaults().withThreads(2));

  private static List<FileScan> scan(List<Path> roots) throws Exception {
    List<FileScan> out = new ArrayList<>();
    SCANNER.scan(roots, out::add);
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
  void everySavedModelAndTfKerasFileRaisesExactlyItsRules() throws Exception {
    Map<String, Set<String>> got = new TreeMap<>();
    for (FileScan r : scan(List.of(TestFiles.testdata().resolve("scan")))) {
      String n = name(r);
      if (n.startsWith("sm_") || n.startsWith("tfk_")) {
        assertNull(r.error(), n + ": " + r.error());
        got.put(n, described(r));
      }
    }
    Map<String, Set<String>> want = new TreeMap<>();
    String pb = "|saved_model.pb|";
    want.put(
        "sm_asset_escape",
        Set.of(
            "savedmodel-asset-path" + pb + "asset_file_def[0]",
            "savedmodel-asset-path" + pb + "asset_file_def[1]"));
    want.put(
        "sm_foreign_object",
        Set.of("savedmodel-foreign-object" + pb + "object_graph_def/nodes[0]"));
    want.put(
        "sm_init_write",
        Set.of(
            "savedmodel-host-op" + pb + "__inference__initializer_193/WriteFile",
            "savedmodel-init-op" + pb + "NoOp"));
    want.put(
        "sm_py_func",
        Set.of(
            "savedmodel-python-op" + pb + "__inference_numpy_129/PyFunc",
            "savedmodel-python-op" + pb + "__inference_eager_124/EagerPyFunc"));
    want.put(
        "sm_read_file",
        Set.of(
            "savedmodel-host-op" + pb + "__inference_serve_75/MatchingFiles",
            "savedmodel-host-op" + pb + "__inference_serve_75/ReadFile",
            "savedmodel-host-op" + pb + "__inference_keys_65/ReadFile"));
    // the same graph as text (saved_model.pbtxt, which TensorFlow loads when there is no .pb);
    // initkit's model reader refuses text graphs, so the health rules cannot open it
    String pbtxt = "|saved_model.pbtxt|";
    want.put(
        "sm_pbtxt_read_file",
        Set.of(
            "savedmodel-host-op" + pbtxt + "__inference_serve_75/MatchingFiles",
            "savedmodel-host-op" + pbtxt + "__inference_serve_75/ReadFile",
            "savedmodel-host-op" + pbtxt + "__inference_keys_65/ReadFile",
            "unreadable||"));
    // TF 1 (tf.compat.v1 Builder): the main op is a collection, its write a node of the graph
    want.put(
        "sm_tf1_main_op",
        Set.of("savedmodel-host-op" + pb + "write", "savedmodel-init-op" + pb + "main_op"));
    want.put("sm_write_file", Set.of("savedmodel-host-op" + pb + "__inference_serve_8/WriteFile"));
    want.put("tfk_clean.h5", Set.of());
    want.put("tfk_clean_sm", Set.of());
    want.put("tfk_custom_module.h5", Set.of("foreign-module|/@model_config|d1"));
    // tf-keras's SavedModel metadata keeps only the registered name 'evil_pkg>Payload' (no
    // module, resolved through the registry): nothing to flag, as for .keras files
    want.put("tfk_custom_module_sm", Set.of());
    want.put(
        "tfk_lambda.h5",
        Set.of("h5-lambda|/@model_config|double", "lambda-code|/@model_config|double"));
    want.put(
        "tfk_lambda_nested.h5",
        Set.of(
            "h5-lambda|/@model_config|inner/td/shift",
            "lambda-code|/@model_config|inner/td/shift"));
    want.put("tfk_lambda_nested_sm", Set.of("lambda-code|keras_metadata.pb|inner/td/shift"));
    want.put("tfk_lambda_sm", Set.of("lambda-code|keras_metadata.pb|double"));
    assertEquals(want, got);
    Set<String> raised = new TreeSet<>();
    got.values().forEach(v -> v.forEach(d -> raised.add(d.substring(0, d.indexOf('|')))));
    for (Rule r : Rules.ALL) {
      if (r.id().startsWith("savedmodel-") && r != Rules.SAVEDMODEL_GRAPH_UNCHECKED) {
        assertTrue(raised.contains(r.id()), "no file raises " + r.id());
      }
    }
  }

  @Test
  void findingsNameWhatTheGraphDoesAndCarryTheirRulesSeverity() throws Exception {
    FileScan r = SCANNER.scan(TestFiles.testdata().resolve("scan/sm_init_write"));
    Map<String, String> messages = new TreeMap<>();
    for (Finding f : r.findings()) {
      Rule rule = Rules.ALL.stream().filter(x -> x.id().equals(f.rule())).findFirst().get();
      assertEquals(rule.severity(), f.severity());
      assertEquals(Severity.HIGH, f.severity());
      assertTrue(f.location().file().endsWith("sm_init_write"), f.location().file());
      messages.put(f.rule(), f.message());
    }
    assertTrue(
        messages.get("savedmodel-host-op").contains("'/tmp/initkit_scan_init.txt'"),
        messages.toString());
    assertTrue(
        messages.get("savedmodel-init-op").contains("reaches WriteFile"), messages.toString());
  }

  /**
   * saved_model.pb cut short or with bytes flipped (four graphs, 16 times each): one result per
   * model, never an exception out of the scan, and every finding is a known rule.
   */
  /** {@code original} cut short (even {@code i}) or with 8 bytes overwritten (odd). */
  private static byte[] damaged(byte[] original, int i, Random random) {
    if (i % 2 == 0) {
      return Arrays.copyOf(original, random.nextInt(original.length));
    }
    byte[] bad = original.clone();
    for (int k = 0; k < 8; k++) {
      bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
    }
    return bad;
  }

  @Test
  void aDamagedGraphIsAFindingOrAnErrorNeverACrash(@TempDir Path tmp) throws Exception {
    Random random = new Random(21);
    int scanned = 0;
    for (String name : List.of("sm_init_write", "sm_tf1_main_op", "sm_py_func", "tfk_lambda_sm")) {
      byte[] pb =
          Files.readAllBytes(
              TestFiles.testdata().resolve("scan").resolve(name).resolve("saved_model.pb"));
      for (int i = 0; i < 16; i++) {
        byte[] bad = damaged(pb, i, random);
        Path dir = Files.createDirectories(tmp.resolve(name + "_" + i));
        Files.write(dir.resolve("saved_model.pb"), bad);
        FileScan r = SCANNER.scan(dir);
        scanned++;
        for (Finding f : r.findings()) {
          assertTrue(Rules.ALL.stream().anyMatch(x -> x.id().equals(f.rule())), f.toString());
        }
      }
    }
    assertEquals(64, scanned);
    // and the text form, cut short or with bytes flipped: an unreadable graph, never a crash
    byte[] text =
        Files.readAllBytes(
            TestFiles.testdata()
                .resolve("scan")
                .resolve("sm_pbtxt_read_file")
                .resolve("saved_model.pbtxt"));
    int unreadable = 0;
    for (int i = 0; i < 16; i++) {
      byte[] bad = damaged(text, i, random);
      Path dir = Files.createDirectories(tmp.resolve("pbtxt_" + i));
      Files.write(dir.resolve("saved_model.pbtxt"), bad);
      FileScan r = SCANNER.scan(dir);
      for (Finding f : r.findings()) {
        assertTrue(Rules.ALL.stream().anyMatch(x -> x.id().equals(f.rule())), f.toString());
        if (f.rule().equals("unreadable") && f.location().member().equals("saved_model.pbtxt")) {
          unreadable++;
        }
      }
    }
    assertTrue(unreadable >= 8, "damaged text graphs reported unreadable: " + unreadable);
  }

  /**
   * The clean SavedModels (bundled, corpus: TF 1.13 to 2.14, Keras 3 export) raise no graph rule.
   */
  @Test
  void cleanSavedModelsRaiseNoGraphRule() throws Exception {
    List<Path> roots =
        List.of(
            TestFiles.testdata().resolve("models/savedmodel"),
            TestFiles.corpus().resolve("savedmodel"));
    int savedModels = 0;
    for (FileScan r : scan(roots)) {
      if (!r.format().equals("savedmodel")) {
        continue;
      }
      savedModels++;
      assertNull(r.error(), r.path());
      for (Finding f : r.findings()) {
        assertTrue(!f.rule().startsWith("savedmodel-"), r.path() + ": " + f);
        assertTrue(f.severity() != Severity.HIGH, r.path() + ": " + f);
      }
    }
    assertEquals(13, savedModels); // 8 bundled, 5 corpus
  }
}
