package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigGenerationTest {

  static List<String> architectures() {
    return Examples.ARCHITECTURES;
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void realConfigsOfEachWriterAreRecognised(String arch) {
    // tf-keras's to_json carries module keys and is still the Keras 2 schema.
    assertEquals(ConfigGeneration.KERAS2, ConfigGeneration.detect(Examples.tfKeras(arch)));
    assertEquals(ConfigGeneration.KERAS2, ConfigGeneration.detect(Examples.tfKerasH5(arch)));
    assertEquals(ConfigGeneration.KERAS3, ConfigGeneration.detect(Examples.keras3(arch)));
    // Keras 3 writing legacy .h5 drops the module keys but keeps its own schema.
    assertEquals(ConfigGeneration.KERAS3, ConfigGeneration.detect(Examples.keras3H5(arch)));
  }

  @Test
  void keras1FieldsAndClassesAreRecognised() {
    assertEquals(
        ConfigGeneration.KERAS1,
        ConfigGeneration.detect(
            Examples.parse(
                "{'class_name': 'Sequential', 'config': [{'class_name': 'Convolution2D', 'config':"
                    + " {'name': 'c', 'nb_filter': 8, 'nb_row': 3, 'nb_col': 3,"
                    + " 'border_mode': 'same'}}]}")));
    assertEquals(
        ConfigGeneration.KERAS1,
        ConfigGeneration.detect(
            Examples.parse(
                "{'class_name': 'Model', 'config': {'name': 'm', 'layers': [{'class_name': 'Merge',"
                    + " 'name': 'mg', 'config': {'name': 'mg', 'mode': 'sum'}, 'inbound_nodes': []}],"
                    + " 'input_layers': [], 'output_layers': []}}")));
  }

  @Test
  void singleKeras3MarksAreEnough() {
    assertEquals(
        ConfigGeneration.KERAS3,
        ConfigGeneration.detect(
            Examples.parse(
                "{'class_name': 'Sequential', 'config': {'name': 's', 'layers': [{'class_name':"
                    + " 'InputLayer', 'config': {'batch_shape': [null, 3], 'name': 'i'}}]}}")));
    assertEquals(
        ConfigGeneration.KERAS3,
        ConfigGeneration.detect(
            Examples.parse(
                "{'class_name': 'Sequential', 'config': {'name': 's', 'layers': [{'class_name':"
                    + " 'Dense', 'config': {'name': 'd', 'units': 1, 'dtype': {'class_name':"
                    + " 'FloatDTypePolicy', 'config': {'name': 'float32'}}}}]}}")));
    assertEquals(
        ConfigGeneration.KERAS2,
        ConfigGeneration.detect(
            Examples.parse("{'class_name': 'Sequential', 'config': {'name': 's', 'layers': []}}")));
    // Keras 2's Embedding has output_dim too: not a Keras 1 mark.
    assertEquals(
        ConfigGeneration.KERAS2,
        ConfigGeneration.detect(
            Examples.parse(
                "{'class_name': 'Sequential', 'config': {'name': 's', 'layers': [{'class_name':"
                    + " 'Embedding', 'config': {'name': 'e', 'input_dim': 5, 'output_dim': 2}}]}}")));
  }
}
