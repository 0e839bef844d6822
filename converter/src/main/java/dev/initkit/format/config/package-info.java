/**
 * Keras model configs across generations: {@link dev.initkit.format.config.ConfigGeneration}
 * recognises whether a config follows the Keras 1, Keras 2 (tf.keras, tf-keras) or Keras 3 schema,
 * and {@link dev.initkit.format.config.ConfigTranslator} rewrites Keras 2 configs for Keras 3 and
 * back, so that each generation's loader rebuilds the same model. Its Keras 2 form is portable:
 * where possible, one legacy {@code .h5} config loads in both tf-keras and Keras 3.
 */
package dev.initkit.format.config;
