package dev.initkit.scan;

import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import java.util.List;

/**
 * The HDF5 structure rules: every link is looked at (never followed), every dataset's storage read
 * from its creation properties and its declared size held against the file ({@link
 * H5Dataset#checkStorage}). Only metadata is read; no dataset's values.
 */
final class H5Rules {
  /** Objects looked at in one file at most: a Keras file holds a few thousand. */
  static final int MAX_OBJECTS = 200_000;

  /** Group nesting followed at most (hard links can form cycles). */
  static final int MAX_DEPTH = 64;

  private final Location base;
  private final List<Finding> out;
  private int objects;

  private H5Rules(Location base, List<Finding> out) {
    this.base = base;
    this.out = out;
  }

  /**
   * Walks the file from its root group.
   *
   * @param prefix put before each object path in locations ("" for a plain file, {@code
   *     model.weights.h5:} for an archive member)
   */
  static void check(H5File f, String prefix, Location base, List<Finding> out) throws H5Exception {
    new H5Rules(base, out).visit(f.root(), prefix, "/", 0);
  }

  private void visit(H5Group g, String prefix, String path, int depth) throws H5Exception {
    for (String name : g.childNames()) {
      if (++objects > MAX_OBJECTS) {
        return;
      }
      String child = path.endsWith("/") ? path + name : path + "/" + name;
      Location at = base.withMember(prefix + child);
      H5Group.LinkType t = g.linkType(name);
      if (t == H5Group.LinkType.EXTERNAL || t == H5Group.LinkType.USER_DEFINED) {
        out.add(
            Rules.H5_EXTERNAL_LINK.at(
                at,
                (t == H5Group.LinkType.EXTERNAL ? "external" : "user-defined")
                    + " link: HDF5 opens another file when a reader follows it"));
        continue;
      }
      if (t != H5Group.LinkType.HARD) {
        continue; // a soft link names an object of this file, seen where it is
      }
      switch (g.kind(name)) {
        case GROUP:
          if (depth < MAX_DEPTH) {
            try (H5Group sub = g.openGroup(name)) {
              visit(sub, prefix, child, depth + 1);
            }
          }
          break;
        case DATASET:
          try (H5Dataset d = g.openDataset(name)) {
            dataset(d, at);
          }
          break;
        default:
          break;
      }
    }
  }

  private void dataset(H5Dataset d, Location at) throws H5Exception {
    switch (d.storage()) {
      case EXTERNAL_FILES:
        out.add(
            Rules.H5_EXTERNAL_STORAGE.at(
                at,
                "dataset keeps its raw data in external files, read from the host when loaded"));
        return;
      case VIRTUAL:
        out.add(
            Rules.H5_VIRTUAL_DATASET.at(
                at, "virtual dataset: its values are mapped from datasets in other files"));
        return;
      default:
        break;
    }
    try {
      d.checkStorage();
    } catch (H5Exception e) {
      out.add(Rules.SHAPE_BOMB.at(at, e.getMessage()));
    }
  }
}
