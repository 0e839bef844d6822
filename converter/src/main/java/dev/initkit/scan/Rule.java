package dev.initkit.scan;

import java.util.Objects;

/**
 * A check the scanner applies.
 *
 * @param id a stable identifier, e.g. {@code lambda-code}
 * @param severity the severity of its findings
 * @param cve the CVE it maps to, or null when none applies
 * @param summary one line saying what it finds
 */
public record Rule(String id, Severity severity, String cve, String summary) {
  /** Checks the required parts. */
  public Rule {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(summary, "summary");
  }

  /** A finding of this rule. */
  public Finding at(Location where, String message) {
    return new Finding(id, severity, where, message, cve);
  }
}
