package dev.initkit.analysis;

import dev.initkit.Hint;
import java.util.List;

/**
 * What the child JVM answers. Exactly one of the results is set for a successful task; on failure
 * {@code error} says why in one line, {@code errorHints} lists the parts of the API it names (they
 * cross the process boundary as data, not to be found again in the text) and {@code
 * unsupportedLayers} lists the layers DL4J cannot run.
 */
public record WorkerResult(
    List<SchemeAnalysis> analyses,
    LsuvResult lsuv,
    List<TrainingRun> runs,
    String error,
    String errorKind,
    List<String> unsupportedLayers,
    List<Hint> errorHints) {
  public WorkerResult {
    errorHints = errorHints == null ? List.of() : List.copyOf(errorHints);
  }

  /** A result whose error, if any, names no part of the API. */
  public WorkerResult(
      List<SchemeAnalysis> analyses,
      LsuvResult lsuv,
      List<TrainingRun> runs,
      String error,
      String errorKind,
      List<String> unsupportedLayers) {
    this(analyses, lsuv, runs, error, errorKind, unsupportedLayers, List.of());
  }

  /** {@code errorKind} of a problem with the user's data. */
  public static final String DATA = "data";

  /** {@code errorKind} of a model DL4J cannot import or run. */
  public static final String UNSUPPORTED = "unsupported";

  /** {@code errorKind} of anything else DL4J threw. */
  public static final String FAILED = "failed";
}
