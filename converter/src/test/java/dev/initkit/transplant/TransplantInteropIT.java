package dev.initkit.transplant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.internal.Json;
import dev.initkit.testing.PythonStacks;
import dev.initkit.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The truth test for transplant: real Keras loads every output ({@code
 * testdata/interop/check_transplant.py}), the transplanted weights equal the source's bit for bit,
 * a shared trunk gives the source's features on the same input, adapted convolutions equal their
 * documented formula, and overlaps (head, vocabulary, units, LSTM/GRU gates) hold the source's
 * values block by block. Sources are the trained models of {@code testdata/generate_transplant.py}.
 * Skipped without {@code -Dinitkit.python}.
 */
class TransplantInteropIT {
  @TempDir Path tmp;

  private Path root;
  private Path inputs;
  private final ArrayNode cases = Json.mapper().createArrayNode();

  @Test
  void realKerasConfirmsTransplants() throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(
        !python.isEmpty(),
        "set -Dinitkit.python to the testdata venv's python to run the interop suite");
    root = TestFiles.testdata().resolve("models/transplant");
    assumeTrue(
        Files.isDirectory(root), "no transplant test data: run testdata/generate_transplant.py");
    inputs = root.resolve("inputs.npz");
    Path checker = TestFiles.testdata().resolve("interop/check_transplant.py");
    Path src = root.resolve("cnn/source.keras");
    List<String> trunk = List.of("stem", "bn", "conv2");
    int[] counts = {2, 4, 2};

    // another head, keeping the overlapping units; trunk loaded bit for bit, same features
    Path head3 =
        run(
            src,
            "cnn/head3.keras",
            "head3.keras",
            opts().withAdaptations(Adaptations.parse(List.of("head=keep"))));
    load(head3, "keras3", "rgb");
    trunkEqual(src, "keras3", head3, "keras3", trunk, trunk, counts);
    overlap(src, "head", 0, head3, "head", 0, 1);
    overlap(src, "head", 1, head3, "head", 1, 1);
    features(src, "keras3", "gap", head3, "keras3", "gap", "rgb");

    // grayscale and 5-channel input: the stem kernel is the documented formula of the source's
    Path gray =
        run(
            src,
            "cnn/gray.keras",
            "gray.keras",
            opts().withAdaptations(Adaptations.parse(List.of("input-channels"))));
    load(gray, "keras3", "gray");
    formula(src, gray, "sum");
    equal(src, "keras3", "stem", 1, gray, "keras3", "stem", 1);
    Path c5 =
        run(
            src,
            "cnn/c5.keras",
            "c5.h5",
            opts().withAdaptations(Adaptations.parse(List.of("input-channels"))));
    load(c5, "keras3", "c5");
    formula(src, c5, "tile");

    // renamed layers, matched by structure; an extra layer skipped over by structure
    Path renamed =
        run(
            src,
            "cnn/renamed.keras",
            "renamed.keras",
            opts().withStrategy(MatchStrategy.STRUCTURE));
    trunkEqual(
        src,
        "keras3",
        renamed,
        "keras3",
        trunk,
        List.of("features_conv0", "features_norm0", "features_conv1"),
        counts);
    equal(src, "keras3", "head", 0, renamed, "keras3", "classifier", 0);
    features(src, "keras3", "gap", renamed, "keras3", "features_pool", "rgb");
    Path extra =
        run(src, "cnn/extra.keras", "extra.keras", opts().withStrategy(MatchStrategy.STRUCTURE));
    load(extra, "keras3", "rgb");
    equal(src, "keras3", "head", 0, extra, "keras3", "head", 0);
    features(src, "keras3", "gap", extra, "keras3", "gap", "rgb");

    // across generations: tf-keras h5 into a Keras 3 model with the trunk nested; Keras 3 into
    // tf-keras
    Path tfk = root.resolve("cnn/source_tfkeras.h5");
    Path nested = run(tfk, "cnn/nested.keras", "nested.keras", opts());
    load(nested, "keras3", "rgb");
    features(tfk, "tfkeras", "gap", nested, "keras3", "backbone", "rgb");
    Path toTf = run(src, "cnn/same_tfkeras.h5", "to-tfkeras.h5", opts());
    load(toTf, "tfkeras", "rgb");
    trunkEqual(src, "keras3", toTf, "tfkeras", trunk, trunk, counts);
    features(src, "keras3", "head", toTf, "tfkeras", "head", "rgb");
    // weights-only sources: Keras 3 class-derived paths, tf-keras legacy layout
    Path fromK3w =
        run(
            root.resolve("cnn/source.weights.h5"),
            "cnn/same.keras",
            "from-k3-weights.keras",
            opts());
    features(src, "keras3", "head", fromK3w, "keras3", "head", "rgb");
    Path fromTfw =
        run(root.resolve("cnn/source_weights.h5"), "cnn/same.keras", "from-tf-weights.h5", opts());
    features(src, "keras3", "head", fromTfw, "keras3", "head", "rgb");

    // wider conv2: padded with fresh values, overlap kept
    Path wide =
        run(
            src,
            "cnn/wide.keras",
            "wide.keras",
            opts().withAdaptations(Adaptations.parse(List.of("units"))));
    load(wide, "keras3", "rgb");
    overlap(src, "conv2", 0, wide, "conv2", 0, 1);
    overlap(src, "head", 0, wide, "head", 0, 1);

    // recurrent units gate by gate; vocabularies grown and shrunk
    Path lstm = root.resolve("rnn/lstm_source.keras");
    Adaptations rnn = Adaptations.parse(List.of("gates,units"));
    for (String t : List.of("lstm_units8", "lstm_units4")) {
      Path out = run(lstm, "rnn/" + t + ".keras", t + ".keras", opts().withAdaptations(rnn));
      load(out, "keras3", "tokens");
      equal(lstm, "keras3", "emb", 0, out, "keras3", "emb", 0);
      for (int i = 0; i < 3; i++) {
        overlap(lstm, "rnn", i, out, "rnn", i, 4);
      }
    }
    Path gru = root.resolve("rnn/gru_source.keras");
    Path gru8 = run(gru, "rnn/gru_units8.keras", "gru_units8.h5", opts().withAdaptations(rnn));
    load(gru8, "keras3", "tokens");
    for (int i = 0; i < 3; i++) {
      overlap(gru, "rnn", i, gru8, "rnn", i, 3);
    }
    for (String t : List.of("lstm_vocab30", "lstm_vocab12")) {
      Path out =
          run(
              lstm,
              "rnn/" + t + ".keras",
              t + ".keras",
              opts().withAdaptations(Adaptations.parse(List.of("vocab"))));
      overlap(lstm, "emb", 0, out, "emb", 0, 1);
      // tokens < 12: every model sees the same embedding rows, so the same features
      features(lstm, "keras3", "head", out, "keras3", "head", "tokens");
    }

    // floating-point dtypes cast as Keras's load_weights casts them: float16 -> float64 exactly,
    // float64 -> float16 rounded to nearest (the testdata models float16 and float64 share layers)
    Path f16 = TestFiles.testdata().resolve("models/float16/keras3.keras");
    Path f64 = TestFiles.testdata().resolve("models/float64/keras3.keras");
    Path widened = run(f16, f64.toString(), "f16-into-f64.keras", opts());
    Path narrowed = run(f64, f16.toString(), "f64-into-f16.h5", opts());
    for (String layer : List.of("dense_a", "dense_b")) {
      for (int i = 0; i < 2; i++) {
        cast(f16, widened, layer, i, "float64");
        cast(f64, narrowed, layer, i, "float16");
      }
    }

    Path casesFile = tmp.resolve("cases.json");
    Files.writeString(casesFile, Json.write(cases));
    // both ends of the version matrix check the same transplants
    for (var stack : PythonStacks.all().entrySet()) {
      Path log = tmp.resolve("check-" + stack.getKey() + ".log");
      Process p =
          new ProcessBuilder(stack.getValue(), checker.toString(), casesFile.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertTrue(p.waitFor(20, TimeUnit.MINUTES), "checker timed out (" + stack.getKey() + ")");
      String text = Files.readString(log, StandardCharsets.UTF_8);
      List<String> fails = text.lines().filter(l -> l.startsWith("FAIL")).toList();
      String summary =
          stack.getKey()
              + " Keras: "
              + text.lines()
                  .filter(l -> l.matches("\\d+ passed, \\d+ failed"))
                  .findFirst()
                  .orElse(text);
      System.out.println("transplant interop: " + cases.size() + " cases, " + summary);
      assertEquals(List.of(), fails, summary);
      assertEquals(0, p.exitValue(), summary);
      assertEquals(stack.getKey() + " Keras: " + cases.size() + " passed, 0 failed", summary);
    }
  }

  private static TransplantOptions opts() {
    return TransplantOptions.defaults().withSeed(3);
  }

  private Path run(Path from, String target, String outName, TransplantOptions o) throws Exception {
    Path out = tmp.resolve(outName);
    Transplanter.Result r =
        Transplanter.transplant(
            from, root.resolve(target), out, o, false, ModelIO.WriteOptions.defaults());
    assertTrue(r.plan().transplanted() > 0, target);
    return out;
  }

  private ObjectNode add(String kind, String id) {
    ObjectNode c = cases.addObject();
    c.put("id", id + " [" + cases.size() + "]");
    c.put("kind", kind);
    return c;
  }

  private static ObjectNode ref(
      ObjectNode c, String key, Path file, String loader, String layer, int index) {
    ObjectNode r = c.putObject(key);
    r.put("file", file.toString());
    r.put("loader", loader);
    r.put("layer", layer);
    r.put("index", index);
    return r;
  }

  private void load(Path file, String loader, String key) {
    ObjectNode c = add("load", "load " + file.getFileName());
    ObjectNode m = c.putObject("model");
    m.put("file", file.toString());
    m.put("loader", loader);
    c.put("input", inputs.toString());
    c.put("key", key);
  }

  private void equal(
      Path a, String la, String layerA, int i, Path b, String lb, String layerB, int j) {
    ObjectNode c = add("equal", "equal " + b.getFileName() + " " + layerB + "#" + j);
    ref(c, "a", a, la, layerA, i);
    ref(c, "b", b, lb, layerB, j);
  }

  private void trunkEqual(
      Path a,
      String la,
      Path b,
      String lb,
      List<String> layersA,
      List<String> layersB,
      int[] counts) {
    for (int k = 0; k < layersA.size(); k++) {
      for (int i = 0; i < counts[k]; i++) {
        equal(a, la, layersA.get(k), i, b, lb, layersB.get(k), i);
      }
    }
  }

  private void overlap(Path a, String layerA, int i, Path b, String layerB, int j, int gates) {
    ObjectNode c = add("overlap", "overlap " + b.getFileName() + " " + layerB + "#" + j);
    ref(c, "a", a, "keras3", layerA, i);
    ref(c, "b", b, "keras3", layerB, j);
    c.put("gates", gates);
  }

  private void cast(Path a, Path b, String layer, int i, String dtype) {
    ObjectNode c = add("cast", "cast " + b.getFileName() + " " + layer + "#" + i);
    ref(c, "a", a, "keras3", layer, i);
    ref(c, "b", b, "keras3", layer, i);
    c.put("dtype", dtype);
  }

  private void formula(Path a, Path b, String mode) {
    ObjectNode c = add("formula", "formula " + mode + " " + b.getFileName());
    ref(c, "a", a, "keras3", "stem", 0);
    ref(c, "b", b, "keras3", "stem", 0);
    c.put("mode", mode);
  }

  private void features(
      Path a, String la, String layerA, Path b, String lb, String layerB, String key) {
    ObjectNode c = add("features", "features " + b.getFileName() + " " + layerB);
    ref(c, "a", a, la, layerA, 0);
    ref(c, "b", b, lb, layerB, 0);
    c.put("input", inputs.toString());
    c.put("key", key);
    c.put("tolerance", 1e-6);
  }
}
