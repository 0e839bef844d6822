package dev.initkit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What initkit does with each file of the shared corpus, pinned in {@code
 * testdata/corpus/EXPECTED.tsv}: read (exit 0, with its parameter count) or rejected (exit 3
 * malformed, 4 unsupported, with a fragment of the one error line). A file that starts being
 * rejected, or reads differently, fails the build; a corpus file without a row fails too.
 */
public final class CorpusOutcomes {
  /** One row: {@code exit} 0 with {@code params}, or 3/4 with a {@code message} fragment. */
  public record Outcome(String path, int exit, long params, String message) {
    public boolean reads() {
      return exit == 0;
    }

    /** The library-level kind of the rejection: "malformed" (3) or "unsupported" (4). */
    public String kind() {
      return exit == 3 ? "malformed" : exit == 4 ? "unsupported" : "read";
    }
  }

  private final Map<String, Outcome> rows;

  private CorpusOutcomes(Map<String, Outcome> rows) {
    this.rows = rows;
  }

  /** The table; fails when it is missing or a row is not well formed. */
  public static CorpusOutcomes load() throws IOException {
    Path table = TestFiles.testdata().resolve("corpus/EXPECTED.tsv");
    Map<String, Outcome> rows = new LinkedHashMap<>();
    boolean header = true;
    for (String line : Files.readAllLines(table, StandardCharsets.UTF_8)) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      if (header) {
        header = false; // path, exit, params_or_message
        continue;
      }
      String[] f = line.split("\t", 3);
      assertEquals(3, f.length, table + ": not 3 columns: " + line);
      String path = strip(f[0]);
      int exit = Integer.parseInt(f[1]);
      assertTrue(exit == 0 || exit == 3 || exit == 4, table + ": exit must be 0, 3 or 4: " + line);
      Outcome o =
          exit == 0
              ? new Outcome(path, 0, Long.parseLong(f[2]), null)
              : new Outcome(path, exit, -1, f[2]);
      assertTrue(rows.put(path, o) == null, table + ": two rows for " + path);
    }
    return new CorpusOutcomes(rows);
  }

  /** The pinned outcome of a corpus file; fails when it has no row. */
  public Outcome of(Path corpusRoot, Path file) {
    String rel = strip(corpusRoot.relativize(file).toString().replace('\\', '/'));
    Outcome o = rows.get(rel);
    assertNotNull(
        o,
        "testdata/corpus/EXPECTED.tsv has no row for corpus file "
            + rel
            + ": pin what initkit does with it");
    return o;
  }

  /** Every pinned path exists in the corpus (a renamed or removed corpus file is noticed). */
  public void assertAllPresent(Path corpusRoot) {
    for (String rel : rows.keySet()) {
      assertTrue(
          Files.exists(corpusRoot.resolve(rel)),
          "EXPECTED.tsv pins " + rel + ", which the corpus does not have");
    }
  }

  /** The pinned paths (directories without their trailing slash), in the table's order. */
  public java.util.List<String> paths() {
    return java.util.List.copyOf(rows.keySet());
  }

  public int size() {
    return rows.size();
  }

  private static String strip(String p) {
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }
}
