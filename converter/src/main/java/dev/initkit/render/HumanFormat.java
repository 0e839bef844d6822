package dev.initkit.render;

import java.util.Locale;

/** Numbers for people: grouped counts and binary byte sizes, the same in every locale. */
public final class HumanFormat {
  private HumanFormat() {}

  /** A count with thousands separators, e.g. {@code 1,234,567}. */
  public static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A byte size, e.g. {@code 512 B}, {@code 4.0 KiB}, {@code 1.5 MiB}. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
