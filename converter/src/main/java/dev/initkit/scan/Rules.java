package dev.initkit.scan;

import java.util.List;

/** Every rule of the scanner; docs/scan.md describes each, with what it does not check yet. */
public final class Rules {
  /** A Lambda layer carrying a function as Python bytecode or source. */
  public static final Rule LAMBDA_CODE =
      new Rule(
          "lambda-code",
          Severity.HIGH,
          "CVE-2024-3660",
          "Lambda layer with a serialized Python function (bytecode or source)");

  /** A Lambda layer in an HDF5 model, whose loading ignores safe_mode. */
  public static final Rule H5_LAMBDA =
      new Rule(
          "h5-lambda",
          Severity.HIGH,
          "CVE-2025-9905",
          "Lambda layer in an .h5 model: loading .h5 ignores safe_mode");

  /** A class or function reference that makes Keras import a module outside Keras. */
  public static final Rule FOREIGN_MODULE =
      new Rule(
          "foreign-module",
          Severity.HIGH,
          "CVE-2025-1550",
          "object reference importing a module outside Keras");

  /** A config that turns safe mode off or enables unsafe deserialization. */
  public static final Rule UNSAFE_DESERIALIZATION =
      new Rule(
          "unsafe-deserialization",
          Severity.HIGH,
          "CVE-2025-9906",
          "config calls enable_unsafe_deserialization or sets safe_mode false");

  /** A function reference into Keras's own utility, config or saving modules. */
  public static final Rule KERAS_UTILITY_CALL =
      new Rule(
          "keras-utility-call",
          Severity.HIGH,
          "CVE-2025-8747",
          "function reference into keras utils/config/saving (not a layer building block)");

  /** A lookup layer whose vocabulary is a file path or URL. */
  public static final Rule LOOKUP_VOCABULARY_PATH =
      new Rule(
          "lookup-vocabulary-path",
          Severity.HIGH,
          "CVE-2025-12058",
          "StringLookup/IntegerLookup/TextVectorization vocabulary read from a path or URL");

  /** A TFSMLayer, which loads a SavedModel from a path when deserialized. */
  public static final Rule TFSM_LAYER =
      new Rule(
          "tfsm-layer", Severity.HIGH, "CVE-2026-1462", "TFSMLayer loading an external SavedModel");

  /** An HDF5 external link. */
  public static final Rule H5_EXTERNAL_LINK =
      new Rule(
          "h5-external-link", Severity.HIGH, "CVE-2026-1669", "HDF5 external link to another file");

  /** An HDF5 dataset stored in raw external files. */
  public static final Rule H5_EXTERNAL_STORAGE =
      new Rule(
          "h5-external-storage",
          Severity.HIGH,
          "CVE-2026-1669",
          "HDF5 dataset whose data lives in external files");

  /** An HDF5 virtual dataset. */
  public static final Rule H5_VIRTUAL_DATASET =
      new Rule(
          "h5-virtual-dataset",
          Severity.HIGH,
          "CVE-2026-1669",
          "HDF5 virtual dataset mapping data from other files");

  /** A dataset whose declared shape is far beyond what the file holds. */
  public static final Rule SHAPE_BOMB =
      new Rule(
          "shape-bomb",
          Severity.HIGH,
          "CVE-2026-0897",
          "dataset declaring far more data than the file holds");

  /** A zip member whose name leaves the extraction directory. */
  public static final Rule ZIP_PATH_TRAVERSAL =
      new Rule(
          "zip-path-traversal",
          Severity.HIGH,
          null,
          "zip member name with '..', an absolute path or a drive letter");

  /** A zip member whose declared size or compression ratio is a bomb. */
  public static final Rule ZIP_BOMB =
      new Rule(
          "zip-bomb",
          Severity.HIGH,
          null,
          "zip member inflating to far more than the archive's size");

  /** Two zip members of the same name. */
  public static final Rule ZIP_DUPLICATE =
      new Rule(
          "zip-duplicate-member",
          Severity.MEDIUM,
          null,
          "two zip members of the same name: readers disagree on which counts");

  /** A zip member that is not what its name says. */
  public static final Rule ZIP_MEMBER_MISMATCH =
      new Rule(
          "zip-member-mismatch",
          Severity.MEDIUM,
          null,
          "zip member whose content is not what its name says");

  /** A model initkit detected but could not read. */
  public static final Rule UNREADABLE =
      new Rule(
          "unreadable",
          Severity.MEDIUM,
          null,
          "model that initkit's reader refuses (damaged, or a structure it does not trust)");

  /** A SavedModel graph op that reads, writes or lists files, or talks to the network. */
  public static final Rule SAVEDMODEL_HOST_OP =
      new Rule(
          "savedmodel-host-op",
          Severity.HIGH,
          null,
          "SavedModel graph op that reads, writes or lists files, or opens a connection");

  /** A SavedModel graph op calling back into Python. */
  public static final Rule SAVEDMODEL_PYTHON_OP =
      new Rule(
          "savedmodel-python-op",
          Severity.HIGH,
          null,
          "SavedModel graph op calling Python (tf.py_function, tf.numpy_function)");

  /** The op a SavedModel loader runs by itself reaches a host or Python op. */
  public static final Rule SAVEDMODEL_INIT_OP =
      new Rule(
          "savedmodel-init-op",
          Severity.HIGH,
          null,
          "the init op a SavedModel loader runs on load reaches a host or Python op");

  /** An asset file name that leaves the SavedModel's assets directory. */
  public static final Rule SAVEDMODEL_ASSET_PATH =
      new Rule(
          "savedmodel-asset-path",
          Severity.HIGH,
          null,
          "SavedModel asset file name that is absolute or leaves assets/ with '..'");

  /** A user object of the object graph whose type is neither TensorFlow's nor Keras's. */
  public static final Rule SAVEDMODEL_FOREIGN_OBJECT =
      new Rule(
          "savedmodel-foreign-object",
          Severity.MEDIUM,
          null,
          "SavedModel object graph user object of a type neither TensorFlow's nor Keras's");

  /** A SavedModel whose graph was not examined: no graph reader is installed. */
  public static final Rule SAVEDMODEL_GRAPH_UNCHECKED =
      new Rule(
          "savedmodel-graph-unchecked",
          Severity.INFO,
          null,
          "saved_model.pb not examined: the savedmodel module is not installed");

  /** NaN or infinite weights. */
  public static final Rule NON_FINITE =
      new Rule("non-finite-weights", Severity.LOW, null, "NaN or infinite values in a weight");

  /** A kernel of zeros. */
  public static final Rule ZERO_KERNEL =
      new Rule("zero-kernel", Severity.LOW, null, "kernel whose values are all zero");

  /** A kernel of one repeated value. */
  public static final Rule CONSTANT_KERNEL =
      new Rule("constant-kernel", Severity.LOW, null, "kernel whose values are all equal");

  /** Weights whose spread is far from what their configured initializer implies. */
  public static final Rule WEIGHT_SPREAD =
      new Rule(
          "weight-spread",
          Severity.INFO,
          null,
          "weight whose standard deviation is far from its configured initializer's");

  /** The data-free signal estimate vanishes through depth. */
  public static final Rule DEPTH_VANISHING =
      new Rule(
          "depth-vanishing",
          Severity.INFO,
          null,
          "activation variance estimated to vanish through depth");

  /** The data-free signal estimate explodes through depth. */
  public static final Rule DEPTH_EXPLODING =
      new Rule(
          "depth-exploding",
          Severity.INFO,
          null,
          "activation variance estimated to explode through depth");

  /** Every rule, in the order docs/scan.md lists them. */
  public static final List<Rule> ALL =
      List.of(
          LAMBDA_CODE,
          H5_LAMBDA,
          FOREIGN_MODULE,
          UNSAFE_DESERIALIZATION,
          KERAS_UTILITY_CALL,
          LOOKUP_VOCABULARY_PATH,
          TFSM_LAYER,
          H5_EXTERNAL_LINK,
          H5_EXTERNAL_STORAGE,
          H5_VIRTUAL_DATASET,
          SHAPE_BOMB,
          ZIP_PATH_TRAVERSAL,
          ZIP_BOMB,
          ZIP_DUPLICATE,
          ZIP_MEMBER_MISMATCH,
          SAVEDMODEL_HOST_OP,
          SAVEDMODEL_PYTHON_OP,
          SAVEDMODEL_INIT_OP,
          SAVEDMODEL_ASSET_PATH,
          SAVEDMODEL_FOREIGN_OBJECT,
          SAVEDMODEL_GRAPH_UNCHECKED,
          UNREADABLE,
          NON_FINITE,
          ZERO_KERNEL,
          CONSTANT_KERNEL,
          WEIGHT_SPREAD,
          DEPTH_VANISHING,
          DEPTH_EXPLODING);

  private Rules() {}
}
