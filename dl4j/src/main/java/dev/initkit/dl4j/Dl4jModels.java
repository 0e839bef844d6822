package dev.initkit.dl4j;

import dev.initkit.ModelFormatException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Hands a model initkit holds to DL4J in the caller's JVM: a {@link ComputationGraph} (any model)
 * or a {@link MultiLayerNetwork} (Sequential), with the model's weights, ready for {@code output}.
 *
 * <p>How: initkit writes the model's dl4j form ({@code TargetRuntime.DL4J}: Keras 2 {@code .h5},
 * tf.keras config, the layer classes DL4J maps) to a private temporary file, DL4J's Keras import
 * reads it ({@code enforceTrainingConfig=false}), and the file is deleted (it needs room for one
 * copy of the weights in {@code java.io.tmpdir}). Where DL4J cannot express the model, initkit
 * refuses before DL4J is called, with a {@link UnsupportedModelException} naming the layer.
 *
 * <p>Trust: DL4J 1.0.0-M2.1 crashes the JVM (native heap corruption) or hangs on some models.
 * initkit refuses the layers it knows DL4J computes wrongly, and works around the one known hang
 * (below), but cannot vouch for DL4J's native code. For files from untrusted sources, import in a
 * child JVM with a time limit instead ({@code dev.initkit.interop.dl4j.Dl4jRunner} in {@code
 * initkit-interop-dl4j}).
 *
 * <p>Differences from {@code KerasModelImport}: DL4J's initial values, which the imported weights
 * overwrite, come from a fixed seed, and distribution-based ones (Keras Orthogonal) are replaced by
 * Xavier, since DL4J's orthogonal initialisation never returns for some recurrent kernels.
 *
 * <p>Thread-safe. DL4J's HDF5 reads run under initkit's HDF5 lock, as the native library is not
 * thread-safe. Prints nothing; DL4J logs through SLF4J.
 */
public final class Dl4jModels {
  private Dl4jModels() {}

  /**
   * The model as a DL4J {@link ComputationGraph}; a Sequential model is imported as a {@link
   * MultiLayerNetwork} and converted ({@code toComputationGraph}), with its layer names.
   *
   * @param model an open model (not closed here)
   * @return a new, initialised network that shares nothing with {@code model}
   * @throws UnsupportedModelException where DL4J cannot express the model (the message names the
   *     layer), or DL4J's import refuses it
   * @throws IOException if the temporary file cannot be written
   * @throws IllegalStateException if {@code model} is closed
   */
  public static ComputationGraph toComputationGraph(LoadedModel model) throws IOException {
    try (Dl4jFile file = Dl4jFile.write(model)) {
      return file.sequential()
          ? KerasImport.sequential(file).toComputationGraph()
          : KerasImport.functional(file);
    }
  }

  /**
   * The model as a DL4J {@link MultiLayerNetwork}; only a Sequential model has one.
   *
   * @param model an open model (not closed here)
   * @return a new, initialised network that shares nothing with {@code model}
   * @throws UnsupportedModelException if the model is not Sequential, where DL4J cannot express it
   *     (the message names the layer), or DL4J's import refuses it
   * @throws IOException if the temporary file cannot be written
   * @throws IllegalStateException if {@code model} is closed
   */
  public static MultiLayerNetwork toMultiLayerNetwork(LoadedModel model) throws IOException {
    String kind = Dl4jFile.modelClass(model);
    if (!"Sequential".equals(kind)) {
      throw new UnsupportedModelException(
          Dl4jFile.source(model),
          "",
          "a MultiLayerNetwork holds a Sequential model only, found "
              + (kind.isEmpty() ? "no model config" : kind)
              + ": use toComputationGraph");
    }
    try (Dl4jFile file = Dl4jFile.write(model)) {
      return KerasImport.sequential(file);
    }
  }

  /** The same refusal, naming the model's source rather than the temporary file initkit wrote. */
  static UnsupportedModelException refusal(Path source, ModelFormatException e) {
    return new UnsupportedModelException(source, e.location(), e.detail(), e);
  }
}
