package dev.initkit.scan;

import java.util.Locale;

/** How much a finding matters, most severe first. */
public enum Severity {
  /** Loading the file with an affected Keras can run code or read or fetch other files. */
  HIGH,
  /** The file is damaged or ambiguous in a way readers disagree on. */
  MEDIUM,
  /** The weights are unusable as stored (non-finite, all zero, constant). */
  LOW,
  /** Worth knowing: weights far from their initializer's spread, depth estimates. */
  INFO;

  /** The lower-case name used in every output: {@code high}, {@code medium}, {@code low}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True when this is at least as severe as {@code threshold}. */
  public boolean atLeast(Severity threshold) {
    return ordinal() <= threshold.ordinal();
  }

  /**
   * The severity named {@code text} (any case).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Severity parse(String text) {
    for (Severity s : values()) {
      if (s.label().equalsIgnoreCase(text.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown severity '" + text + "': expected high, medium, low or info");
  }
}
