package dev.initkit.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LayerFamilyTest {
  @Test
  void weightlessClassesAreTheWeightlessFamiliesButPrelu() {
    // one of each weightless family, an alias, the preprocessing layers the catalogue lacks
    for (String c :
        List.of(
            "InputLayer",
            "ActivityRegularization",
            "Dropout",
            "Flatten",
            "LeakyReLU",
            "GlobalAveragePooling2D",
            "MaxPool2D",
            "Concatenate",
            "Merge",
            "TFOpLambda",
            "Rescaling",
            "Resizing",
            "CenterCrop",
            "MaxPooling")) {
      assertTrue(LayerFamily.isWeightless(c), c);
    }
    for (String c :
        List.of("PReLU", "Dense", "Conv2D", "LSTM", "BatchNormalization", "Bidirectional", "")) {
      assertFalse(LayerFamily.isWeightless(c), c);
    }
    assertFalse(LayerFamily.isWeightless(null));
  }

  @Test
  void heIsForTheActivationsThatHalveTheSecondMoment() {
    for (String a : List.of("relu", "LeakyReLU", "leaky_relu", "gelu", "swish", "hard_silu")) {
      assertTrue(Activations.isRectifier(a), a);
    }
    for (String a : List.of("softplus", "squareplus", "sparseplus")) {
      assertFalse(Activations.isRectifier(a), a + ": softplus(0) = ln 2, not a ReLU");
      assertTrue(Activations.isOffsetRectifier(a), a);
    }
    for (String a : List.of("tanh", "sigmoid", "linear", "softmax")) {
      assertTrue(Activations.isSymmetricOrLinear(a), a);
      assertFalse(Activations.isRectifier(a), a);
    }
    assertFalse(Activations.isRectifier(null));
  }

  @Test
  void everyCataloguedClassIsInExactlyOneFamily() {
    int members = 0;
    for (LayerFamily f : LayerFamily.values()) {
      assertFalse(f.members().isEmpty(), f + " has no classes");
      for (String c : f.members()) {
        long families =
            Stream.of(LayerFamily.values()).filter(g -> g.members().contains(c)).count();
        assertEquals(1, families, c + " is in " + families + " families");
        assertEquals(f, LayerFamily.of(c), c);
        assertTrue(f.contains(c), c);
      }
      members += f.members().size();
    }
    assertEquals(members, LayerFamily.catalogued().size());
  }

  @Test
  void aliasesResolveToCataloguedClassesAndAreNotCataloguedThemselves() {
    assertFalse(LayerClasses.aliases().isEmpty());
    for (String alias : LayerClasses.aliases()) {
      String canonical = LayerClasses.canonical(alias);
      assertFalse(alias.equals(canonical), alias);
      assertTrue(LayerFamily.catalogued().contains(canonical), alias + " -> " + canonical);
      assertFalse(LayerFamily.catalogued().contains(alias), alias + " is an alias and a class");
      assertFalse(LayerClasses.isAlias(canonical), canonical + " is an alias of an alias");
      assertEquals(LayerFamily.of(canonical), LayerFamily.of(alias), alias);
    }
  }

  @Test
  void keras1And2NamesResolve() {
    assertEquals("Conv2D", LayerClasses.canonical("Convolution2D"));
    assertEquals(LayerFamily.CONV, LayerFamily.of("Convolution1D"));
    assertEquals(LayerFamily.CONV, LayerFamily.of("AtrousConvolution2D"));
    assertEquals(LayerFamily.TRANSPOSED_CONV, LayerFamily.of("Deconvolution2D"));
    assertEquals(LayerFamily.TRANSPOSED_CONV, LayerFamily.of("Convolution3DTranspose"));
    assertEquals(LayerFamily.SEPARABLE_CONV, LayerFamily.of("SeparableConvolution2D"));
    assertEquals(LayerFamily.RECURRENT, LayerFamily.of("CuDNNLSTM"));
    assertEquals(LayerFamily.RECURRENT, LayerFamily.of("GRUV2"));
    assertEquals(LayerFamily.ATTENTION, LayerFamily.of("GroupQueryAttention"));
    assertEquals(LayerFamily.POOLING, LayerFamily.of("MaxPool2D"));
    assertEquals("Conv2D", LayerClasses.canonical("Conv2D"));
    assertFalse(LayerClasses.isAlias("Conv2D"));
    assertFalse(LayerClasses.isAlias(null));
    // only the current names are members: the Keras 3 layout and catalogue rely on it
    assertFalse(LayerFamily.RECURRENT.members().contains("CuDNNLSTM"));
    assertTrue(LayerFamily.RECURRENT.contains("CuDNNLSTM"));
  }

  @Test
  void familiesSeparateWhatTheEstimatesTreatDifferently() {
    assertEquals(LayerFamily.CONV, LayerFamily.of("Conv2D"));
    assertEquals(LayerFamily.DEPTHWISE_CONV, LayerFamily.of("DepthwiseConv2D"));
    assertEquals(LayerFamily.TRANSPOSED_CONV, LayerFamily.of("Conv2DTranspose"));
    assertEquals(LayerFamily.LOCALLY_CONNECTED, LayerFamily.of("LocallyConnected2D"));
    assertEquals(LayerFamily.RECURRENT, LayerFamily.of("RNN"));
    assertEquals(LayerFamily.RECURRENT_CELL, LayerFamily.of("LSTMCell"));
    assertEquals(LayerFamily.NORMALIZATION, LayerFamily.of("RMSNormalization"));
    assertEquals(LayerFamily.WRAPPER, LayerFamily.of("Bidirectional"));
    assertEquals(LayerFamily.STOCHASTIC, LayerFamily.of("SpatialDropout2D"));
    assertEquals(LayerFamily.SHAPE, LayerFamily.of("ZeroPadding2D"));
    assertNull(LayerFamily.of("MyCustomLayer"));
    assertNull(LayerFamily.of(null));
    assertFalse(LayerFamily.DENSE.contains(null));
  }

  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?(dev\\.initkit\\.[\\w.]+)", Pattern.MULTILINE);

  /**
   * The package sits below init, format, ops and transplant: it imports only the model and itself.
   */
  @Test
  void dependsOnNothingAboveIt() throws IOException {
    Path dir = Path.of("src/main/java/dev/initkit/keras");
    assertTrue(Files.isDirectory(dir), dir.toAbsolutePath().toString());
    List<String> bad = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String src = Files.readString(f);
        Matcher m = IMPORT.matcher(src);
        while (m.find()) {
          String imp = m.group(1);
          if (!imp.startsWith("dev.initkit.model.") && !imp.startsWith("dev.initkit.keras.")) {
            bad.add(f.getFileName() + ": " + imp);
          }
        }
        for (String up :
            List.of(
                "dev.initkit.init.",
                "dev.initkit.format.",
                "dev.initkit.ops.",
                "dev.initkit.transplant.",
                "dev.initkit.ModelIO")) {
          if (src.replaceAll("(?m)^import .*$", "").contains(up)) {
            bad.add(f.getFileName() + ": names " + up);
          }
        }
      }
    }
    assertTrue(bad.isEmpty(), bad.toString());
  }
}
