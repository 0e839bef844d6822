package dev.initkit.render;

import java.util.Locale;

/** Numbers for report tables, the same in every locale. Thread-safe (stateless). */
public final class Numbers {
  private Numbers() {}

  /** A number for tables: 4 significant digits, {@code -} for NaN, the same in every locale. */
  public static String num(double x) {
    if (Double.isNaN(x)) {
      return "-";
    }
    if (x == 0) {
      return "0";
    }
    double a = Math.abs(x);
    if (a >= 1e-3 && a < 1e5) {
      String s = String.format(Locale.ROOT, "%.4g", x);
      if (s.contains(".") && !s.contains("e")) {
        s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
      }
      return s;
    }
    return String.format(Locale.ROOT, "%.3e", x);
  }

  /** A percentage with one decimal; {@code -} for NaN. */
  public static String percent(double fraction) {
    return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
  }
}
