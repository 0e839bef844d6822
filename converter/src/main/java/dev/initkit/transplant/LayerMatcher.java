package dev.initkit.transplant;

import dev.initkit.format.keras3.Keras3Layout;
import dev.initkit.internal.ConfigViews;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.ops.WeightSite;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Pairs target layers with source layers by one {@link MatchStrategy}. Pure functions. */
final class LayerMatcher {
  private LayerMatcher() {}

  /**
   * A layer that has weights, with its weight sites.
   *
   * @param path names through nested models, {@code /}-joined
   * @param archivePath the class-derived path a Keras 3 weights file gives it ({@code conv2d_1},
   *     {@code functional/dense}), from its container's classes
   */
  record Ref(Layer layer, String path, String archivePath, List<WeightSite> sites) {
    String className() {
      return layer.className();
    }
  }

  /** A pairing, and how it was found. */
  record Pair(Ref target, Ref source, String how) {}

  /** The result: pairs in target order, and for unpaired target layers why (mapping problems). */
  record Result(List<Pair> pairs, Map<Layer, String> problems) {}

  /** Every layer with weights of a model, in model order. */
  static List<Ref> refs(Model model) {
    Map<Layer, String> archive = new IdentityHashMap<>();
    boolean seq =
        ConfigViews.of(model)
            .map(c -> c.path("class_name").asText("").equals("Sequential"))
            .orElse(false);
    archivePaths(model.layers(), "", seq, archive);
    Map<Layer, List<WeightSite>> sites = new IdentityHashMap<>();
    Map<Layer, String> paths = new IdentityHashMap<>();
    List<Layer> order = new ArrayList<>();
    for (WeightSite s : WeightSite.of(model)) {
      if (!sites.containsKey(s.layer())) {
        order.add(s.layer());
        paths.put(s.layer(), s.layerPath());
      }
      sites.computeIfAbsent(s.layer(), k -> new ArrayList<>()).add(s);
    }
    List<Ref> out = new ArrayList<>();
    for (Layer l : order) {
      out.add(
          new Ref(
              l, paths.get(l), archive.getOrDefault(l, paths.get(l)), List.copyOf(sites.get(l))));
    }
    return out;
  }

  /**
   * A Keras 3 weights file read without config holds a nested model as one layer with every inner
   * variable: regroups such layers' weights by the class-derived path their stored keys name
   * ({@code /layers/functional/layers/sequential/layers/dense/vars/0} is {@code
   * functional/sequential/dense}), so that they pair with the target's inner layers. Sub-objects of
   * one layer ({@code .../multi_head_attention/query_dense/vars/0}) stay with their layer.
   */
  static List<Ref> byStoredPath(List<Ref> sources) {
    List<Ref> out = new ArrayList<>();
    for (Ref r : sources) {
      Map<String, List<WeightSite>> groups = new LinkedHashMap<>();
      for (WeightSite s : r.sites()) {
        groups
            .computeIfAbsent(storedPath(s.weight().key(), r.path()), k -> new ArrayList<>())
            .add(s);
      }
      if (groups.size() == 1 && groups.containsKey(r.path())) {
        out.add(r);
        continue;
      }
      groups.forEach((path, sites) -> out.add(new Ref(r.layer(), path, path, List.copyOf(sites))));
    }
    return out;
  }

  /**
   * The layer path a Keras 3 weights key names: its {@code layers/NAME} steps, joined by {@code /}.
   */
  static String storedPath(String key, String fallback) {
    String k = key.startsWith("@") ? key.substring(key.indexOf(':') + 1) : key;
    String[] parts = k.split("/");
    List<String> names = new ArrayList<>();
    for (int i = 0; i + 1 < parts.length; i++) {
      if (parts[i].equals("layers")) {
        names.add(parts[i + 1]);
        i++;
      }
    }
    return names.isEmpty() ? fallback : String.join("/", names);
  }

  private static void archivePaths(
      List<Layer> layers, String prefix, boolean sequential, Map<Layer, String> out) {
    List<Layer> stored = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    for (Layer l : layers) {
      if (sequential && l.className().equals("InputLayer")) {
        continue;
      }
      stored.add(l);
      classes.add(l.className().isEmpty() ? l.name() : l.className());
    }
    List<String> names = Keras3Layout.containerNames(classes);
    for (int i = 0; i < stored.size(); i++) {
      Layer l = stored.get(i);
      String p = prefix.isEmpty() ? names.get(i) : prefix + "/" + names.get(i);
      out.put(l, p);
      if (!l.children().isEmpty()) {
        archivePaths(l.children(), p, l.className().equals("Sequential"), out);
      }
    }
  }

  static Result match(
      MatchStrategy strategy,
      LayerMapping mapping,
      List<Ref> targets,
      List<Ref> sources,
      boolean classDerived) {
    switch (strategy) {
      case ORDER:
        return byOrder(targets, sources);
      case STRUCTURE:
        return byStructure(targets, sources);
      case MAPPING:
        return byMapping(mapping, targets, sources);
      default:
        return byName(targets, sources, classDerived);
    }
  }

  private static Result byName(List<Ref> targets, List<Ref> sources, boolean classDerived) {
    Map<String, Ref> byPath = new HashMap<>();
    Map<String, List<Ref>> byLeaf = new HashMap<>();
    for (Ref s : sources) {
      byPath.putIfAbsent(s.path(), s);
      byLeaf.computeIfAbsent(s.layer().name(), k -> new ArrayList<>()).add(s);
    }
    Map<String, Integer> targetLeaves = new HashMap<>();
    for (Ref t : targets) {
      targetLeaves.merge(t.layer().name(), 1, Integer::sum);
    }
    Set<Ref> used = new HashSet<>();
    List<Pair> pairs = new ArrayList<>();
    for (Ref t : targets) {
      Ref s = byPath.get(t.path());
      String how = "name";
      if (s == null && classDerived) {
        s = byPath.get(t.archivePath());
        how = "class-derived path " + t.archivePath();
      }
      if (s == null) {
        List<Ref> leaf = byLeaf.getOrDefault(t.layer().name(), List.of());
        if (leaf.size() == 1 && targetLeaves.get(t.layer().name()) == 1) {
          s = leaf.get(0);
          how = "layer name (" + s.path() + " -> " + t.path() + ")";
        }
      }
      if (s != null && used.add(s)) {
        pairs.add(new Pair(t, s, how));
      }
    }
    return new Result(pairs, Map.of());
  }

  private static Result byOrder(List<Ref> targets, List<Ref> sources) {
    List<Pair> pairs = new ArrayList<>();
    for (int i = 0; i < Math.min(targets.size(), sources.size()); i++) {
      pairs.add(new Pair(targets.get(i), sources.get(i), "order #" + (i + 1)));
    }
    Map<Layer, String> problems = new IdentityHashMap<>();
    for (int i = sources.size(); i < targets.size(); i++) {
      problems.put(
          targets.get(i).layer(), "the source has only " + sources.size() + " layers with weights");
    }
    return new Result(pairs, problems);
  }

  private static Result byStructure(List<Ref> targets, List<Ref> sources) {
    List<Pair> pairs = new ArrayList<>();
    int next = 0;
    for (Ref t : targets) {
      for (int j = next; j < sources.size(); j++) {
        if (sameStructure(t, sources.get(j))) {
          pairs.add(new Pair(t, sources.get(j), "structure"));
          next = j + 1;
          break;
        }
      }
    }
    return new Result(pairs, Map.of());
  }

  /** Same class (when both are known) and the same weight shapes in order. */
  static boolean sameStructure(Ref t, Ref s) {
    if (!t.className().isEmpty()
        && !s.className().isEmpty()
        && !t.className().equals(s.className())) {
      return false;
    }
    if (t.sites().size() != s.sites().size()) {
      return false;
    }
    for (int i = 0; i < t.sites().size(); i++) {
      if (!t.sites().get(i).weight().shape().equals(s.sites().get(i).weight().shape())) {
        return false;
      }
    }
    return true;
  }

  private static Result byMapping(LayerMapping mapping, List<Ref> targets, List<Ref> sources) {
    Map<String, Ref> byPath = new LinkedHashMap<>();
    for (Ref s : sources) {
      byPath.putIfAbsent(s.path(), s);
    }
    List<String> paths = List.copyOf(byPath.keySet());
    List<Pair> pairs = new ArrayList<>();
    Map<Layer, String> problems = new IdentityHashMap<>();
    for (Ref t : targets) {
      Optional<LayerMapping.Resolution> r = mapping.resolve(t.path(), paths);
      if (r.isEmpty()) {
        problems.put(t.layer(), "no line of " + mapping.origin() + " maps it");
      } else if (r.get().found()) {
        pairs.add(
            new Pair(t, byPath.get(r.get().sourcePath()), "mapping line " + r.get().rule().line()));
      } else {
        problems.put(t.layer(), r.get().problem());
      }
    }
    return new Result(pairs, problems);
  }
}
