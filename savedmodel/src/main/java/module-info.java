/**
 * SavedModel reading and writing through TensorFlow Java, plugged into the converter's {@code
 * ModelIO} as its {@link dev.initkit.format.SavedModelSupport} service: with this module present,
 * {@code ModelIO.open} reads a SavedModel directory and {@code ModelIO.write} writes one. The API
 * is the package {@code dev.initkit.savedmodel}, exported whole.
 */
module dev.initkit.savedmodel {
  requires transitive dev.initkit.converter;
  // TF Java 1.1.0's named modules: the core API (which reads ndarray and the native binding
  // transitively) and the protobuf messages of the SavedModel files
  requires tensorflow;
  requires com.google.protobuf;
  // FarmHash Fingerprint64 (an automatic module)
  requires com.google.common;

  exports dev.initkit.savedmodel;

  provides dev.initkit.format.SavedModelSupport with
      dev.initkit.savedmodel.TfSavedModelSupport;
  // saved_model.pb's ops, init op, assets and objects for the scanner's graph rules
  provides dev.initkit.scan.SavedModelGraphReader with
      dev.initkit.savedmodel.TfSavedModelGraphReader;
}
