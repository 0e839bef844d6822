package dev.initkit.interop.dl4j;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What DL4J made of one file, as seen from outside the probe JVM.
 *
 * @param file the probed file
 * @param status how the probe ended
 * @param exitCode the probe JVM's exit code; -1 when it was killed for the time limit
 * @param isolated whether the file was probed alone in its JVM (a batch JVM that died is re-run
 *     file by file)
 * @param error DL4J's import error, the crash or time-out description, or null
 * @param forwardError the forward pass's error when the import worked but the forward pass did not,
 *     or null
 * @param kind {@code MultiLayerNetwork} or {@code ComputationGraph} when imported, else null
 * @param paramCount the number of parameters when imported, else -1
 * @param paramsHash sha256 of all parameters (float32 little-endian, DL4J order) when imported,
 *     else null
 * @param paramHashes sha256 and shape of each parameter by DL4J name ({@code 0_W}...), in order
 * @param inputShapes the shapes of the generated inputs (batch first)
 * @param outputShapes the shapes of the outputs
 * @param outputs the outputs, flattened row-major; empty when the forward pass did not run
 * @param crashedAfterResult the JVM wrote its JSON and then died (e.g. native heap corruption found
 *     at exit)
 * @param crashInfo for a crash: the signal, the "Problematic frame" of the JVM's error report and
 *     the end of the probe's stderr; else null
 * @param millis the time spent on the file inside the probe, or the wall time for a crash or
 *     time-out
 * @param crashes how many JVMs that had this file alone died on it (before or after their result),
 *     counting the retries after a crash: more than 0 means DL4J corrupts its native memory on it
 */
public record ProbeResult(
    Path file,
    Status status,
    int exitCode,
    boolean isolated,
    String error,
    String forwardError,
    String kind,
    long paramCount,
    String paramsHash,
    Map<String, String> paramHashes,
    List<long[]> inputShapes,
    List<long[]> outputShapes,
    List<float[]> outputs,
    boolean crashedAfterResult,
    String crashInfo,
    long millis,
    int crashes) {

  /** How a probe ended, from best to worst. */
  public enum Status {
    /** DL4J imported the model (the forward pass may still have failed: see forwardError). */
    IMPORTED,
    /** DL4J refused the model with an exception. */
    NOT_IMPORTED,
    /** The probe JVM ran past the time limit and was killed. */
    TIMED_OUT,
    /**
     * The probe JVM died (non-zero exit, e.g. 134 for SIGSEGV/abort) without writing its result.
     */
    CRASHED,
    /**
     * The probe JVM exited without a result and without crashing (a bug of the probe or its
     * launch).
     */
    PROBE_FAILED;

    /**
     * How bad this is for comparing: imported 0, refused 1, time-out or crash 2, probe failure 3.
     */
    public int severity() {
      switch (this) {
        case IMPORTED:
          return 0;
        case NOT_IMPORTED:
          return 1;
        case TIMED_OUT:
        case CRASHED:
          return 2;
        default:
          return 3;
      }
    }
  }

  public ProbeResult {
    paramHashes = Collections.unmodifiableMap(new LinkedHashMap<>(paramHashes));
    inputShapes = List.copyOf(inputShapes);
    outputShapes = List.copyOf(outputShapes);
    outputs = List.copyOf(outputs);
  }

  /** True when DL4J imported the model. */
  public boolean imported() {
    return status == Status.IMPORTED;
  }

  /** True when a JVM died on this file, before or after writing its result, in any attempt. */
  public boolean crashed() {
    return status == Status.CRASHED || crashedAfterResult || crashes > 0;
  }

  /** This result with the number of JVM deaths seen on the file. */
  public ProbeResult withCrashes(int n) {
    return new ProbeResult(
        file,
        status,
        exitCode,
        isolated,
        error,
        forwardError,
        kind,
        paramCount,
        paramsHash,
        paramHashes,
        inputShapes,
        outputShapes,
        outputs,
        crashedAfterResult,
        crashInfo,
        millis,
        n);
  }

  /** True when the forward pass ran and produced outputs. */
  public boolean hasOutputs() {
    return imported() && forwardError == null && !outputs.isEmpty();
  }

  /** A result without JSON: crash, time-out or probe failure. */
  static ProbeResult failed(
      Path file,
      Status status,
      int exitCode,
      boolean isolated,
      String error,
      String crashInfo,
      long millis) {
    return new ProbeResult(
        file, status, exitCode, isolated, error, null, null, -1, null, Map.of(), List.of(),
        List.of(), List.of(), false, crashInfo, millis, 0);
  }

  /** Reads the probe's JSON; {@code exitCode} and {@code crashInfo} come from the launcher. */
  static ProbeResult fromJson(
      Path file, JsonNode j, int exitCode, boolean isolated, String crashInfo) {
    boolean imported = j.path("imported").asBoolean(false);
    List<float[]> outputs = new ArrayList<>();
    for (JsonNode o : j.path("outputs")) {
      float[] v = new float[o.size()];
      for (int i = 0; i < v.length; i++) {
        JsonNode x = o.get(i);
        v[i] = x.isNumber() ? x.floatValue() : Float.parseFloat(x.asText()); // "NaN", "Infinity"
      }
      outputs.add(v);
    }
    return new ProbeResult(
        file,
        imported ? Status.IMPORTED : Status.NOT_IMPORTED,
        exitCode,
        isolated,
        textOrNull(j, "error"),
        textOrNull(j, "forwardError"),
        textOrNull(j, "kind"),
        j.path("paramCount").asLong(-1),
        textOrNull(j, "paramsHash"),
        paramHashes(j.path("paramTable")),
        shapes(j.path("inputShapes")),
        shapes(j.path("outputShapes")),
        outputs,
        exitCode != 0,
        exitCode != 0 ? crashInfo : null,
        j.path("millis").asLong(-1),
        0);
  }

  private static String textOrNull(JsonNode j, String field) {
    JsonNode n = j.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static Map<String, String> paramHashes(JsonNode table) {
    Map<String, String> m = new LinkedHashMap<>();
    table
        .fields()
        .forEachRemaining(
            e ->
                m.put(
                    e.getKey(),
                    e.getValue().path("sha256").asText()
                        + " "
                        + e.getValue().path("shape").toString()));
    return m;
  }

  private static List<long[]> shapes(JsonNode a) {
    List<long[]> s = new ArrayList<>();
    for (JsonNode shape : a) {
      long[] d = new long[shape.size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = shape.get(i).asLong();
      }
      s.add(d);
    }
    return s;
  }

  /** One line for logs and test messages. */
  public String summary() {
    StringBuilder sb = new StringBuilder(status.name());
    if (imported()) {
      sb.append(' ')
          .append(kind)
          .append(" params=")
          .append(paramCount)
          .append(" hash=")
          .append(
              paramsHash == null
                  ? "-"
                  : paramsHash.substring(0, Math.min(12, paramsHash.length())));
      sb.append(" in=")
          .append(shapesText(inputShapes))
          .append(" out=")
          .append(shapesText(outputShapes));
      if (forwardError != null) {
        sb.append(" forwardError=").append(shorten(forwardError, 300));
      }
    } else if (error != null) {
      sb.append(": ").append(shorten(error, 300));
    }
    if (crashedAfterResult) {
      sb.append(" [JVM died after writing its result, exit ").append(exitCode).append(']');
    }
    if (crashes > 0) {
      sb.append(" [")
          .append(crashes)
          .append(crashes == 1 ? " JVM" : " JVMs")
          .append(" died on this file]");
    }
    if (crashInfo != null) {
      sb.append(" {").append(shorten(crashInfo, 300)).append('}');
    }
    return sb.toString();
  }

  private static String shapesText(List<long[]> shapes) {
    StringBuilder sb = new StringBuilder();
    for (long[] s : shapes) {
      sb.append(Arrays.toString(s));
    }
    return sb.toString();
  }

  static String shorten(String s, int max) {
    return s.length() <= max
        ? s
        : s.substring(0, max) + String.format(Locale.ROOT, "...(%d chars)", s.length());
  }
}
