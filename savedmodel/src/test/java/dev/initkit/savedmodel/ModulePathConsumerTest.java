package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's module on the module path: {@code requires dev.initkit.savedmodel} alone compiles a
 * caller of {@code ModelIO} (the converter comes transitively) and not one of {@code
 * dev.initkit.internal}; run in a fresh JVM, it reads a SavedModel (the converter finds this
 * module's {@code SavedModelSupport} through the descriptors' uses/provides) and writes one
 * (TensorFlow Java's and HDF5's natives load under JPMS, their platform jars added with {@code
 * --add-modules}: no descriptor requires them).
 */
class ModulePathConsumerTest {
  @TempDir Path dir;

  private static final String MAIN =
      """
      package consumer;

      import dev.initkit.ModelIO;
      import dev.initkit.format.Format;
      import dev.initkit.model.LoadedModel;
      import java.nio.file.Path;

      public class Main {
        public static void main(String[] args) throws Exception {
          Path out = Path.of(args[1]);
          try (LoadedModel m = ModelIO.open(Path.of(args[0]))) {
            ModelIO.write(m, out, ModelIO.WriteOptions.defaults().withFormat(Format.SAVED_MODEL));
          }
          try (LoadedModel again = ModelIO.open(out)) {
            System.out.println(
                again.model().sourceFormat() + " " + again.model().layerWeights().size());
          }
        }
      }
      """;

  @Test
  void aConsumerModuleRequiringSavedModelCompilesAndRuns() throws Exception {
    String modulePath = System.getProperty("jdk.module.path", "");
    assertTrue(
        modulePath.contains("savedmodel"),
        "the tests run savedmodel on the module path: " + modulePath);
    Path src = source("consumer/Main.java", MAIN);
    Path classes = dir.resolve("classes");
    assertEquals("", compile(modulePath, classes, src), "the consumer compiles");

    // the natives jars (platform classifier) are required by no descriptor: a user adds them
    List<Path> natives = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (e.matches(".*-(linux|macosx|windows)-[a-z0-9_]+\\.jar")) {
        natives.add(Path.of(e));
      }
    }
    String nativeModules =
        ModuleFinder.of(natives.toArray(Path[]::new)).findAll().stream()
            .map(r -> r.descriptor().name())
            .sorted()
            .collect(Collectors.joining(","));
    assertTrue(nativeModules.contains("tensorflow"), "TF Java's natives: " + nativeModules);

    Path in = SavedModelReadTest.testdata().resolve("mlp/tfkeras");
    Path out = dir.resolve("written");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--module-path");
    cmd.add(
        Stream.concat(
                Stream.of(classes.toString(), modulePath), natives.stream().map(Path::toString))
            .collect(Collectors.joining(java.io.File.pathSeparator)));
    cmd.addAll(List.of("--add-modules", nativeModules));
    cmd.addAll(List.of("--module", "consumer/consumer.Main", in.toString(), out.toString()));
    Path log = dir.resolve("log.txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the consumer finished");
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.strip().endsWith("savedmodel 6"), output);
  }

  @Test
  void theInternalsAreOutOfAConsumersReach() throws Exception {
    Path src =
        source(
            "consumer/Main.java",
            """
            package consumer;

            public class Main {
              static Object json = dev.initkit.internal.Json.class;
            }
            """);
    String errors = compile(System.getProperty("jdk.module.path", ""), dir.resolve("classes"), src);
    assertNotEquals("", errors, "compiling against dev.initkit.internal fails");
    assertTrue(
        errors.contains("does not export it to module consumer"), "javac's reason: " + errors);
  }

  /** The consumer's module-info.java and {@code file}. */
  private Path source(String file, String text) throws IOException {
    Path src = dir.resolve("src");
    Files.createDirectories(src.resolve(file).getParent());
    Files.writeString(
        src.resolve("module-info.java"), "module consumer { requires dev.initkit.savedmodel; }\n");
    Files.writeString(src.resolve(file), text);
    return src;
  }

  /**
   * javac's diagnostics ("" when it compiled). The JDK's javac in a child process: this test runs
   * inside the savedmodel module, which does not read {@code java.compiler}.
   */
  private static String compile(String modulePath, Path classes, Path src) throws Exception {
    List<String> args = new ArrayList<>();
    args.add(Path.of(System.getProperty("java.home"), "bin", "javac").toString());
    args.addAll(List.of("--module-path", modulePath, "-d", classes.toString()));
    try (var files = Files.walk(src)) {
      files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
    }
    Path log = classes.resolveSibling("javac.txt");
    Process p =
        new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "javac finished");
    String text = Files.readString(log, StandardCharsets.UTF_8);
    return p.exitValue() == 0 ? "" : text.isEmpty() ? "javac exit " + p.exitValue() : text;
  }
}
