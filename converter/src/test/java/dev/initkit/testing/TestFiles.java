package dev.initkit.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.initkit.model.LoadedModel;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Locations of the shared corpus and the generated test data, and helpers to compare models. */
public final class TestFiles {
  /**
   * A plain Jackson mapper: the test jar runs on other modules' class paths, where the converter's
   * dev.initkit.internal (Json) is not exported to it.
   */
  public static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private TestFiles() {}

  /**
   * A class path for a child JVM that sees everything this test JVM sees. The converter is a named
   * module: Surefire puts it and its dependencies on the module path ({@code jdk.module.path}), the
   * test classes in a patch of it, and only the rest on {@code java.class.path}.
   */
  public static String childClassPath() {
    List<String> parts = new ArrayList<>();
    parts.add(testClasses().toString());
    for (String key : List.of("jdk.module.path", "java.class.path")) {
      String v = System.getProperty(key);
      if (v != null && !v.isBlank()) {
        parts.add(v);
      }
    }
    return String.join(java.io.File.pathSeparator, parts);
  }

  /** The directory (or jar) the test classes were loaded from. */
  public static Path testClasses() {
    try {
      return Path.of(TestFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The shared corpus root (surefire passes {@code initkit.corpus}); skips the test when absent.
   */
  public static Path corpus() {
    String p = System.getProperty("initkit.corpus");
    assumeTrue(p != null && Files.isDirectory(Path.of(p)), "corpus not found: " + p);
    return Path.of(p).toAbsolutePath().normalize();
  }

  /** The repo's testdata directory; skips when absent. */
  public static Path testdata() {
    String p = System.getProperty("initkit.testdata");
    assumeTrue(p != null && Files.isDirectory(Path.of(p)), "testdata not found: " + p);
    return Path.of(p).toAbsolutePath().normalize();
  }

  /**
   * The catalogue directories ({@code testdata/catalogue/keras-VERSION}, written by {@code
   * testdata/generate_catalogue.py} under each Keras of the version matrix).
   */
  public static List<Path> catalogueRoots() throws IOException {
    Path cat = testdata().resolve("catalogue");
    try (Stream<Path> s = Files.list(cat)) {
      return s.filter(p -> Files.isRegularFile(p.resolve("MANIFEST.json"))).sorted().toList();
    }
  }

  /** Model directories of every catalogue. */
  public static List<Path> catalogueModelDirs() throws IOException {
    List<Path> out = new java.util.ArrayList<>();
    for (Path root : catalogueRoots()) {
      try (Stream<Path> s = Files.list(root)) {
        s.filter(Files::isDirectory).sorted().forEach(out::add);
      }
    }
    return out;
  }

  /**
   * The Keras version the pinned stack installs ({@code keras==X} in testdata/requirements.txt).
   */
  public static String pinnedKeras() throws IOException {
    for (String line : Files.readAllLines(testdata().resolve("requirements.txt"))) {
      if (line.startsWith("keras==")) {
        return line.substring("keras==".length()).trim();
      }
    }
    throw new IllegalStateException("no keras== pin in testdata/requirements.txt");
  }

  /** Names of the generated models Keras quantized (MANIFEST.json {@code quantization}). */
  public static java.util.Set<String> quantizedModels() throws IOException {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (var e :
        TestFiles.JSON
            .readTree(testdata().resolve("models/MANIFEST.json").toFile())
            .path("models")) {
      if (e.has("quantization")) {
        out.add(e.path("name").asText());
      }
    }
    return out;
  }

  /** Generated model directories under testdata/models. */
  public static List<Path> modelDirs() throws IOException {
    Path models = testdata().resolve("models");
    assumeTrue(Files.isDirectory(models), "no generated models at " + models);
    try (Stream<Path> s = Files.list(models)) {
      return s.filter(Files::isDirectory).sorted().toList();
    }
  }

  /** Model files of the corpus: everything but companions, configs and the manifest. */
  public static List<Path> corpusModels() throws IOException {
    Path root = corpus();
    List<Path> out = new ArrayList<>();
    for (String dir : List.of("h5-full", "h5-weights", "h5-other", "keras-v3")) {
      Path d = root.resolve(dir);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> s = Files.list(d)) {
        s.filter(p -> !p.getFileName().toString().endsWith(".json")).sorted().forEach(out::add);
      }
    }
    return out;
  }

  /** A weight's raw bytes. */
  public static byte[] bytes(LoadedModel m, Weight w) throws IOException {
    long n = w.byteSize();
    ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.max(1, n)).order(ByteOrder.LITTLE_ENDIAN);
    m.tensors().readRows(w, 0, w.shape().rank() == 0 ? 1 : w.shape().dim(0), buf);
    buf.flip();
    byte[] out = new byte[buf.remaining()];
    buf.get(out);
    return out;
  }
}
