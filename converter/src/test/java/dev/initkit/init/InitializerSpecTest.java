package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.initkit.MalformedModelException;
import dev.initkit.init.InitializerSpec.Distribution;
import dev.initkit.init.InitializerSpec.Mode;
import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.model.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class InitializerSpecTest {

  private static InitializerSpec parse(String json) {
    return InitializerSpec.parse(Json.parse(json));
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing every written form

  @ParameterizedTest(name = "Keras 1 ''{0}''")
  @CsvSource({
    "glorot_uniform, GlorotUniform",
    "glorot_normal, GlorotNormal",
    "he_normal, HeNormal",
    "he_uniform, HeUniform",
    "lecun_uniform, LecunUniform",
    "uniform, 'RandomUniform(minval=-0.05, maxval=0.05)'",
    "normal, 'RandomNormal(mean=0.0, stddev=0.05)'",
    "zero, Zeros",
    "one, Ones",
    "orthogonal, Orthogonal(gain=1.0)",
    "identity, Identity(gain=1.0)",
  })
  void keras1Strings(String name, String describedAs) {
    InitializerSpec s = InitializerSpec.parseKeras1(TextNode.valueOf(name));
    assertTrue(s.keras1());
    assertTrue(s.describe().startsWith(describedAs), s.describe());
    assertTrue(s.describe().endsWith("(Keras 1 '" + name + "')"), s.describe());
    assertEquals(TextNode.valueOf(name), s.asWritten().orElseThrow());
    assertEquals(
        s, InitializerSpec.parse(TextNode.valueOf(name)), "same meaning as the Keras 2 shorthand");
  }

  @Test
  void keras1NotesSayWhatKeras1DrewDifferently() {
    InitializerSpec orth = InitializerSpec.parseKeras1(TextNode.valueOf("orthogonal"));
    assertTrue(
        orth.notes().stream().anyMatch(n -> n.contains("scale 1.1")), orth.notes().toString());
    Shape s = Shape.of(64, 256);
    assertEquals(
        1.1 * SpecStatistics.expectedStd(orth, s),
        SpecStatistics.originalExpectedStd(orth, s),
        1e-15);
    InitializerSpec he = InitializerSpec.parseKeras1(TextNode.valueOf("he_normal"));
    assertTrue(he.notes().stream().anyMatch(n -> n.contains("untruncated")), he.notes().toString());
    InitializerSpec uniform = InitializerSpec.parseKeras1(TextNode.valueOf("uniform"));
    assertEquals(-0.05, ((InitializerSpec.RandomUniform) uniform).minval());
    assertEquals(0.05, ((InitializerSpec.RandomUniform) uniform).maxval());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"glorot_uniform\"",
        "\"GlorotUniform\"",
        "\"GlorotUniformV2\"",
        "\"glorot_uniformV2\"",
        "{\"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null}}",
        "{\"class_name\": \"GlorotUniformV2\", \"config\": {\"seed\": null}}",
        "{\"class_name\": \"glorot_uniform\", \"config\": {}}",
        "{\"class_name\": \"GlorotUniform\", \"config\": {\"dtype\": \"float32\", \"seed\": null}}",
        "{\"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null}, \"shared_object_id\": 7}",
        "{\"module\": \"keras.initializers\", \"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null},"
            + " \"registered_name\": null}",
        "{\"module\": \"keras.initializers\", \"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null},"
            + " \"registered_name\": null, \"shared_object_id\": 1449054023616}",
      })
  void everySpellingOfGlorotUniform(String json) {
    InitializerSpec s = parse(json);
    assertEquals(InitializerSpec.preset(Preset.GLOROT_UNIFORM, null), s);
    assertEquals("GlorotUniform", s.canonicalName());
    assertEquals("GlorotUniform", s.describe());
    assertEquals(Json.parse(json), s.asWritten().orElseThrow());
  }

  @Test
  void legacyVarianceScalingFormIsRecognisedAndReported() {
    InitializerSpec g =
        parse(
            "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"uniform\","
                + "\"mode\":\"fan_avg\",\"scale\":1.0,\"seed\":null}}");
    assertEquals(Preset.GLOROT_UNIFORM, ((InitializerSpec.VarianceScaling) g).preset());
    assertTrue(g.legacyVarianceScalingForm());
    assertEquals("GlorotUniform (legacy VarianceScaling form)", g.describe());
    assertEquals(InitializerSpec.preset(Preset.GLOROT_UNIFORM, null), g);

    InitializerSpec l =
        parse(
            "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"uniform\","
                + "\"mode\":\"fan_in\",\"scale\":1,\"seed\":12}}");
    assertEquals("LecunUniform(seed=12) (legacy VarianceScaling form)", l.describe());

    InitializerSpec h =
        parse(
            "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"normal\","
                + "\"mode\":\"fan_in\",\"scale\":2.0,\"seed\":null}}");
    assertEquals(Preset.HE_NORMAL, ((InitializerSpec.VarianceScaling) h).preset());
    assertEquals(
        Distribution.TRUNCATED_NORMAL, ((InitializerSpec.VarianceScaling) h).distribution());
    assertTrue(h.legacyNormal());
    assertTrue(
        h.describe().startsWith("HeNormal (legacy VarianceScaling form; distribution 'normal'"),
        h.describe());
    Shape s = Shape.of(400, 100);
    assertEquals(Math.sqrt(2.0 / 400), SpecStatistics.expectedStd(h, s), 1e-15);
    assertEquals(
        Math.sqrt(2.0 / 400) * 0.87962566103423978,
        SpecStatistics.originalExpectedStd(h, s),
        1e-15);

    InitializerSpec plain =
        parse(
            "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":"
                + "\"truncated_normal\",\"mode\":\"fan_out\",\"scale\":2.0,\"seed\":null}}");
    assertFalse(((InitializerSpec.VarianceScaling) plain).named().isPresent());
    assertEquals("VarianceScaling(scale=2.0, fan_out, truncated_normal)", plain.describe());
    assertEquals(
        "VarianceScaling(scale=2.0, fan_in, truncated_normal)",
        InitializerSpec.varianceScaling(2, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL, null)
            .describe());
  }

  @Test
  void keras3Forms() {
    InitializerSpec o =
        parse(
            "{\"module\":\"keras.initializers\",\"class_name\":\"OrthogonalInitializer\","
                + "\"config\":{\"gain\":1.0,\"seed\":null},\"registered_name\":null}");
    assertEquals(InitializerSpec.orthogonal(1.0, null), o);
    InitializerSpec i =
        parse(
            "{\"module\":\"keras.initializers\",\"class_name\":\"IdentityInitializer\","
                + "\"config\":{},\"registered_name\":null}");
    assertEquals(InitializerSpec.identity(1.0), i);
    assertTrue(
        i.notes().stream().anyMatch(n -> n.contains("gain")), "Keras 3 drops Identity's gain");
    InitializerSpec c =
        parse(
            "{\"module\":\"keras.initializers\",\"class_name\":\"Constant\",\"config\":"
                + "{\"value\":{\"class_name\":\"__tensor__\",\"config\":{\"value\":2.5,\"dtype\":\"float32\"}}},"
                + "\"registered_name\":null}");
    assertEquals(InitializerSpec.constant(2.5), c);
    assertEquals(
        InitializerSpec.constant(2.0),
        parse("{\"class_name\":\"Constant\",\"config\":{\"value\":2}}"));
    InitializerSpec seeded =
        parse(
            "{\"module\":\"keras.initializers\",\"class_name\":\"HeNormal\",\"config\":"
                + "{\"seed\":{\"module\":\"keras.random\",\"class_name\":\"SeedGenerator\",\"config\":{\"seed\":1337,"
                + "\"name\":\"seed_generator\"},\"registered_name\":null}},\"registered_name\":null}");
    assertEquals(1337L, seeded.seed());
  }

  @Test
  void customAndUnknownAreKeptVerbatim() {
    String q =
        "{\"class_name\":\"QInitializer\",\"config\":{\"initializer\":{\"__passive_serialization__\":true,"
            + "\"class_name\":\"LecunUniform\",\"config\":{\"seed\":null}},\"quantizer\":{\"class_name\":"
            + "\"quantized_bits\",\"config\":{\"bits\":6}}}}";
    InitializerSpec s = parse(q);
    assertTrue(s instanceof InitializerSpec.Custom, s.describe());
    assertEquals("QInitializer", ((InitializerSpec.Custom) s).name());
    assertEquals("custom QInitializer wrapping LecunUniform (kept verbatim)", s.describe());
    assertEquals(Json.parse(q), s.toKeras2Json());
    assertEquals(Json.parse(q), s.toKeras3Json());
    assertFalse(s.kerasLoadable());
    assertTrue(Double.isNaN(SpecStatistics.expectedStd(s, Shape.of(3, 3))));
    assertThrows(IllegalArgumentException.class, () -> Initializer.of(s));

    for (String json :
        List.of(
            "{\"class_name\":\"my_pkg>Fancy\",\"config\":{}}",
            "{\"module\":\"my.module\",\"class_name\":\"GlorotUniform\",\"config\":{},\"registered_name\":\"pkg>GlorotUniform\"}",
            "{\"module\":\"my.module\",\"class_name\":\"Fancy\",\"config\":{},\"registered_name\":null}",
            "\"foo_init\"",
            "{\"class_name\":\"Constant\",\"config\":{\"value\":[1,2,3]}}",
            "{\"module\":\"keras.initializers\",\"class_name\":\"STFTInitializer\",\"config\":{},\"registered_name\":null}",
            "{\"config\":{}}")) {
      InitializerSpec u = parse(json);
      assertTrue(u instanceof InitializerSpec.Custom, json);
      assertEquals(Json.parse(json), u.asWritten().orElseThrow());
      assertEquals(Json.parse(json), u.toKeras3Json());
      assertEquals(u, InitializerSpec.parse(u.toKeras2Json()));
    }
  }

  @Test
  void invalidBuiltInConfigsAreErrorsNamingTheValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("{\"class_name\":\"VarianceScaling\",\"config\":{\"scale\":-1.0}}"));
    assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("{\"class_name\":\"VarianceScaling\",\"config\":{\"mode\":\"fan_foo\"}}"));
    assertTrue(e.getMessage().contains("fan_foo"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("{\"class_name\":\"RandomNormal\",\"config\":{\"stddev\":\"wide\"}}"));
    assertTrue(e.getMessage().contains("wide"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("{\"class_name\":\"HeNormal\",\"config\":{\"seed\":\"x\"}}"));
    assertTrue(e.getMessage().contains("seed"), e.getMessage());
    MalformedModelException m =
        assertThrows(
            MalformedModelException.class,
            () ->
                InitializerSpec.parse(
                    Json.parse(
                        "{\"class_name\":\"VarianceScaling\",\"config\":{\"distribution\":\"cauchy\"}}"),
                    Path.of("m.h5"),
                    "layer dense_1: kernel_initializer"));
    assertTrue(
        m.getMessage().contains("m.h5")
            && m.getMessage().contains("dense_1")
            && m.getMessage().contains("cauchy"),
        m.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Serialization

  @Test
  void serializedFormsAreKeras() {
    InitializerSpec g = InitializerSpec.preset(Preset.GLOROT_UNIFORM, null);
    assertEquals(
        Json.parse("{\"class_name\":\"GlorotUniform\",\"config\":{\"seed\":null}}"),
        g.toKeras2Json());
    assertEquals(
        Json.parse(
            "{\"module\":\"keras.initializers\",\"class_name\":\"GlorotUniform\","
                + "\"config\":{\"seed\":null},\"registered_name\":null}"),
        g.toKeras3Json());
    assertEquals(
        Json.parse(
            "{\"class_name\":\"VarianceScaling\",\"config\":{\"scale\":2.0,\"mode\":\"fan_out\","
                + "\"distribution\":\"uniform\",\"seed\":5}}"),
        InitializerSpec.varianceScaling(2, Mode.FAN_OUT, Distribution.UNIFORM, 5L).toKeras2Json());
    assertEquals(
        "{\"class_name\":\"Zeros\",\"config\":{}}",
        InitializerSpec.zeros().toKeras2Json().toString());
    assertEquals(
        "OrthogonalInitializer",
        InitializerSpec.orthogonal(1, null).toKeras3Json().get("class_name").asText());
    assertEquals(
        "Orthogonal",
        InitializerSpec.orthogonal(1, null).toKeras2Json().get("class_name").asText());
    JsonNode small = InitializerSpec.smallSign(0.01, null).toKeras3Json();
    assertEquals("initkit>SmallSign", small.get("registered_name").asText());
    assertEquals(
        "initkit>Sinusoidal",
        InitializerSpec.sinusoidal().toKeras2Json().get("class_name").asText());
  }

  /** Every kind, with and without seeds; each must survive parse(serialize(x)) in both forms. */
  static List<InitializerSpec> allSpecs() {
    List<InitializerSpec> out = new ArrayList<>();
    out.add(InitializerSpec.zeros());
    out.add(InitializerSpec.ones());
    out.add(InitializerSpec.constant(0.1));
    out.add(InitializerSpec.constant(-3));
    for (Long seed : new Long[] {null, 42L}) {
      out.add(InitializerSpec.randomUniform(-0.05, 0.05, seed));
      out.add(InitializerSpec.randomNormal(0.0, 0.02, seed));
      out.add(InitializerSpec.truncatedNormal(0.1, 0.5, seed));
      for (Preset p : Preset.values()) {
        out.add(InitializerSpec.preset(p, seed));
      }
      for (Mode m : Mode.values()) {
        for (Distribution d : Distribution.values()) {
          out.add(InitializerSpec.varianceScaling(0.5, m, d, seed));
        }
      }
      out.add(InitializerSpec.orthogonal(1.0, seed));
      out.add(InitializerSpec.orthogonal(1.3, seed));
      out.add(InitializerSpec.smallSign(0.01, seed));
    }
    out.add(InitializerSpec.identity(1.0));
    out.add(InitializerSpec.identity(0.5));
    out.add(InitializerSpec.sinusoidal());
    return out;
  }

  @Test
  void parseOfSerializeIsAFixedPoint() {
    for (InitializerSpec s : allSpecs()) {
      JsonNode k2 = s.toKeras2Json();
      JsonNode k3 = s.toKeras3Json();
      InitializerSpec p2 = InitializerSpec.parse(k2);
      InitializerSpec p3 = InitializerSpec.parse(k3);
      assertEquals(s, p2, "Keras 2 form of " + s + ": " + k2);
      assertEquals(s, p3, "Keras 3 form of " + s + ": " + k3);
      assertEquals(k2, p2.toKeras2Json());
      assertEquals(k3, p3.toKeras3Json());
      assertEquals(k2, p3.toKeras2Json(), "the two forms describe the same thing");
      assertEquals(s.describe(), p2.describe());
      assertTrue(p2.notes().isEmpty(), "no notes on our own output: " + p2.notes());
      assertEquals(s, InitializerSpec.parse(s.toSpecString()), s.toSpecString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Command-line strings

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "he_normal | HeNormal",
        "glorot_uniform | GlorotUniform",
        "GlorotUniform | GlorotUniform",
        "lecun_normal | LecunNormal",
        "he_normal(seed=7) | HeNormal(seed=7)",
        "orthogonal(gain=1.0) | Orthogonal(gain=1.0)",
        "orthogonal | Orthogonal(gain=1.0)",
        "variance_scaling(scale=2,mode=fan_out,distribution=uniform) | VarianceScaling(scale=2.0, fan_out, uniform)",
        "variance_scaling(scale=2, mode=fan_in) | VarianceScaling(scale=2.0, fan_in, truncated_normal)",
        "constant(0.1) | Constant(value=0.1)",
        "constant(value=-2) | Constant(value=-2.0)",
        "random_normal(stddev=0.02) | RandomNormal(mean=0.0, stddev=0.02)",
        "normal(0.5, 2) | RandomNormal(mean=0.5, stddev=2.0)",
        "truncated_normal(mean=0,stddev=0.05) | TruncatedNormal(mean=0.0, stddev=0.05)",
        "random_uniform(minval=-1, maxval=1, seed=3) | RandomUniform(minval=-1.0, maxval=1.0, seed=3)",
        "zeros | Zeros",
        "ones | Ones",
        "identity | Identity(gain=1.0)",
        "identity(gain=0.5) | Identity(gain=0.5)",
        "small | SmallSign(±0.01)",
        "small(seed=1) | SmallSign(±0.01, seed=1)",
        "small_uniform | RandomUniform(minval=-0.01, maxval=0.01)",
        "sinusoidal | Sinusoidal",
        "  He-Normal  | HeNormal",
      })
  void commandLineStrings(String text, String described) {
    assertEquals(described, InitializerSpec.parse(text).describe());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "xavier | unknown initializer 'xavier': expected one of zeros, ones",
        "'' | empty initializer",
        "he_normal(gain=2) | unknown parameter 'gain' for he_normal: expected seed",
        "zeros(seed=1) | unknown parameter 'seed' for zeros",
        "constant | constant needs a value",
        "random_normal(stddev=-1) | random_normal stddev must be positive",
        "random_uniform(minval=1,maxval=0) | minval < maxval",
        "variance_scaling(mode=fan_foo) | fan_foo",
        "variance_scaling(distribution=normal) | ambiguous",
        "variance_scaling(scale=0) | variance_scaling scale must be positive",
        "orthogonal(gain=abc) | gain must be a finite number, not 'abc'",
        "he_normal(seed=1.5) | seed must be an integer",
        "he_normal(seed=1 | missing ')'",
        "orthogonal(1.0, 2.0, 3.0) | unexpected argument",
        "normal(stddev=1,stddev=2) | stddev given twice",
      })
  void commandLineErrors(String text, String messagePart) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> InitializerSpec.parse(text));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Statistics and derived copies

  @Test
  void expectedStdOfDeterministicAndOrthogonalKinds() {
    // Orthogonal (r x c) with orthonormal rows or columns: E[w²] = gain² min(r,c) / (r c)
    assertEquals(
        2.0 * Math.sqrt(64.0 / (64 * 256)),
        SpecStatistics.expectedStd(InitializerSpec.orthogonal(2, null), Shape.of(64, 256)),
        1e-15);
    assertEquals(
        Math.sqrt(32.0 / (144 * 32)),
        SpecStatistics.expectedStd(InitializerSpec.orthogonal(1, null), Shape.of(3, 3, 16, 32)),
        1e-15);
    // Identity (3, 5) with gain 2: three 2s among 15 values
    double mean = 2.0 * 3 / 15;
    double var = (3 * 4.0) / 15 - mean * mean;
    assertEquals(
        mean, SpecStatistics.expectedMean(InitializerSpec.identity(2), Shape.of(3, 5)), 1e-15);
    assertEquals(
        Math.sqrt(var),
        SpecStatistics.expectedStd(InitializerSpec.identity(2), Shape.of(3, 5)),
        1e-15);
    // Truncated normal: post-truncation std
    assertEquals(
        0.05 * 0.87962566103423978,
        SpecStatistics.expectedStd(InitializerSpec.truncatedNormal(0, 0.05, null), Shape.of(3)),
        1e-17);
    // VarianceScaling uses Keras's max(1, n): a (0, 5) kernel has fan_in 0 -> scale / 1
    assertEquals(
        Math.sqrt(2.0),
        SpecStatistics.expectedStd(InitializerSpec.preset(Preset.HE_NORMAL, null), Shape.of(0, 5)),
        1e-15);
    assertThrows(
        IllegalArgumentException.class,
        () -> SpecStatistics.expectedStd(InitializerSpec.identity(1), Shape.of(3, 3, 3)));
    assertThrows(
        IllegalArgumentException.class,
        () -> SpecStatistics.expectedStd(InitializerSpec.orthogonal(1, null), Shape.of(3)));
    assertEquals(
        "U[-0.08660, 0.08660)",
        SpecStatistics.sampling(
                InitializerSpec.preset(Preset.GLOROT_UNIFORM, null), Shape.of(400, 400))
            .describe());
  }

  @Test
  void derivedCopies() {
    InitializerSpec he = InitializerSpec.preset(Preset.HE_NORMAL, null);
    assertEquals(7L, he.withSeed(7L).seed());
    assertNotEquals(he, he.withSeed(7L));
    assertTrue(he.sameDistribution(he.withSeed(7L)));
    assertTrue(he.sameDistribution(he.asVarianceScaling()));
    assertNotEquals(he, he.asVarianceScaling());
    assertEquals(
        "VarianceScaling(scale=2.0, fan_in, truncated_normal)", he.asVarianceScaling().describe());
    assertTrue(InitializerSpec.zeros().sameDistribution(InitializerSpec.constant(0)));
    assertThrows(IllegalArgumentException.class, () -> InitializerSpec.zeros().withSeed(1L));
    assertEquals(
        InitializerSpec.randomUniform(-0.01, 0.01, 3L),
        InitializerSpec.smallSign(0.01, 3L).kerasFallback().orElseThrow());
    assertFalse(InitializerSpec.sinusoidal().kerasLoadable());
    assertTrue(he instanceof InitializerSpec.VarianceScaling);
  }
}
