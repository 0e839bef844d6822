package dev.initkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable description of a Keras model: its config as written, its layers in model order with
 * their weights, its training config and optimizer weights. It holds no file handles: values come
 * from a {@link TensorSource} (see {@link LoadedModel}). Changes return new instances ({@code
 * with...} or {@link #toBuilder()}).
 */
public final class Model {
  static {
    ConfigAccess.install(); // initkit's own code reads configs in place (internal.ConfigViews)
  }

  private final String source;
  private final String sourceFormat;
  private final String kerasVersion;
  private final String backend;
  private final String configText;
  private final JsonNode config;
  private final String trainingConfigText;
  private final List<Layer> layers;
  private final List<Weight> optimizerWeights;
  private final List<Weight> modelWeights;
  private final boolean hasModelWeightsGroup;
  private final Map<String, String> metadata;

  private Model(Builder b) {
    this.source = b.source;
    this.sourceFormat = b.sourceFormat;
    this.kerasVersion = b.kerasVersion;
    this.backend = b.backend;
    this.configText = b.configText;
    // the builder's tree stays the caller's; one from toBuilder() is this class's own already
    this.config = b.config == null || b.configOwned ? b.config : b.config.deepCopy();
    this.trainingConfigText = b.trainingConfigText;
    this.layers = List.copyOf(b.layers);
    this.optimizerWeights = List.copyOf(b.optimizerWeights);
    this.modelWeights = List.copyOf(b.modelWeights);
    this.hasModelWeightsGroup = b.hasModelWeightsGroup;
    this.metadata = Map.copyOf(b.metadata);
  }

  /** Where the model was read from, for messages (a path), or "" for a model built in memory. */
  public String source() {
    return source;
  }

  /** The format it was read from, e.g. {@code h5}, {@code keras}; "" when built in memory. */
  public String sourceFormat() {
    return sourceFormat;
  }

  /** The Keras version that wrote the file, if recorded. */
  public Optional<String> kerasVersion() {
    return Optional.ofNullable(kerasVersion);
  }

  /** The backend that wrote the file, if recorded. */
  public Optional<String> backend() {
    return Optional.ofNullable(backend);
  }

  /**
   * The model config exactly as the file holds it ({@code model_config} of an HDF5 file, {@code
   * config.json} of an archive), if any. Weights-only files have none unless one was supplied.
   */
  public Optional<String> configText() {
    return Optional.ofNullable(configText);
  }

  /**
   * A copy of the parsed model config, if any: a change to it stays with the caller (to change the
   * model, build another with {@link #toBuilder()}).
   */
  public Optional<JsonNode> config() {
    return Optional.ofNullable(config == null ? null : config.deepCopy());
  }

  /** The parsed config as held (or null), not a copy: for {@link ConfigAccess}. */
  JsonNode heldConfig() {
    return config;
  }

  /** The training config as written (HDF5 {@code training_config}), if any. */
  public Optional<String> trainingConfigText() {
    return Optional.ofNullable(trainingConfigText);
  }

  /** Top-level layers in model order. */
  public List<Layer> layers() {
    return layers;
  }

  /** Every layer, depth first (nested models' layers after the nested model itself). */
  public List<Layer> allLayers() {
    List<Layer> out = new ArrayList<>();
    for (Layer l : layers) {
      addAll(l, out);
    }
    return out;
  }

  private static void addAll(Layer l, List<Layer> out) {
    out.add(l);
    for (Layer c : l.children()) {
      addAll(c, out);
    }
  }

  /** Every layer weight in model order (optimizer and model-level weights excluded). */
  public List<Weight> layerWeights() {
    List<Weight> out = new ArrayList<>();
    for (Layer l : layers) {
      out.addAll(l.allWeights());
    }
    return out;
  }

  /** Optimizer state (slots, iteration counter), in stored order. */
  public List<Weight> optimizerWeights() {
    return optimizerWeights;
  }

  /** Variables owned by the model itself rather than a layer ({@code top_level_model_weights}). */
  public List<Weight> modelWeights() {
    return modelWeights;
  }

  /** True when the source had a model-level weights group, even an empty one. */
  public boolean hasModelWeightsGroup() {
    return hasModelWeightsGroup;
  }

  /** Free-form facts from the source (e.g. {@code date_saved}); never needed to write a file. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Total number of parameters in layer weights. */
  public long parameterCount() {
    long n = 0;
    for (Weight w : layerWeights()) {
      n += w.shape().elementCount();
    }
    return n;
  }

  /** A builder holding this model's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.source = source;
    b.sourceFormat = sourceFormat;
    b.kerasVersion = kerasVersion;
    b.backend = backend;
    b.configText = configText;
    b.config = config;
    b.configOwned = true; // a model's tree, never changed: the next model may share it
    b.trainingConfigText = trainingConfigText;
    b.layers = new ArrayList<>(layers);
    b.optimizerWeights = new ArrayList<>(optimizerWeights);
    b.modelWeights = new ArrayList<>(modelWeights);
    b.hasModelWeightsGroup = hasModelWeightsGroup;
    b.metadata = new LinkedHashMap<>(metadata);
    return b;
  }

  /** A copy without optimizer weights (after weights change, the optimizer state is stale). */
  public Model withoutOptimizerWeights() {
    return toBuilder().optimizerWeights(List.of()).build();
  }

  /** A new, empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link Model}s. Not thread-safe. */
  public static final class Builder {
    private String source = "";
    private String sourceFormat = "";
    private String kerasVersion;
    private String backend;
    private String configText;
    private JsonNode config;
    private boolean configOwned; // config is a model's own tree (toBuilder), not a caller's
    private String trainingConfigText;
    private List<Layer> layers = new ArrayList<>();
    private List<Weight> optimizerWeights = new ArrayList<>();
    private List<Weight> modelWeights = new ArrayList<>();
    private boolean hasModelWeightsGroup;
    private Map<String, String> metadata = new LinkedHashMap<>();

    private Builder() {}

    public Builder source(String v) {
      source = v == null ? "" : v;
      return this;
    }

    public Builder sourceFormat(String v) {
      sourceFormat = v == null ? "" : v;
      return this;
    }

    public Builder kerasVersion(String v) {
      kerasVersion = v;
      return this;
    }

    public Builder backend(String v) {
      backend = v;
      return this;
    }

    /** The config as text and parsed; both null for none. */
    public Builder config(String text, JsonNode parsed) {
      configText = text;
      config = parsed;
      configOwned = false;
      return this;
    }

    public Builder trainingConfigText(String v) {
      trainingConfigText = v;
      return this;
    }

    public Builder layers(List<Layer> v) {
      layers = new ArrayList<>(v);
      return this;
    }

    public Builder optimizerWeights(List<Weight> v) {
      optimizerWeights = new ArrayList<>(v);
      return this;
    }

    public Builder modelWeights(List<Weight> v, boolean hasGroup) {
      modelWeights = new ArrayList<>(v);
      hasModelWeightsGroup = hasGroup;
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    public Model build() {
      return new Model(this);
    }
  }
}
