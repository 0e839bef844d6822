package dev.initkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine;

/** Runs the CLI in-process, black-box, as the picocli docs' "Testing Your Application" does. */
public final class Cli {
  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Cli() {}

  /** What one run printed and returned. */
  public record Result(int exitCode, String out, String err) {
    /** Stdout parsed as exactly one JSON document (fails the test otherwise). */
    public JsonNode json() {
      try {
        return STRICT.readTree(out);
      } catch (JsonProcessingException e) {
        return fail(
            "stdout is not exactly one JSON document: "
                + e.getOriginalMessage()
                + "\n--- stdout:\n"
                + out
                + "\n--- stderr:\n"
                + err);
      }
    }

    /** Stderr's lines. */
    public List<String> errLines() {
      return err.lines().toList();
    }

    /** Asserts the exit code, showing the output when it differs. */
    public Result assertExit(int expected) {
      assertEquals(expected, exitCode, () -> "exit code; stdout:\n" + out + "\nstderr:\n" + err);
      return this;
    }

    /**
     * Asserts a failure printed exactly one line {@code initkit: ...} on stderr and no stack trace,
     * and returns that line.
     */
    public String assertOneErrorLine() {
      List<String> lines = errLines();
      assertEquals(1, lines.size(), () -> "stderr lines:\n" + err);
      String line = lines.get(0);
      assertTrue(line.startsWith("initkit: "), line);
      assertFalse(err.contains("\tat "), err);
      return line;
    }

    /** Asserts stdout is a failure document with this exit code and kind; returns its error. */
    public JsonNode assertJsonError(int code, String kind) {
      JsonNode doc = json();
      assertEquals(1, doc.get("schemaVersion").asInt(), doc::toString);
      assertFalse(doc.get("ok").asBoolean(), doc::toString);
      JsonNode error = doc.get("error");
      assertEquals(code, error.get("code").asInt(), doc::toString);
      assertEquals(kind, error.get("kind").asText(), doc::toString);
      assertTrue(error.get("message").isTextual(), doc::toString);
      assertFalse(error.get("message").asText().contains("\n"), doc::toString);
      assertTrue(error.has("file") && error.has("location"), doc::toString);
      return error;
    }
  }

  /** Runs {@code initkit args...}. */
  public static Result run(Object... args) {
    return runWith(cl -> {}, args);
  }

  /** Runs {@code initkit args...} on a command line the caller may extend first. */
  public static Result runWith(Consumer<CommandLine> customize, Object... args) {
    String[] a = new String[args.length];
    for (int i = 0; i < args.length; i++) {
      a[i] = String.valueOf(args[i]);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    // as main() builds it: only the subcommands these arguments need
    CommandLine cl = Main.newCommandLine(new PrintWriter(out), new PrintWriter(err), a);
    customize.accept(cl);
    int code = cl.execute(a);
    return new Result(code, out.toString(), err.toString());
  }

  /** The testdata root from the {@code initkit.testdata} system property (set by surefire). */
  public static Path testdata() {
    String p = System.getProperty("initkit.testdata");
    assertTrue(p != null && !p.isEmpty(), "system property initkit.testdata is not set");
    return Path.of(p);
  }

  /** A generated model file: {@code testdata/models/<model>/<file>}; it must exist. */
  public static Path model(String model, String file) {
    Path p = testdata().resolve("models").resolve(model).resolve(file);
    assertTrue(Files.exists(p), () -> "missing test file " + p + " (run testdata/generate.py)");
    return p;
  }

  /** The shared corpus root, or a skipped test when it is absent. */
  public static Path corpus() {
    String p = System.getProperty("initkit.corpus");
    assumeTrue(
        p != null && !p.isEmpty() && Files.isDirectory(Path.of(p)),
        "corpus not available (system property initkit.corpus)");
    return Path.of(p);
  }

  /**
   * Copies the directory tree {@code src} to {@code dst} (created, files replaced) and returns
   * {@code dst}: a SavedModel or an unzipped archive to damage or run on without touching testdata.
   */
  public static Path copyTree(Path src, Path dst) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(src)) {
      for (Path p : s.toList()) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return dst;
  }

  /** SHA-256 of a file's bytes, hex. */
  public static String sha256(Path file) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
