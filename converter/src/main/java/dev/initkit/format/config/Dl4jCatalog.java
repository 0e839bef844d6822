package dev.initkit.format.config;

import java.util.Map;
import java.util.Set;

/**
 * The Keras layer classes DeepLearning4J 1.0.0-M2.1's {@code KerasModelImport} maps to its own
 * layers: the class names {@code KerasLayerUtils.getKerasLayerFromConfig} compares against (read
 * from {@code Keras2LayerConfiguration} in deeplearning4j-modelimport 1.0.0-M2.1). Anything else
 * fails there with "Unsupported keras layer type".
 */
final class Dl4jCatalog {
  private Dl4jCatalog() {}

  static final Set<String> LAYERS =
      Set.of(
          "Activation",
          "Add",
          "AlphaDropout",
          "Average",
          "AveragePooling1D",
          "AveragePooling2D",
          "AveragePooling3D",
          "BatchNormalization",
          "Bidirectional",
          "Concatenate",
          "Conv1D",
          "Conv2D",
          "Conv3D",
          "Conv2DTranspose",
          "Conv3DTranspose",
          "Cropping1D",
          "Cropping2D",
          "Cropping3D",
          "Dense",
          "DepthwiseConv2D",
          "Dropout",
          "ELU",
          "Embedding",
          "Flatten",
          "GaussianDropout",
          "GaussianNoise",
          "GlobalAveragePooling1D",
          "GlobalAveragePooling2D",
          "GlobalMaxPooling1D",
          "GlobalMaxPooling2D",
          "InputLayer",
          "LeakyReLU",
          "LocallyConnected1D",
          "LSTM",
          "Masking",
          "Maximum",
          "MaxPooling1D",
          "MaxPooling2D",
          "MaxPooling3D",
          "Multiply",
          "Permute",
          "PReLU",
          "ReLU",
          "RepeatVector",
          "Reshape",
          "SeparableConv2D",
          "SimpleRNN",
          "Softmax",
          "SpatialDropout1D",
          "SpatialDropout2D",
          "SpatialDropout3D",
          "Subtract",
          "ThresholdedReLU",
          "TimeDistributed",
          "UpSampling1D",
          "UpSampling2D",
          "UpSampling3D",
          "ZeroPadding1D",
          "ZeroPadding2D",
          "ZeroPadding3D");

  /**
   * Classes DL4J maps but fails on, or computes differently, with what it did on the bundled models
   * and the catalogue (Dl4jForRuntimeIT; on tf-keras's own files as on initkit's).
   */
  static final Map<String, String> FAILS =
      Map.of(
          "Masking",
              "DL4J imports it as a SameDiff layer that throws NullPointerException when it predicts"
                  + " (corpus k2-masking-lstm.h5)",
          "GlobalAveragePooling3D",
              "DL4J's pooling import has no 3D global pooling (\"Unsupported Keras pooling layer\")",
          "GlobalMaxPooling3D",
              "DL4J's pooling import has no 3D global pooling (\"Unsupported Keras pooling layer\")",
          "PReLU",
              "DL4J imports it and predicts something else (catalogue PReLU, alpha of shape (5, 3): 0.58 off Keras)",
          "Conv3DTranspose",
              "DL4J imports it and predicts something else (catalogue Conv3DTranspose: 2.9 off Keras)",
          "LocallyConnected1D",
              "DL4J's import fails on its bias (catalogue LocallyConnected1D, tf-keras's file: \"Cannot set parameter b, invalid shape\")",
          "TimeDistributed",
              "DL4J's import unwraps it into the wrapped layer on [batch * steps, features] and types its output"
                  + " feed-forward, dropping the time axis, so the next layer is built for one step (testdata timedistributed:"
                  + " Flatten became a reshape to [3], \"Input shape [8, 3] and target shape [2, 3] do not match\","
                  + " on tf-keras's own file too)");

  /** The layers DL4J's Bidirectional import wraps ({@code KerasBidirectional}). */
  static final Set<String> BIDIRECTIONAL_INNER = Set.of("LSTM", "SimpleRNN");
}
