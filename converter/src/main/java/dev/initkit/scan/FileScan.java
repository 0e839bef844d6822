package dev.initkit.scan;

import java.util.List;
import java.util.Optional;

/**
 * What the scan of one path found.
 *
 * @param path the path scanned
 * @param format what it was detected as ({@code h5}, {@code keras}, {@code savedmodel}...), or ""
 *     when it could not be told
 * @param findings what the rules found, in the order they ran
 * @param error why the path could not be scanned at all (not a model, unreadable), or null; the
 *     findings made before the error are kept
 */
public record FileScan(String path, String format, List<Finding> findings, String error) {
  /** Copies the findings. */
  public FileScan {
    findings = List.copyOf(findings);
  }

  /** The most severe finding's severity, if any. */
  public Optional<Severity> worst() {
    return findings.stream().map(Finding::severity).min(Enum::compareTo);
  }
}
