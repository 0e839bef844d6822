package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.internal.hdf5.H5File;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
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
    ModuleReference main = mainClasses();
    ModuleDescriptor d = main.descriptor();
    Set<String> exported =
        d.exports().stream()
            .filter(e -> !e.isQualified())
            .map(ModuleDescriptor.Exports::source)
            .collect(Collectors.toSet());
    Set<String> hidden = new HashSet<>(d.packages());
    hidden.removeAll(exported);
    assertTrue(hidden.contains("dev.initkit.internal.hdf5"), "internal.hdf5 is not exported");

    List<Class<?>> api = new ArrayList<>();
    try (ModuleReader r = main.open();
        Stream<String> names = r.list()) {
      for (String n : (Iterable<String>) names::iterator) {
        if (!n.endsWith(".class") || n.equals("module-info.class")) {
          continue;
        }
        String cls = n.substring(0, n.length() - ".class".length()).replace('/', '.');
        if (exported.contains(cls.substring(0, cls.lastIndexOf('.')))) {
          Class<?> c = Class.forName(cls, false, ModelIO.class.getClassLoader());
          if (reachable(c)) {
            api.add(c);
          }
        }
      }
    }
    assertTrue(api.size() > 50, "the API's classes were found: " + api.size());

    Set<String> leaks = new TreeSet<>();
    for (Class<?> c : api) {
      leaks.addAll(leaks(c, hidden));
    }
    assertEquals(Set.of(), leaks, "public signatures naming types that are not exported");
  }

  /** The check finds a leak where there is one: a field, a return type, a type argument. */
  @Test
  void aLeakIsFound() {
    Set<String> hidden = Set.of("dev.initkit.internal.hdf5");
    assertEquals(
        List.of(
            "Leaky.file: dev.initkit.internal.hdf5.H5File",
            "Leaky.open: dev.initkit.internal.hdf5.H5File",
            "Leaky.several: dev.initkit.internal.hdf5.H5File"),
        leaks(Leaky.class, hidden).stream().sorted().map(s -> s.replaceAll(".*\\$", "")).toList());
    assertEquals(List.of(), leaks(Sealed.class, hidden));
  }

  /** The compiled converter, read as a module (its own descriptor and classes, without tests). */
  private static ModuleReference mainClasses() throws URISyntaxException {
    Path classes =
        Path.of(ModelIO.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(classes).find("dev.initkit.converter").orElseThrow();
  }

  /** Public or protected, and so are the classes it is nested in. */
  private static boolean reachable(Class<?> c) {
    if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass()) {
      return false;
    }
    for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
      if (!visible(k.getModifiers())) {
        return false;
      }
    }
    return true;
  }

  /** "Class.member: hidden type" for each public or protected signature of {@code c} naming one. */
  static List<String> leaks(Class<?> c, Set<String> hidden) {
    List<String> out = new ArrayList<>();
    String owner = c.getName();
    List<Type> header = new ArrayList<>();
    header.add(c.getGenericSuperclass());
    header.addAll(List.of(c.getGenericInterfaces()));
    header.addAll(List.of(c.getTypeParameters()));
    report(out, owner + " (declaration)", header, hidden);
    for (Field f : c.getDeclaredFields()) {
      if (visible(f.getModifiers()) && !f.isSynthetic()) {
        report(out, owner + "." + f.getName(), List.of(f.getGenericType()), hidden);
      }
    }
    List<Executable> executables = new ArrayList<>(List.of(c.getDeclaredMethods()));
    executables.addAll(List.of(c.getDeclaredConstructors()));
    for (Executable e : executables) {
      if (!visible(e.getModifiers()) || e.isSynthetic()) {
        continue;
      }
      List<Type> types = new ArrayList<>(List.of(e.getGenericParameterTypes()));
      types.addAll(List.of(e.getGenericExceptionTypes()));
      types.addAll(List.of(e.getTypeParameters()));
      if (e instanceof Method m) {
        types.add(m.getGenericReturnType());
      }
      String name = e instanceof Constructor<?> ? "<init>" : e.getName();
      report(out, owner + "." + name, types, hidden);
    }
    return out;
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static void report(List<String> out, String where, List<Type> types, Set<String> hidden) {
    Set<String> named = new TreeSet<>();
    Set<Type> seen = new HashSet<>();
    for (Type t : types) {
      collect(t, hidden, named, seen);
    }
    for (String n : named) {
      out.add(where + ": " + n);
    }
  }

  private static void collect(Type t, Set<String> hidden, Set<String> named, Set<Type> seen) {
    if (t == null || !seen.add(t)) {
      return;
    }
    if (t instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (hidden.contains(c.getPackageName())) {
        named.add(c.getName());
      }
    } else if (t instanceof ParameterizedType p) {
      collect(p.getRawType(), hidden, named, seen);
      collect(p.getOwnerType(), hidden, named, seen);
      for (Type a : p.getActualTypeArguments()) {
        collect(a, hidden, named, seen);
      }
    } else if (t instanceof WildcardType w) {
      for (Type b : w.getUpperBounds()) {
        collect(b, hidden, named, seen);
      }
      for (Type b : w.getLowerBounds()) {
        collect(b, hidden, named, seen);
      }
    } else if (t instanceof TypeVariable<?> v) {
      for (Type b : v.getBounds()) {
        collect(b, hidden, named, seen);
      }
    } else if (t instanceof GenericArrayType a) {
      collect(a.getGenericComponentType(), hidden, named, seen);
    }
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
