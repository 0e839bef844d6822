package dev.initkit.spark;

import dev.initkit.ModelIO;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A model as a local path, which initkit's readers need (the HDF5 library opens files by name): a
 * {@code file:} path in place, anything else copied to a local temporary directory that {@link
 * #close()} deletes. One model at a time per task, so the disk used is bounded by the largest model
 * a task holds.
 */
final class LocalCopy implements AutoCloseable {
  /** The prefix of the temporary directories, for tests that check none is left behind. */
  static final String PREFIX = "initkit-spark";

  private final java.nio.file.Path path;
  private final java.nio.file.Path tmp;

  private LocalCopy(java.nio.file.Path path, java.nio.file.Path tmp) {
    this.path = path;
    this.tmp = tmp;
  }

  /**
   * The local form of {@code p} (a file or a model directory, copied whole).
   *
   * @throws java.io.FileNotFoundException when {@code p} does not exist
   */
  static LocalCopy of(Configuration conf, Path p) throws IOException {
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      throw new java.io.FileNotFoundException("no such file or directory: " + p);
    }
    if (HubListing.isLocal(fs)) {
      return new LocalCopy(java.nio.file.Path.of(fs.makeQualified(p).toUri()), null);
    }
    java.nio.file.Path tmp = scratch();
    try {
      java.nio.file.Path local = tmp.resolve(p.getName());
      // raw local destination: no .crc files beside the copy
      fs.copyToLocalFile(false, p, new Path(local.toUri()), true);
      Path companion = companion(fs, p);
      if (companion != null) {
        fs.copyToLocalFile(
            false, companion, new Path(tmp.resolve(companion.getName()).toUri()), true);
      }
      return new LocalCopy(local, tmp);
    } catch (IOException | RuntimeException e) {
      delete(tmp);
      throw e;
    }
  }

  /**
   * The architecture JSON beside a weights-only file that {@code ModelIO.open} reads with it
   * ({@code NAME.json} beside {@code NAME.h5}, {@code NAME.weights.h5}, {@code NAME.hdf5} or {@code
   * NAME.weights.json}), copied along so a copy reads as the original does; or null.
   */
  private static Path companion(FileSystem fs, Path p) throws IOException {
    for (String name : ModelIO.companionConfigNames(p.getName())) {
      Path c = new Path(p.getParent(), name);
      if (fs.isFile(c)) {
        return c;
      }
    }
    return null;
  }

  /** A new local temporary directory of this module's. */
  static java.nio.file.Path scratch() throws IOException {
    return Files.createTempDirectory(PREFIX);
  }

  /** The local path to read. */
  java.nio.file.Path path() {
    return path;
  }

  /** Whether {@link #path()} is a copy (then messages naming it are rewritten to the original). */
  boolean copied() {
    return tmp != null;
  }

  /**
   * {@code text} naming the original {@code shown} (and its directory) where it named the copy (and
   * the temporary directory, for a companion copied beside it).
   */
  String unlocalize(String text, String shown) {
    if (tmp == null) {
      return text;
    }
    String parent = new Path(shown).getParent().toString();
    return text.replace(path.toString(), shown).replace(tmp.toString(), parent);
  }

  @Override
  public void close() {
    if (tmp != null) {
      delete(tmp);
    }
  }

  /** Deletes a temporary directory of ours and all below it, best effort. */
  static void delete(java.nio.file.Path dir) {
    try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              q -> {
                try {
                  Files.deleteIfExists(q);
                } catch (IOException e) {
                  // best effort: the rest is still deleted; the directory is ours
                }
              });
    } catch (IOException e) {
      // nothing more to do: the task's result stands
    }
  }
}
