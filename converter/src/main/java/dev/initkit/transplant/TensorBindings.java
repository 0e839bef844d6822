package dev.initkit.transplant;

import dev.initkit.Note;
import dev.initkit.model.Model;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.ops.WeightSite;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which source tensors a mapping's {@link TensorRule}s give which target weights. Rules are tried
 * in file order for every source tensor not yet taken; a rule applies to a tensor when its pattern
 * matches the key, its other sources exist, its target weight exists and is not yet given, and its
 * steps accept the tensor's rank (so {@code permute(2,3,1,0)} for 4-d weights and {@code transpose}
 * for 2-d ones can share a pattern). A rule whose steps give another shape than the target's is a
 * misfit: the target is initialized and the one line says why.
 */
final class TensorBindings {
  /**
   * A target weight's sources.
   *
   * @param problem null when the sources fit; else the one line that says why not
   */
  record Binding(TensorRule rule, List<WeightSite> sources, String problem) {}

  final Map<String, Binding> byTarget = new LinkedHashMap<>();
  final Map<String, String> unusedReasons = new HashMap<>();
  final java.util.Set<String> used = new java.util.HashSet<>();

  /**
   * Tensors taken part by part by rules starting with split(axis, n, i): key -> "axis,n" -> i's (in
   * source order, so notes come in a stable order).
   */
  private final Map<String, Map<String, java.util.Set<String>>> parts = new LinkedHashMap<>();

  final List<Note> notes = new ArrayList<>();
  final String origin;

  private TensorBindings(String origin) {
    this.origin = origin;
  }

  /** Why a source tensor no rule matched stays unused. */
  String noRule(String key) {
    return "no rule of " + origin + " matches " + key;
  }

  /** The address a rule's target names a weight by: layer path + its name inside the layer. */
  static String address(WeightSite s) {
    Weight w = s.weight();
    String n = w.name();
    int colon = n.lastIndexOf(':');
    if (colon > n.lastIndexOf('/')) {
      n = n.substring(0, colon);
    }
    String layer = s.layer().name();
    if (n.startsWith(layer + "/")) {
      n = n.substring(layer.length() + 1);
    }
    return s.layerPath() + "/" + n;
  }

  static TensorBindings resolve(Model source, Model target, LayerMapping mapping) {
    TensorBindings b = new TensorBindings(mapping.origin());
    List<TensorRule> rules = mapping.tensorRules();
    if (rules.isEmpty()) {
      return b;
    }
    String origin = mapping.origin();
    Map<String, WeightSite> targets = new LinkedHashMap<>();
    Map<String, Integer> shortCount = new HashMap<>();
    List<WeightSite> targetSites = WeightSite.of(target);
    for (WeightSite t : targetSites) {
      targets.put(address(t), t);
      shortCount.merge(t.layerPath() + "/" + t.weight().shortName(), 1, Integer::sum);
    }
    for (WeightSite t : targetSites) {
      // lstm/kernel for tf-keras's lstm/lstm_cell/kernel, when the short name is unambiguous
      String alias = t.layerPath() + "/" + t.weight().shortName();
      if (shortCount.get(alias) == 1) {
        targets.putIfAbsent(alias, t);
      }
    }
    List<WeightSite> sources = WeightSite.of(source);
    Map<String, WeightSite> byKey = new HashMap<>();
    sources.forEach(s -> byKey.put(s.weight().key(), s));
    Map<TensorRule, List<String>> matchedKeys = new LinkedHashMap<>();
    Map<TensorRule, String> firstWhys = new HashMap<>();
    for (TensorRule r : rules) {
      java.util.function.Function<String, List<String>> captures = r.captures();
      List<String> mine = new ArrayList<>();
      matchedKeys.put(r, mine);
      int matched = 0;
      int bound = 0;
      String firstWhy = null;
      for (WeightSite s : sources) {
        String key = s.weight().key();
        if (b.used.contains(key) && !b.partLeft(r, key)) {
          continue;
        }
        List<String> caps = captures.apply(key);
        if (caps == null) {
          continue;
        }
        matched++;
        mine.add(key);
        String where = at(r, origin, key);
        String addr = TensorRule.fill(r.target(), caps);
        WeightSite t = targets.get(addr);
        String why = null;
        List<WeightSite> in = new ArrayList<>();
        in.add(s);
        for (String other : r.sources().subList(1, r.sources().size())) {
          String k = TensorRule.fill(other, caps);
          WeightSite o = byKey.get(k);
          if (o == null || b.used.contains(k)) {
            why =
                where
                    + " needs source "
                    + k
                    + ", which the source "
                    + (o == null ? "does not have" : "gave already");
            break;
          }
          in.add(o);
        }
        if (why == null && t == null) {
          why = where + " -> " + addr + ": the target has no such weight";
        } else if (why == null && b.byTarget.containsKey(t.weight().key())) {
          why =
              where
                  + " -> "
                  + addr
                  + ": already given by line "
                  + b.byTarget.get(t.weight().key()).rule().line();
        }
        if (why != null) {
          b.unusedReasons.putIfAbsent(key, why);
          firstWhy = firstWhy == null ? why : firstWhy;
          continue;
        }
        TensorSteps.Outcome out;
        List<Shape> shapes = in.stream().map(x -> x.weight().shape()).toList();
        try {
          out = TensorSteps.shapeOf(r, shapes, s.weight().dtype(), t.weight().shape());
        } catch (IllegalArgumentException e) {
          why = where + " " + shapes + ": " + e.getMessage();
          b.unusedReasons.putIfAbsent(key, why);
          firstWhy = firstWhy == null ? why : firstWhy;
          continue; // a later rule may take it (another rank)
        }
        String problem = null;
        Weight tw = t.weight();
        if (!out.shape().equals(tw.shape())) {
          problem =
              where
                  + " "
                  + shapesText(shapes)
                  + (r.chain().isEmpty() ? "" : " | " + r.chain())
                  + " gives "
                  + out.shape()
                  + ", but "
                  + addr
                  + " is "
                  + tw.shape();
        } else if (!tw.dtype().isFloating() || !out.dtype().isFloating()) {
          problem =
              where
                  + " is "
                  + out.dtype()
                  + ", "
                  + addr
                  + " "
                  + tw.dtype()
                  + ": only floating-point tensors are mapped";
        }
        b.takePart(r, key);
        for (WeightSite x : in) {
          b.used.add(x.weight().key());
          if (problem != null) {
            b.unusedReasons.put(x.weight().key(), problem);
          }
        }
        b.byTarget.put(tw.key(), new Binding(r, List.copyOf(in), problem));
        bound++;
        if (problem != null) {
          b.notes.add(Note.of(problem));
        }
      }
      if (matched == 0) {
        b.notes.add(Note.of(at(r, origin, r.sources().get(0)) + " matches no source tensor"));
      } else if (bound == 0) {
        firstWhys.put(r, firstWhy);
      }
    }
    for (Map.Entry<TensorRule, String> e : firstWhys.entrySet()) {
      // a rule that only passed tensors on to later rules (another rank) says nothing
      List<String> left =
          matchedKeys.get(e.getKey()).stream().filter(k -> !b.used.contains(k)).toList();
      if (!left.isEmpty()) {
        TensorRule r = e.getKey();
        b.notes.add(
            Note.of(
                at(r, origin, r.sources().get(0))
                    + " matches "
                    + left.size()
                    + " source tensors no rule gives a target weight (e.g. "
                    + b.unusedReasons.getOrDefault(left.get(0), e.getValue())
                    + ")"));
      }
    }
    b.parts.forEach(
        (key, split) ->
            split.forEach(
                (axisN, taken) -> {
                  int n = Integer.parseInt(axisN.substring(axisN.indexOf(',') + 1));
                  if (taken.size() < n) {
                    b.notes.add(
                        Note.of(
                            origin
                                + ": only parts "
                                + new java.util.TreeSet<>(taken)
                                + " of split("
                                + axisN
                                + ",i) of "
                                + key
                                + " are given a target weight"));
                  }
                }));
    // a tensor a later rule took has no reason to stay unused
    b.used.forEach(b.unusedReasons::remove);
    b.byTarget.values().stream()
        .filter(x -> x.problem() != null)
        .forEach(x -> x.sources().forEach(s -> b.unusedReasons.put(s.weight().key(), x.problem())));
    return b;
  }

  /**
   * A fused tensor (PyTorch's in_proj_weight: query, key and value stacked) feeds several rules
   * that each split off their own part: the {@code split(axis, n, i)} part of a one-source rule.
   */
  private static String[] splitPart(TensorRule r) {
    if (r.sources().size() != 1 || r.steps().isEmpty()) {
      return null;
    }
    TensorRule.Step first = r.steps().get(0);
    if (!first.name().equals("split")) {
      return null;
    }
    List<String> a = first.args();
    return new String[] {a.get(0).strip() + "," + a.get(1).strip(), a.get(2).strip()};
  }

  /** Whether rule R may still take a part of KEY, a tensor other split rules took parts of. */
  private boolean partLeft(TensorRule r, String key) {
    String[] part = splitPart(r);
    Map<String, java.util.Set<String>> taken = parts.get(key);
    return part != null
        && taken != null
        && taken.size() == 1
        && taken.containsKey(part[0])
        && !taken.get(part[0]).contains(part[1]);
  }

  private void takePart(TensorRule r, String key) {
    String[] part = splitPart(r);
    if (part != null) {
      parts
          .computeIfAbsent(key, k -> new LinkedHashMap<>())
          .computeIfAbsent(part[0], k -> new java.util.TreeSet<>())
          .add(part[1]);
    }
  }

  /** Where a message is about: {@code line N of ORIGIN: what}. */
  private static String at(TensorRule r, String origin, String what) {
    return "line " + r.line() + " of " + origin + ": " + what;
  }

  private static String shapesText(List<Shape> shapes) {
    return shapes.size() == 1 ? shapes.get(0).toString() : shapes.toString();
  }
}
