package dev.initkit.testing;

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
import java.util.stream.Stream;

/**
 * A module's API as its compiled descriptor states it, for the checks that the API names only what
 * users can name (the converter's and savedmodel's {@code ExportedApiTest}).
 */
public final class ExportedApi {
  private ExportedApi() {}

  /**
   * The compiled module that {@code anchor} comes from, read from its classes directory or jar (its
   * own descriptor and main classes, without the tests patched into it).
   */
  public static ModuleReference moduleOf(Class<?> anchor) throws URISyntaxException {
    Path classes = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<ModuleReference> found = new ArrayList<>(ModuleFinder.of(classes).findAll());
    if (found.size() != 1 || found.get(0).descriptor().isAutomatic()) {
      throw new IllegalStateException(classes + " holds no module descriptor");
    }
    return found.get(0);
  }

  /** The packages {@code d} exports to everyone. */
  public static Set<String> exported(ModuleDescriptor d) {
    Set<String> out = new TreeSet<>();
    for (ModuleDescriptor.Exports e : d.exports()) {
      if (!e.isQualified()) {
        out.add(e.source());
      }
    }
    return out;
  }

  /** The public classes of the packages {@code module} exports to everyone. */
  public static List<Class<?>> classes(ModuleReference module, ClassLoader loader)
      throws IOException, ClassNotFoundException {
    Set<String> exported = exported(module.descriptor());
    List<Class<?>> api = new ArrayList<>();
    try (ModuleReader r = module.open();
        Stream<String> names = r.list()) {
      for (String n : (Iterable<String>) names::iterator) {
        if (!n.endsWith(".class") || n.equals("module-info.class")) {
          continue;
        }
        String cls = n.substring(0, n.length() - ".class".length()).replace('/', '.');
        int dot = cls.lastIndexOf('.');
        if (dot > 0 && exported.contains(cls.substring(0, dot))) {
          Class<?> c = Class.forName(cls, false, loader);
          if (reachable(c)) {
            api.add(c);
          }
        }
      }
    }
    return api;
  }

  /**
   * A type a user cannot name: its module is named and does not export its package to everyone (an
   * automatic module exports all; the class path is no module).
   */
  public static boolean hidden(Class<?> c) {
    ModuleDescriptor d = c.getModule().getDescriptor(); // null on the class path
    return d != null && !d.isAutomatic() && !exported(d).contains(c.getPackageName());
  }

  /**
   * "Class.member: type" for each public or protected signature of {@code c} (supertypes, type
   * bounds, fields, methods, constructors, thrown exceptions) that names a {@link #hidden} type.
   */
  public static List<String> leaks(Class<?> c) {
    List<String> out = new ArrayList<>();
    String owner = c.getName();
    List<Type> header = new ArrayList<>();
    header.add(c.getGenericSuperclass());
    header.addAll(List.of(c.getGenericInterfaces()));
    header.addAll(List.of(c.getTypeParameters()));
    report(out, owner + " (declaration)", header);
    for (Field f : c.getDeclaredFields()) {
      if (visible(f.getModifiers()) && !f.isSynthetic()) {
        report(out, owner + "." + f.getName(), List.of(f.getGenericType()));
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
      report(out, owner + "." + name, types);
    }
    return out;
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

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static void report(List<String> out, String where, List<Type> types) {
    Set<String> named = new TreeSet<>();
    Set<Type> seen = new HashSet<>();
    for (Type t : types) {
      collect(t, named, seen);
    }
    for (String n : named) {
      out.add(where + ": " + n);
    }
  }

  private static void collect(Type t, Set<String> named, Set<Type> seen) {
    if (t == null || !seen.add(t)) {
      return;
    }
    if (t instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (hidden(c)) {
        named.add(c.getName());
      }
    } else if (t instanceof ParameterizedType p) {
      collect(p.getRawType(), named, seen);
      collect(p.getOwnerType(), named, seen);
      for (Type a : p.getActualTypeArguments()) {
        collect(a, named, seen);
      }
    } else if (t instanceof WildcardType w) {
      for (Type b : w.getUpperBounds()) {
        collect(b, named, seen);
      }
      for (Type b : w.getLowerBounds()) {
        collect(b, named, seen);
      }
    } else if (t instanceof TypeVariable<?> v) {
      for (Type b : v.getBounds()) {
        collect(b, named, seen);
      }
    } else if (t instanceof GenericArrayType a) {
      collect(a.getGenericComponentType(), named, seen);
    }
  }
}
