package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;
import dev.initkit.scan.Rule;
import dev.initkit.scan.Rules;
import dev.initkit.scan.Severity;
import java.util.List;

/**
 * A scan as a SARIF 2.1.0 log, for code-scanning UIs: one run whose driver lists every rule, one
 * result per finding (level {@code error} for high, {@code warning} for medium, {@code note}
 * below), and a tool execution notification per file that could not be scanned.
 */
public final class ScanSarif {
  /** The SARIF version written. */
  public static final String VERSION = "2.1.0";

  /** The schema the log names. */
  public static final String SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

  private ScanSarif() {}

  /** The SARIF level of a severity. */
  public static String level(Severity s) {
    switch (s) {
      case HIGH:
        return "error";
      case MEDIUM:
        return "warning";
      default:
        return "note";
    }
  }

  /**
   * The whole log.
   *
   * @param toolVersion initkit's version
   * @param files the scan's results
   */
  public static ObjectNode log(String toolVersion, List<FileScan> files) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode log = f.objectNode();
    log.put("$schema", SCHEMA);
    log.put("version", VERSION);
    ObjectNode run = log.putArray("runs").addObject();
    ObjectNode driver = run.putObject("tool").putObject("driver");
    driver.put("name", "initkit");
    driver.put("version", toolVersion);
    ArrayNode rules = driver.putArray("rules");
    for (Rule r : Rules.ALL) {
      ObjectNode o = rules.addObject();
      o.put("id", r.id());
      o.putObject("shortDescription").put("text", r.summary());
      o.putObject("defaultConfiguration").put("level", level(r.severity()));
      ObjectNode props = o.putObject("properties");
      props.put("severity", r.severity().label());
      if (r.cve() != null) {
        props.put("cve", r.cve());
      }
    }
    ArrayNode results = run.putArray("results");
    ObjectNode invocation = run.putArray("invocations").addObject();
    invocation.put("executionSuccessful", true);
    ArrayNode notes = invocation.putArray("toolExecutionNotifications");
    for (FileScan s : files) {
      for (Finding x : s.findings()) {
        ObjectNode r = results.addObject();
        r.put("ruleId", x.rule());
        r.put("level", level(x.severity()));
        r.putObject("message")
            .put("text", x.message() + (x.cve() == null ? "" : " (" + x.cve() + ")"));
        r.set("locations", f.arrayNode().add(location(x.location().file(), x)));
      }
      if (s.error() != null) {
        ObjectNode n = notes.addObject();
        n.put("level", "error");
        n.putObject("message").put("text", s.error());
        n.set("locations", f.arrayNode().add(location(s.path(), null)));
      }
    }
    return log;
  }

  private static ObjectNode location(String file, Finding x) {
    ObjectNode loc = JsonNodeFactory.instance.objectNode();
    loc.putObject("physicalLocation").putObject("artifactLocation").put("uri", uri(file));
    if (x != null && !(x.location().member().isEmpty() && x.location().layerPath().isEmpty())) {
      ObjectNode l = loc.putArray("logicalLocations").addObject();
      String member = x.location().member();
      String layer = x.location().layerPath();
      l.put(
          "fullyQualifiedName",
          member.isEmpty() ? layer : layer.isEmpty() ? member : member + ":" + layer);
      l.put("kind", layer.isEmpty() ? "member" : "layer");
    }
    return loc;
  }

  /** A relative URI reference for the path (forward slashes, percent-encoded where needed). */
  static String uri(String path) {
    StringBuilder b = new StringBuilder();
    for (byte c : path.replace('\\', '/').getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int u = c & 0xff;
      if ((u >= 'a' && u <= 'z')
          || (u >= 'A' && u <= 'Z')
          || (u >= '0' && u <= '9')
          || "-._~/".indexOf(u) >= 0) {
        b.append((char) u);
      } else {
        b.append('%').append(String.format(java.util.Locale.ROOT, "%02X", u));
      }
    }
    return b.toString();
  }
}
