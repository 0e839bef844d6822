package dev.initkit.internal;

import dev.initkit.Hint;
import dev.initkit.OutputExistsException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * Writes outputs so that a reader never sees a half-written file: build a sibling temporary, force
 * it to disk, then rename it over the target.
 *
 * <p>Temporary names are {@code .<target name>.initkit-<16 hex digits>.tmp} (the file or directory
 * being built) and {@code .<target name>.initkit-<16 hex digits>.old} (a directory being replaced),
 * in the target's own directory; {@link #TEMP_NAME} matches both. They are removed on every failure
 * this process sees; only a killed process leaves one behind, and a later cleanup can find it by
 * that pattern. Long target names are cut to keep the temporary name within file system limits.
 *
 * <p>A symbolic link at the target is replaced by the new file, not followed.
 */
public final class AtomicFiles {
  /** Matches the names of this class's temporaries: {@code .<name>.initkit-<hex>.tmp|old}. */
  public static final Pattern TEMP_NAME =
      Pattern.compile("^\\..*\\.initkit-[0-9a-f]{16}\\.(tmp|old)$");

  // keeps ".<name>.initkit-<16 hex>.tmp" under the usual 255-byte name limit even in UTF-8
  private static final int MAX_NAME_CHARS = 60;
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Temporaries created and not yet renamed or deleted. When the process is stopped (Ctrl-C,
   * SIGTERM) while writing, a shutdown hook deletes them: the target stays untouched and nothing is
   * left beside it. A path renamed away meanwhile is simply gone.
   */
  private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

  private static final AtomicBoolean HOOK = new AtomicBoolean();

  private AtomicFiles() {}

  /**
   * An I/O action on a value, for writers that fill a path.
   *
   * @param <T> what it consumes
   */
  @FunctionalInterface
  public interface IoConsumer<T> {
    /** Performs the action. */
    void accept(T value) throws IOException;
  }

  /** True if {@code name} is one of this class's temporaries ({@link #TEMP_NAME}). */
  public static boolean isTempName(String name) {
    return TEMP_NAME.matcher(name).matches();
  }

  /**
   * Writes a file atomically: {@code writer} fills a temporary file beside {@code target} (given by
   * path, because the HDF5 library opens files by name), which is then forced to disk and renamed
   * over the target.
   *
   * <p>The temporary exists, empty, when {@code writer} runs; the writer may truncate or recreate
   * it. When overwriting, the new file takes the old one's POSIX permissions; otherwise it gets the
   * process default (umask), as any new file would. Without {@code overwrite}, the no-clobber check
   * is atomic where hard links work (a link cannot replace an existing name) and a check-then-move
   * elsewhere.
   *
   * @param target the file to create or replace
   * @param overwrite whether an existing target may be replaced
   * @param writer fills the temporary file
   * @throws FileAlreadyExistsException if the target exists and {@code overwrite} is false, or the
   *     target is a directory
   * @throws NoSuchFileException if the target's directory does not exist
   * @throws AccessDeniedException if the target's directory is not writable
   * @throws IOException whatever {@code writer} throws, or another I/O error; the target is then
   *     untouched and the temporary gone
   */
  public static void write(Path target, boolean overwrite, IoConsumer<Path> writer)
      throws IOException {
    Objects.requireNonNull(writer, "writer");
    Path dir = parentOf(target);
    if (Files.isDirectory(target)) {
      throw new FileAlreadyExistsException(
          target.toString(), null, "is a directory; will not replace it with a file");
    }
    boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
    if (exists && !overwrite) {
      throw alreadyExists(target);
    }
    if (exists) {
      checkReplaceable(target);
    }
    Path temp = createTemp(target, dir, false);
    try {
      if (exists) {
        copyPermissions(target, temp);
      }
      try (SyncAhead ahead = SyncAhead.start(temp)) {
        writer.accept(temp);
      } catch (IOException e) {
        throw diskFullOr(e, target, dir);
      }
      if (!Files.isRegularFile(temp, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(target + ": the writer left no file at " + temp);
      }
      force(temp, true);
      if (overwrite) {
        moveReplacing(temp, target);
      } else {
        moveNoClobber(temp, target);
      }
      forceDirectory(dir);
    } finally {
      deleteQuietly(temp);
      PENDING.remove(temp);
    }
  }

  /**
   * Writes a directory (a SavedModel, an unzipped {@code .keras} archive): {@code writer} fills a
   * new sibling temporary directory, whose files are forced to disk before it is renamed to the
   * target.
   *
   * <p>Replacing an existing target (with {@code overwrite}) takes two renames, and is not atomic:
   * the old directory is first renamed away to {@code .<name>.initkit-<hex>.old}, the new one
   * renamed in, then the old one deleted. Between the two renames the target path does not exist;
   * if the second rename fails the old directory is renamed back. If the process dies in that
   * window the old content survives under the {@code .old} name.
   *
   * @param targetDir the directory to create or replace
   * @param overwrite whether an existing target (directory or file) may be replaced
   * @param writer fills the temporary directory
   * @throws FileAlreadyExistsException if the target exists and {@code overwrite} is false
   * @throws NoSuchFileException if the target's parent directory does not exist
   * @throws AccessDeniedException if the target's parent directory is not writable
   * @throws IOException whatever {@code writer} throws, or another I/O error; the target is then
   *     untouched and the temporary directory gone
   */
  public static void writeDirectory(Path targetDir, boolean overwrite, IoConsumer<Path> writer)
      throws IOException {
    Objects.requireNonNull(writer, "writer");
    Path dir = parentOf(targetDir);
    boolean exists = Files.exists(targetDir, LinkOption.NOFOLLOW_LINKS);
    if (exists && !overwrite) {
      throw alreadyExists(targetDir);
    }
    if (exists) {
      checkReplaceable(targetDir);
    }
    Path temp = createTemp(targetDir, dir, true);
    try {
      try {
        writer.accept(temp);
      } catch (IOException e) {
        throw diskFullOr(e, targetDir, dir);
      }
      forceTree(temp);
      if (Files.exists(targetDir, LinkOption.NOFOLLOW_LINKS)) {
        if (!overwrite) {
          throw alreadyExists(targetDir);
        }
        checkReplaceable(targetDir); // what appeared meanwhile must pass the same rule
        replaceDirectory(temp, targetDir, dir);
      } else {
        // renaming a directory onto a path that appeared meanwhile fails rather than merges
        moveAtomicallyIfPossible(temp, targetDir, false);
      }
      forceDirectory(dir);
    } finally {
      deleteTreeQuietly(temp);
      PENDING.remove(temp);
    }
  }

  /** Top-level names of a SavedModel directory (TensorFlow's and Keras's writers). */
  private static final Set<String> SAVED_MODEL_NAMES =
      Set.of(
          "saved_model.pb",
          "saved_model.pbtxt",
          "keras_metadata.pb",
          "fingerprint.pb",
          "variables",
          "assets",
          "assets.extra");

  /** Top-level names of an unzipped Keras 3 archive. */
  private static final Set<String> UNZIPPED_KERAS_NAMES =
      Set.of("config.json", "metadata.json", "model.weights.h5", "model.weights.json", "assets");

  /**
   * What overwriting ({@code WriteOptions.overwrite}) may replace: a regular file or a link (the
   * link itself is replaced, never what it points to), an empty directory, or a directory with
   * exactly a model directory's layout (a SavedModel: {@code saved_model.pb} with its {@code
   * variables}, {@code assets} ...; an unzipped {@code .keras}: {@code config.json}, {@code
   * metadata.json}, weights). Never a device, FIFO or socket, and never a foreign tree, whose files
   * would be deleted.
   *
   * @throws OutputExistsException naming the target and why it is not replaced
   */
  public static void checkReplaceable(Path target) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException gone) {
      return;
    }
    if (a.isRegularFile() || a.isSymbolicLink()) {
      return;
    }
    if (!a.isDirectory()) {
      throw new OutputExistsException(
          target.toString(),
          OutputExistsException.Reason.NOT_A_FILE,
          "is not a regular file (a device, FIFO or socket): initkit replaces only files and model directories it can recognise, even with "
              + Hint.OVERWRITE.apiName());
    }
    List<String> names = new ArrayList<>();
    try (var entries = Files.list(target)) {
      entries.forEach(e -> names.add(e.getFileName().toString()));
    }
    if (names.isEmpty() || isModelDirectory(target, names)) {
      return;
    }
    throw new OutputExistsException(
        target.toString(),
        OutputExistsException.Reason.FOREIGN_DIRECTORY,
        "is a directory that is not a SavedModel or an unzipped .keras archive: initkit will not delete it, even with "
            + Hint.OVERWRITE.apiName()
            + "; write to another path");
  }

  private static boolean isModelDirectory(Path dir, List<String> names) throws IOException {
    if ((names.contains("saved_model.pb") || names.contains("saved_model.pbtxt"))
        && SAVED_MODEL_NAMES.containsAll(names)) {
      Path variables = dir.resolve("variables");
      if (!Files.exists(variables, LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
      if (!Files.isDirectory(variables, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      try (var entries = Files.list(variables)) {
        return entries.allMatch(
            e ->
                e.getFileName().toString().startsWith("variables.")
                    && Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS));
      }
    }
    if (names.contains("config.json") && names.contains("metadata.json")) {
      for (String n : names) {
        // sharded weights: model.weights.json and its model_00000.weights.h5 shards
        if (!UNZIPPED_KERAS_NAMES.contains(n) && !n.endsWith(".weights.h5")) {
          return false;
        }
        if (!n.equals("assets")
            && !Files.isRegularFile(dir.resolve(n), LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * Creates an empty scratch file beside {@code target} (for a writer that needs one more file,
   * e.g. the weights of an archive before they are zipped), named like this class's temporaries so
   * that one left by a killed process is found by {@link #TEMP_NAME}. The caller deletes it with
   * {@link #deleteTemp}; a process stopped before that deletes it on its way out.
   */
  public static Path createTempSibling(Path target) throws IOException {
    Path dir = parentOf(target);
    return createTemp(target, dir, false);
  }

  /** Deletes a scratch file from {@link #createTempSibling}. */
  public static void deleteTemp(Path temp) throws IOException {
    try {
      Files.deleteIfExists(temp);
    } finally {
      PENDING.remove(temp);
    }
  }

  /** Free space below which a failed write is reported as a full disk. */
  static final long FULL_DISK_BYTES = 1L << 20;

  /**
   * A writer's failure on a full file system, whatever layer noticed it (HDF5 reports a failed
   * write as its own error, not as an I/O error), becomes one clear I/O error; others pass.
   */
  private static IOException diskFullOr(IOException e, Path target, Path dir) {
    if (e instanceof FileSystemException) {
      return e;
    }
    if (String.valueOf(e.getMessage()).contains("File too large")) {
      FileSystemException big =
          new FileSystemException(
              target.toString(),
              null,
              "the file size limit was reached (ulimit -f, or the file system's largest file); nothing was written");
      big.initCause(e);
      return big;
    }
    long free;
    try {
      free = Files.getFileStore(dir).getUsableSpace();
    } catch (IOException | RuntimeException ignored) {
      return e;
    }
    if (free >= FULL_DISK_BYTES && !String.valueOf(e.getMessage()).contains("No space left")) {
      return e;
    }
    FileSystemException full =
        new FileSystemException(
            target.toString(),
            null,
            "no space left on the device holding " + dir + "; nothing was written");
    full.initCause(e);
    return full;
  }

  // ---------------------------------------------------------------------------------------------

  private static Path parentOf(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null) {
      throw new FileSystemException(target.toString(), null, "cannot write to a file system root");
    }
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(
          target.toString(), null, "output directory " + dir + " does not exist");
    }
    return dir;
  }

  private static FileAlreadyExistsException alreadyExists(Path target) {
    return new OutputExistsException(
        target.toString(),
        OutputExistsException.Reason.OVERWRITE_OFF,
        "already exists; use " + Hint.OVERWRITE.apiName() + " to overwrite it");
  }

  /** Creates the temporary with default permissions (unlike createTempFile's owner-only ones). */
  private static Path createTemp(Path target, Path dir, boolean directory) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path temp = dir.resolve(tempName(target, "tmp"));
      try {
        Path created = directory ? Files.createDirectory(temp) : Files.createFile(temp);
        pending(created);
        return created;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      } catch (AccessDeniedException e) {
        throw withTarget(
            new AccessDeniedException(
                target.toString(), null, "cannot create files in " + dir + " (permission denied)"),
            e);
      } catch (NoSuchFileException e) {
        throw withTarget(
            new NoSuchFileException(
                target.toString(), null, "output directory " + dir + " does not exist"),
            e);
      } catch (FileSystemException e) {
        throw withTarget(
            new FileSystemException(
                target.toString(), null, "cannot create files in " + dir + ": " + e.getReason()),
            e);
      }
    }
  }

  private static <E extends IOException> E withTarget(E error, IOException cause) {
    error.initCause(cause);
    return error;
  }

  private static String tempName(Path target, String suffix) {
    String name = target.getFileName().toString();
    if (name.length() > MAX_NAME_CHARS) {
      name = name.substring(0, MAX_NAME_CHARS);
    }
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    return "." + name + ".initkit-" + HexFormat.of().formatHex(random) + "." + suffix;
  }

  private static void copyPermissions(Path from, Path to) {
    PosixFileAttributeView source = Files.getFileAttributeView(from, PosixFileAttributeView.class);
    PosixFileAttributeView dest = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (source == null || dest == null) {
      return;
    }
    try {
      dest.setPermissions(source.readAttributes().permissions());
    } catch (IOException | UnsupportedOperationException e) {
      // best effort: the default permissions are an acceptable outcome
    }
  }

  /** Renames over the target: atomic where supported, else a plain replacing move (Kafka style). */
  private static void moveReplacing(Path source, Path target) throws IOException {
    moveAtomicallyIfPossible(source, target, true);
  }

  private static void moveAtomicallyIfPossible(Path source, Path target, boolean replace)
      throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      if (replace) {
        Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.move(source, target);
      }
    }
  }

  /**
   * Moves without replacing. A hard link fails atomically if the target exists; where links are not
   * supported, fall back to a move after a fresh existence check.
   */
  private static void moveNoClobber(Path source, Path target) throws IOException {
    try {
      Files.createLink(target, source);
      Files.delete(source);
      return;
    } catch (FileAlreadyExistsException e) {
      throw alreadyExists(target);
    } catch (IOException | UnsupportedOperationException e) {
      // no hard links here (FAT, some network shares): check and rename instead
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw alreadyExists(target);
    }
    moveAtomicallyIfPossible(source, target, false);
  }

  private static void replaceDirectory(Path fresh, Path target, Path dir) throws IOException {
    Path old = dir.resolve(tempName(target, "old"));
    moveAtomicallyIfPossible(target, old, false);
    try {
      moveAtomicallyIfPossible(fresh, target, false);
    } catch (IOException e) {
      try {
        moveAtomicallyIfPossible(old, target, false);
      } catch (IOException restore) {
        e.addSuppressed(
            new IOException(
                "could not restore " + target + "; the old content is in " + old, restore));
      }
      throw e;
    }
    deleteTreeQuietly(old);
  }

  private static void force(Path file, boolean data) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.WRITE);
    } catch (AccessDeniedException e) {
      // a writer may leave its file read-only; fsync through a read handle works on POSIX
      ch = FileChannel.open(file, StandardOpenOption.READ);
    }
    try (FileChannel c = ch) {
      c.force(data);
    }
  }

  /** Forces every file below {@code root} to disk, then the directories (best effort). */
  private static void forceTree(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile()) {
              force(file, true);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            forceDirectory(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * Forces a directory's entries (a rename) to disk. Opening a directory works on Linux and macOS;
   * elsewhere (Windows) it fails, and there is nothing more to do, so failures are ignored.
   */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort, as in Kafka's Utils.flushDir
    }
  }

  /** The shutdown hook: deletes the temporaries of writes the process did not finish. */
  private static void pending(Path created) {
    PENDING.add(created);
    if (HOOK.compareAndSet(false, true)) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(AtomicFiles::deletePending, "initkit-temp-cleanup"));
    }
  }

  /**
   * A scratch directory in {@code java.io.tmpdir} (DL4J's copies of a model, a worker's request):
   * deleted by {@link #deleteScratch}, or on the way out when the process is stopped first, so that
   * no failed or interrupted run leaves one behind.
   */
  public static Path createScratchDirectory(String prefix) throws IOException {
    Path d = Files.createTempDirectory(prefix);
    pending(d);
    return d;
  }

  /** Deletes a scratch directory and all it holds; quietly, as its contents are initkit's own. */
  public static void deleteScratch(Path dir) {
    deleteTreeQuietly(dir);
    PENDING.remove(dir);
  }

  private static void deletePending() {
    for (Path p : PENDING) {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        deleteTreeQuietly(p);
      } else {
        deleteQuietly(p);
      }
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // the name pattern lets a later cleanup find it
    }
  }

  private static void deleteTreeQuietly(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // the name pattern lets a later cleanup find it
    }
  }
}
