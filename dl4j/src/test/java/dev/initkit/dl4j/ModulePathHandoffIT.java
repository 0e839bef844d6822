package dev.initkit.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout docs/library-guide.md (Java modules) gives an application on the module path: the
 * converter and this module on the module path (this one as the automatic module {@code
 * dev.initkit.dl4j}), DL4J on the class path, since its Keras import jar is no valid module ({@link
 * ModelImportModuleTest}). A child JVM started so hands a model to DL4J; the test's own class path
 * is split into the two by module name.
 */
@DisabledIfSystemProperty(
    named = "initkit.skipDl4j",
    matches = "(?i)true",
    disabledReason = "DL4J tests skipped (-Dinitkit.skipDl4j=true)")
class ModulePathHandoffIT {
  /** What goes on the module path: initkit's two modules and what the converter requires. */
  private static final Set<String> MODULES =
      Set.of(
          "dev.initkit.converter",
          "dev.initkit.dl4j",
          "org.bytedeco.hdf5",
          "org.bytedeco.javacpp",
          "com.fasterxml.jackson.databind",
          "com.fasterxml.jackson.core",
          "com.fasterxml.jackson.annotation",
          // the scanner's pure-Java HDF5 walk and what it needs
          "io.jhdf",
          "org.slf4j",
          "org.apache.commons.lang3");

  @TempDir Path dir;

  @Test
  void converterAndDl4jModulesWithDl4jOnTheClassPath() throws Exception {
    List<String> modulePath = new ArrayList<>();
    List<String> classPath = new ArrayList<>();
    // Surefire's own property: java.class.path may be a manifest-only jar
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    for (String e : cp.split(File.pathSeparator)) {
      (MODULES.contains(moduleName(Path.of(e))) ? modulePath : classPath).add(e);
    }
    assertEquals(MODULES.size(), modulePath.size(), "found on the class path: " + modulePath);

    Path model =
        Path.of(System.getProperty("initkit.testdata", "../testdata"))
            .resolve("models/mlp/tfkeras.h5");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--module-path",
            String.join(File.pathSeparator, modulePath),
            "--add-modules",
            "dev.initkit.converter,dev.initkit.dl4j",
            "-cp",
            String.join(File.pathSeparator, classPath),
            "dev.initkit.modulepath.Dl4jHandoffChild",
            model.toString());
    Path log = dir.resolve("log.txt");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child finished");
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    // the bundled mlp's parameters, as DL4J counts them
    assertTrue(out.strip().endsWith("572 dev.initkit.converter dev.initkit.dl4j"), out);
  }

  /** The module a class path entry would be, or "" (none, or an invalid descriptor: DL4J's). */
  private static String moduleName(Path entry) {
    try {
      return ModuleFinder.of(entry).findAll().stream()
          .map(ModuleReference::descriptor)
          .map(d -> d.name())
          .findFirst()
          .orElse("");
    } catch (RuntimeException e) {
      return "";
    }
  }
}
