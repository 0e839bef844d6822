package dev.initkit.format.keras3;

import dev.initkit.internal.h5.H5Store;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The group and dataset tree of a Keras 3 weights file, merged across shards, read once (metadata
 * only). Paths are relative to the root, without a leading slash: {@code layers/dense/vars/0}.
 */
final class WeightsIndex {
  /** A dataset: which shard holds it, and its shape and dtype. */
  record Entry(String key, Shape shape, DType dtype) {}

  private final Map<String, TreeSet<String>> groups = new TreeMap<>();
  private final Map<String, Entry> datasets = new TreeMap<>();
  private final Map<String, String> groupNames = new TreeMap<>();

  /** Deeper group nesting than any Keras model has (nested models add three levels each). */
  static final int MAX_DEPTH = 128;

  /** More groups and datasets than any Keras weights file has. */
  static final int MAX_OBJECTS = 2_000_000;

  private int objects;

  static WeightsIndex of(List<H5File> files) throws H5Exception {
    WeightsIndex idx = new WeightsIndex();
    idx.groups.put("", new TreeSet<>());
    for (int i = 0; i < files.size(); i++) {
      idx.walk(i, files.get(i).root(), "", 0);
    }
    return idx;
  }

  /**
   * Walks the tree depth first. The file is untrusted: an object reached through more than one hard
   * link (a cycle, or one group shared many times, which would make the walk infinite or
   * exponential) is refused, as are nesting and object counts beyond anything Keras writes, and
   * datasets whose declared size the file cannot back ({@link H5Dataset#checkStorage()}).
   */
  private void walk(int shard, H5Group g, String path, int depth) throws H5Exception {
    if (depth > MAX_DEPTH) {
      throw new H5Exception("groups nested more than " + MAX_DEPTH + " deep at /" + path);
    }
    if (g.hasAttribute("name")) {
      String n = g.attribute("name").asString();
      if (n != null) {
        groupNames.putIfAbsent(path, n);
      }
    }
    for (String child : g.childNames()) {
      if (++objects > MAX_OBJECTS) {
        throw new H5Exception("more than " + MAX_OBJECTS + " groups and datasets");
      }
      String cp = path.isEmpty() ? child : path + "/" + child;
      H5Group.Kind k = g.kind(child);
      if (k == H5Group.Kind.GROUP || k == H5Group.Kind.DATASET) {
        int links = g.hardLinkCount(child);
        if (links != 1) {
          throw new H5Exception(
              "/"
                  + cp
                  + " is reachable through "
                  + links
                  + " hard links (a cycle or a shared object, which Keras never writes)");
        }
      }
      if (k == H5Group.Kind.GROUP) {
        groups.computeIfAbsent(path, x -> new TreeSet<>()).add(child);
        groups.computeIfAbsent(cp, x -> new TreeSet<>());
        try (H5Group c = g.openGroup(child)) {
          walk(shard, c, cp, depth + 1);
        }
      } else if (k == H5Group.Kind.DATASET) {
        groups.computeIfAbsent(path, x -> new TreeSet<>());
        try (H5Dataset d = g.openDataset(child)) {
          d.checkStorage();
          datasets.put(cp, new Entry(H5Store.key(shard, "/" + cp), Shape.of(d.dims()), d.dtype()));
        }
      } else if (k == H5Group.Kind.OTHER) {
        throw new H5Exception(
            "/"
                + cp
                + " is a soft, external or user-defined link (Keras writes none; initkit follows none)");
      }
    }
  }

  boolean hasGroup(String path) {
    return groups.containsKey(path);
  }

  /** Sub-group names of a group. */
  List<String> childGroups(String path) {
    List<String> out = new ArrayList<>();
    for (String c : groups.getOrDefault(path, new TreeSet<>())) {
      if (groups.containsKey(path.isEmpty() ? c : path + "/" + c)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Datasets directly in a {@code vars} group, in numeric order. */
  List<Map.Entry<String, Entry>> vars(String varsPath) {
    List<Map.Entry<String, Entry>> out = new ArrayList<>();
    String prefix = varsPath + "/";
    for (Map.Entry<String, Entry> e : datasets.entrySet()) {
      String k = e.getKey();
      if (k.startsWith(prefix) && k.indexOf('/', prefix.length()) < 0) {
        out.add(e);
      }
    }
    out.sort(
        (a, b) ->
            compareNumeric(
                a.getKey().substring(prefix.length()), b.getKey().substring(prefix.length())));
    return out;
  }

  private static int compareNumeric(String a, String b) {
    try {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    } catch (NumberFormatException e) {
      return a.compareTo(b);
    }
  }

  /** All dataset paths. */
  java.util.Set<String> datasetPaths() {
    return datasets.keySet();
  }

  /** All group paths with the {@code name} attribute Keras 3.12+ writes ("" where none). */
  Map<String, String> allGroups() {
    Map<String, String> out = new TreeMap<>();
    for (String g : groups.keySet()) {
      if (!g.isEmpty()) {
        out.put(g, groupNames.getOrDefault(g, ""));
      }
    }
    if (groupNames.containsKey("")) {
      out.put("", groupNames.get(""));
    }
    return out;
  }

  static AttrValue nameAttr(String name) {
    return AttrValue.Str.vlenUtf8(name);
  }
}
