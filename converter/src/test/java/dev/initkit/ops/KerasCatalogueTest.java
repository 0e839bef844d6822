package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.init.Fans;
import dev.initkit.internal.Json;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Coverage from Keras's own catalogue ({@code testdata/generate_catalogue.py}, one directory per
 * Keras release under {@code testdata/catalogue/}): for every layer class of {@code keras.layers}
 * that holds weights, the fans initkit reports are the ones Keras's own {@code compute_fans}
 * returned when it built that layer, and the values {@code reinit} draws come from the distribution
 * Keras drew from: equal to Keras's values where its initializer is deterministic (zeros, ones, the
 * LSTM forget-gate bias), else a chi-square test on the twenty bins Keras's own quantiles make.
 */
class KerasCatalogueTest {
  /**
   * Values initkit draws per random weight (at least; small weights are drawn under more seeds).
   */
  private static final int DRAWS = 20_000;

  /**
   * Chi-square with 19 degrees of freedom is above 60 with probability 1e-6; Keras's quantiles are
   * estimated from 65536 draws, which widens the statistic by about a third: 80 still fails a
   * distribution whose standard deviation is 10% off (statistic in the thousands at these counts).
   */
  private static final double CHI_SQUARE_LIMIT = 80;

  @TestFactory
  Stream<DynamicTest> fansAndDrawsAreKeras() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    List<Path> roots = TestFiles.catalogueRoots();
    assertTrue(!roots.isEmpty(), "no catalogue under testdata/catalogue");
    for (Path root : roots) {
      JsonNode manifest = Json.mapper().readTree(root.resolve("MANIFEST.json").toFile());
      assertTrue(
          manifest.path("models").size() >= 35,
          root + ": catalogue has " + manifest.path("models").size() + " models");
      for (JsonNode model : manifest.path("models")) {
        if (!model.has("facts")) {
          continue; // tf-keras-only classes: no Keras 3 facts
        }
        for (String file : new String[] {"keras3.keras", "keras3.h5"}) {
          Path p = root.resolve(model.path("name").asText()).resolve(file);
          if (Files.exists(p)) {
            tests.add(
                DynamicTest.dynamicTest(
                    root.getFileName() + "/" + model.path("name").asText() + "/" + file,
                    () -> check(p, model.path("facts"))));
          }
        }
      }
    }
    return tests.stream();
  }

  private static void check(Path file, JsonNode facts) throws IOException {
    try (LoadedModel m = ModelIO.open(file)) {
      Map<String, List<InitReport.WeightEntry>> byLayer = new LinkedHashMap<>();
      for (InitReport.WeightEntry e : InitReport.of(m).weights()) {
        byLayer.computeIfAbsent(e.site().layer().name(), k -> new ArrayList<>()).add(e);
      }
      Reinitializer.Plan first = plan(m, 1);
      Map<String, Reinitializer.Entry> planned = new LinkedHashMap<>();
      for (Reinitializer.Entry e : first.entries()) {
        planned.put(e.site().weight().name(), e);
      }
      List<String> problems = new ArrayList<>();
      for (JsonNode f : facts) {
        String layer = f.path("layer").asText();
        if (f.path("path").asText().startsWith("spectralnormalization/")) {
          // the wrapper saves its layer's kernel twice (its own vars and the layer's): initkit's
          // positions differ from layer.weights'; its fans and draws are checked by name below
          continue;
        }
        List<InitReport.WeightEntry> entries = byLayer.getOrDefault(layer, List.of());
        int index = f.path("index").asInt();
        String where = layer + " weight " + index + " (" + f.path("path").asText() + ")";
        if (index >= entries.size()) {
          problems.add(
              where
                  + ": initkit has "
                  + entries.size()
                  + " weights for layer "
                  + layer
                  + " (layers: "
                  + byLayer.keySet()
                  + ")");
          continue;
        }
        InitReport.WeightEntry e = entries.get(index);
        Weight w = e.site().weight();
        long[] shape = new long[f.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = f.path("shape").get(i).asLong();
        }
        if (!Arrays.equals(shape, w.shape().dims())) {
          problems.add(
              where
                  + ": shape "
                  + Arrays.toString(shape)
                  + " in Keras, "
                  + w.shape()
                  + " as initkit's "
                  + w.name());
          continue;
        }
        if (f.has("fans")) {
          Fans keras = new Fans(f.path("fans").get(0).asLong(), f.path("fans").get(1).asLong());
          if (!keras.equals(e.fans())) {
            problems.add(
                where + ": fans " + keras + " in Keras, " + e.fans() + " reported for " + w.name());
          }
        }
        JsonNode draws = f.path("keras_draws");
        Reinitializer.Entry planEntry = planned.get(w.name());
        if (draws.isMissingNode()) {
          continue;
        }
        if (planEntry != null
            && !planEntry.drawn()
            && !f.path("trainable").asBoolean(true)
            && Set.of("Normalization").contains(e.className())) {
          continue; // adapt()'s data statistics, not an initialization: reinit keeps them
        }
        if (planEntry == null || !planEntry.drawn()) {
          problems.add(
              where
                  + ": Keras initialises it, reinit does not draw it ("
                  + (planEntry == null ? "not planned" : planEntry.reason())
                  + ")");
          continue;
        }
        if (draws.has("exact")) {
          float[] got = values(m, first, w);
          for (int i = 0; i < got.length; i++) {
            if (got[i] != (float) draws.path("exact").get(i).asDouble()) {
              problems.add(
                  where
                      + ": value "
                      + i
                      + " is "
                      + got[i]
                      + ", Keras's initializer gives "
                      + draws.path("exact").get(i).asDouble());
              break;
            }
          }
        } else if (draws.has("quantiles")) {
          double chi = chiSquare(m, w, draws.path("quantiles"));
          if (chi > CHI_SQUARE_LIMIT) {
            problems.add(
                where
                    + ": reinit's draws are not Keras's distribution (chi-square "
                    + Math.round(chi)
                    + " on 19 degrees of freedom; Keras: "
                    + f.path("initializer")
                    + ", std "
                    + draws.path("std").asDouble()
                    + ")");
          }
        }
      }
      if (!problems.isEmpty()) {
        fail(file + ":\n  " + String.join("\n  ", problems));
      }
    }
  }

  private static Reinitializer.Plan plan(LoadedModel m, long seed) throws IOException {
    return Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), seed);
  }

  private static float[] values(LoadedModel m, Reinitializer.Plan plan, Weight w)
      throws IOException {
    LoadedModel drawn = Reinitializer.apply(m, plan);
    ByteBuffer b = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    drawn.tensors().readRows(w, 0, w.shape().rank() == 0 ? 1 : w.shape().dim(0), b);
    b.flip();
    float[] out = new float[(int) w.shape().elementCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getFloat();
    }
    return out;
  }

  /**
   * initkit's draws (under as many seeds as it takes) counted in the bins Keras's quantiles make.
   */
  private static double chiSquare(LoadedModel m, Weight w, JsonNode quantiles) throws IOException {
    double[] cuts = new double[quantiles.size()];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = quantiles.get(i).asDouble();
    }
    long[] counts = new long[cuts.length + 1];
    long n = 0;
    for (long seed = 1; n < DRAWS; seed++) {
      for (float v : values(m, plan(m, seed), w)) {
        int bin = Arrays.binarySearch(cuts, v);
        counts[bin >= 0 ? bin : -bin - 1]++;
        n++;
      }
    }
    double expected = (double) n / counts.length;
    double chi = 0;
    for (long c : counts) {
      chi += (c - expected) * (c - expected) / expected;
    }
    return chi;
  }
}
