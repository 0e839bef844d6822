package dev.initkit.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * An imported network, Sequential (DL4J's MultiLayerNetwork) or Functional with one input and one
 * output (ComputationGraph), seen through the few operations the analysis needs. Layers are named
 * as in Keras. Child JVM only.
 */
final class Dl4jNet {
  /** The name of the parameterless loss layer appended after the head. */
  static final String LOSS_LAYER = "__initkit_loss";

  private final MultiLayerNetwork mln;
  private final ComputationGraph cg;

  private Dl4jNet(MultiLayerNetwork mln, ComputationGraph cg) {
    this.mln = mln;
    this.cg = cg;
  }

  static Dl4jNet of(MultiLayerNetwork n) {
    return new Dl4jNet(n, null);
  }

  static Dl4jNet of(ComputationGraph g) {
    if (g.getNumInputArrays() != 1 || g.getNumOutputArrays() != 1) {
      throw new IllegalArgumentException(
          "only models with one input and one output are run (this one has "
              + g.getNumInputArrays()
              + " inputs, "
              + g.getNumOutputArrays()
              + " outputs)");
    }
    return new Dl4jNet(null, g);
  }

  static String name(Layer l) {
    return l.conf().getLayer().getLayerName();
  }

  /** The layers in forward (topological) order, the loss layer excluded. */
  List<Layer> layers() {
    List<Layer> out = new ArrayList<>();
    if (mln != null) {
      for (int i = 0; i < mln.getnLayers(); i++) {
        out.add(mln.getLayer(i));
      }
    } else {
      GraphVertex[] vs = cg.getVertices();
      for (int i : cg.topologicalSortOrder()) {
        if (vs[i].hasLayer() && vs[i].getLayer() != null) {
          out.add(vs[i].getLayer());
        }
      }
    }
    out.removeIf(l -> LOSS_LAYER.equals(name(l)));
    return out;
  }

  Layer head() {
    List<Layer> ls = layers();
    return ls.get(ls.size() - 1);
  }

  /**
   * Every layer's output (after its activation) on the batch, by layer name. Each is taken from a
   * forward pass that stops at that layer and copied: DL4J lets a later layer (an Activation layer
   * after a BatchNormalization, say) overwrite an earlier one's output in place.
   */
  Map<String, INDArray> forward(INDArray x) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (Layer l : layers()) {
      out.put(name(l), outputOf(l, x));
    }
    return out;
  }

  /** One layer's output, from a forward pass up to it (a copy). */
  INDArray outputOf(Layer layer, INDArray x) {
    if (mln != null) {
      int i = layer.getIndex();
      return mln.feedForwardToLayer(i, x, false).get(i + 1).dup();
    }
    // ComputationGraph's layerTillIndex is a position in getLayers()
    Layer[] all = cg.getLayers();
    for (int i = 0; i < all.length; i++) {
      if (all[i] == layer) {
        return cg.feedForward(x, i, false).get(name(layer)).dup();
      }
    }
    throw new IllegalArgumentException("not a layer of this network: " + name(layer));
  }

  /**
   * A copy with a parameterless loss layer after the head (Keras's import keeps the head a plain
   * layer), optionally with an updater on every layer; shares no parameters with this one. {@code
   * outputRank} is the rank of the head's output (batch included).
   */
  Dl4jNet withLoss(LossFunction loss, IUpdater updater, int outputRank) {
    // image and sequence outputs need the loss layers that flatten them (an elementwise loss reads
    // the same)
    org.deeplearning4j.nn.conf.layers.Layer lossLayer =
        outputRank == 4
            ? new CnnLossLayer.Builder(loss)
                .activation(Activation.IDENTITY)
                .name(LOSS_LAYER)
                .build()
            : outputRank == 3
                ? new RnnLossLayer.Builder(loss)
                    .activation(Activation.IDENTITY)
                    .name(LOSS_LAYER)
                    .build()
                : new LossLayer.Builder(loss)
                    .activation(Activation.IDENTITY)
                    .name(LOSS_LAYER)
                    .build();
    if (mln != null) {
      MultiLayerConfiguration conf = mln.getLayerWiseConfigurations().clone();
      List<NeuralNetConfiguration> confs = new ArrayList<>(conf.getConfs());
      NeuralNetConfiguration last = confs.get(confs.size() - 1).clone();
      last.clearVariables();
      last.setLayer(lossLayer);
      confs.add(last);
      conf.setConfs(confs);
      if (updater != null) {
        for (NeuralNetConfiguration c : confs) {
          if (c.getLayer() instanceof BaseLayer b) {
            b.setIUpdater(updater.clone());
            b.setBiasUpdater(updater.clone());
          }
        }
      }
      MultiLayerNetwork out = new MultiLayerNetwork(conf);
      out.init(mln.params().dup(), false);
      return of(out);
    }
    TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(cg);
    if (updater != null) {
      b.fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(updater).build());
    }
    String output = cg.getConfiguration().getNetworkOutputs().get(0);
    return of(b.addLayer(LOSS_LAYER, lossLayer, output).setOutputs(LOSS_LAYER).build());
  }

  /** Gradients of the summed loss by {@code layerName_param}; needs {@link #withLoss}. */
  Map<String, INDArray> gradients(INDArray x, INDArray y) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    if (mln != null) {
      mln.setInput(x);
      mln.setLabels(y);
      mln.computeGradientAndScore();
      for (Map.Entry<String, INDArray> e : mln.gradient().gradientForVariable().entrySet()) {
        String key = e.getKey();
        int us = key.indexOf('_');
        int idx = Integer.parseInt(key.substring(0, us));
        out.put(name(mln.getLayer(idx)) + "_" + key.substring(us + 1), e.getValue());
      }
    } else {
      cg.setInputs(x);
      cg.setLabels(y);
      cg.computeGradientAndScore();
      out.putAll(cg.gradient().gradientForVariable());
    }
    return out;
  }

  /** The mean loss of the last {@link #gradients} call. */
  double score() {
    return mln != null ? mln.score() : cg.score();
  }

  double score(DataSet d) {
    return mln != null ? mln.score(d, false) : cg.score(d, false);
  }

  void fit(DataSet d) {
    if (mln != null) {
      mln.fit(d);
    } else {
      cg.fit(d);
    }
  }

  INDArray output(INDArray x) {
    return mln != null ? mln.output(x, false) : cg.output(false, x)[0];
  }
}
