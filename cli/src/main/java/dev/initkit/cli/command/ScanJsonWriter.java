package dev.initkit.cli.command;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.initkit.cli.JsonOutput;
import dev.initkit.render.ScanJson;
import dev.initkit.scan.FileScan;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * {@code scan --json}'s document, {@code {"schemaVersion", "ok", "command", "files": [...]}},
 * written file by file as the scan delivers them (in input order), so a long scan's output is read
 * while it runs and no list of results is held. Byte for byte the document {@link JsonOutput#write}
 * prints for the same results (ScanCommandTest).
 */
final class ScanJsonWriter {
  private final PrintWriter out;
  private final JsonGenerator g;

  /** Writes the document's start. */
  ScanJsonWriter(PrintWriter out) throws IOException {
    this.out = out;
    this.g = JsonOutput.generator(out);
    g.writeStartObject();
    g.writeNumberField("schemaVersion", JsonOutput.SCHEMA_VERSION);
    g.writeBooleanField("ok", true);
    g.writeStringField("command", "scan");
    g.writeArrayFieldStart("files");
    g.flush();
  }

  /** Writes one file's entry and flushes it. */
  void add(FileScan r) throws IOException {
    g.writeTree(ScanJson.file(r));
    g.flush();
  }

  /** Closes the array and the document, adds the final newline and flushes. */
  void finish() throws IOException {
    g.writeEndArray();
    g.writeEndObject();
    g.close();
    out.print('\n');
    out.flush();
  }
}
