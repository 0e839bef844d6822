package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A library prints nothing: in a fresh JVM with the converter's own dependencies (no SLF4J binding,
 * no logging set up), opening, reading, writing and reopening every bundled format, and scanning
 * the inputs, leaves stdout and stderr empty, and the library sets no JVM-global property. A fresh
 * JVM because javacpp decides where its messages go once, when its loader class initialises: in the
 * test JVM another test may have done it first.
 *
 * <p>The child runs the converter as a named module on the module path (its descriptor's requires
 * must be complete, HDF5's natives must load under JPMS) and calls it from the unnamed module, so
 * only exported packages are in reach; it checks that {@code dev.initkit.internal} is not.
 */
class SilentLibraryTest {
  /** The formats the child writes each input in. */
  private static final List<Format> WRITTEN_FORMATS = List.of(Format.KERAS, Format.H5);

  @TempDir Path dir;

  /** The child: reads, writes and rereads the models given, in the order given. */
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    if (ModelIO.class.getModule().isNamed()
        && ModelIO.class.getModule().isExported("dev.initkit.internal")) {
      System.exit(4); // the internals must stay internal
    }
    int n = 0;
    for (int i = 1; i < args.length; i++) {
      try (LoadedModel m = ModelIO.open(Path.of(args[i]))) {
        for (Weight w : m.model().layerWeights()) {
          m.readFloats(w);
        }
        for (Format f : WRITTEN_FORMATS) {
          Path target = out.resolve((n++) + (f == Format.KERAS ? ".keras" : ".h5"));
          ModelIO.write(m, target, ModelIO.WriteOptions.defaults().withFormat(f));
          try (LoadedModel again = ModelIO.open(target)) {
            for (Weight w : again.model().layerWeights()) {
              again.readFloats(w);
            }
          }
        }
      }
    }
    // and scanning them (the HDF5 structure walk, the health rules)
    List<Path> scanned = new java.util.ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      scanned.add(Path.of(args[i]));
    }
    int[] files = {0};
    new dev.initkit.scan.Scanner(dev.initkit.scan.Scanner.Options.defaults())
        .scan(scanned, r -> files[0]++);
    if (files[0] != scanned.size()) {
      System.exit(5);
    }
    // a library leaves the JVM's global settings alone
    System.exit(System.getProperty("org.bytedeco.javacpp.logger") == null ? 0 : 3);
  }

  @Test
  void readingAndWritingEveryFormatPrintsNothing() throws Exception {
    Path models = TestFiles.testdata().resolve("models");
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String modulePath = System.getProperty("jdk.module.path", "");
    boolean named = ModelIO.class.getModule().isNamed();
    if (named) {
      // the converter and its dependencies as modules; this class from the class path
      cmd.addAll(
          List.of(
              "--module-path",
              modulePath,
              "--add-modules",
              "dev.initkit.converter",
              "-cp",
              TestFiles.testClasses()
                  + java.io.File.pathSeparator
                  + System.getProperty("java.class.path")));
    } else {
      cmd.addAll(List.of("-cp", TestFiles.childClassPath()));
    }
    cmd.addAll(List.of(SilentLibraryTest.class.getName(), dir.toString()));
    List<String> inputs =
        List.of(
            "conv2d/keras3.h5",
            "conv2d/tfkeras.h5",
            "conv2d/keras3.keras",
            "lstm/keras3.keras",
            "mlp/tfkeras.h5");
    for (String m : inputs) {
      cmd.add(models.resolve(m).toString());
    }
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child finished");
    String err = read(stderr);
    assertEquals(
        0,
        p.exitValue(),
        "child exit (3: a global property was set, 4: internals exported, 5: a file not scanned);"
            + " stderr: "
            + err);
    assertTrue(named, "the converter runs as a named module in its tests (module-info.java)");
    assertEquals("", read(stdout), "stdout");
    assertEquals("", err, "stderr");
    try (var files = Files.list(dir)) {
      // the child writes each input once per format it writes (main's list), besides the captures
      long outputs = (long) inputs.size() * WRITTEN_FORMATS.size();
      assertEquals(outputs + 2, files.count(), outputs + " outputs and the two captures");
    }
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
