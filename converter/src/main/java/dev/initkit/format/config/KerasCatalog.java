package dev.initkit.format.config;

import dev.initkit.keras.LayerFamily;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which class names each Keras generation knows, as fixed tables.
 *
 * <p>The layer, initializer, regularizer and constraint tables were taken from the public API of
 * tf-keras 2.20.1 ({@code tf_keras.layers}, ...) and Keras 3.12.0 ({@code keras.layers}, ...). A
 * class that appears in neither table is treated as user code and carried verbatim.
 */
final class KerasCatalog {
  private KerasCatalog() {}

  /** Layer classes that both tf-keras 2.20 and Keras 3.12 export under the same name. */
  static final Set<String> COMMON_LAYERS =
      Set.of(
          "Activation",
          "ActivityRegularization",
          "Add",
          "AdditiveAttention",
          "AlphaDropout",
          "Attention",
          "Average",
          "AveragePooling1D",
          "AveragePooling2D",
          "AveragePooling3D",
          "AvgPool1D",
          "AvgPool2D",
          "AvgPool3D",
          "BatchNormalization",
          "Bidirectional",
          "CategoryEncoding",
          "CenterCrop",
          "Concatenate",
          "Conv1D",
          "Conv1DTranspose",
          "Conv2D",
          "Conv2DTranspose",
          "Conv3D",
          "Conv3DTranspose",
          "ConvLSTM1D",
          "ConvLSTM2D",
          "ConvLSTM3D",
          "Convolution1D",
          "Convolution1DTranspose",
          "Convolution2D",
          "Convolution2DTranspose",
          "Convolution3D",
          "Convolution3DTranspose",
          "Cropping1D",
          "Cropping2D",
          "Cropping3D",
          "Dense",
          "DepthwiseConv1D",
          "DepthwiseConv2D",
          "Discretization",
          "Dot",
          "Dropout",
          "ELU",
          "EinsumDense",
          "Embedding",
          "Flatten",
          "GRU",
          "GRUCell",
          "GaussianDropout",
          "GaussianNoise",
          "GlobalAveragePooling1D",
          "GlobalAveragePooling2D",
          "GlobalAveragePooling3D",
          "GlobalAvgPool1D",
          "GlobalAvgPool2D",
          "GlobalAvgPool3D",
          "GlobalMaxPool1D",
          "GlobalMaxPool2D",
          "GlobalMaxPool3D",
          "GlobalMaxPooling1D",
          "GlobalMaxPooling2D",
          "GlobalMaxPooling3D",
          "GroupNormalization",
          "HashedCrossing",
          "Hashing",
          "Identity",
          "InputLayer",
          "IntegerLookup",
          "LSTM",
          "LSTMCell",
          "Lambda",
          "Layer",
          "LayerNormalization",
          "LeakyReLU",
          "Masking",
          "MaxPool1D",
          "MaxPool2D",
          "MaxPool3D",
          "MaxPooling1D",
          "MaxPooling2D",
          "MaxPooling3D",
          "Maximum",
          "Minimum",
          "MultiHeadAttention",
          "Multiply",
          "Normalization",
          "PReLU",
          "Permute",
          "RNN",
          "RandomBrightness",
          "RandomContrast",
          "RandomCrop",
          "RandomFlip",
          "RandomRotation",
          "RandomTranslation",
          "RandomZoom",
          "ReLU",
          "RepeatVector",
          "Rescaling",
          "Reshape",
          "Resizing",
          "SeparableConv1D",
          "SeparableConv2D",
          "SeparableConvolution1D",
          "SeparableConvolution2D",
          "SimpleRNN",
          "SimpleRNNCell",
          "Softmax",
          "SpatialDropout1D",
          "SpatialDropout2D",
          "SpatialDropout3D",
          "SpectralNormalization",
          "StackedRNNCells",
          "StringLookup",
          "Subtract",
          "TextVectorization",
          "TimeDistributed",
          "UnitNormalization",
          "UpSampling1D",
          "UpSampling2D",
          "UpSampling3D",
          "Wrapper",
          "ZeroPadding1D",
          "ZeroPadding2D",
          "ZeroPadding3D");

  /** Keras 2 built-in layers Keras 3 cannot load, with the reason given to the user. */
  static final Map<String, String> KERAS2_ONLY_LAYERS =
      Map.ofEntries(
          Map.entry("LocallyConnected1D", "Keras 3 removed LocallyConnected layers"),
          Map.entry("LocallyConnected2D", "Keras 3 removed LocallyConnected layers"),
          Map.entry("DenseFeatures", "feature columns do not exist in Keras 3"),
          Map.entry("RandomHeight", "Keras 3 has no RandomHeight layer"),
          Map.entry("RandomWidth", "Keras 3 has no RandomWidth layer"),
          Map.entry(
              "TFOpLambda", "a raw TensorFlow op recorded by tf.keras; Keras 3 cannot load it"),
          Map.entry(
              "SlicingOpLambda",
              "a raw TensorFlow op recorded by tf.keras; Keras 3 cannot load it"),
          Map.entry(
              "TensorFlowOpLayer",
              "a raw TensorFlow op recorded by tf.keras; Keras 3 cannot load it"),
          Map.entry("CuDNNLSTM", "CuDNNLSTM keeps two bias vectors; Keras 3 LSTM has one"),
          Map.entry(
              "CuDNNGRU", "CuDNNGRU keeps two bias vectors in a layout Keras 3 does not read"),
          Map.entry("AbstractRNNCell", "an abstract base class, not a layer"));

  /**
   * Activation names Keras 3 resolves and tf-keras does not (tf-keras 2.20.1/2.21.0 against Keras
   * 3.12.0/3.15.1, {@code testdata/survey_generations.py}): a Keras 3 layer using one cannot be
   * written for tf-keras.
   */
  static final Set<String> KERAS3_ONLY_ACTIVATIONS =
      Set.of(
          "celu",
          "glu",
          "hard_shrink",
          "hard_silu",
          "hard_swish",
          "hard_tanh",
          "log_sigmoid",
          "soft_shrink",
          "sparse_plus",
          "sparse_sigmoid",
          "sparsemax",
          "squareplus",
          "tanh_shrink",
          "threshold");

  /**
   * Layers whose variables the two file layouts count differently, so that no weight mapping makes
   * a file of one format load in the other (found by the catalogue,
   * testdata/generate_catalogue.py).
   */
  static final Map<String, String> ONE_FORMAT_ONLY =
      Map.of(
          "SpectralNormalization",
          "Keras saves the wrapped layer's kernel twice in .keras (the wrapper's"
              + " variables and the layer's) and once in legacy .h5; initkit copies it within one format only");

  /** Keras 3 built-in layers tf-keras lacks. */
  static final Set<String> KERAS3_ONLY_LAYERS =
      Set.of(
          "AugMix",
          "AutoContrast",
          "CutMix",
          "Equalization",
          "FlaxLayer",
          "GroupQueryAttention",
          "GroupedQueryAttention",
          "JaxLayer",
          "MaxNumBoundingBoxes",
          "MelSpectrogram",
          "MixUp",
          "Pipeline",
          "RMSNormalization",
          "RandAugment",
          "RandomColorDegeneration",
          "RandomColorJitter",
          "RandomElasticTransform",
          "RandomErasing",
          "RandomGaussianBlur",
          "RandomGrayscale",
          "RandomHue",
          "RandomInvert",
          "RandomPerspective",
          "RandomPosterization",
          "RandomSaturation",
          "RandomSharpness",
          "RandomShear",
          "ReversibleEmbedding",
          "STFTSpectrogram",
          "Solarization",
          "TFSMLayer",
          "TorchModuleWrapper");

  /** Initializer classes both generations export (class names and snake-case aliases). */
  static final Set<String> INITIALIZERS =
      Set.of(
          "Constant",
          "GlorotNormal",
          "GlorotUniform",
          "HeNormal",
          "HeUniform",
          "Identity",
          "LecunNormal",
          "LecunUniform",
          "Ones",
          "Orthogonal",
          "RandomNormal",
          "RandomUniform",
          "TruncatedNormal",
          "VarianceScaling",
          "Zeros",
          "constant",
          "glorot_normal",
          "glorot_uniform",
          "he_normal",
          "he_uniform",
          "identity",
          "lecun_normal",
          "lecun_uniform",
          "ones",
          "orthogonal",
          "random_normal",
          "random_uniform",
          "truncated_normal",
          "variance_scaling",
          "zeros",
          "one",
          "zero",
          "normal",
          "uniform");

  /**
   * Keras 3 spellings tf-keras does not know, mapped to the tf-keras class. Keras 3.0-3.x configs
   * have been written with {@code OrthogonalInitializer}; 3.12 writes {@code Orthogonal}.
   */
  static final Map<String, String> KERAS3_INITIALIZER_RENAMES =
      Map.of("OrthogonalInitializer", "Orthogonal", "IdentityInitializer", "Identity");

  /** Keras 3 initializers with no tf-keras class. */
  static final Set<String> KERAS3_ONLY_INITIALIZERS = Set.of("STFT", "STFTInitializer", "stft");

  /** Regularizer classes both generations export. */
  static final Set<String> REGULARIZERS =
      Set.of(
          "L1",
          "L1L2",
          "L2",
          "OrthogonalRegularizer",
          "l1",
          "l2",
          "l1_l2",
          "orthogonal_regularizer");

  /** Constraint classes both generations export. */
  static final Set<String> CONSTRAINTS =
      Set.of(
          "MaxNorm",
          "MinMaxNorm",
          "NonNeg",
          "UnitNorm",
          "max_norm",
          "min_max_norm",
          "non_neg",
          "unit_norm");

  /** tf-keras constraints Keras 3 lacks. */
  static final Set<String> KERAS2_ONLY_CONSTRAINTS =
      Set.of("RadialConstraint", "radial_constraint");

  /** Mixed-precision policy classes tf.keras wrote ({@code PolicyV1} is tf 2.1-2.3). */
  static final Set<String> KERAS2_POLICIES = Set.of("Policy", "PolicyV1");

  /** Keras 3 dtype policy classes that only name a float dtype (FloatDTypePolicy is 3.0-3.5). */
  static final Set<String> KERAS3_FLOAT_POLICIES = Set.of("DTypePolicy", "FloatDTypePolicy");

  /** Keras 3 dtype policy classes for quantised layers: their weights have no Keras 2 form. */
  static final Set<String> KERAS3_QUANTIZED_POLICIES =
      Set.of(
          "QuantizedDTypePolicy",
          "QuantizedFloat8DTypePolicy",
          "GPTQDTypePolicy",
          "AWQDTypePolicy",
          "DTypePolicyMap",
          "Int4DTypePolicy");

  /**
   * Layers whose Keras 3 config holds a plain dtype name instead of a policy object (their
   * get_config writes {@code self.dtype}).
   */
  static final Set<String> KERAS3_DTYPE_NAME_LAYERS =
      Set.of("InputLayer", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D");

  /**
   * Keys newer Keras 3 releases add to many layers (3.13 writes {@code quantization_config: null}
   * on Dense, EinsumDense and Embedding); null means the feature is off.
   */
  static final Set<String> KERAS3_NULL_EXTENSIONS =
      Set.of("quantization_config", "lora_rank", "lora_alpha");

  /** Recurrent layers (not cells) that carry {@code zero_output_for_mask} in Keras 3. */
  static final Set<String> RECURRENT_LAYERS = LayerFamily.RECURRENT.members();

  /** Layers and cells whose tf-keras config carries {@code implementation}. */
  static final Set<String> HAS_IMPLEMENTATION = Set.of("LSTM", "GRU", "LSTMCell", "GRUCell");

  /**
   * Names of the call arguments after the first, for layers whose Keras 3 configs record extra
   * positional arguments. tf-keras records every argument after the first as a keyword.
   */
  static final Map<String, List<String>> CALL_ARGUMENTS_AFTER_FIRST =
      Map.ofEntries(
          Map.entry(
              "MultiHeadAttention",
              List.of(
                  "value",
                  "key",
                  "query_mask",
                  "value_mask",
                  "key_mask",
                  "attention_mask",
                  "return_attention_scores",
                  "training",
                  "use_causal_mask")),
          Map.entry("RNN", List.of("initial_state", "mask", "training")),
          Map.entry("SimpleRNN", List.of("initial_state", "mask", "training")),
          Map.entry("LSTM", List.of("initial_state", "mask", "training")),
          Map.entry("GRU", List.of("initial_state", "mask", "training")),
          Map.entry("ConvLSTM1D", List.of("initial_state", "mask", "training")),
          Map.entry("ConvLSTM2D", List.of("initial_state", "mask", "training")),
          Map.entry("ConvLSTM3D", List.of("initial_state", "mask", "training")),
          Map.entry("Bidirectional", List.of("initial_state", "mask", "training")));

  /**
   * The keyword arguments tf-keras uses for MultiHeadAttention's value and key. Keras 3 writes them
   * positionally when the model called {@code mha(query, value, key)}.
   */
  static final List<String> ATTENTION_POSITIONAL = List.of("value", "key");

  /** Config keys that only Keras 1 layers have. */
  static final Set<String> KERAS1_KEYS =
      Set.of(
          "init",
          "inner_init",
          "forget_bias_init",
          "inner_activation",
          "nb_filter",
          "nb_row",
          "nb_col",
          "border_mode",
          "subsample",
          "subsample_length",
          "filter_length",
          "pool_length",
          "W_regularizer",
          "b_regularizer",
          "U_regularizer",
          "W_constraint",
          "b_constraint",
          "U_constraint",
          "dim_ordering",
          "input_dtype",
          "consume_less",
          "dropout_W",
          "dropout_U",
          "beta_init",
          "gamma_init",
          "atrous_rate");

  /** Layer classes that only Keras 1 had. */
  static final Set<String> KERAS1_LAYERS =
      Set.of(
          "Merge",
          "TimeDistributedDense",
          "Highway",
          "MaxoutDense",
          "AtrousConvolution1D",
          "AtrousConvolution2D",
          "SiameseLayer");

  /** Model classes whose config holds other layers. */
  static boolean isModelClass(String className) {
    return "Sequential".equals(className)
        || "Functional".equals(className)
        || "Model".equals(className);
  }
}
