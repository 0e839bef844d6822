package dev.initkit;

import dev.initkit.format.Format;
import java.util.Locale;
import java.util.Set;

/**
 * The runtime a written file is meant for ({@code convert --for}): it decides the config form, the
 * header written beside it and, without an extension on the output, the format. Writing without a
 * runtime keeps initkit's portable forms ({@link ModelIO.WriteOptions#runtime()} null).
 */
public enum TargetRuntime {
  /**
   * Keras 3: a {@code .keras} archive, or a legacy {@code .h5} in the form Keras 3 itself writes.
   */
  KERAS3("keras3", Format.KERAS, Set.of(Format.KERAS, Format.H5, Format.KERAS3_WEIGHTS)),
  /** tf-keras 2.x (and tf.keras): a legacy {@code .h5} with only the keys tf-keras knows. */
  TF_KERAS("tf-keras", Format.H5, Set.of(Format.H5, Format.H5_WEIGHTS)),
  /** DeepLearning4J's {@code KerasModelImport}: a Keras 2 {@code .h5} of the layers DL4J maps. */
  DL4J("dl4j", Format.H5, Set.of(Format.H5)),
  /**
   * TensorFlow (TF Java, TF Serving, DJL): a SavedModel with a {@code serving_default} signature.
   */
  TENSORFLOW("tensorflow", Format.SAVED_MODEL, Set.of(Format.SAVED_MODEL));

  private final String cliName;
  private final Format defaultFormat;
  private final Set<Format> formats;

  TargetRuntime(String cliName, Format defaultFormat, Set<Format> formats) {
    this.cliName = cliName;
    this.defaultFormat = defaultFormat;
    this.formats = formats;
  }

  /** The name {@code --for} takes. */
  public String cliName() {
    return cliName;
  }

  /** The format written when neither a format nor the output's extension gives one. */
  public Format defaultFormat() {
    return defaultFormat;
  }

  /** Whether this runtime loads files of {@code format}. */
  public boolean accepts(Format format) {
    return formats.contains(format);
  }

  /**
   * Parses a {@code --for} value (case-insensitive; {@code tf_keras}, {@code tfkeras}, {@code
   * tf.keras} too).
   */
  public static TargetRuntime parse(String text) {
    String t = text.toLowerCase(Locale.ROOT).replace('_', '-');
    for (TargetRuntime r : values()) {
      if (r.cliName.equals(t)) {
        return r;
      }
    }
    if (t.equals("tfkeras") || t.equals("tf.keras")) {
      return TF_KERAS;
    }
    throw new IllegalArgumentException(
        "unknown runtime '" + text + "': expected keras3, tf-keras, dl4j or tensorflow");
  }
}
