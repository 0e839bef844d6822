package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.cli.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21's comparison: ModelScan (PyPI {@code modelscan[tensorflow]}, its own venv,
 * testdata/requirements-modelscan.txt, {@code -Dinitkit.modelscan} naming its {@code modelscan}
 * executable; skipped when unset) and {@code initkit scan --json} run on the same files:
 * testdata/scan, testdata/models and the shared corpus. What each finds per file is the table
 * docs/scan-modelscan.md, which this test regenerates and compares ({@code
 * -Dinitkit.golden.update=true} rewrites it). The facts asserted: every file ModelScan flags,
 * initkit flags at high severity; the files initkit flags high that ModelScan misses are pinned.
 */
class ScanModelScanIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UPDATE_PROPERTY = "initkit.golden.update";

  /** ModelScan's issues and errors for one file, and whether it listed the file as scanned. */
  private record MsFile(Set<String> issues, Set<String> errors, boolean scanned) {}

  /** initkit's findings for one file: high rules, counts of the other severities, its error. */
  private record IkFile(Set<String> high, Map<String, Integer> others, String error) {}

  /** One scanned tree: its label in the table and its path. */
  private record Root(String label, Path dir) {}

  private static final List<Root> ROOTS = new ArrayList<>();
  private static final Map<String, MsFile> MODELSCAN = new TreeMap<>();
  private static final Map<String, IkFile> INITKIT = new TreeMap<>();
  private static final Map<String, String> MODELSCAN_VERSION = new TreeMap<>();

  /**
   * Files initkit flags at high severity that ModelScan 0.8.8 reports nothing for (or fails on):
   * measured by running both, pinned so that a change of either tool shows here.
   */
  private static final Set<String> INITKIT_ONLY =
      Set.of(
          // Keras 1/2 Sequential configs (a list of layers): ModelScan fails on them
          "keras-corpus/h5-full/k1-lambda-space-to-depth.h5",
          "keras-corpus/h5-full/k2-lambda-sequential.h5",
          // qkeras classes, imported from a module outside Keras: ModelScan knows only Lambda
          "keras-corpus/keras-v3/k3-qkeras-custom-layers-3.14.keras",
          "testdata/scan/bidirectional_foreign.keras",
          "testdata/scan/foreign_module.keras",
          "testdata/scan/h5_external_link.h5",
          "testdata/scan/h5_external_storage.h5",
          "testdata/scan/h5_gzip_bomb.h5",
          "testdata/scan/h5_shape_bomb.h5",
          "testdata/scan/h5_virtual.h5",
          "testdata/scan/keras_utility.keras",
          "testdata/scan/lambda_nested.h5",
          "testdata/scan/lambda_nested.keras",
          "testdata/scan/rnn_cell_foreign.keras",
          // an asset named '../../../etc/passwd' and '/etc/shadow': ModelScan reads ops only
          "testdata/scan/sm_asset_escape",
          // the read_file graph as saved_model.pbtxt (TensorFlow loads it): ModelScan reads .pb
          "testdata/scan/sm_pbtxt_read_file",
          // tf.py_function / tf.numpy_function: not in ModelScan's list (ReadFile, WriteFile)
          "testdata/scan/sm_py_func",
          // tf-keras .h5: an initializer from module 'evil_pkg'; a Lambda below the top level
          "testdata/scan/tfk_custom_module.h5",
          "testdata/scan/tfk_lambda_nested.h5",
          "testdata/scan/tfsm_layer.keras",
          "testdata/scan/unsafe_deserialization.keras",
          "testdata/scan/vocab_file.keras",
          "testdata/scan/vocab_url.keras",
          "testdata/scan/zip_bomb.keras",
          "testdata/scan/zip_traversal.keras");

  /**
   * Files ModelScan flags that initkit does not flag high, with why. Empty: none measured. A file
   * that appears here needs its reason written down.
   */
  private static final Map<String, String> MODELSCAN_ONLY = Map.of();

  @BeforeAll
  static void runBoth(@TempDir Path tmp) throws Exception {
    String modelscan = System.getProperty("initkit.modelscan", "");
    assumeTrue(
        !modelscan.isEmpty(),
        "set -Dinitkit.modelscan to .venv-modelscan/bin/modelscan"
            + " (bash testdata/setup-venv.sh testdata/requirements-modelscan.txt .venv-modelscan)");
    assertTrue(Files.isExecutable(Path.of(modelscan)), "modelscan not found: " + modelscan);
    ROOTS.add(new Root("testdata/scan", Cli.testdata().resolve("scan")));
    ROOTS.add(new Root("testdata/models", Cli.testdata().resolve("models")));
    ROOTS.add(new Root("keras-corpus", Cli.corpus()));
    for (Root root : ROOTS) {
      runModelScan(Path.of(modelscan), root, tmp.resolve(root.dir().getFileName() + ".json"));
      runInitkit(root);
    }
    attributeToModelDirectories();
  }

  /**
   * initkit reports a SavedModel (or unzipped {@code .keras}) directory as one model; ModelScan
   * reports the files in it ({@code saved_model.pb}): its entries go to the directory's row.
   */
  private static void attributeToModelDirectories() {
    for (String file : List.copyOf(MODELSCAN.keySet())) {
      if (INITKIT.containsKey(file)) {
        continue;
      }
      for (Path dir = Path.of(file).getParent(); dir != null; dir = dir.getParent()) {
        if (INITKIT.containsKey(dir.toString())) {
          MsFile from = MODELSCAN.remove(file);
          MsFile to = MODELSCAN.get(dir.toString());
          if (to == null) {
            MODELSCAN.put(dir.toString(), from);
          } else {
            to.issues().addAll(from.issues());
            to.errors().addAll(from.errors());
            MODELSCAN.put(
                dir.toString(),
                new MsFile(to.issues(), to.errors(), to.scanned() || from.scanned()));
          }
          break;
        }
      }
    }
  }

  private static void runModelScan(Path exe, Root root, Path report) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                exe.toString(), "-p", root.dir().toString(), "-r", "json", "-o", report.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp(report, ".log").toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
    Process p = pb.start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "modelscan timed out on " + root.dir());
    // ModelScan exits 1 when it found issues, 2 on its own errors (files it could not read)
    assertTrue(
        p.exitValue() <= 2,
        () -> "modelscan failed on " + root.dir() + ": " + tail(tmp(report, ".log")));
    JsonNode doc = JSON.readTree(report.toFile());
    MODELSCAN_VERSION.put("version", doc.at("/summary/modelscan_version").asText());
    for (JsonNode f : doc.at("/summary/scanned/scanned_files")) {
      ms(root, f.asText(), true);
    }
    for (JsonNode i : doc.get("issues")) {
      ms(root, i.get("source").asText(), false)
          .issues()
          .add(i.get("severity").asText() + " " + i.get("operator").asText());
    }
    for (JsonNode e : doc.get("errors")) {
      ms(root, e.get("source").asText(), false)
          .errors()
          .add(e.get("description").asText().replace('|', '/'));
    }
  }

  /** The entry for ModelScan's {@code source} (a path under the root, or {@code file:member}). */
  private static MsFile ms(Root root, String source, boolean scanned) {
    int colon = source.indexOf(':');
    String file = root.label() + "/" + (colon < 0 ? source : source.substring(0, colon));
    MsFile old = MODELSCAN.get(file);
    MsFile now =
        new MsFile(
            old == null ? new TreeSet<>() : old.issues(),
            old == null ? new TreeSet<>() : old.errors(),
            scanned || (old != null && old.scanned()));
    MODELSCAN.put(file, now);
    return now;
  }

  private static void runInitkit(Root root) {
    JsonNode doc = Cli.run("scan", "--json", "--stacktrace", root.dir()).assertExit(0).json();
    for (JsonNode f : doc.get("files")) {
      String rel = root.dir().relativize(Path.of(f.get("path").asText())).toString();
      Set<String> high = new TreeSet<>();
      Map<String, Integer> others = new TreeMap<>();
      for (JsonNode g : f.get("findings")) {
        String sev = g.get("severity").asText();
        if (sev.equals("high")) {
          high.add(g.get("rule").asText());
        } else {
          others.merge(sev, 1, Integer::sum);
        }
      }
      // the table is committed: paths in messages as the table names them, not this checkout's
      String error =
          f.get("error").isNull()
              ? null
              : f.get("error")
                  .asText()
                  .replace(root.dir().toString(), root.label())
                  .replace('|', '/');
      INITKIT.put(root.label() + "/" + rel, new IkFile(high, others, error));
    }
  }

  @Test
  void everyFileModelScanFlagsInitkitFlagsHigh() {
    List<String> missed = new ArrayList<>();
    MODELSCAN.forEach(
        (file, m) -> {
          IkFile ik = INITKIT.get(file);
          if (!m.issues().isEmpty()
              && (ik == null || ik.high().isEmpty())
              && !MODELSCAN_ONLY.containsKey(file)) {
            missed.add(file + " (ModelScan: " + m.issues() + ")");
          }
        });
    assertEquals(List.of(), missed, "flagged by ModelScan, not high in initkit");
    // the comparison is not empty: ModelScan does flag the corpus's top-level Lambda layers
    assertTrue(
        MODELSCAN.values().stream().anyMatch(m -> !m.issues().isEmpty()),
        "ModelScan flagged nothing at all: is it scanning?");
  }

  @Test
  void filesOnlyInitkitCatchesArePinned() {
    Set<String> only = new TreeSet<>();
    INITKIT.forEach(
        (file, ik) -> {
          MsFile m = MODELSCAN.get(file);
          if (!ik.high().isEmpty() && (m == null || m.issues().isEmpty())) {
            only.add(file);
          }
        });
    assertEquals(new TreeSet<>(INITKIT_ONLY), only, "initkit high, ModelScan silent");
  }

  @Test
  void cleanFilesAreCleanForBoth() {
    for (String clean :
        List.of(
            "testdata/scan/clean.keras",
            "testdata/scan/clean.h5",
            "testdata/scan/tfk_clean.h5",
            "testdata/scan/tfk_clean_sm")) {
      assertEquals(Set.of(), INITKIT.get(clean).high(), clean);
      assertEquals(Set.of(), MODELSCAN.get(clean).issues(), clean);
    }
  }

  /** The SavedModel graphs: both tools flag ReadFile and WriteFile; only initkit the init op. */
  @Test
  void bothFlagFileOpsInSavedModelGraphs() {
    for (String sm :
        List.of(
            "testdata/scan/sm_write_file",
            "testdata/scan/sm_read_file",
            "testdata/scan/sm_init_write",
            "testdata/scan/sm_tf1_main_op")) {
      assertTrue(INITKIT.get(sm).high().contains("savedmodel-host-op"), sm);
      assertTrue(
          MODELSCAN.get(sm).issues().stream().anyMatch(i -> i.endsWith("File")),
          sm + ": " + MODELSCAN.get(sm));
    }
    for (String sm : List.of("testdata/scan/sm_init_write", "testdata/scan/sm_tf1_main_op")) {
      assertTrue(INITKIT.get(sm).high().contains("savedmodel-init-op"), sm);
    }
  }

  @Test
  void theCommittedTableIsWhatBothToolsFind() throws IOException {
    Path doc = Cli.testdata().getParent().resolve("docs").resolve("scan-modelscan.md");
    String table = table();
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      Path tmp = tmp(doc, ".tmp");
      Files.writeString(tmp, table, StandardCharsets.UTF_8);
      Files.move(
          tmp,
          doc,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    if (!Files.exists(doc)) {
      fail("missing " + doc + " (write it with -D" + UPDATE_PROPERTY + "=true)");
    }
    assertEquals(
        Files.readString(doc),
        table,
        doc + " is out of date: regenerate with -D" + UPDATE_PROPERTY + "=true");
  }

  private static String table() {
    StringBuilder b = new StringBuilder();
    b.append("# initkit scan and ModelScan on the same files\n\n");
    b.append("<!-- generated by ScanModelScanIT (cli); do not edit: regenerate with")
        .append(" -D" + UPDATE_PROPERTY + "=true, see docs/testing.md -->\n\n");
    b.append("ModelScan ")
        .append(MODELSCAN_VERSION.getOrDefault("version", "?"))
        .append(" (`modelscan[tensorflow]`, testdata/requirements-modelscan.txt) and `initkit scan")
        .append(" --json`, each run once on each tree: `testdata/scan` (hostile and clean),")
        .append(" `testdata/models` (the bundled models), `keras-corpus` (../shared/keras-corpus).")
        .append(" A row per file initkit scans and per file ModelScan flags; ModelScan's column")
        .append(" holds its issues (`SEVERITY operator`), its errors, `nothing` or `not scanned`;")
        .append(" initkit's its high-severity rules and the count of its other findings.")
        .append(" See [scan](scan.md#modelscan).\n\n");
    b.append("| file | ModelScan | initkit high | initkit other |\n|---|---|---|---|\n");
    Set<String> rows = new TreeSet<>(INITKIT.keySet());
    MODELSCAN.forEach(
        (f, m) -> {
          if (!m.issues().isEmpty()) {
            rows.add(f);
          }
        });
    for (String f : rows) {
      MsFile m = MODELSCAN.get(f);
      IkFile ik = INITKIT.get(f);
      b.append("| `").append(f).append("` | ").append(msCell(m)).append(" | ");
      if (ik == null) {
        b.append("not scanned | |\n");
        continue;
      }
      b.append(ik.high().isEmpty() ? "nothing" : "**" + String.join(", ", ik.high()) + "**");
      b.append(" | ");
      List<String> other = new ArrayList<>();
      ik.others().forEach((sev, n) -> other.add(n + " " + sev));
      if (ik.error() != null) {
        other.add("error: " + ik.error());
      }
      b.append(String.join(", ", other)).append(" |\n");
    }
    Map<String, Integer> msOnly = new TreeMap<>();
    MODELSCAN.forEach(
        (f, m) -> {
          if (!INITKIT.containsKey(f) && m.issues().isEmpty()) {
            String name = Path.of(f).getFileName().toString();
            int dot = name.lastIndexOf('.');
            msOnly.merge(dot < 0 ? name : name.substring(dot), 1, Integer::sum);
          }
        });
    List<String> byExt = new ArrayList<>();
    msOnly.forEach((ext, n) -> byExt.add(n + " `" + ext + "`"));
    long msOnlyErrors =
        MODELSCAN.entrySet().stream()
            .filter(e -> !INITKIT.containsKey(e.getKey()) && !e.getValue().errors().isEmpty())
            .count();
    b.append("\nNot in the table: ")
        .append(msOnly.values().stream().mapToInt(Integer::intValue).sum())
        .append(" files ModelScan scans and initkit does not treat as models (")
        .append(String.join(", ", byExt))
        .append("),")
        .append(" ModelScan raising an error on ")
        .append(msOnlyErrors)
        .append(" of them.\n");
    return b.toString();
  }

  private static String msCell(MsFile m) {
    if (m == null) {
      return "not scanned";
    }
    List<String> parts = new ArrayList<>();
    if (!m.issues().isEmpty()) {
      parts.add("**" + String.join(", ", m.issues()) + "**");
    }
    for (String e : m.errors()) {
      parts.add("error: " + e);
    }
    if (parts.isEmpty()) {
      return m.scanned() ? "nothing" : "not scanned";
    }
    return String.join("; ", parts);
  }

  private static Path tmp(Path p, String suffix) {
    return p.resolveSibling(p.getFileName() + suffix);
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.substring(Math.max(0, s.length() - 2000));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
