package dev.initkit;

import dev.initkit.format.h5.KerasH5Writer.Form;
import dev.initkit.model.Model;

/**
 * The {@code keras_version}/{@code backend} of a legacy HDF5 file written for a runtime, and its
 * weight names (DL4J's for DL4J). The source's own where the written config is of its generation;
 * else the version whose config form is written (tf-keras 2.20.1 for Keras 2 forms, Keras 3.12.0
 * for Keras 3's), on TensorFlow.
 */
final class H5Forms {
  /** The Keras 2 form initkit writes is tf-keras 2.20.1's. */
  static final String KERAS2_VERSION = "2.20.1";

  /** The Keras 3 .h5 form initkit writes was read off Keras 3.12.0's files. */
  static final String KERAS3_VERSION = "3.12.0";

  private H5Forms() {}

  static Form of(Model model, TargetRuntime runtime) {
    Form own = Form.of(model);
    if (runtime == TargetRuntime.DL4J) {
      // DL4J: "Keras major version has to be either 1 or 2 (3 provided)"; and it finds weights
      // only under names of its own (KerasH5Writer.Form)
      return major(own.kerasVersion()) <= 2
          ? new Form(own.kerasVersion(), own.backend(), true)
          : new Form(KERAS2_VERSION, "tensorflow", true);
    }
    if (runtime == TargetRuntime.KERAS3) {
      return major(own.kerasVersion()) == 3 ? own : new Form(KERAS3_VERSION, "tensorflow", false);
    }
    return own;
  }

  private static int major(String version) {
    int dot = version.indexOf('.');
    try {
      return Integer.parseInt(dot < 0 ? version : version.substring(0, dot));
    } catch (NumberFormatException e) {
      return 3; // unreadable: treated as the newest generation, which DL4J needs rewritten
    }
  }
}
