package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.testing.ExportedApi;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The API is what the converter's module descriptor exports to everyone, and it stands alone: no
 * public or protected signature (supertypes, fields, methods, constructors, thrown exceptions, type
 * bounds) in an exported package names a type of a package the module does not export to everyone
 * ({@code dev.initkit.internal}, {@code internal.hdf5}, {@code internal.h5}), which a user could
 * not name. The packages come from the compiled descriptor, so a new exported package is checked
 * without a change here.
 */
class ExportedApiTest {

  @Test
  void exportedSignaturesNameOnlyExportedTypes() throws Exception {
    ModuleReference main = ExportedApi.moduleOf(ModelIO.class);
    assertTrue(
        ModelIO.class.getModule().isNamed(), "the converter's tests run it as the named module");
    assertTrue(ExportedApi.hidden(H5File.class), "internal.hdf5 is not exported to everyone");
    List<Class<?>> api = ExportedApi.classes(main, ModelIO.class.getClassLoader());
    assertTrue(api.size() > 50, "the API's classes were found: " + api.size());
    Set<String> leaks = new TreeSet<>();
    for (Class<?> c : api) {
      leaks.addAll(ExportedApi.leaks(c));
    }
    assertEquals(Set.of(), leaks, "public signatures naming types that are not exported");
  }

  /**
   * initkit's other modules use only what the converter exports to everyone or to them by name:
   * each module's sources (main and test), against the descriptor's qualified exports, so a module
   * that starts using an internal package shows here, not first on a user's module path (where it
   * fails with IllegalAccessError).
   */
  @Test
  void siblingModulesUseOnlyWhatIsExportedToThem() throws Exception {
    ModuleDescriptor d = ExportedApi.moduleOf(ModelIO.class).descriptor();
    Path root = TestFiles.testdata().getParent();
    Pattern name = Pattern.compile("<initkit.moduleName>([\\w.]+)</initkit.moduleName>");
    Pattern reference = Pattern.compile("\\b(dev\\.initkit(?:\\.[a-z0-9_]+)*)\\.[A-Z]");
    Set<String> problems = new TreeSet<>();
    int modules = 0;
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        Path pom = dir.resolve("pom.xml");
        Matcher m =
            Files.isRegularFile(pom)
                ? name.matcher(Files.readString(pom, StandardCharsets.UTF_8))
                : null;
        if (m == null || !m.find() || m.group(1).equals(d.name())) {
          continue;
        }
        modules++;
        String module = m.group(1);
        Path src = dir.resolve("src");
        if (!Files.isDirectory(src)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(src)) {
          for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
            Matcher r = reference.matcher(Files.readString(f, StandardCharsets.UTF_8));
            while (r.find()) {
              String pkg = r.group(1);
              if (d.packages().contains(pkg) && !exportedTo(d, pkg, module)) {
                problems.add(root.relativize(f) + ": " + pkg + " is not exported to " + module);
              }
            }
          }
        }
      }
    }
    assertTrue(modules >= 5, "initkit's other modules were found beside the converter: " + modules);
    assertEquals(Set.of(), problems);
  }

  private static boolean exportedTo(ModuleDescriptor d, String pkg, String module) {
    return d.exports().stream()
        .anyMatch(
            e -> e.source().equals(pkg) && (!e.isQualified() || e.targets().contains(module)));
  }

  /** The check finds a leak where there is one: a field, a return type, a type argument. */
  @Test
  void aLeakIsFound() {
    assertEquals(
        List.of(
            "Leaky.file: dev.initkit.internal.hdf5.H5File",
            "Leaky.open: dev.initkit.internal.hdf5.H5File",
            "Leaky.several: dev.initkit.internal.hdf5.H5File"),
        ExportedApi.leaks(Leaky.class).stream()
            .sorted()
            .map(s -> s.replaceAll(".*\\$", ""))
            .toList());
    assertEquals(List.of(), ExportedApi.leaks(Sealed.class));
  }

  /** Leaks through a field, a return type and a type argument; a private method does not count. */
  @SuppressWarnings("unused")
  public static final class Leaky {
    public H5File file;

    public static H5File open() throws IOException {
      throw new IOException();
    }

    public static void several(List<? extends H5File[]> files) {}

    private static H5File hidden() {
      return null;
    }
  }

  /** Nothing of the binding visible. */
  @SuppressWarnings("unused")
  public static final class Sealed {
    private H5File file;

    H5File file() {
      return file;
    }
  }
}
