package dev.initkit.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * The {@code --json} documents: one JSON object per run on stdout, success or failure, with {@code
 * schemaVersion} and {@code ok} first. Output is pretty-printed with {@code \n} line ends whatever
 * the platform, and never depends on the default locale. Thread-safe.
 */
public final class JsonOutput {
  /** The version of every document's layout; raised only on incompatible changes. */
  public static final int SCHEMA_VERSION = 1;

  /** The pretty printer, created on the first document: an ObjectMapper is slow to create. */
  private static final class Writer {
    static final ObjectWriter INSTANCE =
        new ObjectMapper()
            .writer(
                new DefaultPrettyPrinter(
                        Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                            .withObjectEmptySeparator("")
                            .withArrayEmptySeparator(""))
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n")));
  }

  private JsonOutput() {}

  /** A node factory for building results. */
  public static JsonNodeFactory nodes() {
    return JsonNodeFactory.instance;
  }

  /** A new success document: {@code {"schemaVersion": 1, "ok": true, "command": <command>}}. */
  public static ObjectNode success(String command) {
    ObjectNode n = nodes().objectNode();
    n.put("schemaVersion", SCHEMA_VERSION);
    n.put("ok", true);
    n.put("command", command);
    return n;
  }

  /**
   * The failure document: {@code {"schemaVersion": 1, "ok": false, "command": <command or null>,
   * "error": {"code", "kind", "message", "file", "location"}}}; file and location are null when
   * unknown.
   */
  public static ObjectNode failure(String command, ExceptionMapper.Failure f) {
    ObjectNode n = nodes().objectNode();
    n.put("schemaVersion", SCHEMA_VERSION);
    n.put("ok", false);
    n.put("command", command);
    ObjectNode e = n.putObject("error");
    e.put("code", f.code());
    e.put("kind", f.kind());
    e.put("message", f.message());
    e.put("file", f.file());
    e.put("location", f.location());
    return n;
  }

  /**
   * A generator that writes a document to {@code out} piece by piece, laid out exactly as {@link
   * #write} lays out the same document (its pretty printer); closing it leaves {@code out} open.
   * The caller writes the final newline.
   */
  public static JsonGenerator generator(PrintWriter out) throws IOException {
    JsonGenerator g = Writer.INSTANCE.createGenerator(out);
    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    return g;
  }

  /** Writes one document and a final newline, then flushes. */
  public static void write(PrintWriter out, JsonNode document) {
    try {
      out.print(Writer.INSTANCE.writeValueAsString(document));
    } catch (JsonProcessingException e) {
      // trees built from nodes always serialize; reaching this is a bug
      throw new IllegalStateException("cannot write JSON output", e);
    }
    out.print('\n');
    out.flush();
  }
}
