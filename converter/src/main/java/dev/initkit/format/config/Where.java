package dev.initkit.format.config;

import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;

/**
 * The layer being translated, as a path of layer names from the outermost model ({@code
 * "mid/inner_seq/is_d"}), used as the location of every error.
 */
record Where(String layerPath) {

  /** The outermost model. */
  static Where top(String modelName) {
    return new Where(modelName == null || modelName.isEmpty() ? "model" : modelName);
  }

  /** A layer inside this one. */
  Where child(String name) {
    return new Where(layerPath + "/" + (name == null ? "?" : name));
  }

  /** The layer uses something the other generation cannot express. */
  UnsupportedModelException unsupported(String className, String field, String detail) {
    String what = field == null ? className : className + " field '" + field + "'";
    return new UnsupportedModelException(null, layerPath, what + ": " + detail);
  }

  /** The config does not have the shape every Keras version writes. */
  MalformedModelException malformed(String detail) {
    return new MalformedModelException(null, layerPath, detail);
  }
}
