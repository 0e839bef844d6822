package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ops.Reinitializer.Entry;
import dev.initkit.ops.Reinitializer.Plan;
import java.util.List;
import java.util.Locale;

/**
 * A {@link Plan} of {@link dev.initkit.ops.Reinitializer} as a Jackson tree: the plan's part of
 * {@code initkit reinit --json} and the {@code weights} of {@code set-init --json} (docs/json/).
 * Builds nodes only and prints nothing; thread-safe (stateless).
 */
public final class ReinitPlanJson {
  private ReinitPlanJson() {}

  /**
   * Adds the plan's fields to {@code doc}, after whatever it holds: {@code scheme}, {@code seed},
   * {@code only}, {@code drawn}, {@code kept}, {@code weights}.
   *
   * @param only the selectors the plan was made with, as written (empty: all)
   */
  public static void fill(ObjectNode doc, Plan plan, List<String> only) {
    doc.put("scheme", plan.scheme());
    doc.put("seed", plan.seed());
    ArrayNode sel = doc.putArray("only");
    only.forEach(sel::add);
    doc.put("drawn", plan.drawnCount());
    doc.put("kept", plan.entries().size() - plan.drawnCount());
    doc.set("weights", entries(plan.entries()));
  }

  /** Plan entries as the {@code weights} array of reinit and set-init documents. */
  public static ArrayNode entries(List<Entry> entries) {
    ArrayNode a = JsonValues.nodes().arrayNode();
    for (Entry e : entries) {
      ObjectNode o = a.addObject();
      o.put("layer", e.site().layerPath());
      o.put("weight", e.site().weight().name());
      o.put("role", e.site().weight().role().label());
      o.set("shape", JsonValues.shape(e.site().weight().shape()));
      o.put("drawn", e.drawn());
      o.set("initializer", JsonValues.spec(e.drawn() ? e.spec() : null));
      o.put("unitForgetBias", e.unitForgetBias());
      o.put("reason", e.reason());
      o.put("seedName", e.site().seedName());
      o.put("streamSeed", String.format(Locale.ROOT, "%016x", e.streamSeed()));
    }
    return a;
  }
}
