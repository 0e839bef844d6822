/**
 * initkit's core: reading, writing, reinitializing and transplanting Keras and TensorFlow model
 * files. The API is what this module exports to everyone; {@code dev.initkit.internal} and {@code
 * dev.initkit.internal.hdf5} (files written atomically, JSON limits, the HDF5 binding) are shared
 * with initkit's own modules only.
 */
module dev.initkit.converter {
  requires transitive com.fasterxml.jackson.databind;
  requires org.bytedeco.javacpp;
  requires org.bytedeco.hdf5;
  // pure-Java HDF5 reading for the scanner's structure walk (H5JavaWalk)
  requires io.jhdf;
  // jhdf is an automatic module, which declares nothing: it needs commons-lang3 resolved
  requires org.apache.commons.lang3;
  // only to see whether an SLF4J provider is installed (jhdf logs through SLF4J: H5JavaWalk)
  requires org.slf4j;

  exports dev.initkit;
  exports dev.initkit.format;
  exports dev.initkit.format.config;
  exports dev.initkit.format.h5;
  exports dev.initkit.format.keras3;
  exports dev.initkit.format.safetensors;
  exports dev.initkit.init;
  exports dev.initkit.keras;
  exports dev.initkit.model;
  exports dev.initkit.ops;
  exports dev.initkit.render;
  exports dev.initkit.scan;
  exports dev.initkit.transplant;
  // what initkit's own modules import of the internals, and nothing more
  exports dev.initkit.internal to
      dev.initkit.analysis,
      dev.initkit.savedmodel,
      dev.initkit.cli,
      dev.initkit.interop.dl4j;
  exports dev.initkit.internal.hdf5 to
      dev.initkit.cli,
      dev.initkit.dl4j,
      dev.initkit.bench;
  exports dev.initkit.internal.h5 to
      dev.initkit.bench;

  // SavedModel reading and writing come from the savedmodel module when it is present
  uses dev.initkit.format.SavedModelSupport;
  // and so does the reading of saved_model.pb for the scanner's graph rules
  uses dev.initkit.scan.SavedModelGraphReader;
  uses org.slf4j.spi.SLF4JServiceProvider;
}
