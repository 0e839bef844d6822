package dev.initkit.format.h5;

import dev.initkit.ModelFormatException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.internal.ConfigViews;
import dev.initkit.internal.h5.TensorCopier;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.internal.hdf5.H5Node;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Quantization;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes the legacy Keras HDF5 layout that tf-keras and Keras 3 both load: a full model when the
 * model has a config (in its Keras 2 form), else a weights-only file. Attribute forms follow h5py
 * as Keras uses it: scalar strings variable-length, name lists fixed-length or variable-length as
 * the source had them, empty lists as empty float64 arrays, lists over 64 KB split into {@code
 * name0}, {@code name1}, ...
 */
public final class KerasH5Writer {
  /** HDF5's object header limit that Keras splits name lists under. */
  static final int HDF5_OBJECT_HEADER_LIMIT = 64512;

  private KerasH5Writer() {}

  /**
   * Writes {@code model} with values from {@code tensors} to a new file at {@code out} (the caller
   * makes it atomic).
   *
   * @param keras2ConfigText the model config in Keras 2 form, or null to write weights only
   */
  public static void write(Model model, TensorSource tensors, String keras2ConfigText, Path out)
      throws IOException {
    write(model, tensors, keras2ConfigText, Form.of(model), out);
  }

  /**
   * What the file says of itself and how its weights are named.
   *
   * @param kerasVersion the {@code keras_version} attribute: readers choose by it (DL4J refuses a
   *     major version other than 1 or 2)
   * @param backend the {@code backend} attribute
   * @param dl4jWeightNames name each weight as DL4J's import finds it: tf-keras's {@code
   *     layer/.../weight:0} from the layer's name on (Keras 3 writes {@code model/layer/weight},
   *     where DL4J finds nothing), the dataset prefixed with the layer's name ({@code
   *     dense/dense_kernel:0}, the old Keras form: DL4J cuts the layer's name out of the dataset
   *     name, which broke {@code embeddings} under a layer named {@code embed}); else the names as
   *     read
   */
  public record Form(String kerasVersion, String backend, boolean dl4jWeightNames) {
    /**
     * The model's own header (Keras 3.12.0 on TensorFlow where the source recorded none), names as
     * read.
     */
    public static Form of(Model model) {
      return new Form(
          model.kerasVersion().orElse("3.12.0"), model.backend().orElse("tensorflow"), false);
    }
  }

  /** As {@link #write(Model, TensorSource, String, Path)}, in the form given. */
  public static void write(
      Model model, TensorSource tensors, String keras2ConfigText, Form form, Path out)
      throws IOException {
    boolean vlenNames = !"fixed".equals(model.metadata().get(KerasH5Reader.NAMES_FORM));
    String kv = form.kerasVersion();
    String backend = form.backend();
    boolean dl4jNames = form.dl4jWeightNames();
    try (H5File f = H5File.create(out)) {
      H5Group root = f.root();
      H5Group weightsRoot;
      if (keras2ConfigText != null) {
        root.setAttribute("keras_version", AttrValue.Str.vlenUtf8(kv));
        root.setAttribute("backend", AttrValue.Str.vlenUtf8(backend));
        // h5py stores Python bytes as variable-length ASCII: Keras's json.dumps(...).encode()
        root.setAttribute("model_config", AttrValue.Str.vlenAscii(keras2ConfigText));
        if (model.trainingConfigText().isPresent()) {
          root.setAttribute(
              "training_config", AttrValue.Str.vlenAscii(model.trainingConfigText().get()));
        }
        weightsRoot = root.createGroup("model_weights");
      } else {
        weightsRoot = root;
      }
      try {
        List<Layer> stored = storedLayers(model, keras2ConfigText != null);
        List<String> layerNames = new ArrayList<>();
        for (Layer l : stored) {
          layerNames.add(l.name());
        }
        setNames(weightsRoot, "layer_names", layerNames, vlenNames);
        weightsRoot.setAttribute("backend", AttrValue.Str.vlenAscii(backend));
        weightsRoot.setAttribute("keras_version", AttrValue.Str.vlenAscii(kv));
        for (Layer l : stored) {
          writeGroup(
              weightsRoot,
              l.name(),
              legacyOrder(l),
              tensors,
              vlenNames,
              dl4jNames ? l.className() : null);
        }
        if (model.hasModelWeightsGroup()) {
          writeGroup(
              weightsRoot,
              KerasH5Reader.TOP_LEVEL_GROUP,
              model.modelWeights(),
              tensors,
              vlenNames,
              null);
        }
      } finally {
        if (weightsRoot != root) {
          weightsRoot.close();
        }
      }
      if (keras2ConfigText != null && !model.optimizerWeights().isEmpty()) {
        try (H5Group og = root.createGroup("optimizer_weights")) {
          writeWeights(og, model.optimizerWeights(), tensors, vlenNames, null, null);
        }
      }
    } catch (H5Exception e) {
      throw new ModelFormatException(out, "", "cannot write HDF5: " + e.getMessage(), e);
    }
  }

  /**
   * The top-level layers Keras lists in {@code layer_names}: a Sequential's InputLayer is not one.
   */
  static List<Layer> storedLayers(Model model, boolean full) {
    boolean sequential = ConfigViews.of(model).map(ConfigLayers::isSequential).orElse(false);
    List<Layer> out = new ArrayList<>();
    for (Layer l : model.layers()) {
      if (sequential && l.className().equals("InputLayer")) {
        continue;
      }
      if (!full && l.allWeights().isEmpty() && !l.className().isEmpty()) {
        // weights-only files from Keras list every layer too; keep them so by-name loading works
        out.add(l);
        continue;
      }
      out.add(l);
    }
    return out;
  }

  /**
   * A layer's weights in the order Keras's legacy loader assigns them: trainable first, so a
   * quantized layer's bias leads its (non-trainable) codes and scales.
   */
  static List<Weight> legacyOrder(Layer l) {
    boolean bias = l.allWeights().stream().anyMatch(w -> w.shortName().equals("bias"));
    return Quantization.of(l)
        .map(
            q -> {
              List<String> save = q.saveOrder(l.className(), bias);
              return save == null
                  ? l.allWeights()
                  : Quantization.arrange(l.allWeights(), q.legacyOrder(save));
            })
        .orElse(l.allWeights());
  }

  /**
   * @param dl4jClass the layer's class where DL4J-style weight names are made, or null for names as
   *     read
   */
  private static void writeGroup(
      H5Group parent,
      String name,
      List<Weight> weights,
      TensorSource tensors,
      boolean vlenNames,
      String dl4jClass)
      throws IOException {
    try (H5Group g = parent.createGroup(name)) {
      writeWeights(g, weights, tensors, vlenNames, dl4jClass == null ? null : name, dl4jClass);
    }
  }

  /**
   * @param dl4jNamesOf the layer DL4J-style weight names are made for, or null for names as read
   */
  private static void writeWeights(
      H5Group g,
      List<Weight> weights,
      TensorSource tensors,
      boolean vlenNames,
      String dl4jNamesOf,
      String dl4jClass)
      throws IOException {
    List<String> names = uniqueNames(weights, dl4jNamesOf, dl4jClass);
    setNames(g, "weight_names", names, vlenNames);
    for (int i = 0; i < weights.size(); i++) {
      TensorCopier.copy(weights.get(i), tensors, g, names.get(i));
    }
  }

  /** Dataset names must be unique in a group; Keras 3 can produce duplicates (keras#19375). */
  private static List<String> uniqueNames(
      List<Weight> weights, String dl4jNamesOf, String dl4jClass) {
    Set<String> seen = new HashSet<>();
    List<String> out = new ArrayList<>();
    for (Weight w : weights) {
      String n =
          dl4jNamesOf == null ? w.name() : dl4jName(keras2Name(w.name(), dl4jClass), dl4jNamesOf);
      String candidate = n;
      for (int k = 1; !seen.add(candidate); k++) {
        candidate = n + "_" + k;
      }
      out.add(candidate);
    }
    return out;
  }

  /**
   * {@code mlp/dense/kernel} -> {@code dense/dense_kernel:0}: from the layer's name on, with the
   * tensor index tf-keras appends, the dataset prefixed with the layer's name (see {@link
   * Form#dl4jWeightNames()}).
   */
  static String dl4jName(String name, String layer) {
    String n = name;
    int at = n.startsWith(layer + "/") ? 0 : n.indexOf("/" + layer + "/");
    if (at > 0) {
      n = n.substring(at + 1);
    }
    if (!n.matches(".*:\\d+")) {
      n = n + ":0";
    }
    int slash = n.lastIndexOf('/');
    String dataset = n.substring(slash + 1);
    // a weight of a layer named like its start (depthwise_kernel of a layer named "depthwise") is
    // not prefixed yet: DL4J would cut "depthwise" out and look for "kernel"
    boolean prefixed =
        dataset.startsWith(layer + "_")
            && !KERAS2_WEIGHT_NAMES.contains(dataset.replaceFirst(":\\d+$", ""));
    return prefixed ? n : n.substring(0, slash + 1) + layer + "_" + dataset;
  }

  /**
   * A weight's name as Keras 2 called it, where Keras 3 renamed it and DL4J looks it up by name:
   * Keras 3's DepthwiseConv2D variable is {@code kernel} (its .h5 says so), Keras 2's and DL4J's
   * {@code depthwise_kernel}.
   */
  static String keras2Name(String name, String layerClass) {
    if ("DepthwiseConv2D".equals(layerClass)) {
      return name.replaceFirst("(^|/)kernel(:\\d+)?$", "$1depthwise_kernel$2");
    }
    return name;
  }

  /**
   * The weight names of Keras 2 layers DL4J imports, which are never the layer-prefixed old form.
   */
  private static final Set<String> KERAS2_WEIGHT_NAMES =
      Set.of(
          "kernel",
          "bias",
          "depthwise_kernel",
          "pointwise_kernel",
          "recurrent_kernel",
          "gamma",
          "beta",
          "moving_mean",
          "moving_variance",
          "embeddings",
          "alpha");

  /** Writes a name list, empty or split as Keras does. */
  static void setNames(H5Node node, String attr, List<String> names, boolean vlen)
      throws H5Exception {
    if (names.isEmpty()) {
      node.setEmptyList(attr);
      return;
    }
    int longest = 0;
    for (String n : names) {
      longest = Math.max(longest, n.length());
    }
    long bytes = (long) longest * names.size();
    if (bytes <= HDF5_OBJECT_HEADER_LIMIT || vlen) {
      node.setAttribute(attr, list(names, vlen));
      return;
    }
    int chunks = (int) ((bytes + HDF5_OBJECT_HEADER_LIMIT - 1) / HDF5_OBJECT_HEADER_LIMIT);
    int per = (names.size() + chunks - 1) / chunks;
    for (int c = 0, start = 0; start < names.size(); c++, start += per) {
      node.setAttribute(
          attr + c, list(names.subList(start, Math.min(names.size(), start + per)), vlen));
    }
  }

  private static AttrValue list(List<String> names, boolean vlen) {
    return vlen
        ? new AttrValue.StrArray(names, true, AttrValue.Charset.ASCII)
        : AttrValue.StrArray.fixed(names);
  }
}
