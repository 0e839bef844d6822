package dev.initkit.dl4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.junit.jupiter.api.Test;

/**
 * Why this module (and analysis) has an automatic module name and no descriptor: DL4J 1.0.0-M2.1's
 * {@code deeplearning4j-modelimport} jar carries a descriptor that exports packages the jar does
 * not hold, so the JVM refuses it on the module path ("Error reading module"), and a named module
 * could not require it; an automatic module reads the class path, where DL4J works. When this test
 * fails, DL4J's descriptor is fixed: give the module a module-info.java (docs/library-guide.md,
 * Java modules).
 */
class ModelImportModuleTest {
  @Test
  void dl4jKerasImportJarIsNoValidModule() throws Exception {
    Path jar =
        Path.of(KerasModelImport.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    FindException e = assertThrows(FindException.class, () -> ModuleFinder.of(jar).findAll());
    assertTrue(
        String.valueOf(e.getCause()).contains("not found in module"),
        "the reason: " + e.getCause());
  }
}
