package dev.initkit.ops;

import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A layer weight with the context selectors and the seed contract need: the layer, its path through
 * nested models, its depth among the layers that have weights, and whether it is the model's head.
 *
 * @param layerPath names of the enclosing nested models and the layer, joined by {@code /}
 * @param depth 1-based position of the layer among the model's layers that have weights
 * @param head true for the last layer that has weights (the classifier/regressor head)
 * @param seedName the weight's name in the seed contract: role plus its index among the layer's
 *     weights of that role, e.g. {@code kernel#0}; the same for every file format and Keras version
 */
public record WeightSite(
    Layer layer, String layerPath, int depth, boolean head, Weight weight, String seedName) {

  /** Every layer weight of a model, in model order. */
  public static List<WeightSite> of(Model model) {
    List<Object[]> flat = new ArrayList<>();
    for (Layer l : model.layers()) {
      walk(l, "", flat);
    }
    int withWeights = 0;
    for (Object[] f : flat) {
      if (!((Layer) f[0]).weights().isEmpty()) {
        withWeights++;
      }
    }
    List<WeightSite> out = new ArrayList<>();
    int depth = 0;
    for (Object[] f : flat) {
      Layer l = (Layer) f[0];
      if (l.weights().isEmpty()) {
        continue;
      }
      depth++;
      Map<dev.initkit.model.WeightRole, Integer> seen =
          new EnumMap<>(dev.initkit.model.WeightRole.class);
      for (Weight w : l.weights()) {
        int k = seen.merge(w.role(), 1, Integer::sum) - 1;
        out.add(
            new WeightSite(
                l, (String) f[1], depth, depth == withWeights, w, w.role().label() + "#" + k));
      }
    }
    return out;
  }

  private static void walk(Layer l, String prefix, List<Object[]> out) {
    String path = prefix.isEmpty() ? l.name() : prefix + "/" + l.name();
    out.add(new Object[] {l, path});
    for (Layer c : l.children()) {
      walk(c, path, out);
    }
  }
}
