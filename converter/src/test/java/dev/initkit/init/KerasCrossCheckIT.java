package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks every spec against the real Keras 3 and tf_keras with {@code
 * src/test/resources/init/check_specs.py}: the serialised forms load as the intended class with the
 * intended parameters; the distribution Keras requests for each shape (its own fan and scale
 * arithmetic) equals initkit's {@link Sampling}; deterministic initializers give identical values;
 * Keras's Orthogonal algorithm run on initkit's Gaussian matrix gives initkit's values. Runs only
 * when the system property {@code initkit.python} names a Python with keras and tf_keras (e.g.
 * {@code -Dinitkit.python=.venv/bin/python}); skipped otherwise.
 */
class KerasCrossCheckIT {

  private static final List<Shape> SHAPES =
      List.of(
          Shape.of(400, 250),
          Shape.of(3, 3, 16, 32),
          Shape.of(4, 4, 32, 256),
          Shape.of(3, 3, 32, 2),
          Shape.of(7),
          Shape.of(),
          Shape.of(128, 1024),
          Shape.of(0, 5),
          Shape.of(512, 8, 64));

  @Test
  void realKerasAgrees(@TempDir Path tmp) throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isBlank(), "set -Dinitkit.python=<python with keras and tf_keras> to run");

    ObjectNode doc = Json.MAPPER.createObjectNode();
    ArrayNode cases = doc.putArray("cases");
    int n = 0;
    for (InitializerSpec s : InitializerSpecTest.allSpecs()) {
      if (s.kerasLoadable()) {
        addCase(
            cases,
            "#" + (n++) + " " + s.describe(),
            s.toKeras2Json(),
            s.toKeras3Json(),
            s.canonicalName(),
            s);
      }
    }
    // Forms found in real files: Keras must read each as initkit parses it.
    for (String[] w : WRITTEN) {
      com.fasterxml.jackson.databind.JsonNode json = Json.parse(w[0]);
      InitializerSpec s = InitializerSpec.parse(json);
      addCase(
          cases,
          "written " + w[0],
          w[1].contains("2") ? json : null,
          w[1].contains("3") ? json : null,
          s.legacyVarianceScalingForm() ? "VarianceScaling" : s.canonicalName(),
          s);
    }
    addOrthogonal(doc);
    run(doc, tmp, python);
  }

  /** Written forms and the loaders ("2" tf_keras, "3" Keras 3) that accept them. */
  private static final String[][] WRITTEN = {
    {"\"uniform\"", "23"},
    {"\"normal\"", "23"},
    {"\"one\"", "23"},
    {"\"zero\"", "23"},
    {"\"orthogonal\"", "23"},
    {"\"identity\"", "23"},
    {"\"glorot_uniform\"", "23"},
    {"\"he_normal\"", "23"},
    {"\"lecun_uniform\"", "23"},
    {"\"GlorotUniformV2\"", "2"},
    {"\"he_normalV2\"", "2"},
    {"{\"class_name\":\"GlorotUniform\",\"config\":{\"dtype\":\"float32\",\"seed\":null}}", "2"},
    {
      "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"normal\",\"mode\":\"fan_in\","
          + "\"scale\":2.0,\"seed\":null}}",
      "23"
    },
    {
      "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"uniform\",\"mode\":\"fan_avg\","
          + "\"scale\":1.0,\"seed\":null}}",
      "23"
    },
    {
      "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"uniform\",\"mode\":\"fan_in\","
          + "\"scale\":2.0,\"seed\":12}}",
      "23"
    },
    {"{\"class_name\":\"Constant\",\"config\":{\"value\":2}}", "23"},
    {
      "{\"module\":\"keras.initializers\",\"class_name\":\"OrthogonalInitializer\",\"config\":{\"gain\":1.0,"
          + "\"seed\":null},\"registered_name\":null}",
      "3"
    },
    {"{\"class_name\":\"Identity\",\"config\":{\"gain\":3.4}}", "2"},
    {
      "{\"class_name\":\"RandomUniform\",\"config\":{\"maxval\":1,\"minval\":-1,\"seed\":null}}",
      "23"
    },
  };

  private static void addCase(
      ArrayNode cases,
      String name,
      com.fasterxml.jackson.databind.JsonNode keras2,
      com.fasterxml.jackson.databind.JsonNode keras3,
      String kerasClass,
      InitializerSpec s) {
    {
      ObjectNode c = cases.addObject();
      c.put("name", name);
      c.set("keras2", keras2);
      c.set("keras3", keras3);
      c.put("class3", kerasClass);
      c.put("class2", kerasClass);
      c.set("params", params(s));
      if (s.isRandom() && !(s instanceof InitializerSpec.Orthogonal)) {
        ArrayNode sampling = c.putArray("sampling");
        for (Shape shape : SHAPES) {
          Sampling d = SpecStatistics.sampling(s, shape);
          ObjectNode o = sampling.addObject();
          o.set("shape", dims(shape));
          o.put("type", d.type().name());
          o.put("a", d.a());
          o.put("b", d.b());
        }
      } else if (!s.isRandom()) {
        ArrayNode values = c.putArray("values");
        for (Shape shape : List.of(Shape.of(3, 5), Shape.of(4, 4), Shape.of(6, 2))) {
          ObjectNode o = values.addObject();
          o.set("shape", dims(shape));
          ArrayNode v = o.putArray("values");
          for (double x : StatTools.draw(Initializer.of(s), shape, DType.FLOAT64, 1)) {
            v.add(x);
          }
        }
      }
    }
  }

  private static void addOrthogonal(ObjectNode doc) {
    ArrayNode orth = doc.putArray("orthogonal");
    int k = 0;
    for (Shape shape :
        List.of(
            Shape.of(6, 4),
            Shape.of(4, 6),
            Shape.of(3, 3, 2, 5),
            Shape.of(2, 2, 3, 40),
            Shape.of(16, 64),
            Shape.of(5, 5))) {
      for (double gain : new double[] {1.0, 1.7}) {
        long seed = SeedContract.streamSeed(k, "orth", "kernel");
        long[] rc = Orthogonal.flatShape(shape);
        long m = Math.max(rc[0], rc[1]);
        long nn = Math.min(rc[0], rc[1]);
        double[] normals = new double[(int) (m * nn)];
        RandomInitializer.standardNormals(seed, normals, normals.length);
        ObjectNode o = orth.addObject();
        o.put("name", "orthogonal #" + (k++));
        o.set("shape", dims(shape));
        o.put("gain", gain);
        ArrayNode a = o.putArray("normals");
        for (double x : normals) {
          a.add(x);
        }
        ArrayNode v = o.putArray("values");
        for (double x :
            StatTools.draw(
                Initializer.of(InitializerSpec.orthogonal(gain, null)),
                shape,
                DType.FLOAT64,
                seed)) {
          v.add(x);
        }
      }
    }
  }

  private static void run(ObjectNode doc, Path tmp, String python) throws Exception {
    Path casesFile = tmp.resolve("cases.json");
    Json.MAPPER.writeValue(casesFile.toFile(), doc);
    Path script = tmp.resolve("check_specs.py");
    try (InputStream in = KerasCrossCheckIT.class.getResourceAsStream("/init/check_specs.py")) {
      assertTrue(in != null, "check_specs.py on the test classpath");
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
    }
    Process p =
        new ProcessBuilder(python, script.toString(), casesFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("out.txt").toFile())
            .start();
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "python did not finish in 10 minutes");
    String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
    if (System.getProperty("initkit.crosscheck.out") != null) {
      Files.writeString(Path.of(System.getProperty("initkit.crosscheck.out")), out);
    }
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains(" 0 failing"), out);
  }

  private static ArrayNode dims(Shape shape) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    for (long d : shape.dims()) {
      a.add(d);
    }
    return a;
  }

  private static ObjectNode params(InitializerSpec s) {
    ObjectNode p = Json.MAPPER.createObjectNode();
    if (s instanceof InitializerSpec.Constant c) {
      p.put("value", c.value());
    } else if (s instanceof InitializerSpec.RandomUniform u) {
      p.put("minval", u.minval());
      p.put("maxval", u.maxval());
    } else if (s instanceof InitializerSpec.RandomNormal n) {
      p.put("mean", n.mean());
      p.put("stddev", n.stddev());
    } else if (s instanceof InitializerSpec.TruncatedNormal n) {
      p.put("mean", n.mean());
      p.put("stddev", n.stddev());
    } else if (s instanceof InitializerSpec.VarianceScaling v) {
      p.put("scale", v.scale());
      p.put("mode", v.mode().kerasName());
      p.put("distribution", v.distribution().kerasName());
    } else if (s instanceof InitializerSpec.Orthogonal o) {
      p.put("gain", o.gain());
    } else if (s instanceof InitializerSpec.Identity i) {
      p.put("gain", i.gain());
    }
    if (s.isRandom()) {
      if (s.seed() == null) {
        p.putNull("seed");
      } else {
        p.put("seed", s.seed());
      }
    }
    return p;
  }
}
