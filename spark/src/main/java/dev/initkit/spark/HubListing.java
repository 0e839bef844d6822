package dev.initkit.spark;

import dev.initkit.scan.Scanner;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The models of a hub, listed on the driver through Hadoop's {@link FileSystem} API ({@code
 * hdfs://}, {@code s3a://}, {@code file:}) as {@link Scanner} walks a directory, or named by a
 * manifest. Shared by the three jobs.
 */
public final class HubListing {
  /** What a directory walk picks up, as {@link Scanner} does. */
  private static final List<String> MODEL_EXTENSIONS =
      List.of(".h5", ".hdf5", ".keras", ".json", ".safetensors");

  private HubListing() {}

  /**
   * One model of the hub.
   *
   * @param path its Hadoop path (a URI string)
   * @param relative its path from the root it was found under, {@code /}-separated and starting
   *     with the root's name ({@code hub/a/m.h5} for {@code m.h5} in {@code a} of the root {@code
   *     hub}; a root that is itself a model: its name), or from a manifest's directory for what the
   *     manifest names below it; a conversion keeps it under its output directory
   * @param explicit true when named by the user (not found by a walk): a {@code .json} that is not
   *     a Keras file is then an error row instead of being skipped, as in {@link Scanner}
   * @param skip why the walk did not take it (a symbolic link out of the tree), or null
   */
  public record Target(String path, String relative, boolean explicit, String skip)
      implements Serializable {
    private static final long serialVersionUID = 2L;

    /** A target to read. */
    public Target(String path, String relative, boolean explicit) {
      this(path, relative, explicit, null);
    }
  }

  /**
   * The models under {@code roots}, walked in name order as {@link Scanner} walks a directory:
   * model files by extension, SavedModel and unzipped {@code .keras} directories as one model each.
   * A root that is a file, a model directory or missing is a target of its own (a missing one
   * becomes an error row).
   */
  public static List<Target> list(Configuration conf, List<String> roots) throws IOException {
    return list(conf, roots, null);
  }

  /**
   * {@link #list(Configuration, List)}, with the relative paths of the roots below {@code base} (a
   * manifest's directory) taken from it: {@code models/a/x.h5} in a manifest is {@code
   * models/a/x.h5} under a conversion's output directory, not {@code x.h5}.
   *
   * @param base a directory, or null (then a root's relative path starts at its name)
   */
  public static List<Target> list(Configuration conf, List<String> roots, String base)
      throws IOException {
    List<Target> out = new ArrayList<>();
    for (String r : roots) {
      Path root = new Path(r);
      FileSystem fs = root.getFileSystem(conf);
      Path q = fs.makeQualified(root);
      String name = relative(base, q);
      FileStatus st;
      try {
        st = fs.getFileStatus(root);
      } catch (FileNotFoundException e) {
        out.add(new Target(root.toString(), name, true));
        continue;
      }
      if (!st.isDirectory() || isModelDirectory(fs.listStatus(root))) {
        out.add(new Target(q.toString(), name, true));
      } else {
        java.nio.file.Path realRoot =
            isLocal(fs) ? java.nio.file.Path.of(q.toUri()).toRealPath() : null;
        walk(fs, q, name.isEmpty() ? "" : name + "/", realRoot, out);
      }
    }
    return out;
  }

  /** {@code root} below {@code base}, or its name when it is not below it (or no base). */
  private static String relative(String base, Path root) {
    java.net.URI bu = base == null ? null : new Path(base).toUri();
    java.net.URI ru = root.toUri();
    if (bu != null
        && java.util.Objects.equals(bu.getScheme(), ru.getScheme())
        && java.util.Objects.equals(bu.getAuthority(), ru.getAuthority())) {
      String b = bu.getPath();
      String p = ru.getPath();
      String prefix = b.endsWith("/") ? b : b + "/";
      if (p.equals(b)) {
        return "";
      }
      if (p.startsWith(prefix)) {
        return p.substring(prefix.length());
      }
    }
    return root.getName();
  }

  /** Whether {@code fs} is the local disk, whose files are read in place. */
  static boolean isLocal(FileSystem fs) {
    return "file".equals(fs.getUri().getScheme());
  }

  /**
   * {@code realRoot}: the local root's real path, for symbolic links, which only a local file
   * system has and Hadoop's listing follows: they are treated as {@link Scanner} treats them (never
   * followed out of the tree, a link to a directory not walked), so a link loop cannot hang the
   * driver either.
   */
  private static void walk(
      FileSystem fs, Path dir, String prefix, java.nio.file.Path realRoot, List<Target> out)
      throws IOException {
    FileStatus[] entries = fs.listStatus(dir);
    Arrays.sort(entries, Comparator.comparing(s -> s.getPath().getName()));
    for (FileStatus s : entries) {
      String relative = prefix + s.getPath().getName();
      if (realRoot != null) {
        java.nio.file.Path local = java.nio.file.Path.of(s.getPath().toUri());
        if (Files.isSymbolicLink(local)) {
          link(s.getPath(), relative, local, realRoot, out);
          continue;
        }
      }
      if (s.isDirectory()) {
        FileStatus[] children = fs.listStatus(s.getPath());
        if (isModelDirectory(children)) {
          out.add(new Target(s.getPath().toString(), relative, false));
        } else {
          walk(fs, s.getPath(), relative + "/", realRoot, out);
        }
      } else if (s.isFile() && hasModelExtension(s.getPath().getName())) {
        out.add(new Target(s.getPath().toString(), relative, false));
      }
    }
  }

  private static void link(
      Path path,
      String relative,
      java.nio.file.Path local,
      java.nio.file.Path realRoot,
      List<Target> out) {
    java.nio.file.Path real;
    try {
      real = local.toRealPath();
    } catch (IOException e) {
      return; // dangling: nothing to read
    }
    if (!real.startsWith(realRoot)) {
      out.add(
          new Target(
              path.toString(),
              relative,
              false,
              "symbolic link to " + real + ", outside the tree: not followed"));
    } else if (Files.isRegularFile(real) && hasModelExtension(path.getName())) {
      out.add(new Target(path.toString(), relative, false));
    }
    // a link to a directory inside the tree is walked where the directory is
  }

  private static boolean hasModelExtension(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return MODEL_EXTENSIONS.stream().anyMatch(n::endsWith);
  }

  private static boolean isModelDirectory(FileStatus[] children) {
    Set<String> names = new HashSet<>();
    for (FileStatus c : children) {
      if (c.isFile()) {
        names.add(c.getPath().getName());
      }
    }
    return names.contains("saved_model.pb")
        || names.contains("saved_model.pbtxt")
        || (names.contains("config.json")
            && (names.contains("model.weights.h5") || names.contains("model.weights.npz")));
  }

  /** The directory of a manifest, from which its relative paths are taken (qualified). */
  public static String base(Configuration conf, String manifest) throws IOException {
    Path m = new Path(manifest);
    return m.getFileSystem(conf).makeQualified(m).getParent().toString();
  }

  /**
   * The roots a manifest names: a text file of one path per line (blank lines and lines starting
   * with {@code #} skipped), or a {@code .csv} whose first column is the path (a header {@code
   * path} skipped; paths with commas need the plain text form). A relative path is taken from the
   * manifest's directory.
   */
  public static List<String> manifest(Configuration conf, String manifest) throws IOException {
    Path m = new Path(manifest);
    FileSystem fs = m.getFileSystem(conf);
    Path base = fs.makeQualified(m).getParent();
    boolean csv = m.getName().toLowerCase(Locale.ROOT).endsWith(".csv");
    List<String> roots = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(fs.open(m), StandardCharsets.UTF_8))) {
      String line;
      boolean first = true;
      while ((line = in.readLine()) != null) {
        String p = line.strip();
        if (csv) {
          int comma = p.indexOf(',');
          p = (comma < 0 ? p : p.substring(0, comma)).strip();
          if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) {
            p = p.substring(1, p.length() - 1);
          }
        }
        boolean header = first && csv && p.equalsIgnoreCase("path");
        first = false;
        if (p.isEmpty() || p.startsWith("#") || header) {
          continue;
        }
        roots.add(new Path(base, p).toString());
      }
    }
    return roots;
  }
}
