package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One layer as the families build it: its name (for messages), class, config and the scope its
 * variables are named under (the nesting path, so layers of nested models never collide).
 */
record LayerCall(String name, String className, JsonNode config, String scope) {
  /**
   * The same layer with another config (a wrapper's inner layer, built under the wrapper's scope).
   */
  LayerCall withInner(String className, JsonNode config) {
    return new LayerCall(name, className, config, scope);
  }
}
