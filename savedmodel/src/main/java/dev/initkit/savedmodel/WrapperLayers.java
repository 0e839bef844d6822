package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.model.Layer;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * TimeDistributed and SpectralNormalization: a wrapped layer, built by the exporter, around the
 * wrapper's weights.
 */
final class WrapperLayers {
  /** Builds one (non-model) layer on one input. */
  @FunctionalInterface
  interface LayerBuilder {
    GraphValue build(LayerCall e, GraphValue x, List<Weight> ws) throws IOException;
  }

  private final ExportContext cx;
  private final LayerBuilder wrapped;

  WrapperLayers(ExportContext cx, LayerBuilder wrapped) {
    this.cx = cx;
    this.wrapped = wrapped;
  }

  /**
   * SpectralNormalization at inference is its wrapped layer with the stored (already normalized)
   * kernel; vector_u (and Keras 3's second copy of the kernel) are kept in the checkpoint only.
   */
  GraphValue spectralNormalization(LayerCall e, GraphValue x, List<Weight> ws) throws IOException {
    JsonNode inner = e.config().path("layer");
    String cls = inner.path("class_name").asText();
    List<Weight> ordered = new ArrayList<>();
    for (String name : List.of("kernel", "bias")) {
      ws.stream()
          .filter(w -> w.shortName().equals(name) && !ordered.contains(w))
          .findFirst()
          .ifPresent(ordered::add);
    }
    ws.stream().filter(w -> !ordered.contains(w)).forEach(ordered::add);
    if (Layer.isModelClass(cls)
        || ordered.isEmpty()
        || !ordered.get(0).shortName().equals("kernel")) {
      throw cx.unsupported(e.name(), "SpectralNormalization of " + cls);
    }
    GraphValue y = wrapped.build(e.withInner(cls, inner.path("config")), x, ordered);
    for (int i = 0; i < ordered.size(); i++) {
      cx.variable(e, ordered, i); // those the wrapped layer did not read, for the checkpoint
    }
    return y;
  }

  /** The wrapped layer applied to each step: steps folded into the batch, then unfolded. */
  GraphValue timeDistributed(LayerCall e, GraphValue x, List<Weight> ws) throws IOException {
    JsonNode inner = e.config().path("layer");
    String cls = inner.path("class_name").asText();
    if (Layer.isModelClass(cls) || cls.equals("TimeDistributed") || cls.equals("Bidirectional")) {
      throw cx.unsupported(e.name(), "TimeDistributed of " + cls);
    }
    cx.checkStatic(e, x);
    long steps = x.dim(1);
    long[] folded = new long[x.rank() - 1];
    folded[0] = -1;
    System.arraycopy(x.shape(), 2, folded, 1, folded.length - 1);
    GraphValue y = wrapped.build(e.withInner(cls, inner.path("config")), cx.reshape(x, folded), ws);
    long[] shape = new long[y.rank() + 1];
    shape[0] = -1;
    shape[1] = steps;
    System.arraycopy(y.shape(), 1, shape, 2, y.rank() - 1);
    for (int i = 2; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw cx.unsupported(
            e.name(), "TimeDistributed of " + cls + " with an output of unknown dimensions");
      }
    }
    return cx.reshape(y, shape);
  }
}
