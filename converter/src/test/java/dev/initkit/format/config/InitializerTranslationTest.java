package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import org.junit.jupiter.api.Test;

class InitializerTranslationTest {

  @Test
  void shorthandStringsAreValidInBothGenerations() throws UnsupportedModelException {
    JsonNode s = Examples.parse("'glorot_uniform'");
    assertEquals(s, ConfigTranslator.initializerToKeras3(s));
    assertEquals(s, ConfigTranslator.initializerToKeras2(s));
    assertEquals(
        Examples.parse("'orthogonal'"),
        ConfigTranslator.initializerToKeras2(Examples.parse("'orthogonal'")));
  }

  @Test
  void objectsGainAndLoseModuleKeys() throws UnsupportedModelException {
    JsonNode k2 =
        Examples.parse(
            "{'class_name': 'VarianceScaling', 'config': {'scale': 2.0,"
                + " 'mode': 'fan_out', 'distribution': 'untruncated_normal', 'seed': 3}}");
    JsonNode k3 =
        Examples.parse(
            "{'module': 'keras.initializers', 'class_name':"
                + " 'VarianceScaling', 'config': {'scale': 2.0, 'mode': 'fan_out', 'distribution':"
                + " 'untruncated_normal', 'seed': 3}, 'registered_name': null}");
    assertEquals(k3, ConfigTranslator.initializerToKeras3(k2));
    assertEquals(k2, ConfigTranslator.initializerToKeras2(k3));
    // tf-keras 2.13+ writes the module keys itself; both forms translate alike.
    assertEquals(k3, ConfigTranslator.initializerToKeras3(k3));
  }

  @Test
  void keras3SpellingsAndTf1DtypesAreMapped() throws UnsupportedModelException {
    assertEquals(
        Examples.parse("{'class_name': 'Orthogonal', 'config': {'gain': 1.0," + " 'seed': null}}"),
        ConfigTranslator.initializerToKeras2(
            Examples.parse(
                "{'module': 'keras.initializers', 'class_name': 'OrthogonalInitializer', 'config':"
                    + " {'gain': 1.0, 'seed': null}, 'registered_name': null}")));
    // TF1-era tf.keras wrote the weight dtype into initializer configs; Keras 3 rejects it.
    assertEquals(
        Examples.parse(
            "{'module': 'keras.initializers', 'class_name':"
                + " 'GlorotUniform', 'config': {'seed': null}, 'registered_name': null}"),
        ConfigTranslator.initializerToKeras3(
            Examples.parse(
                "{'class_name': 'GlorotUniform',"
                    + " 'config': {'seed': null, 'dtype': 'float32'}}")));
  }

  @Test
  void customAndKeras3OnlyInitializers() throws UnsupportedModelException {
    JsonNode custom =
        Examples.parse(
            "{'module': 'my_pkg', 'class_name': 'Sinusoidal',"
                + " 'config': {}, 'registered_name': 'my_pkg>Sinusoidal'}");
    assertEquals(custom, ConfigTranslator.initializerToKeras3(custom));
    assertEquals(custom, ConfigTranslator.initializerToKeras2(custom));
    JsonNode unknown = Examples.parse("{'class_name': 'LSUV', 'config': {}}");
    assertEquals(unknown, ConfigTranslator.initializerToKeras3(unknown));
    assertThrows(
        UnsupportedModelException.class,
        () ->
            ConfigTranslator.initializerToKeras2(
                Examples.parse(
                    "{'module': 'keras.initializers', 'class_name': 'STFTInitializer',"
                        + " 'config': {'side': 'real'}, 'registered_name': null}")));
  }

  @Test
  void inputIsNotModified() throws UnsupportedModelException {
    JsonNode k2 =
        Examples.parse(
            "{'class_name': 'GlorotUniform', 'config': {'seed': null," + " 'dtype': 'float32'}}");
    JsonNode copy = k2.deepCopy();
    ConfigTranslator.initializerToKeras3(k2);
    assertEquals(copy, k2);
  }
}
