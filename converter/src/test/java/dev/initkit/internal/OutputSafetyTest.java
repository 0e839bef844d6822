package dev.initkit.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An output is never an input, never contains one and never lies inside one. */
class OutputSafetyTest {
  @TempDir Path tmp;

  @Test
  void samePathIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("m.h5"), "x");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> OutputSafety.check(file, tmp.resolve("./m.h5")));
    assertTrue(e.getMessage().contains("is the input"), e.getMessage());
  }

  @Test
  void symbolicLinkToInputIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("m.h5"), "x");
    Path link;
    try {
      link = Files.createSymbolicLink(tmp.resolve("link.h5"), file);
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "no symbolic links here");
      return;
    }
    assertThrows(IllegalArgumentException.class, () -> OutputSafety.check(file, link));
  }

  @Test
  void hardLinkToInputIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("m.h5"), "x");
    Path link;
    try {
      link = Files.createLink(tmp.resolve("hard.h5"), file);
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "no hard links here");
      return;
    }
    assertThrows(IllegalArgumentException.class, () -> OutputSafety.check(file, link));
  }

  @Test
  void outputDirectoryHoldingTheInputIsRefused() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("sm"));
    Path input = Files.writeString(dir.resolve("m.h5"), "x");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OutputSafety.check(input, dir));
    assertTrue(e.getMessage().contains("would delete the input"), e.getMessage());
  }

  @Test
  void differentOrNewOutputIsFine() throws IOException {
    Path input = Files.writeString(tmp.resolve("m.h5"), "x");
    Path other = Files.writeString(tmp.resolve("other.h5"), "x");
    OutputSafety.check(input, other);
    OutputSafety.check(input, tmp.resolve("new.keras"));
    assertTrue(Files.exists(input));
    assertEquals("x", Files.readString(other, UTF_8));
  }

  /**
   * Issue 18: a file written inside an unzipped input (KDIR/model.weights.h5) changed the input.
   */
  @Test
  void outputInsideAnInputDirectoryIsRefused() throws IOException {
    Path kdir = Files.createDirectory(tmp.resolve("kdir"));
    Files.writeString(kdir.resolve("model.weights.h5"), "x");
    for (Path out :
        List.of(
            kdir.resolve("model.weights.h5"),
            kdir.resolve("new.h5"),
            kdir.resolve("sub/deeper.h5"),
            tmp.resolve("./kdir/../kdir/new.h5"))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> OutputSafety.check(kdir, out));
      assertTrue(e.getMessage().contains("inside the input"), e.getMessage());
    }
    // through a symbolic link to the input directory
    Path link = Files.createSymbolicLink(tmp.resolve("alias"), kdir);
    assertThrows(
        IllegalArgumentException.class, () -> OutputSafety.check(kdir, link.resolve("new.h5")));
    // beside it is fine
    OutputSafety.check(List.of(kdir), tmp.resolve("kdir.h5"));
  }

  /** The HTML report of a model written over the model itself. */
  @Test
  void everyInputCounts() throws IOException {
    Path model = Files.writeString(tmp.resolve("m.h5"), "x");
    Path config = Files.writeString(tmp.resolve("m.json"), "{}");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputSafety.check(List.of(model, config), tmp.resolve("m.json")));
    assertTrue(e.getMessage().contains("is the input"), e.getMessage());
  }
}
