package dev.initkit.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Objects;

/**
 * The one rule every output obeys, whoever writes it: an output is never an input, never contains
 * one and never lies inside one, however either is spelled. Paths are compared by file identity
 * ({@link Files#isSameFile}: device and inode), so symbolic links, hard links, bind mounts, {@code
 * ..} and {@code .} all resolve to what they name.
 */
public final class OutputSafety {
  private OutputSafety() {}

  /**
   * Refuses {@code output} when writing it would change or delete one of {@code inputs}: the same
   * file, a directory that holds an input (replacing it deletes the input), or a path inside an
   * input directory (an unzipped archive, a SavedModel). Inputs that do not exist are ignored.
   *
   * @throws IllegalArgumentException naming the output, the input and the relation
   */
  public static void check(Collection<Path> inputs, Path output) {
    Objects.requireNonNull(output, "output");
    for (Path input : inputs) {
      if (input != null) {
        check(input, output);
      }
    }
  }

  /** {@link #check(Collection, Path)} for one input. */
  public static void check(Path input, Path output) {
    if (!Files.exists(input)) {
      return;
    }
    Path out = output.toAbsolutePath();
    // the output, or the nearest of its parents that exists, and every parent above: none is the
    // input
    for (Path p = out; p != null; p = p.getParent()) {
      if (!Files.exists(p) || !same(p, input)) {
        continue;
      }
      if (p.equals(out)) {
        throw new IllegalArgumentException(
            "output "
                + output
                + " is the input "
                + input
                + ": write to another path (the input is read while the output is written)");
      }
      throw new IllegalArgumentException(
          "output "
              + output
              + " lies inside the input "
              + input
              + ": writing it would change the input; write outside it");
    }
    if (Files.isDirectory(output)) {
      for (Path p = input.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
        if (same(p, output)) {
          throw new IllegalArgumentException(
              "output "
                  + output
                  + " contains the input "
                  + input
                  + ": replacing it would delete the input; write to another path");
        }
      }
    }
  }

  private static boolean same(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException e) {
      // unreadable: compare what the paths say after resolving what can be resolved
      return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
  }
}
