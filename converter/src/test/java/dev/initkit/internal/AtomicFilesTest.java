package dev.initkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.Hint;
import dev.initkit.OutputExistsException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path tmp;

  private List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  // ---------------------------------------------------------------------------------------------
  // files

  @Test
  void writesNewFile() throws IOException {
    Path target = tmp.resolve("out.h5");
    AtomicReference<Path> seen = new AtomicReference<>();
    AtomicFiles.write(
        target,
        false,
        temp -> {
          seen.set(temp);
          assertEquals(tmp, temp.getParent(), "temporary beside the target");
          assertTrue(AtomicFiles.isTempName(temp.getFileName().toString()), temp.toString());
          assertTrue(temp.getFileName().toString().startsWith(".out.h5.initkit-"));
          assertFalse(Files.exists(target), "target appears only at the end");
          Files.writeString(temp, "model");
        });
    assertEquals("model", Files.readString(target));
    assertFalse(Files.exists(seen.get()));
    assertEquals(List.of("out.h5"), names(tmp));
  }

  @Test
  void writerMayRecreateTheFile() throws IOException {
    Path target = tmp.resolve("out.h5");
    AtomicFiles.write(
        target,
        false,
        temp -> {
          // like H5Fcreate with H5F_ACC_TRUNC: remove and create anew
          Files.delete(temp);
          Files.writeString(temp, "fresh");
        });
    assertEquals("fresh", Files.readString(target));
  }

  /**
   * A large output is forced to disk while it is written (SyncAhead); the forcing thread runs
   * during the writer, survives the writer recreating its file, and is gone when write returns.
   */
  @Test
  void largeOutputIsForcedAheadByAThreadThatEndsWithTheWrite() throws Exception {
    Path target = tmp.resolve("big.bin");
    byte[] block = new byte[1 << 20];
    for (int i = 0; i < block.length; i++) {
      block[i] = (byte) (i * 31);
    }
    AtomicReference<Boolean> aheadSeen = new AtomicReference<>(false);
    AtomicFiles.write(
        target,
        false,
        temp -> {
          Files.delete(temp); // the writer may recreate its file (HDF5 does)
          try (var out = Files.newOutputStream(temp)) {
            for (int mib = 0; mib < 160; mib++) {
              out.write(block);
              if (mib % 16 == 0) {
                aheadSeen.compareAndSet(false, syncAheadThreadAlive());
                sleep(20);
              }
            }
          }
        });
    assertTrue(aheadSeen.get(), "no sync-ahead thread while writing");
    assertFalse(syncAheadThreadAlive(), "the sync-ahead thread outlived the write");
    assertEquals(160L << 20, Files.size(target));
    try (var in = Files.newInputStream(target)) {
      byte[] got = in.readNBytes(block.length);
      assertTrue(java.util.Arrays.equals(block, got));
    }
  }

  private static boolean syncAheadThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().equals("initkit-sync-ahead"));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void writerFailureLeavesNewTargetAbsentAndNoTemporary() throws IOException {
    Path target = tmp.resolve("out.h5");
    IOException boom = new IOException("disk full");
    IOException thrown =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.write(
                    target,
                    false,
                    temp -> {
                      Files.writeString(temp, "half");
                      throw boom;
                    }));
    assertSame(boom, thrown);
    assertEquals(List.of(), names(tmp));
  }

  @Test
  void writerFailureLeavesExistingTargetUntouched() throws IOException {
    Path target = Files.writeString(tmp.resolve("out.h5"), "old");
    RuntimeException boom = new IllegalStateException("bug");
    assertSame(
        boom,
        assertThrows(
            IllegalStateException.class,
            () ->
                AtomicFiles.write(
                    target,
                    true,
                    temp -> {
                      Files.writeString(temp, "new");
                      throw boom;
                    })));
    assertEquals("old", Files.readString(target));
    assertEquals(List.of("out.h5"), names(tmp));
  }

  @Test
  void existingTargetRefusedWithoutOverwrite() throws IOException {
    Path target = Files.writeString(tmp.resolve("out.h5"), "old");
    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class,
            () -> AtomicFiles.write(target, false, temp -> Files.writeString(temp, "new")));
    assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
    assertTrue(
        e.getMessage().contains("use WriteOptions.overwrite to overwrite it"), e.getMessage());
    assertFalse(e.getMessage().contains("--force"), e.getMessage());
    assertEquals(OutputExistsException.Reason.OVERWRITE_OFF, ((OutputExistsException) e).reason());
    assertEquals(List.of(Hint.OVERWRITE), ((OutputExistsException) e).hints());
    assertEquals("old", Files.readString(target));
    assertEquals(List.of("out.h5"), names(tmp));
  }

  @Test
  void targetAppearingWhileWritingIsNotClobbered() throws IOException {
    Path target = tmp.resolve("out.h5");
    assertThrows(
        FileAlreadyExistsException.class,
        () ->
            AtomicFiles.write(
                target,
                false,
                temp -> {
                  Files.writeString(target, "someone else's");
                  Files.writeString(temp, "mine");
                }));
    assertEquals("someone else's", Files.readString(target));
    assertEquals(List.of("out.h5"), names(tmp));
  }

  @Test
  void overwriteReplacesAndKeepsPermissions() throws IOException {
    Path target = Files.writeString(tmp.resolve("out.h5"), "old");
    if (posix()) {
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
    }
    AtomicFiles.write(target, true, temp -> Files.writeString(temp, "new"));
    assertEquals("new", Files.readString(target));
    if (posix()) {
      assertEquals(
          PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(target));
    }
    assertEquals(List.of("out.h5"), names(tmp));
  }

  @Test
  void newFileGetsDefaultPermissionsNotOwnerOnly() throws IOException {
    assumeTrue(posix());
    Path reference = Files.createFile(tmp.resolve("reference"));
    Path target = tmp.resolve("out.h5");
    AtomicFiles.write(target, false, temp -> Files.writeString(temp, "x"));
    Set<PosixFilePermission> expected = Files.getPosixFilePermissions(reference);
    assertEquals(expected, Files.getPosixFilePermissions(target));
  }

  @Test
  void missingDirectoryNamesTheOutput() {
    Path target = tmp.resolve("no/such/dir/out.h5");
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () -> AtomicFiles.write(target, false, temp -> Files.writeString(temp, "x")));
    assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void targetThatIsADirectoryIsRefused() throws IOException {
    Path target = Files.createDirectory(tmp.resolve("out.h5"));
    assertThrows(
        FileAlreadyExistsException.class,
        () -> AtomicFiles.write(target, true, temp -> Files.writeString(temp, "x")));
    assertTrue(Files.isDirectory(target));
  }

  @Test
  void writerThatLeavesNoFileFails() throws IOException {
    Path target = tmp.resolve("out.h5");
    assertThrows(IOException.class, () -> AtomicFiles.write(target, false, Files::delete));
    assertEquals(List.of(), names(tmp));
  }

  @Test
  void unwritableDirectoryNamesTheOutput() throws IOException {
    assumeTrue(posix());
    Path dir = Files.createDirectory(tmp.resolve("ro"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(Files.isWritable(dir), "running as a user that writes anywhere (root)");
      Path target = dir.resolve("out.h5");
      AccessDeniedException e =
          assertThrows(
              AccessDeniedException.class,
              () -> AtomicFiles.write(target, false, temp -> Files.writeString(temp, "x")));
      assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void tempNamePattern() {
    assertTrue(AtomicFiles.isTempName(".model.h5.initkit-0123456789abcdef.tmp"));
    assertTrue(AtomicFiles.isTempName(".sm.initkit-0123456789abcdef.old"));
    assertFalse(AtomicFiles.isTempName("model.h5"));
    assertFalse(AtomicFiles.isTempName(".model.h5.initkit-xyz.tmp"));
  }

  @Test
  void longTargetNameStillFits() throws IOException {
    Path target = tmp.resolve("m".repeat(240) + ".h5");
    AtomicFiles.write(
        target,
        false,
        temp -> {
          assertTrue(temp.getFileName().toString().length() < 100);
          assertTrue(AtomicFiles.isTempName(temp.getFileName().toString()));
          Files.writeString(temp, "x");
        });
    assertEquals("x", Files.readString(target));
  }

  // ---------------------------------------------------------------------------------------------
  // directories

  private static void fillSavedModel(Path dir, String marker) throws IOException {
    Files.writeString(dir.resolve("saved_model.pb"), marker);
    Path variables = Files.createDirectory(dir.resolve("variables"));
    Files.writeString(variables.resolve("variables.index"), marker);
  }

  @Test
  void writesNewDirectory() throws IOException {
    Path target = tmp.resolve("sm");
    AtomicFiles.writeDirectory(
        target,
        false,
        temp -> {
          assertTrue(Files.isDirectory(temp));
          assertEquals(tmp, temp.getParent());
          assertTrue(AtomicFiles.isTempName(temp.getFileName().toString()));
          fillSavedModel(temp, "new");
        });
    assertEquals("new", Files.readString(target.resolve("saved_model.pb")));
    assertEquals("new", Files.readString(target.resolve("variables/variables.index")));
    assertEquals(List.of("sm"), names(tmp));
  }

  @Test
  void existingDirectoryRefusedWithoutOverwrite() throws IOException {
    Path target = Files.createDirectory(tmp.resolve("sm"));
    fillSavedModel(target, "old");
    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class,
            () -> AtomicFiles.writeDirectory(target, false, temp -> fillSavedModel(temp, "new")));
    assertTrue(e.getMessage().contains("WriteOptions.overwrite"), e.getMessage());
    assertEquals(OutputExistsException.Reason.OVERWRITE_OFF, ((OutputExistsException) e).reason());
    assertEquals("old", Files.readString(target.resolve("saved_model.pb")));
    assertEquals(List.of("sm"), names(tmp));
  }

  @Test
  void overwriteReplacesDirectoryAndRemovesOldContent() throws IOException {
    Path target = Files.createDirectory(tmp.resolve("sm"));
    fillSavedModel(target, "old");
    Path stale =
        Files.writeString(target.resolve("variables/variables.data-00000-of-00001"), "stale");
    AtomicFiles.writeDirectory(target, true, temp -> fillSavedModel(temp, "new"));
    assertEquals("new", Files.readString(target.resolve("saved_model.pb")));
    assertFalse(Files.exists(stale));
    assertEquals(List.of("sm"), names(tmp));
  }

  /** --force never deletes a tree that is not a model directory, nor a file inside one. */
  @Test
  void overwriteRefusesAForeignDirectoryTree() throws IOException {
    Path victim = Files.createDirectories(tmp.resolve("victim/sub/deeper"));
    Files.writeString(victim.resolve("thesis.tex"), "years of work");
    Path target = tmp.resolve("victim");
    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class,
            () -> AtomicFiles.writeDirectory(target, true, temp -> fillSavedModel(temp, "new")));
    assertTrue(
        e.getMessage().contains("victim") && e.getMessage().contains("will not delete"),
        e.getMessage());
    assertEquals(
        OutputExistsException.Reason.FOREIGN_DIRECTORY, ((OutputExistsException) e).reason());
    assertEquals("years of work", Files.readString(victim.resolve("thesis.tex")));
    // a SavedModel with a foreign file beside it is not a SavedModel any more
    Path sm = Files.createDirectory(tmp.resolve("sm"));
    fillSavedModel(sm, "old");
    Files.writeString(sm.resolve("notes.txt"), "mine");
    assertThrows(
        FileAlreadyExistsException.class,
        () -> AtomicFiles.writeDirectory(sm, true, temp -> fillSavedModel(temp, "new")));
    assertEquals("mine", Files.readString(sm.resolve("notes.txt")));
    assertEquals(List.of("sm", "victim"), names(tmp));
  }

  /** --force replaces only regular files: a FIFO (like a device or a socket) stays. */
  @Test
  void overwriteRefusesSpecialFiles() throws Exception {
    Path fifo = tmp.resolve("fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertTrue(
        p.waitFor() == 0 && Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS), "mkfifo");
    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class,
            () -> AtomicFiles.write(fifo, true, temp -> Files.writeString(temp, "x")));
    assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    assertEquals(OutputExistsException.Reason.NOT_A_FILE, ((OutputExistsException) e).reason());
    assertThrows(
        FileAlreadyExistsException.class,
        () -> AtomicFiles.writeDirectory(fifo, true, temp -> fillSavedModel(temp, "new")));
    assertTrue(
        Files.readAttributes(
                fifo,
                java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)
            .isOther(),
        "the FIFO is still a FIFO");
    assertEquals(List.of("fifo"), names(tmp));
    // /dev/null is a character device: refused before anything is written beside it
    assertThrows(
        FileAlreadyExistsException.class, () -> AtomicFiles.checkReplaceable(Path.of("/dev/null")));
  }

  /** An unzipped .keras directory (sharded weights too) and an empty directory may be replaced. */
  @Test
  void overwriteReplacesAnUnzippedKerasDirectory() throws IOException {
    Path k = Files.createDirectory(tmp.resolve("k"));
    for (String n :
        List.of("config.json", "metadata.json", "model.weights.json", "model_00000.weights.h5")) {
      Files.writeString(k.resolve(n), "old");
    }
    AtomicFiles.checkReplaceable(k);
    AtomicFiles.checkReplaceable(Files.createDirectory(tmp.resolve("empty")));
    AtomicFiles.writeDirectory(k, true, temp -> fillSavedModel(temp, "new"));
    assertEquals("new", Files.readString(k.resolve("saved_model.pb")));
    assertFalse(Files.exists(k.resolve("config.json")));
  }

  @Test
  void overwriteReplacesAFileWithADirectory() throws IOException {
    Path target = Files.writeString(tmp.resolve("m"), "a file");
    AtomicFiles.writeDirectory(target, true, temp -> fillSavedModel(temp, "new"));
    assertTrue(Files.isDirectory(target));
    assertEquals(List.of("m"), names(tmp));
  }

  @Test
  void directoryWriterFailureLeavesTargetUntouched() throws IOException {
    Path target = Files.createDirectory(tmp.resolve("sm"));
    fillSavedModel(target, "old");
    IOException boom = new IOException("out of space");
    assertSame(
        boom,
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.writeDirectory(
                    target,
                    true,
                    temp -> {
                      fillSavedModel(temp, "half");
                      throw boom;
                    })));
    assertEquals("old", Files.readString(target.resolve("saved_model.pb")));
    assertEquals(List.of("sm"), names(tmp));
  }

  @Test
  void directoryWriterFailureForNewTargetLeavesNothing() throws IOException {
    Path target = tmp.resolve("sm");
    assertThrows(
        IOException.class,
        () ->
            AtomicFiles.writeDirectory(
                target,
                false,
                temp -> {
                  fillSavedModel(temp, "half");
                  throw new IOException("nope");
                }));
    assertEquals(List.of(), names(tmp));
  }

  @Test
  void directoryInMissingParent() {
    Path target = tmp.resolve("missing/sm");
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () -> AtomicFiles.writeDirectory(target, false, temp -> fillSavedModel(temp, "x")));
    assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
  }
}
