package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * How the portable Keras 2 form records the calls of a model nested in a functional model.
 *
 * <p>A functional config names a layer output by {@code [layer, node, tensor]}. For a nested model
 * that tf-keras builds with its own first node (a Functional, or a Sequential that starts with an
 * input, see {@link LayerDicts#keras2CountsOwnNode}), the two loaders read {@code node}
 * differently:
 *
 * <ul>
 *   <li>tf-keras 2.20 ({@code functional.reconstruct_from_config}) counts the config's calls of
 *       that model from 1, so the first call is node 1 (what tf-keras writes), and waits forever
 *       for a node 0;
 *   <li>Keras 3.12's legacy loader ({@code functional.deserialize_node}, list form) indexes the
 *       model's {@code _inbound_nodes} directly, and a Keras 3 model has no node of its own, so the
 *       first call is node 0, and it waits forever for node 1 of a model called once.
 * </ul>
 *
 * <p>No node number means the same call to both (checked: 0 hangs tf-keras, 1 hangs Keras 3; a
 * negative number only works in Keras 3). The portable form therefore records every call of such a
 * model twice in a row, the second entry a copy of the first, and refers to call {@code k}
 * (counting from 0) as node {@code 2k+1}: tf-keras reads entry {@code 2k+1} counting from 1, the
 * original, Keras 3 reads entry {@code 2k+1} counting from 0, the copy, which applies the same
 * model to the same inputs with the same arguments. The other entry of each pair is a call whose
 * output nothing uses; neither Keras runs it when predicting or training, and both leave it out
 * when they save the loaded model again. Model-level references ({@code output_layers}) use the
 * same numbers: tf-keras counts as above, Keras 3 subtracts 1 for a nested Functional (the original
 * call) and not for a Sequential (the copy).
 *
 * <p>Recognising the form: a config tf-keras or Keras 3 wrote never records a call whose output is
 * unused (both serialise only the nodes between the model's inputs and outputs), so a nested model
 * whose calls come in equal pairs and whose outputs are referred to at odd node numbers only is in
 * the portable form.
 */
final class NestedCalls {
  private NestedCalls() {}

  /** The node number of call {@code k} (from 0) of a model whose calls are recorded twice. */
  static int portableNode(int k) {
    return 2 * k + 1;
  }

  /** The call (from 0) a portable node number refers to. */
  static int callOfPortableNode(int node) {
    return (node - 1) / 2;
  }

  /**
   * True when {@code producer}, a member of the functional config whose member list is {@code
   * layers} (with the model's {@code output_layers}/{@code input_layers} in {@code modelRefs}), is
   * a nested model whose calls are recorded in the portable doubled form (see the class comment).
   * Only Keras 2 list-form inbound nodes can be in that form.
   */
  static boolean doubled(JsonNode producer, JsonNode layers, List<JsonNode> modelRefs) {
    if (!LayerDicts.keras2CountsOwnNode(producer)) {
      return false;
    }
    String name = LayerDicts.name(producer);
    JsonNode calls = producer.get("inbound_nodes");
    if (name == null
        || calls == null
        || !calls.isArray()
        || calls.isEmpty()
        || calls.size() % 2 != 0) {
      return false;
    }
    for (int i = 0; i < calls.size(); i += 2) {
      if (!calls.get(i).isArray() || !SameValue.of(calls.get(i), calls.get(i + 1))) {
        return false;
      }
    }
    List<Integer> nodes = new ArrayList<>();
    for (JsonNode layer : layers) {
      collectRefs(layer.path("inbound_nodes"), name, nodes);
    }
    for (JsonNode refs : modelRefs) {
      if (refs != null) {
        collectRefs(refs, name, nodes);
      }
    }
    for (int node : nodes) {
      if (node % 2 != 1 || node >= calls.size()) {
        return false;
      }
    }
    return !nodes.isEmpty();
  }

  /** The node numbers of every {@code [name, node, tensor(, kwargs)]} reference under {@code n}. */
  private static void collectRefs(JsonNode n, String name, List<Integer> out) {
    if (n.isArray()) {
      if ((LayerDicts.isNodeEntry(n) || LayerDicts.isTensorRef(n))
          && name.equals(n.get(0).asText())) {
        out.add(n.get(1).asInt());
        if (n.size() == 4) {
          collectRefs(n.get(3), name, out);
        }
        return;
      }
      for (JsonNode child : n) {
        collectRefs(child, name, out);
      }
    } else if (n.isObject()) {
      for (JsonNode child : n) {
        collectRefs(child, name, out);
      }
    }
  }
}
