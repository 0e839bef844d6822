package dev.initkit.keras;

import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The families of Keras layer classes, by what a layer of the class computes. Every class name the
 * catalogue knows belongs to exactly one family; names are the current (Keras 3, else tf-keras)
 * spellings, and {@link #of} resolves the Keras 1/2 aliases ({@link LayerClasses#canonical}) first.
 */
public enum LayerFamily {
  /** A matrix product over the last axis. */
  DENSE("Dense", "EinsumDense"),
  /** A convolution summing over the input channels. */
  CONV("Conv1D", "Conv2D", "Conv3D"),
  /**
   * A transposed convolution: each input scatters over the kernel (see {@link
   * ConvGeometry#transposedFanIn}).
   */
  TRANSPOSED_CONV("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"),
  /** A convolution of each channel on its own. */
  DEPTHWISE_CONV("DepthwiseConv1D", "DepthwiseConv2D"),
  /** A depthwise convolution followed by a pointwise one. */
  SEPARABLE_CONV("SeparableConv1D", "SeparableConv2D"),
  /** A convolution with unshared weights per position. */
  LOCALLY_CONNECTED("LocallyConnected1D", "LocallyConnected2D"),
  /** A lookup table indexed by integers. */
  EMBEDDING("Embedding", "ReversibleEmbedding"),
  /** A layer iterating a cell over time steps (the Keras 3 classes; older names are aliases). */
  RECURRENT("SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "RNN"),
  /** One step of a recurrent layer, held in an {@code RNN}'s {@code cell}. */
  RECURRENT_CELL(
      "SimpleRNNCell",
      "LSTMCell",
      "GRUCell",
      "StackedRNNCells",
      "ConvLSTM1DCell",
      "ConvLSTM2DCell",
      "ConvLSTM3DCell"),
  /**
   * A normalization by statistics of the input (most with a learned scale gamma and offset beta).
   */
  NORMALIZATION(
      "BatchNormalization",
      "LayerNormalization",
      "GroupNormalization",
      "SyncBatchNormalization",
      "RMSNormalization",
      "UnitNormalization"),
  /** Attention: a softmax-weighted average of values. */
  ATTENTION("MultiHeadAttention", "GroupedQueryAttention", "Attention", "AdditiveAttention"),
  /** An activation function as a layer. */
  ACTIVATION("Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU"),
  /** Dropout and noise: the identity at inference. */
  STOCHASTIC(
      "Dropout",
      "SpatialDropout1D",
      "SpatialDropout2D",
      "SpatialDropout3D",
      "GaussianNoise",
      "GaussianDropout",
      "AlphaDropout"),
  /** The identity on values: input, masking, identity, activity regularization. */
  IDENTITY("InputLayer", "Identity", "Masking", "ActivityRegularization"),
  /** Moves values without computing on them. */
  SHAPE(
      "Flatten",
      "Reshape",
      "Permute",
      "RepeatVector",
      "Cropping1D",
      "Cropping2D",
      "Cropping3D",
      "UpSampling1D",
      "UpSampling2D",
      "UpSampling3D",
      "ZeroPadding1D",
      "ZeroPadding2D",
      "ZeroPadding3D"),
  /** Pooling over windows or (Global...) over all positions. */
  POOLING(
      "MaxPooling1D",
      "MaxPooling2D",
      "MaxPooling3D",
      "AveragePooling1D",
      "AveragePooling2D",
      "AveragePooling3D",
      "GlobalMaxPooling1D",
      "GlobalMaxPooling2D",
      "GlobalMaxPooling3D",
      "GlobalAveragePooling1D",
      "GlobalAveragePooling2D",
      "GlobalAveragePooling3D"),
  /** Combines several inputs element-wise or by concatenation. */
  MERGE(
      "Add",
      "Subtract",
      "Multiply",
      "Average",
      "Maximum",
      "Minimum",
      "Concatenate",
      "Dot",
      "Merge"),
  /** Holds another layer's config under {@code layer} (see {@link Wrappers}). */
  WRAPPER("Bidirectional", "TimeDistributed", "Wrapper"),
  /** Code or a TensorFlow op the config names but does not define. */
  FUNCTION("Lambda", "TFOpLambda", "SlicingOpLambda", "GetItem");

  private static final Map<String, LayerFamily> BY_CLASS;

  /** Families none of whose classes holds variables, but for {@link #WEIGHTED_EXCEPTIONS}. */
  private static final Set<LayerFamily> WEIGHTLESS_FAMILIES =
      EnumSet.of(STOCHASTIC, IDENTITY, SHAPE, POOLING, MERGE, FUNCTION, ACTIVATION);

  /** Classes of a weightless family that hold a variable: PReLU learns its slope {@code alpha}. */
  private static final Set<String> WEIGHTED_EXCEPTIONS = Set.of("PReLU");

  /**
   * Classes outside the catalogue known to hold no variables: preprocessing layers, and {@code
   * MaxPooling} as some old files name a pooling layer.
   */
  private static final Set<String> WEIGHTLESS_UNCATALOGUED =
      Set.of("Rescaling", "Resizing", "CenterCrop", "MaxPooling");

  static {
    Map<String, LayerFamily> m = new HashMap<>();
    for (LayerFamily f : values()) {
      for (String c : f.members) {
        LayerFamily was = m.put(c, f);
        if (was != null) {
          throw new ExceptionInInitializerError(c + " in both " + was + " and " + f);
        }
      }
    }
    BY_CLASS = Collections.unmodifiableMap(m);
  }

  private final Set<String> members;

  LayerFamily(String... members) {
    this.members = Set.of(members);
  }

  /** The family of a layer class (its Keras 1/2 aliases resolved), or null when not catalogued. */
  public static LayerFamily of(String className) {
    return className == null ? null : BY_CLASS.get(LayerClasses.canonical(className));
  }

  /** True when {@code className} (or the class it is an alias of) belongs to this family. */
  public boolean contains(String className) {
    return of(className) == this;
  }

  /**
   * True when a layer class is known to hold no variables (its aliases resolved): activations but
   * PReLU, dropout and noise, identities, shape changes, pooling, merges, functions, and a few
   * preprocessing layers. False for anything else, including classes not catalogued.
   */
  public static boolean isWeightless(String className) {
    if (className == null) {
      return false;
    }
    String c = LayerClasses.canonical(className);
    if (WEIGHTLESS_UNCATALOGUED.contains(c)) {
      return true;
    }
    LayerFamily f = BY_CLASS.get(c);
    return f != null && WEIGHTLESS_FAMILIES.contains(f) && !WEIGHTED_EXCEPTIONS.contains(c);
  }

  /** The current class names of this family (without aliases). */
  public Set<String> members() {
    return members;
  }

  /** Every class name the catalogue knows, without aliases. */
  public static Set<String> catalogued() {
    return BY_CLASS.keySet();
  }
}
