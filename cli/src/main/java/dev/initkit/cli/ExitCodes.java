package dev.initkit.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The process exit codes of {@code initkit}, the same for every command. {@link ExceptionMapper}
 * decides which one an error gets; {@link Main} lists them in every command's {@code --help}.
 */
public final class ExitCodes {
  /** The command did what was asked. */
  public static final int OK = 0;

  /** A bug in initkit (an unexpected exception or error, including running out of memory). */
  public static final int INTERNAL = 1;

  /** Bad command line: unknown option, missing argument, options that do not go together. */
  public static final int USAGE = 2;

  /** The input breaks its format: truncated, corrupt, not a model file, malformed config. */
  public static final int MALFORMED = 3;

  /**
   * The input is valid but uses something initkit does not handle (yet), or {@code convert
   * --strict} refused a conversion that would change what a layer computes.
   */
  public static final int UNSUPPORTED = 4;

  /** Reading or writing failed: missing file, permission, disk full, output exists. */
  public static final int IO = 5;

  /** A check found a difference (reserved for {@code verify} and {@code transplant --strict}). */
  public static final int CHECK_FAILED = 6;

  /**
   * {@code scan --fail-on SEVERITY} found a finding at or above that severity. Not an error: the
   * scan ran and its output is complete.
   */
  public static final int FINDINGS = 7;

  private ExitCodes() {}

  /**
   * The short machine-readable name of a code, used as {@code error.kind} in {@code --json} output:
   * {@code ok}, {@code internal}, {@code usage}, {@code malformed}, {@code unsupported}, {@code
   * io}, {@code check-failed}, {@code findings}.
   *
   * @throws IllegalArgumentException for a code outside 0 to 7
   */
  public static String kind(int code) {
    switch (code) {
      case OK:
        return "ok";
      case INTERNAL:
        return "internal";
      case USAGE:
        return "usage";
      case MALFORMED:
        return "malformed";
      case UNSUPPORTED:
        return "unsupported";
      case IO:
        return "io";
      case CHECK_FAILED:
        return "check-failed";
      case FINDINGS:
        return "findings";
      default:
        throw new IllegalArgumentException("unknown exit code " + code);
    }
  }

  /** The codes and their meaning, in order, as {@code --help} shows them. */
  public static Map<String, String> helpList() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(Integer.toString(OK), "OK");
    m.put(Integer.toString(INTERNAL), "internal error (a bug in initkit: please report it)");
    m.put(Integer.toString(USAGE), "usage error (bad option or argument)");
    m.put(Integer.toString(MALFORMED), "malformed input (not a model file, damaged, truncated)");
    m.put(
        Integer.toString(UNSUPPORTED),
        "unsupported input (valid, but not handled yet), or convert --strict refused a change of what a layer computes");
    m.put(
        Integer.toString(IO),
        "I/O error (missing file, permission, disk full, output exists without --force)");
    m.put(
        Integer.toString(CHECK_FAILED),
        "check failed (transplant: nothing matched, or --strict found unmatched weights)");
    m.put(
        Integer.toString(FINDINGS),
        "findings (scan --fail-on: a finding at or above the severity given; not an error)");
    return m;
  }
}
