package dev.initkit.dl4j;

import dev.initkit.UnsupportedModelException;
import dev.initkit.internal.hdf5.Hdf5;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelUtils;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * DL4J's {@code KerasModelImport.importKeras*ModelAndWeights(path, false)} spelled out, so that the
 * configuration can be adjusted between DL4J building it and initialising the network (see {@link
 * Dl4jModels} for what changes and why).
 */
final class KerasImport {
  /** The seed of DL4J's initial values; KerasModelImport leaves the current time. */
  static final long INIT_SEED = 12345L;

  private KerasImport() {}

  static MultiLayerNetwork sequential(Dl4jFile file) throws UnsupportedModelException {
    KerasSequentialModel km =
        read(file, new KerasSequentialModel().modelBuilder(), KerasModelBuilder::buildSequential);
    try {
      MultiLayerConfiguration conf = km.getMultiLayerConfiguration();
      for (NeuralNetConfiguration c : conf.getConfs()) {
        c.setSeed(INIT_SEED);
        InitialValues.avoidDistributionInit(c.getLayer());
      }
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init();
      return (MultiLayerNetwork) KerasModelUtils.copyWeightsToModel(net, km.getLayers());
    } catch (InvalidKerasConfigurationException
        | UnsupportedKerasConfigurationException
        | RuntimeException e) {
      throw refused(file, e);
    }
  }

  static ComputationGraph functional(Dl4jFile file) throws UnsupportedModelException {
    KerasModel km = read(file, new KerasModel().modelBuilder(), KerasModelBuilder::buildModel);
    try {
      ComputationGraphConfiguration conf = km.getComputationGraphConfiguration();
      conf.getDefaultConfiguration().setSeed(INIT_SEED);
      for (GraphVertex v : conf.getVertices().values()) {
        if (v instanceof LayerVertex lv && lv.getLayerConf() != null) {
          lv.getLayerConf().setSeed(INIT_SEED);
          InitialValues.avoidDistributionInit(lv.getLayerConf().getLayer());
        }
      }
      ComputationGraph graph = new ComputationGraph(conf);
      graph.init();
      return (ComputationGraph) KerasModelUtils.copyWeightsToModel(graph, km.getLayers());
    } catch (InvalidKerasConfigurationException
        | UnsupportedKerasConfigurationException
        | RuntimeException e) {
      throw refused(file, e);
    }
  }

  /** How DL4J builds its model from an opened builder. */
  @FunctionalInterface
  private interface Build<M> {
    M build(KerasModelBuilder b) throws Exception;
  }

  /**
   * DL4J reads the file (configuration and weights) under initkit's HDF5 lock: the native library
   * is not thread-safe, and DL4J's own lock does not keep initkit's calls out.
   */
  private static <M> M read(Dl4jFile file, KerasModelBuilder builder, Build<M> build)
      throws UnsupportedModelException {
    return Hdf5.withLock(
        () -> {
          KerasModelBuilder b = null;
          try {
            b = builder.modelHdf5Filename(file.path().toString()).enforceTrainingConfig(false);
            return build.build(b);
          } catch (Exception e) {
            throw refused(file, e);
          } finally {
            // DL4J closes its HDF5 archives only when the import succeeds
            if (b != null) {
              b.close();
            }
          }
        });
  }

  /** DL4J's refusal of a file initkit wrote for it, on one line, naming the model's source. */
  private static UnsupportedModelException refused(Dl4jFile file, Exception e) {
    String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("").strip();
    return new UnsupportedModelException(
        file.source(),
        "",
        "DL4J's Keras import refuses the dl4j form: " + e.getClass().getSimpleName() + ": " + why,
        e);
  }
}
