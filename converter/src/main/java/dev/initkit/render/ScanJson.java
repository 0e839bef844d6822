package dev.initkit.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.Finding;

/**
 * The {@code --json} form of a scan: each file as {@code {path, format, error, findings: [{rule,
 * severity, location: {file, member, layer}, message, cve}]}}.
 */
public final class ScanJson {
  private ScanJson() {}

  /** One file's entry. */
  public static ObjectNode file(FileScan r) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("path", r.path());
    n.put("format", r.format());
    n.put("error", r.error());
    ArrayNode fs = n.putArray("findings");
    for (Finding f : r.findings()) {
      ObjectNode o = fs.addObject();
      o.put("rule", f.rule());
      o.put("severity", f.severity().label());
      ObjectNode at = o.putObject("location");
      at.put("file", f.location().file());
      at.put("member", f.location().member());
      at.put("layer", f.location().layerPath());
      o.put("message", f.message());
      o.put("cve", f.cve());
    }
    return n;
  }
}
