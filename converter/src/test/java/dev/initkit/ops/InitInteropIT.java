package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.init.Fans;
import dev.initkit.internal.Json;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.ops.ConfigRewriter.Change;
import dev.initkit.ops.OpsFixtures.Flavor;
import dev.initkit.ops.OpsFixtures.ModelFile;
import dev.initkit.testing.InteropCases;
import dev.initkit.testing.InteropCases.Original;
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The truth test for set-init and reinit: real Keras loads what they write and reads the
 * initializers initkit meant. For every generated model and each of its files ({@code
 * keras3.keras}, {@code keras3.h5} loaded by Keras 3; {@code tfkeras.h5} loaded by tf-keras):
 *
 * <ul>
 *   <li>{@code set-init} (the rules of {@link ConfigRewriterTest#RULES} and an initkit-only
 *       sinusoidal rule) without {@code --reinit}: the file loads and predicts exactly what the
 *       original predicts, loaded in the same process ({@link InteropCases}); {@code
 *       keras.initializers.get(...)} (or tf-keras's) on every rewritten entry gives the class and
 *       parameters initkit wrote;
 *   <li>{@code set-init --reinit}, {@code reinit} (configured) and {@code reinit} with another
 *       scheme (auto for Keras 3 files, glorot_normal for tf-keras ones): the file loads and its
 *       predictions differ;
 *   <li>the fans initkit reports for every weight equal Keras's own {@code compute_fans}.
 * </ul>
 *
 * Runs {@code testdata/interop/check.py} and {@code src/test/resources/ops/check_initializers.py}
 * with the python of {@code -Dinitkit.python} (skipped when unset; a failure when set but missing).
 */
class InitInteropIT {
  @TempDir Path tmp;

  private static final String SINUSOIDAL_RULE = "depth:1=sinusoidal";

  @Test
  void realKerasLoadsSetInitAndReinitOutputs() throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(
        !python.isEmpty(),
        "set -Dinitkit.python to the testdata venv's python to run the interop suite");
    assertTrue(Files.isExecutable(Path.of(python)), "interop python not found: " + python);
    Path checker = TestFiles.testdata().resolve("interop/check.py");
    assertTrue(Files.exists(checker), "missing " + checker);
    Path initChecker = tmp.resolve("check_initializers.py");
    try (InputStream in = InitInteropIT.class.getResourceAsStream("/ops/check_initializers.py")) {
      assertTrue(in != null, "missing resource ops/check_initializers.py");
      Files.copy(in, initChecker);
    }

    ArrayNode cases = Json.mapper().createArrayNode();
    InteropCases interop = InteropCases.fromManifest();
    ArrayNode initCases = Json.mapper().createArrayNode();
    List<String> rules = new ArrayList<>(ConfigRewriterTest.RULES);
    rules.add(SINUSOIDAL_RULE);
    int files = 0;
    for (ModelFile mf : OpsFixtures.files()) {
      files++;
      String base = mf.model() + "." + mf.flavor().tag();
      // legacy h5 outputs are portable: both Kerases must load them, except MultiHeadAttention,
      // which only tf-keras can load from any h5 config form (docs/user-guide.md, known limits)
      boolean h5 = mf.flavor().ext.equals(".h5");
      boolean mha = hasMultiHeadAttention(mf.path());
      String loader = h5 && mha ? "tfkeras" : mf.flavor().loader;
      // a tf-keras h5 keeps its config as written (it loads where the original does); a Keras 3 h5
      // gets the portable form
      List<String> loaders =
          !h5 || mf.flavor() == Flavor.TFKERAS_H5
              ? List.of(loader)
              : mha ? List.of("tfkeras") : List.of("keras3", "tfkeras");
      // set-init without --reinit: same predictions, initializers as meant
      Path set = tmp.resolve(base + ".set" + mf.flavor().ext);
      List<Change> changes = setInit(mf.path(), set, rules, false, 0);
      addCases(interop, cases, set, loaders, mf, "equal");
      ObjectNode ic = initCases.addObject();
      ic.put("id", set.getFileName().toString());
      ic.put("file", set.toString());
      ic.put("library", loader);
      ArrayNode checks = ic.putArray("checks");
      Map<String, Layer> written = layersByPath(set);
      for (Change c : changes) {
        if (written.get(c.layerPath()).config().at("/" + c.key()).isMissingNode()) {
          continue; // the writer left this part out (a Bidirectional's backward_layer in legacy h5)
        }
        ObjectNode chk = checks.addObject();
        chk.put("layer", c.layerPath());
        chk.put("key", c.key());
        chk.put("class", c.written().canonicalName());
        chk.set("config", c.written().toKeras2Json().get("config"));
      }
      ic.set("fans", fans(mf.path()));
      // set-init --reinit: loads, predictions differ
      Path setRe = tmp.resolve(base + ".set-reinit" + mf.flavor().ext);
      setInit(mf.path(), setRe, rules, true, 1);
      addCases(interop, cases, setRe, loaders, mf, "different");
      // reinit, configured
      Path re = tmp.resolve(base + ".reinit" + mf.flavor().ext);
      reinit(mf.path(), re, Reinitializer.Scheme.configured(), 0);
      addCases(interop, cases, re, loaders, mf, "different");
      // reinit, another scheme
      Path other = tmp.resolve(base + ".reinit-other" + mf.flavor().ext);
      reinit(
          mf.path(),
          other,
          mf.flavor() == Flavor.TFKERAS_H5
              ? Reinitializer.Scheme.parse("glorot_normal")
              : Reinitializer.Scheme.auto(),
          3);
      addCases(interop, cases, other, loaders, mf, "different");
    }
    assertTrue(files >= 60, "expected the generated models in three formats, found " + files);

    Path casesFile = tmp.resolve("cases.json");
    Files.writeString(casesFile, Json.write(cases));
    Path initFile = tmp.resolve("init-cases.json");
    Files.writeString(initFile, Json.write(initCases));
    // both ends of the version matrix load the same files beside their originals
    List<String> failures = new ArrayList<>();
    for (var stack : PythonStacks.all().entrySet()) {
      String py = stack.getValue();
      Result load =
          run(
              List.of(py, checker.toString(), casesFile.toString()),
              tmp.resolve("check-" + stack.getKey() + ".log"));
      Result inits =
          run(
              List.of(py, initChecker.toString(), initFile.toString()),
              tmp.resolve("init-" + stack.getKey() + ".log"));
      System.out.println(
          "interop (set-init/reinit, "
              + stack.getKey()
              + " Keras): "
              + cases.size()
              + " load/predict cases, "
              + load.summary()
              + "; initializer and fan checks: "
              + inits.summary());
      if (load.exit() != 0 || load.passed() != cases.size()) {
        failures.add(
            stack.getKey() + " interop failures (" + load.summary() + "):\n" + load.failures());
      }
      if (inits.exit() != 0) {
        failures.add(stack.getKey() + " initializer check failures:\n" + inits.failures());
      }
    }
    assertEquals(List.of(), failures);
  }

  private static List<Change> setInit(
      Path in, Path out, List<String> rules, boolean reinit, long seed) throws IOException {
    try (LoadedModel m = ModelIO.open(in)) {
      ConfigRewriter.Result r =
          ConfigRewriter.rewrite(
              m.model(), rules.stream().map(ConfigRewriter.Rule::parse).toList());
      LoadedModel target = m.withModel(r.model());
      if (reinit) {
        Reinitializer.Plan plan =
            Reinitializer.plan(
                r.model(), Reinitializer.Scheme.configured(), r.selection(), seed, r.draws());
        target = Reinitializer.apply(target, plan);
      }
      ModelIO.write(target, out, ModelIO.WriteOptions.defaults());
      return r.changes();
    }
  }

  private static void reinit(Path in, Path out, Reinitializer.Scheme scheme, long seed)
      throws IOException {
    try (LoadedModel m = ModelIO.open(in)) {
      Reinitializer.Plan plan = Reinitializer.plan(m.model(), scheme, Selector.all(), seed);
      ModelIO.write(Reinitializer.apply(m, plan), out, ModelIO.WriteOptions.defaults());
    }
  }

  private static Map<String, Layer> layersByPath(Path file) throws IOException {
    Map<String, Layer> out = new HashMap<>();
    try (LoadedModel m = ModelIO.open(file)) {
      for (WeightSite s : WeightSite.of(m.model())) {
        out.putIfAbsent(s.layerPath(), s.layer());
      }
    }
    return out;
  }

  /** The fans initkit reports for every weight shape of a file, for Keras to confirm. */
  private static ArrayNode fans(Path file) throws IOException {
    ArrayNode out = Json.mapper().createArrayNode();
    try (LoadedModel m = ModelIO.open(file)) {
      for (Weight w : m.model().layerWeights()) {
        ObjectNode f = out.addObject();
        f.put("weight", w.name());
        ArrayNode shape = f.putArray("shape");
        for (long d : w.shape().dims()) {
          shape.add(d);
        }
        Fans fans = Fans.of(w.shape());
        f.put("fan_in", fans.fanIn());
        f.put("fan_out", fans.fanOut());
      }
    }
    return out;
  }

  /** Per loader, a case against the original loaded in the same run (InteropCases). */
  private static void addCases(
      InteropCases ic,
      ArrayNode cases,
      Path file,
      List<String> loaders,
      ModelFile mf,
      String expect) {
    Original original =
        switch (mf.flavor()) {
          case KERAS3_KERAS -> Original.KERAS3_KERAS;
          case KERAS3_H5 -> Original.KERAS3_H5;
          case TFKERAS_H5 -> Original.TFKERAS_H5;
        };
    for (String l : loaders) {
      ic.add(
          cases,
          file.getFileName() + " [" + l + "]",
          mf.model(),
          file,
          l,
          null,
          ic.reference(mf.model(), original, l),
          expect);
    }
  }

  private static boolean hasMultiHeadAttention(Path p) throws IOException {
    try (dev.initkit.model.LoadedModel m = dev.initkit.ModelIO.open(p)) {
      return m.model().allLayers().stream()
          .anyMatch(l -> l.className().equals("MultiHeadAttention"));
    }
  }

  private record Result(int exit, List<String> lines) {
    int passed() {
      return (int) lines.stream().filter(l -> l.startsWith("PASS")).count();
    }

    String summary() {
      return lines.stream()
          .filter(l -> l.matches("\\d+ passed, \\d+ failed"))
          .findFirst()
          .orElse("no summary line");
    }

    String failures() {
      return String.join("\n", lines.stream().filter(l -> l.startsWith("FAIL")).toList());
    }
  }

  private static Result run(List<String> command, Path log) throws Exception {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.MINUTES), "timed out: " + command);
    String text = Files.readString(log, StandardCharsets.UTF_8);
    List<String> lines =
        text.lines()
            .filter(
                l ->
                    l.startsWith("PASS")
                        || l.startsWith("FAIL")
                        || l.matches("\\d+ passed, \\d+ failed"))
            .toList();
    lines.stream()
        .filter(l -> l.startsWith("PASS") || l.startsWith("FAIL"))
        .forEach(System.out::println);
    if (p.exitValue() != 0 && lines.isEmpty()) {
      List<String> all = text.lines().toList();
      System.out.println(String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size())));
    }
    return new Result(p.exitValue(), lines);
  }
}
