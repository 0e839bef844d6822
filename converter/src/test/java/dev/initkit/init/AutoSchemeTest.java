package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.init.AutoScheme.Choice;
import dev.initkit.init.InitializerSpec.Preset;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AutoSchemeTest {

  private static Layer layer(String className, String config) {
    return new Layer("l", className, Json.parse(config), List.of(), List.of());
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
    "Dense, relu, HeNormal",
    "Dense, relu6, HeNormal",
    "Dense, elu, HeNormal",
    "Dense, gelu, HeNormal",
    "Dense, swish, HeNormal",
    "Dense, silu, HeNormal",
    "Dense, leaky_relu, HeNormal",
    "Conv2D, relu, HeNormal",
    "Dense, selu, LecunNormal",
    "Dense, tanh, GlorotUniform",
    "Dense, sigmoid, GlorotUniform",
    "Dense, softmax, GlorotUniform",
    "Dense, linear, GlorotUniform",
    "Dense, mystery_act, GlorotUniform",
  })
  void kernelsFollowTheActivation(String cls, String activation, String expected) {
    Choice c =
        AutoScheme.choose(layer(cls, "{\"activation\":\"" + activation + "\"}"), WeightRole.KERNEL);
    assertEquals(expected, c.spec().canonicalName(), c.reason());
    assertFalse(c.reason().isBlank());
    assertFalse(c.reason().contains("\n"), "one line");
  }

  @Test
  void activationsAsObjectsAndFollowingLayers() {
    Layer k3 =
        layer(
            "Dense",
            "{\"activation\":{\"module\":\"keras.layers\",\"class_name\":\"ReLU\",\"config\":{}}}");
    assertEquals("HeNormal", AutoScheme.choose(k3, WeightRole.KERNEL).spec().canonicalName());
    Layer none = layer("Conv2D", "{}");
    assertEquals(
        "GlorotUniform", AutoScheme.choose(none, WeightRole.KERNEL).spec().canonicalName());
    Choice following =
        AutoScheme.choose(
            layer("Conv2D", "{\"activation\":\"linear\"}"), WeightRole.KERNEL, "LeakyReLU");
    assertEquals("HeNormal", following.spec().canonicalName());
    assertTrue(following.reason().contains("following activation"), following.reason());
    Choice own =
        AutoScheme.choose(layer("Dense", "{\"activation\":\"tanh\"}"), WeightRole.KERNEL, "relu");
    assertEquals("GlorotUniform", own.spec().canonicalName(), "the layer's own activation wins");
  }

  @Test
  void softplusIsNoReluForHe() {
    // softplus(0) = ln 2: its second moment is not halved, so He's 2/fan_in does not apply
    Choice c =
        AutoScheme.choose(layer("Dense", "{\"activation\":\"softplus\"}"), WeightRole.KERNEL);
    assertEquals("GlorotUniform", c.spec().canonicalName());
    assertTrue(c.reason().contains("positive value at 0"), c.reason());
  }

  @Test
  void otherRoles() {
    Layer bn = layer("BatchNormalization", "{}");
    assertEquals(InitializerSpec.ones(), AutoScheme.choose(bn, WeightRole.GAMMA).spec());
    assertEquals(InitializerSpec.zeros(), AutoScheme.choose(bn, WeightRole.BETA).spec());
    assertEquals(InitializerSpec.zeros(), AutoScheme.choose(bn, WeightRole.MOVING_MEAN).spec());
    assertEquals(InitializerSpec.ones(), AutoScheme.choose(bn, WeightRole.MOVING_VARIANCE).spec());
    assertEquals(
        InitializerSpec.randomUniform(-0.05, 0.05, null),
        AutoScheme.choose(layer("Embedding", "{}"), WeightRole.EMBEDDINGS).spec());
    assertEquals(
        InitializerSpec.zeros(), AutoScheme.choose(layer("PReLU", "{}"), WeightRole.ALPHA).spec());
    assertTrue(AutoScheme.choose(layer("Dense", "{}"), WeightRole.OTHER).keep());
    Choice bias = AutoScheme.choose(layer("Dense", "{\"activation\":\"relu\"}"), WeightRole.BIAS);
    assertEquals(InitializerSpec.zeros(), bias.spec());
    assertFalse(bias.unitForgetBias());
  }

  @Test
  void recurrentLayers() {
    Layer lstm = layer("LSTM", "{\"units\":4,\"activation\":\"tanh\",\"unit_forget_bias\":true}");
    assertEquals(
        Preset.GLOROT_UNIFORM,
        ((InitializerSpec.VarianceScaling) AutoScheme.choose(lstm, WeightRole.KERNEL).spec())
            .preset());
    assertEquals(
        InitializerSpec.orthogonal(1, null),
        AutoScheme.choose(lstm, WeightRole.RECURRENT_KERNEL).spec());
    Choice bias = AutoScheme.choose(lstm, WeightRole.BIAS);
    assertTrue(bias.unitForgetBias());
    assertTrue(bias.reason().contains("forget"), bias.reason());
    double[] values =
        StatTools.draw(bias.initializer(WeightRole.BIAS), Shape.of(16), DType.FLOAT32, 0);
    double[] expected = new double[16];
    Arrays.fill(expected, 4, 8, 1.0);
    assertArrayEquals(expected, values);

    assertFalse(AutoScheme.unitForgetBias(layer("LSTM", "{\"unit_forget_bias\":false}")));
    assertTrue(AutoScheme.unitForgetBias(layer("LSTM", "{}")), "Keras's default is true");
    assertFalse(AutoScheme.unitForgetBias(layer("GRU", "{}")));
    assertTrue(
        AutoScheme.unitForgetBias(layer("LSTM", "{\"forget_bias_init\":\"one\"}")), "Keras 1");
    Layer bidi =
        layer("Bidirectional", "{\"layer\":{\"class_name\":\"LSTM\",\"config\":{\"units\":3}}}");
    assertTrue(AutoScheme.unitForgetBias(bidi));
    assertEquals(
        InitializerSpec.orthogonal(1, null),
        AutoScheme.choose(bidi, WeightRole.RECURRENT_KERNEL).spec());
  }

  @Test
  void configuredReadsTheConfigOrKerasDefaults() {
    Layer dense =
        layer(
            "Dense",
            "{\"kernel_initializer\":{\"class_name\":\"HeNormal\",\"config\":{\"seed\":3}},"
                + "\"bias_initializer\":{\"class_name\":\"Zeros\",\"config\":{}}}");
    Choice k = AutoScheme.configured(dense, WeightRole.KERNEL);
    assertEquals(InitializerSpec.preset(Preset.HE_NORMAL, 3L), k.spec());
    assertEquals("config kernel_initializer", k.reason());
    Choice dflt = AutoScheme.configured(layer("Conv2D", "{}"), WeightRole.KERNEL);
    assertEquals(InitializerSpec.preset(Preset.GLOROT_UNIFORM, null), dflt.spec());
    assertTrue(dflt.reason().contains("default"), dflt.reason());
    assertEquals(
        InitializerSpec.orthogonal(1, null),
        AutoScheme.configured(layer("GRU", "{}"), WeightRole.RECURRENT_KERNEL).spec());
    assertEquals(
        InitializerSpec.randomUniform(-0.05, 0.05, null),
        AutoScheme.configured(layer("Embedding", "{}"), WeightRole.EMBEDDINGS).spec());
    assertEquals(
        InitializerSpec.ones(),
        AutoScheme.configured(layer("BatchNormalization", "{}"), WeightRole.GAMMA).spec());
    Layer depthwise = layer("DepthwiseConv2D", "{\"depthwise_initializer\":\"he_uniform\"}");
    assertEquals(
        InitializerSpec.preset(Preset.HE_UNIFORM, null),
        AutoScheme.configured(depthwise, WeightRole.DEPTHWISE_KERNEL).spec());
    // Keras 1
    Layer k1 =
        layer(
            "LSTM",
            "{\"init\":\"he_normal\",\"inner_init\":\"orthogonal\",\"forget_bias_init\":\"one\"}");
    Choice k1k = AutoScheme.configured(k1, WeightRole.KERNEL);
    assertTrue(k1k.spec().keras1());
    assertEquals("Keras 1 config init", k1k.reason());
    assertTrue(
        AutoScheme.configured(k1, WeightRole.RECURRENT_KERNEL).spec().notes().stream()
            .anyMatch(n -> n.contains("1.1")));
    assertTrue(AutoScheme.configured(k1, WeightRole.BIAS).unitForgetBias());
    // wrapped layers
    Layer td =
        layer(
            "TimeDistributed",
            "{\"layer\":{\"module\":\"keras.layers\",\"class_name\":\"Dense\","
                + "\"config\":{\"kernel_initializer\":\"lecun_normal\"},\"registered_name\":null}}");
    assertEquals(
        InitializerSpec.preset(Preset.LECUN_NORMAL, null),
        AutoScheme.configured(td, WeightRole.KERNEL).spec());
  }
}
