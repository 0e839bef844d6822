/**
 * A static safety and health audit of Keras and TensorFlow model files that never runs anything
 * they contain: {@link dev.initkit.scan.Scanner} walks files and directories and yields one {@link
 * dev.initkit.scan.FileScan} per model, each with {@link dev.initkit.scan.Finding}s named by the
 * rules of {@link dev.initkit.scan.Rules} (code-running configs, file references, HDF5 links and
 * external storage, zip structure, shape bombs, and the weights' health). See docs/scan.md for
 * every rule.
 */
package dev.initkit.scan;
