package dev.initkit.scan;

import java.util.Objects;

/**
 * One thing a rule found.
 *
 * @param rule the rule's id ({@link Rules})
 * @param severity how much it matters
 * @param location where it is
 * @param message one line for people, naming what was found
 * @param cve the CVE the rule maps to, or null
 */
public record Finding(
    String rule, Severity severity, Location location, String message, String cve) {
  /** Checks the required parts. */
  public Finding {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }
}
