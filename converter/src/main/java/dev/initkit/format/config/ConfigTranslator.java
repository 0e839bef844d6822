package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.UnsupportedModelException;
import java.util.List;
import java.util.Objects;

/**
 * Translates Keras model configs between the Keras 2 schema (Keras 2.x, tf.keras, tf-keras 2.x) and
 * the Keras 3 schema, in both directions, so that the other generation's loader rebuilds the same
 * model: the same layers, with the same weight shapes and initializers.
 *
 * <p>What changes (all checked against configs written by tf-keras 2.20.1 and Keras 3.12.0, and by
 * loading the output in both):
 *
 * <ul>
 *   <li>{@code module}/{@code registered_name} on every built-in layer, model, initializer,
 *       regularizer, constraint and dtype policy (added for Keras 3, removed for Keras 2 except on
 *       layers held in another layer's config, where Keras 3 needs them);
 *   <li>layer {@code dtype}: a name (also for mixed precision, which tf-keras writes as a {@code
 *       Policy} object) in Keras 2, a {@code DTypePolicy} object in Keras 3 (InputLayer keeps a
 *       plain dtype name in both);
 *   <li>InputLayer {@code batch_input_shape} and {@code batch_shape}; a Keras 2 Sequential whose
 *       first layer carries {@code batch_input_shape} gets the explicit InputLayer Keras 3 needs;
 *   <li>functional {@code inbound_nodes}: Keras 2's {@code [[name, node, tensor, kwargs]]} lists
 *       and Keras 3's {@code {"args": [...], "kwargs": {...}}} with {@code __keras_tensor__}
 *       references (tensors in keyword arguments too, MultiHeadAttention's value/key positional in
 *       Keras 3), the node numbering of nested models (tf-keras counts a nested model's own first
 *       node, Keras 3 does not; the Keras 2 form records their calls twice, see {@link
 *       NestedCalls}), and single-tensor {@code input_layers}/{@code output_layers};
 *   <li>nested layers, translated recursively: models inside models, Bidirectional and
 *       TimeDistributed {@code layer}, RNN {@code cell}, StackedRNNCells {@code cells};
 *   <li>keys a layer class has in one generation only (RNN {@code time_major}/{@code
 *       implementation}/{@code zero_output_for_mask}/{@code seed}, Embedding {@code input_length},
 *       SeparableConv's unused {@code kernel_*}, {@code groups} of depthwise/transposed
 *       convolutions, BatchNormalization {@code axis} list and {@code synchronized},
 *       LayerNormalization {@code rms_scaling}, MultiHeadAttention build shapes, LeakyReLU {@code
 *       alpha}/{@code negative_slope}, Bidirectional's backward layer, Lambda's code layout, ...).
 * </ul>
 *
 * <p>tf-keras's {@code ThresholdedReLU(theta)}, which Keras 3 removed, becomes {@code
 * ReLU(threshold=theta)}: both compute {@code x if x > theta else 0} (checked on a grid including x
 * = theta, {@code testdata/survey_generations.py}). Where a translated config loads but computes
 * something else ({@code hard_sigmoid}), {@link #meaningChanges} says where and by how much.
 *
 * <p>A value that only means something in one generation (LSTM {@code time_major=true}, a quantised
 * dtype policy, a layer class the other side lacks) raises {@link UnsupportedModelException} naming
 * the layer (as a path of layer names) and the field. Custom and unknown classes, and Lambda code,
 * are carried verbatim and never executed. Keras 1 configs are recognised and rejected.
 *
 * <p>All methods return fresh trees and never modify their argument.
 */
public final class ConfigTranslator {
  private ConfigTranslator() {}

  /**
   * A Keras 2 model config in the form Keras 3 loads with {@code
   * keras.saving.deserialize_keras_object} (as in a {@code .keras} archive's {@code config.json}).
   * A config already in Keras 3 form comes back with what a Keras 3 legacy {@code .h5} leaves out
   * ({@code module} keys) added.
   *
   * @param keras2Model the top-level {@code {"class_name", "config"}} object
   * @return a new tree
   * @throws UnsupportedModelException for a Keras 1 config, or a layer or value Keras 3 cannot
   *     express; the location names the layer
   * @throws MalformedModelException when the config lacks what every Keras version writes
   */
  public static JsonNode toKeras3(JsonNode keras2Model)
      throws UnsupportedModelException, MalformedModelException {
    rejectKeras1(keras2Model);
    return run(() -> Keras3Translation.model(keras2Model));
  }

  /**
   * A model config in the portable Keras 2 form, as a legacy {@code .h5} {@code model_config} holds
   * it: the Keras 2 schema, written so that both tf-keras 2.x (2.20.1 checked) and Keras 3's legacy
   * {@code .h5} loader (3.12.0 checked) load it and build the same model. It differs from what
   * tf-keras itself writes only where Keras 3 cannot read tf-keras's spelling:
   *
   * <ul>
   *   <li>keys Keras 3's constructors reject are left out when they hold tf-keras's default, which
   *       tf-keras's constructors fill in again: {@code groups: 1} of transposed, depthwise and
   *       separable convolutions, RNN {@code time_major: false}, the unused {@code kernel_*} keys
   *       of separable convolutions, SpatialDropout's {@code trainable}/{@code noise_shape}, and
   *       the other keys of {@link KeyRule} kinds {@code KERAS2_ONLY}/{@code KERAS2_ONLY_INERT}. A
   *       Keras 2 config with a value other than the default ({@code time_major: true}) keeps it,
   *       and then loads in tf-keras only;
   *   <li>a mixed-precision policy is written as its name ({@code "mixed_float16"}), not as
   *       tf-keras's {@code Policy} object, which Keras 3 cannot deserialise;
   *   <li>a layer held in another layer's config (Bidirectional/TimeDistributed {@code layer},
   *       {@code backward_layer}, RNN {@code cell}, StackedRNNCells {@code cells}) carries {@code
   *       module}/{@code registered_name}, as tf-keras 2.13+ writes them there: Keras 3 cannot
   *       locate the class without them. Such a layer is read by Keras 3 without its legacy
   *       loader's fix-ups, so a BatchNormalization axis is an int there, a model is spelled {@code
   *       Sequential}/{@code Model} with module {@code keras}, and a {@code batch_input_shape} is
   *       left out;
   *   <li>a single model input or output is the flat {@code [layer, node, tensor]} (as Keras 3
   *       writes it) rather than tf-keras's one-element list;
   *   <li>the calls of a nested model are recorded twice each, and referred to as node {@code
   *       2k+1}, because no single node number means the same call to both loaders (see {@link
   *       NestedCalls}).
   * </ul>
   *
   * <p>What cannot be made portable is kept in the form tf-keras loads: a MultiHeadAttention layer
   * (tf-keras's {@code from_config} requires {@code query_shape}/{@code key_shape}/{@code
   * value_shape}, Keras 3's constructor rejects them, and Keras 3's legacy loader passes the tensor
   * in the {@code value} call argument on as a {@code [layer, node, tensor]} list), any other layer
   * called with a tensor in a keyword argument, and non-default values of keys Keras 3 lacks. A
   * config already in Keras 2 form is brought to the same portable form; one already in it comes
   * back unchanged.
   *
   * @param keras3Model the top-level {@code {"module", "class_name", "config", ...}} object (or a
   *     Keras 2 config)
   * @return a new tree
   * @throws UnsupportedModelException for a Keras 1 config, or a layer or value tf-keras cannot
   *     express; the location names the layer
   * @throws MalformedModelException when the config lacks what every Keras version writes
   */
  public static JsonNode toKeras2(JsonNode keras3Model)
      throws UnsupportedModelException, MalformedModelException {
    rejectKeras1(keras3Model);
    return run(() -> Keras2Translation.model(keras3Model));
  }

  /**
   * A model config in the form Keras 3's own legacy {@code .h5} writer gives it (see {@link
   * Keras3H5Form}): the Keras 3 schema without the keys that writer leaves out. Keras 3 loads it
   * with every Keras-3-only layer (GroupQueryAttention, RMSNormalization, quantised layers...).
   *
   * @param model a model config of any generation but Keras 1
   * @return a new tree
   * @throws UnsupportedModelException for a Keras 1 config or a layer Keras 3 cannot express
   * @throws MalformedModelException when the config lacks what every Keras version writes
   */
  public static JsonNode toKeras3H5(JsonNode model)
      throws UnsupportedModelException, MalformedModelException {
    JsonNode keras3 =
        ConfigGeneration.detect(model) == ConfigGeneration.KERAS3 ? model : toKeras3(model);
    rejectOneFormatOnly(keras3, Where.top(keras3.path("config").path("name").asText("")));
    return Keras3H5Form.of(keras3);
  }

  /**
   * Refuses what Keras 3 loads but then cannot run as the Keras that wrote the file did, whatever
   * form the config is written in: an {@code Attention} layer scoring with {@code dot} on a key
   * that is not (batch, steps, features) (see {@link DotAttentionRank}). Checked for {@code --for
   * keras3} only: the portable forms keep today's behaviour.
   *
   * @param model a model config of any generation
   * @throws UnsupportedModelException naming the layer, the key and the value
   */
  public static void rejectForKeras3Runtime(JsonNode model) throws UnsupportedModelException {
    DotAttentionRank.reject(model);
  }

  /**
   * Refuses a layer whose variables the two file layouts count differently (SpectralNormalization
   * keeps its wrapped kernel twice in {@code .keras}, once in {@code .h5}), wherever it is nested.
   */
  private static void rejectOneFormatOnly(JsonNode config, Where where)
      throws UnsupportedModelException {
    JsonNode layers = config.path("config").path("layers");
    for (JsonNode l : layers) {
      String cls = l.path("class_name").asText("");
      Where at = where.child(l.path("config").path("name").asText(null));
      if (KerasCatalog.ONE_FORMAT_ONLY.containsKey(cls)) {
        throw at.unsupported(cls, null, KerasCatalog.ONE_FORMAT_ONLY.get(cls));
      }
      rejectOneFormatOnly(l, at);
    }
  }

  /**
   * A model config in the form DeepLearning4J's {@code KerasModelImport} (1.0.0-M2.1) reads: the
   * Keras 2 form of {@link #toKeras2}, with a single model input or output as a one-element list,
   * as tf-keras writes it (see {@link Dl4jForm}).
   *
   * @param model a Keras 2 or Keras 3 model config (DL4J reads Keras 1 configs as they are)
   * @return a new tree
   * @throws UnsupportedModelException for a layer DL4J maps no class to, a nested model or a Lambda
   *     layer (the location names the layer), or what {@link #toKeras2} refuses
   * @throws MalformedModelException when the config lacks what every Keras version writes
   */
  public static JsonNode toDl4j(JsonNode model)
      throws UnsupportedModelException, MalformedModelException {
    return toDl4j(model, null);
  }

  /**
   * {@link #toDl4j(JsonNode)} for a file saved with the Keras backend {@code backend} (the HDF5
   * file's {@code backend} attribute, which initkit keeps and DL4J reads): with {@code theano},
   * DL4J imports every image layer channels-first whatever its {@code data_format}, so those are
   * refused too.
   *
   * @param model a Keras 2 or Keras 3 model config
   * @param backend the file's Keras backend, or null when it names none
   * @return a new tree
   * @throws UnsupportedModelException as {@link #toDl4j(JsonNode)}, and for an image layer of a
   *     Theano file
   * @throws MalformedModelException when the config lacks what every Keras version writes
   */
  public static JsonNode toDl4j(JsonNode model, String backend)
      throws UnsupportedModelException, MalformedModelException {
    // a Keras 2 config is what DL4J was written against: checked, not translated
    return Dl4jForm.of(
        ConfigGeneration.detect(model) == ConfigGeneration.KERAS2 ? model : toKeras2(model),
        backend);
  }

  /**
   * Refuses a Keras 1 model (which {@code --for dl4j} hands to DL4J as written) that DL4J
   * 1.0.0-M2.1 would import with the wrong image axes: a three-dimensional Reshape target in a
   * model of {@code dim_ordering: tf} (see {@link Dl4jKeras1Rules}).
   *
   * @param keras1Model a Keras 1 model config
   * @throws UnsupportedModelException naming the layer, the key and the value
   */
  public static void rejectKeras1ForDl4j(JsonNode keras1Model) throws UnsupportedModelException {
    Dl4jKeras1Rules.reject(keras1Model);
  }

  /**
   * One initializer spec in Keras 3 form: {@code {"class_name": "GlorotUniform", "config": {"seed":
   * null}}} gains {@code "module": "keras.initializers"} and {@code "registered_name": null}. A
   * string shorthand such as {@code "glorot_uniform"} is valid in both generations and is returned
   * as it is; so is a custom initializer.
   *
   * @param spec an initializer spec as a layer config holds it
   * @return a new node
   * @throws UnsupportedModelException never for the built-in initializers both generations share
   */
  public static JsonNode initializerToKeras3(JsonNode spec) throws UnsupportedModelException {
    Objects.requireNonNull(spec, "spec");
    return ObjectSpecs.toKeras3(ObjectSpecs.Kind.INITIALIZER, spec, new Where("initializer"), null);
  }

  /**
   * One initializer spec in Keras 2 form: {@code module}/{@code registered_name} removed, and Keras
   * 3's {@code OrthogonalInitializer}/{@code IdentityInitializer} spelled {@code Orthogonal}/{@code
   * Identity}. String shorthands and custom initializers are returned as they are.
   *
   * @param spec an initializer spec as a Keras 3 layer config holds it
   * @return a new node
   * @throws UnsupportedModelException for Keras 3's STFT initializer, which tf-keras lacks
   */
  public static JsonNode initializerToKeras2(JsonNode spec) throws UnsupportedModelException {
    Objects.requireNonNull(spec, "spec");
    return ObjectSpecs.toKeras2(ObjectSpecs.Kind.INITIALIZER, spec, new Where("initializer"), null);
  }

  /**
   * Where converting {@code model} to the {@code target} generation keeps the config loadable but
   * changes what a layer computes: a layer (nested ones included) using an activation the two
   * generations define differently ({@link RedefinedActivation}, {@code hard_sigmoid}). Empty when
   * the config already is of the target generation (nothing is translated) or is Keras 1.
   *
   * @param model a model config of any generation
   * @param target the generation the converted config will be loaded by
   * @return the changes, in config order
   */
  public static List<MeaningChange> meaningChanges(JsonNode model, ConfigGeneration target) {
    Objects.requireNonNull(model, "model config");
    Objects.requireNonNull(target, "target");
    ConfigGeneration source = ConfigGeneration.detect(model);
    if (source == target
        || source == ConfigGeneration.KERAS1
        || target == ConfigGeneration.KERAS1) {
      return List.of();
    }
    return MeaningChanges.of(model, target == ConfigGeneration.KERAS3);
  }

  private static void rejectKeras1(JsonNode model) throws UnsupportedModelException {
    Objects.requireNonNull(model, "model config");
    ConfigGeneration.Keras1Layer k1 = ConfigGeneration.keras1Layer(model);
    if (k1 != null) {
      String what =
          k1.field().isEmpty()
              ? k1.className() + " is a Keras 1 layer"
              : k1.className() + " field '" + k1.field() + "' is Keras 1 syntax";
      throw new UnsupportedModelException(
          null,
          k1.layerPath(),
          what
              + "; Keras 1 configs are not translated (load the model in Keras 2 and save it again)");
    }
  }

  private interface Step {
    JsonNode run() throws ModelFormatException;
  }

  // The translations only raise the two documented subclasses; this narrows the signature.
  private static JsonNode run(Step step) throws UnsupportedModelException, MalformedModelException {
    try {
      return step.run();
    } catch (UnsupportedModelException | MalformedModelException e) {
      throw e;
    } catch (ModelFormatException e) {
      throw new MalformedModelException(e.file(), e.location(), e.detail(), e);
    }
  }
}
