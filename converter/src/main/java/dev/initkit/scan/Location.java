package dev.initkit.scan;

import java.util.Objects;

/**
 * Where a finding is.
 *
 * @param file the scanned path, as given or found by the walk
 * @param member inside the file: a zip member ({@code config.json}), an HDF5 object path ({@code
 *     /model_weights/d1/leak}), or an archive member and its HDF5 path; "" for the file itself
 * @param layerPath the layer, as the names of the enclosing layers from the top model joined by
 *     {@code /} ({@code inner/td/lambda}); in a SavedModel's graph, the function and node ({@code
 *     __inference_serve_8/WriteFile}); "" when the finding is not about a layer
 */
public record Location(String file, String member, String layerPath) {
  /** Checks that no part is null. */
  public Location {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(layerPath, "layerPath");
  }

  /** This location with another member. */
  public Location withMember(String m) {
    return new Location(file, m, layerPath);
  }

  /** This location at a layer. */
  public Location atLayer(String path) {
    return new Location(file, member, path);
  }

  /** {@code file[!member][:layerPath]}, for tables. */
  @Override
  public String toString() {
    return file
        + (member.isEmpty() ? "" : "!" + member)
        + (layerPath.isEmpty() ? "" : ":" + layerPath);
  }
}
