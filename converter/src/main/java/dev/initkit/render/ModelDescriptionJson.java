package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.format.Detection;
import dev.initkit.internal.ConfigViews;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.render.ModelDescription.LayerRow;

/**
 * A {@link ModelDescription} as a Jackson tree: the body of {@code initkit inspect --json}
 * (docs/json/), from {@code file} on. Builds nodes only and prints nothing; thread-safe
 * (stateless).
 */
public final class ModelDescriptionJson {
  private ModelDescriptionJson() {}

  /** The description as a new object: {@code {"file", "format", "container", ..., "metadata"}}. */
  public static ObjectNode toJson(ModelDescription d, String file, Detection.Kind container) {
    ObjectNode doc = JsonValues.nodes().objectNode();
    fill(doc, d, file, container);
    return doc;
  }

  /**
   * Adds the description's fields to {@code doc}, after whatever it holds (e.g. an envelope).
   *
   * @param file how the description names the model's file
   * @param container the container the file was detected as ({@link dev.initkit.ModelIO#detect})
   */
  public static void fill(
      ObjectNode doc, ModelDescription d, String file, Detection.Kind container) {
    Model m = d.model();
    doc.put("file", file);
    doc.put("format", Labels.format(m));
    doc.put("container", ModelDescription.label(container));
    doc.put("kerasVersion", m.kerasVersion().orElse(null));
    doc.put("backend", m.backend().orElse(null));

    ObjectNode model = doc.putObject("model");
    model.put("className", d.modelClass());
    model.put("name", d.modelName());
    model.put("configForm", d.configForm());
    model.put("hasConfig", ConfigViews.of(m).isPresent());

    ObjectNode training = doc.putObject("training");
    training.put("hasConfig", d.hasTrainingConfig());
    training.put("optimizer", d.optimizer());
    training.put("optimizerWeights", m.optimizerWeights().size());
    training.put("optimizerParams", ModelDescription.params(m.optimizerWeights()));

    ObjectNode totals = doc.putObject("totals");
    totals.put("layers", d.layers().size());
    totals.put("weights", m.layerWeights().size());
    totals.put("params", d.totalParams());
    totals.put("bytes", d.totalBytes());

    ArrayNode layers = doc.putArray("layers");
    for (LayerRow r : d.layers()) {
      ObjectNode l = layers.addObject();
      l.put("path", r.path());
      l.put("name", r.layer().name());
      l.put("className", ModelDescription.className(r.layer()));
      l.put("depth", r.depth());
      l.put("parent", r.parent());
      l.put("nestedModel", r.layer().isNestedModel());
      l.put("activation", r.layer().activation());
      l.put("trainable", ModelDescription.trainable(r.layer()));
      l.put("params", r.params());
      ArrayNode weights = l.putArray("weights");
      for (Weight w : r.layer().weights()) {
        weights.add(ModelDescription.weightJson(w));
      }
      ObjectNode inits = l.putObject("initializers");
      r.initializers().forEach(inits::set);
    }

    ArrayNode modelWeights = doc.putArray("modelWeights");
    for (Weight w : m.modelWeights()) {
      modelWeights.add(ModelDescription.weightJson(w));
    }
    ObjectNode metadata = doc.putObject("metadata");
    d.metadata().forEach(metadata::set);
  }
}
