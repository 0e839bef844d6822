package dev.initkit.format.config;

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
          "Activation", "Add", "AlphaDropout", "Average", "AveragePooling1D", "AveragePooling2D",
          "AveragePooling3D", "BatchNormalization", "Bidirectional", "Concatenate", "Conv1D",
          "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "Cropping1D", "Cropping2D",
          "Cropping3D", "Dense", "DepthwiseConv2D", "Dropout", "ELU", "Embedding", "Flatten",
          "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
          "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
          "GlobalMaxPooling3D", "InputLayer", "LeakyReLU", "LocallyConnected1D", "LSTM",
          "Masking", "Maximum", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Multiply",
          "Permute", "PReLU", "ReLU", "RepeatVector", "Reshape", "SeparableConv2D", "SimpleRNN",
          "Softmax", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Subtract",
          "ThresholdedReLU", "TimeDistributed", "UpSampling1D", "UpSampling2D", "UpSampling3D",
          "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D");

  /** The layers DL4J's Bidirectional import wraps ({@code KerasBidirectional}). */
  static final Set<String> BIDIRECTIONAL_INNER = Set.of("LSTM", "SimpleRNN");
}
