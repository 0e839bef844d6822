package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ops.ConfigRewriter;
import dev.initkit.ops.ConfigRewriter.Change;
import dev.initkit.ops.ConfigRewriter.Rule;
import java.util.List;

/**
 * Rules and what a {@link ConfigRewriter} changed, as Jackson trees: the {@code rules} and {@code
 * changes} of {@code initkit set-init --json} (docs/json/). Builds nodes only and prints nothing;
 * thread-safe (stateless).
 */
public final class ConfigChangesJson {
  private ConfigChangesJson() {}

  /** The rules: {@code [{"text", "selector", "initializer"}]}. */
  public static ArrayNode rules(List<Rule> rules) {
    ArrayNode rs = JsonValues.nodes().arrayNode();
    for (Rule rule : rules) {
      ObjectNode o = rs.addObject();
      o.put("text", rule.text());
      o.put("selector", rule.selector().toString());
      o.set("initializer", JsonValues.spec(rule.spec()));
    }
    return rs;
  }

  /** The changes: one object per initializer key a rule matched, changed or not. */
  public static ArrayNode changes(ConfigRewriter.Result r) {
    ArrayNode cs = JsonValues.nodes().arrayNode();
    for (Change c : r.changes()) {
      ObjectNode o = cs.addObject();
      o.put("layer", c.layerPath());
      o.put("className", c.className());
      o.put("role", c.role().label());
      o.put("key", c.key());
      o.set("before", c.before());
      o.set("after", c.after());
      o.set("requested", JsonValues.spec(c.requested()));
      o.set("written", JsonValues.spec(c.written()));
      o.put("rule", c.rule());
      o.put("changed", c.changed());
    }
    return cs;
  }
}
