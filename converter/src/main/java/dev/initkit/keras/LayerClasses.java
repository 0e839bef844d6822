package dev.initkit.keras;

import java.util.Map;
import java.util.Set;

/**
 * Class names across Keras generations: the Keras 1 and tf-keras names that stand for a current
 * class ({@code Convolution2D} and {@code Conv2D}, {@code CuDNNLSTM} and {@code LSTM}).
 */
public final class LayerClasses {
  /** Older or alternative spellings, each to the current name of the class it builds. */
  private static final Map<String, String> ALIASES =
      Map.ofEntries(
          // Keras 1 and early Keras 2
          Map.entry("Convolution1D", "Conv1D"),
          Map.entry("Convolution2D", "Conv2D"),
          Map.entry("Convolution3D", "Conv3D"),
          Map.entry("AtrousConvolution1D", "Conv1D"),
          Map.entry("AtrousConvolution2D", "Conv2D"),
          Map.entry("Deconvolution2D", "Conv2DTranspose"),
          Map.entry("Deconvolution3D", "Conv3DTranspose"),
          Map.entry("Convolution1DTranspose", "Conv1DTranspose"),
          Map.entry("Convolution2DTranspose", "Conv2DTranspose"),
          Map.entry("Convolution3DTranspose", "Conv3DTranspose"),
          Map.entry("SeparableConvolution1D", "SeparableConv1D"),
          Map.entry("SeparableConvolution2D", "SeparableConv2D"),
          Map.entry("MaxPool1D", "MaxPooling1D"),
          Map.entry("MaxPool2D", "MaxPooling2D"),
          Map.entry("MaxPool3D", "MaxPooling3D"),
          Map.entry("AvgPool1D", "AveragePooling1D"),
          Map.entry("AvgPool2D", "AveragePooling2D"),
          Map.entry("AvgPool3D", "AveragePooling3D"),
          Map.entry("GlobalMaxPool1D", "GlobalMaxPooling1D"),
          Map.entry("GlobalMaxPool2D", "GlobalMaxPooling2D"),
          Map.entry("GlobalMaxPool3D", "GlobalMaxPooling3D"),
          Map.entry("GlobalAvgPool1D", "GlobalAveragePooling1D"),
          Map.entry("GlobalAvgPool2D", "GlobalAveragePooling2D"),
          Map.entry("GlobalAvgPool3D", "GlobalAveragePooling3D"),
          // tf-keras: the cuDNN layers of Keras 2.0-2.2 and TF 2's internal V2 names
          Map.entry("CuDNNLSTM", "LSTM"),
          Map.entry("CuDNNGRU", "GRU"),
          Map.entry("LSTMV2", "LSTM"),
          Map.entry("GRUV2", "GRU"),
          // Keras 3 exports GroupedQueryAttention under both names
          Map.entry("GroupQueryAttention", "GroupedQueryAttention"));

  private LayerClasses() {}

  /** The current name of the class {@code className} builds ({@code className} when it is one). */
  public static String canonical(String className) {
    return className == null ? null : ALIASES.getOrDefault(className, className);
  }

  /** True when {@code className} is an older or alternative spelling of another class. */
  public static boolean isAlias(String className) {
    return className != null && ALIASES.containsKey(className);
  }

  /** Every alias the catalogue resolves. */
  public static Set<String> aliases() {
    return ALIASES.keySet();
  }
}
