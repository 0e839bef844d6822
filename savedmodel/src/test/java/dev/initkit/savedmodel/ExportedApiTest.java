package dev.initkit.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.testing.ExportedApi;
import java.lang.module.ModuleReference;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * This module's API (what its descriptor exports to everyone, today the package {@code
 * dev.initkit.savedmodel} whole) names only types a user can name: none of the converter's
 * internals, which the converter shares with this module alone.
 */
class ExportedApiTest {
  @Test
  void exportedSignaturesNameOnlyExportedTypes() throws Exception {
    ModuleReference module = ExportedApi.moduleOf(TfSavedModelSupport.class);
    assertEquals("dev.initkit.savedmodel", module.descriptor().name());
    assertTrue(
        TfSavedModelSupport.class.getModule().isNamed(), "the tests run it as the named module");
    List<Class<?>> api = ExportedApi.classes(module, TfSavedModelSupport.class.getClassLoader());
    assertTrue(api.contains(TfSavedModelSupport.class), "the API's classes were found: " + api);
    Set<String> leaks = new TreeSet<>();
    for (Class<?> c : api) {
      leaks.addAll(ExportedApi.leaks(c));
    }
    assertEquals(Set.of(), leaks, "public signatures naming types that are not exported");
  }
}
