package dev.initkit.scan;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the SavedModel graph rules read of a {@code saved_model.pb}: per meta graph, the nodes of
 * its graph and of every function of its library, what the loader runs by itself, the asset file
 * names and the object graph's user-object identifiers. Built by a {@link SavedModelGraphReader}
 * (the {@code savedmodel} module, TensorFlow Java's protobuf classes); plain values, nothing
 * resolved.
 *
 * @param metaGraphs the meta graphs, in file order
 */
public record SavedModelGraph(List<MetaGraph> metaGraphs) {
  /** Copies the list. */
  public SavedModelGraph {
    metaGraphs = List.copyOf(metaGraphs);
  }

  /**
   * One MetaGraphDef.
   *
   * @param tags its tags ({@code serve}...)
   * @param nodes the nodes of its {@code graph_def}
   * @param functions every function of {@code graph_def.library}
   * @param initNodes the graph nodes the loader runs when it loads the SavedModel: the {@code
   *     __saved_model_init_op} signature's outputs and the {@code saved_model_main_op} and {@code
   *     legacy_init_op} collections
   * @param fedTensors the tensors the loader feeds a value into, whatever the graph holds there:
   *     the {@code saver_def}'s filename tensor (a {@code Const} in TF1 graphs)
   * @param assetFiles the file names of its {@code asset_file_def}s (the loader joins them to
   *     {@code assets/})
   * @param userObjects the object graph's user-object identifiers and registered names, with the
   *     node id they are on
   */
  public record MetaGraph(
      List<String> tags,
      List<Node> nodes,
      List<Function> functions,
      List<String> initNodes,
      List<String> fedTensors,
      List<String> assetFiles,
      List<UserObject> userObjects) {
    /** Copies the lists. */
    public MetaGraph {
      tags = List.copyOf(tags);
      nodes = List.copyOf(nodes);
      functions = List.copyOf(functions);
      initNodes = List.copyOf(initNodes);
      fedTensors = List.copyOf(fedTensors);
      assetFiles = List.copyOf(assetFiles);
      userObjects = List.copyOf(userObjects);
    }
  }

  /**
   * A function of the library.
   *
   * @param name its signature's name
   * @param nodes its {@code node_def}s
   */
  public record Function(String name, List<Node> nodes) {
    /** Copies the list. */
    public Function {
      Objects.requireNonNull(name, "name");
      nodes = List.copyOf(nodes);
    }
  }

  /**
   * A NodeDef.
   *
   * @param name its name
   * @param op its op type ({@code WriteFile})
   * @param inputs its inputs as written ({@code x:0}, {@code ^dep}, {@code f:output:0} in
   *     functions)
   * @param calls the functions its attributes name ({@code f} of a {@code PartitionedCall}, the
   *     branches of an {@code If}, a dataset's map function...)
   * @param constant the first string of a {@code Const} node's string tensor (at most 256
   *     characters), or null
   * @param strings its string-valued attributes ({@code s} and {@code list.s}), at most 256
   *     characters each, by attribute name
   */
  public record Node(
      String name,
      String op,
      List<String> inputs,
      List<String> calls,
      String constant,
      Map<String, List<String>> strings) {
    /** Copies the collections. */
    public Node {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(op, "op");
      inputs = List.copyOf(inputs);
      calls = List.copyOf(calls);
      strings = Map.copyOf(strings);
    }
  }

  /**
   * A user object of the SavedObjectGraph.
   *
   * @param node its node id
   * @param identifier the {@code SavedUserObject.identifier} ({@code _tf_keras_layer}...), or ""
   * @param registeredName the {@code SavedObject.registered_name}, or ""
   */
  public record UserObject(int node, String identifier, String registeredName) {
    /** Checks the parts. */
    public UserObject {
      Objects.requireNonNull(identifier, "identifier");
      Objects.requireNonNull(registeredName, "registeredName");
    }
  }
}
