package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.Hint;
import dev.initkit.ops.WeightSite;
import dev.initkit.transplant.Action;
import dev.initkit.transplant.TransplantPlan;
import dev.initkit.transplant.TransplantPlan.Entry;
import dev.initkit.transplant.TransplantPlan.Unused;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A {@link TransplantPlan} as a Jackson tree: the plan's part of {@code initkit transplant --json}
 * (docs/json/), from {@code match} on. Builds nodes only and prints nothing; thread-safe
 * (stateless).
 */
public final class TransplantPlanJson {
  private TransplantPlanJson() {}

  /**
   * Adds the plan's fields to {@code doc}, after whatever it holds: {@code match}, {@code mapping},
   * {@code adapt}, {@code scheme}, {@code seed}, {@code totals}, {@code layers}, {@code weights},
   * {@code unusedSource}, {@code frozen}, {@code notes}, {@code warnings}.
   *
   * @param mapping the layer mapping file the plan followed, or null
   * @param notes the notes to list (the plan's, and the writer's when a file was written)
   * @param warnings the writer's warnings (empty when nothing was written)
   */
  public static void fill(
      ObjectNode doc,
      TransplantPlan plan,
      String mapping,
      List<String> notes,
      List<String> warnings) {
    fill(doc, plan, mapping, notes, warnings, h -> null);
  }

  /**
   * As {@link #fill(ObjectNode, TransplantPlan, String, List, List)}, with the hints of each
   * weight's detail and each unused weight's reason spelled by {@code spelling} (see {@link
   * TransplantPlanText#write(java.io.PrintWriter, TransplantPlan, boolean, Function)}).
   */
  public static void fill(
      ObjectNode doc,
      TransplantPlan plan,
      String mapping,
      List<String> notes,
      List<String> warnings,
      Function<Hint, String> spelling) {
    doc.put("match", plan.strategy().label());
    doc.put("mapping", mapping);
    ArrayNode ad = doc.putArray("adapt");
    plan.adaptations().labels().forEach(ad::add);
    doc.put("scheme", plan.scheme());
    doc.put("seed", plan.seed());
    ObjectNode totals = doc.putObject("totals");
    totals.put("targetWeights", plan.entries().size());
    for (Action a : Action.values()) {
      totals.put(a.label(), plan.count(a));
    }
    totals.put("unmatched", plan.unmatched().size());
    totals.put("unusedSource", plan.unused().size());
    ArrayNode pairs = doc.putArray("layers");
    for (TransplantPlan.LayerPair p : plan.pairs()) {
      ObjectNode o = pairs.addObject();
      o.put("target", p.target());
      o.put("source", p.source());
      o.put("how", p.how());
    }
    ArrayNode ws = doc.putArray("weights");
    for (Entry e : plan.entries()) {
      ObjectNode o = ws.addObject();
      site(o, e.target());
      o.put("action", e.action().label());
      o.put("adaptation", e.adapter() == null ? null : e.adapter().kind());
      o.put("detail", Hint.respell(e.detail(), List.copyOf(e.hints()), spelling));
      o.put("requested", e.requested());
      o.put("unmatched", e.unmatched());
      if (e.source() == null) {
        o.putNull("source");
      } else {
        site(o.putObject("source"), e.source());
      }
      o.set("initializer", JsonValues.spec(e.fresh() == null ? null : e.fresh().spec()));
      o.put(
          "streamSeed",
          e.fresh() == null ? null : String.format(Locale.ROOT, "%016x", e.fresh().streamSeed()));
    }
    ArrayNode un = doc.putArray("unusedSource");
    for (Unused u : plan.unused()) {
      ObjectNode o = un.addObject();
      site(o, u.source());
      o.put("reason", Hint.respell(u.reason(), List.copyOf(u.hints()), spelling));
    }
    ArrayNode fr = doc.putArray("frozen");
    plan.frozen().forEach(fr::add);
    ArrayNode n = doc.putArray("notes");
    notes.forEach(n::add);
    ArrayNode w = doc.putArray("warnings");
    warnings.forEach(w::add);
  }

  private static void site(ObjectNode o, WeightSite s) {
    o.put("layer", s.layerPath());
    o.put("weight", s.weight().name());
    o.put("role", s.weight().role().label());
    o.set("shape", JsonValues.shape(s.weight().shape()));
    o.put("dtype", s.weight().dtypeName());
  }
}
