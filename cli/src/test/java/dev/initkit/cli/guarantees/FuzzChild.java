package dev.initkit.cli.guarantees;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.cli.Main;
import dev.initkit.format.Format;
import dev.initkit.internal.AtomicFiles;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The child JVM of the fuzzer: runs many inputs, one after the other, through the real entry points
 * and checks each one. The parent ({@link FuzzHarness}) watches it for crashes, hangs and memory.
 *
 * <p>Arguments: {@code LIST WORKDIR}. LIST holds one input per line, {@code id<TAB>path}. For each
 * input the child prints {@code BEGIN id} on stdout, runs
 *
 * <ol>
 *   <li>the library: {@link ModelIO#open}, a walk over the whole description, a bounded read of
 *       every weight's first rows, {@link ModelIO#write} to {@code .h5} and to {@code .keras};
 *   <li>the command line, in-process: {@code inspect}, {@code inspect --json}, {@code scan --json}
 *       (exit 0 and one document whatever the file), {@code convert} to {@code .h5} or {@code
 *       .keras};
 * </ol>
 *
 * then prints {@code END id <json>} where the JSON lists every broken promise under {@code
 * problems}: an exception other than {@link IOException} from the library, an exit code outside {0,
 * 3, 4, 5}, a stack trace or more than one error line on stderr, an output left after a failure, a
 * temporary file left behind (the {@link AtomicFiles#TEMP_NAME} temporaries beside the output and
 * {@code initkit-*.weights.h5} in {@code java.io.tmpdir}), a changed input. The child's real stderr
 * carries {@code @@BEGIN id} / {@code @@END id} markers so the parent can attribute anything else
 * printed there. After an {@link OutOfMemoryError} the child exits with {@link #EXIT_AFTER_OOM} so
 * that the next inputs get a fresh heap.
 */
public final class FuzzChild {
  /** Exit code of a child that stopped after an out-of-memory error. */
  public static final int EXIT_AFTER_OOM = 97;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Integer> DOCUMENTED_FAILURES = Set.of(3, 4, 5);

  /** At most this many bytes of each weight are read back through the tensor source. */
  private static final long READ_BYTES = 1 << 20;

  private FuzzChild() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
    Path list = Path.of(args[0]);
    Path work = Path.of(args[1]);
    Path jtmp = Path.of(System.getProperty("java.io.tmpdir"));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = System.err;
    for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.split("\t", 2);
      String id = parts[0];
      Path input = Path.of(parts[1]);
      out.println("BEGIN " + id);
      err.println("@@BEGIN " + id);
      err.flush();
      Check c = new Check(id);
      boolean oom = false;
      try {
        runOne(input, work.resolve("w-" + id.replaceAll("[^A-Za-z0-9_.-]", "_")), jtmp, c);
      } catch (OutOfMemoryError e) {
        oom = true;
        c.problem("OutOfMemoryError: " + e.getMessage());
      } catch (Throwable t) {
        c.problem("harness: " + describe(t));
      }
      err.println("@@END " + id);
      err.flush();
      out.println("END " + id + " " + c.toJson());
      if (oom) {
        out.flush();
        System.exit(EXIT_AFTER_OOM);
      }
    }
    out.flush();
  }

  private static void runOne(Path input, Path dir, Path jtmp, Check c) throws Exception {
    deleteTree(dir);
    Files.createDirectories(dir);
    String before = hash(input);
    if (Boolean.getBoolean(SELF_TEST) && input.getFileName().toString().startsWith("selftest-")) {
      misbehave(input);
    }
    library(input, dir, jtmp, c);
    cli(input, dir, jtmp, c);
    String after = hash(input);
    if (!before.equals(after)) {
      c.problem("input changed: sha256 " + before + " -> " + after);
    }
    deleteTree(dir);
  }

  /**
   * With this system property set (only {@code FuzzHarnessSelfTest} sets it), an input named {@code
   * selftest-<what>...} makes the child break the promise named {@code <what>}, so that the test
   * can show the harness reports each kind of failure.
   */
  static final String SELF_TEST = "initkit.fuzz.selfTest";

  private static void misbehave(Path input) throws Exception {
    String what =
        input.getFileName().toString().substring("selftest-".length()).replaceAll("\\..*$", "");
    switch (what) {
      case "crash":
        Runtime.getRuntime().halt(134); // as a native crash ends the JVM: no END line
        break;
      case "hang":
        Thread.sleep(Long.MAX_VALUE);
        break;
      case "oom":
        {
          List<long[]> hog = new ArrayList<>();
          while (true) {
            hog.add(new long[1 << 20]);
          }
        }
      case "stacktrace":
        new IllegalStateException("self-test").printStackTrace();
        break;
      case "change":
        Files.write(input, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        break;
      default:
        throw new IllegalArgumentException("unknown self-test " + what);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // library

  private static void library(Path input, Path dir, Path jtmp, Check c) {
    try (LoadedModel m = ModelIO.open(input)) {
      c.lib.put("open", "ok");
      walk(m.model());
      readSome(m);
      write(m, dir.resolve("lib.h5"), Format.H5, "h5", c);
      write(m, dir.resolve("lib.keras"), Format.KERAS, "keras", c);
    } catch (IOException | UncheckedIOException e) {
      if (!c.lib.has("open"))
        c.lib.put("open", e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (OutOfMemoryError e) {
      throw e;
    } catch (Throwable t) {
      if (!c.lib.has("open")) c.lib.put("open", t.getClass().getName());
      c.problem("library threw " + describe(t));
    }
    checkClean(dir, Set.of("lib.h5", "lib.keras"), c, "library");
    checkTmp(jtmp, c, "library");
  }

  private static void write(LoadedModel m, Path out, Format f, String key, Check c) {
    try {
      ModelIO.write(m, out, ModelIO.WriteOptions.defaults().withFormat(f));
      c.lib.put(key, "ok");
      if (!Files.isRegularFile(out)) {
        c.problem("library write " + key + " returned but left no output");
      }
    } catch (IOException | UncheckedIOException e) {
      c.lib.put(key, e.getClass().getSimpleName() + ": " + e.getMessage());
      if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
        c.problem("library write " + key + " failed but left its output");
      }
    } catch (OutOfMemoryError e) {
      throw e;
    } catch (Throwable t) {
      c.lib.put(key, t.getClass().getName());
      c.problem("library write " + key + " threw " + describe(t));
      if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
        c.problem("library write " + key + " failed but left its output");
      }
    }
  }

  /** Touches every part of the description, as a user of the library would. */
  private static void walk(Model model) {
    StringBuilder sink = new StringBuilder();
    model.configText().ifPresent(t -> sink.append(t.length()));
    model.config().ifPresent(n -> sink.append(n.size()));
    model.trainingConfigText().ifPresent(t -> sink.append(t.length()));
    sink.append(model.kerasVersion().orElse("")).append(model.backend().orElse(""));
    for (Layer l : model.allLayers()) {
      sink.append(l.name()).append(l.className()).append(l.isNestedModel()).append(l.activation());
      sink.append(l.trainable());
      if (l.config() != null) {
        sink.append(l.config().size());
      }
      for (Weight w : l.allWeights()) {
        describeWeight(w, sink);
      }
    }
    for (Weight w : model.layerWeights()) {
      describeWeight(w, sink);
    }
    for (Weight w : model.modelWeights()) {
      describeWeight(w, sink);
    }
    for (Weight w : model.optimizerWeights()) {
      describeWeight(w, sink);
    }
    model.metadata().forEach((k, v) -> sink.append(k).append(v.length()));
  }

  private static void describeWeight(Weight w, StringBuilder sink) {
    sink.append(w.name()).append(w.shape()).append(w.dtype().kerasName()).append(w.role().label());
    sink.append(w.shape().elementCount()).append(w.byteSize()).append(w.key());
  }

  /** Reads up to {@link #READ_BYTES} of each weight's leading rows through the tensor source. */
  private static void readSome(LoadedModel m) throws IOException {
    List<Weight> all = new ArrayList<>(m.model().layerWeights());
    all.addAll(m.model().modelWeights());
    all.addAll(m.model().optimizerWeights());
    for (Weight w : all) {
      long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
      long bytes = w.byteSize();
      if (rows == 0 || bytes == 0) {
        continue;
      }
      long rowBytes = bytes / rows;
      if (rowBytes == 0 || rowBytes > READ_BYTES) {
        continue;
      }
      long n = Math.max(1, Math.min(rows, READ_BYTES / rowBytes));
      ByteBuffer buf =
          ByteBuffer.allocateDirect((int) (n * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
      m.tensors().readRows(w, 0, n, buf);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // command line

  private static void cli(Path input, Path dir, Path jtmp, Check c) throws IOException {
    Run inspect = run(c, "inspect", "inspect", input.toString());
    Run json = run(c, "inspectJson", "inspect", "--json", input.toString());
    checkJson(json, c);
    if (inspect.code != json.code) {
      c.problem("inspect exit " + inspect.code + " but inspect --json exit " + json.code);
    }
    checkTmp(jtmp, c, "inspect");
    // scan never fails on a bad file: exit 0, one document naming the file, no stack trace
    Run scan = run(c, "scan", "scan", "--json", input.toString());
    if (scan.code != 0) {
      c.problem("scan exit " + scan.code + ": " + firstLine(scan.err));
    } else {
      try {
        JsonNode doc = JSON.readTree(scan.out);
        if (doc == null || doc.path("files").size() != 1) {
          c.problem("scan --json: not one document with one file");
        }
      } catch (IOException e) {
        c.problem("scan --json: stdout is not JSON: " + e.getMessage());
      }
    }
    checkTmp(jtmp, c, "scan");
    String name = Math.floorMod(c.id.hashCode(), 2) == 0 ? "cli.h5" : "cli.keras";
    Path out = dir.resolve(name);
    Run convert = run(c, "convert", "convert", input.toString(), "-o", out.toString());
    if (convert.code == 0 && !Files.isRegularFile(out)) {
      c.problem("convert exit 0 but no output");
    }
    if (convert.code != 0 && Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
      c.problem("convert exit " + convert.code + " but output left behind");
    }
    checkClean(dir, Set.of("lib.h5", "lib.keras", name), c, "convert");
    checkTmp(jtmp, c, "convert");
  }

  private record Run(int code, String out, String err) {}

  private static Run run(Check c, String key, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err)) {
      code = Main.newCommandLine(o, e).execute(args);
    }
    String errText = err.toString();
    c.cli.put(key, code);
    if (code != 0) {
      c.cliErr.put(key, errText.strip());
    }
    if (code != 0 && !DOCUMENTED_FAILURES.contains(code)) {
      c.problem(key + ": exit code " + code + ": " + firstLine(errText));
    }
    if (errText.contains("\tat ")
        || errText.contains("Exception in thread")
        || errText.contains("Caused by:")) {
      c.problem(key + ": stack trace on stderr: " + firstLine(errText));
    }
    if (code != 0) {
      List<String> lines = errText.lines().toList();
      if (lines.size() != 1 || !lines.get(0).startsWith("initkit: ")) {
        c.problem(
            key + ": expected one error line, got " + lines.size() + ": " + firstLine(errText));
      }
    }
    return new Run(code, out.toString(), errText);
  }

  private static void checkJson(Run r, Check c) {
    try {
      JsonNode doc = JSON.readTree(r.out);
      if (doc == null || !doc.isObject() || doc.path("ok").asBoolean() != (r.code == 0)) {
        c.problem("inspect --json: not one document with ok=" + (r.code == 0));
      }
    } catch (IOException e) {
      c.problem("inspect --json: stdout is not JSON: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // checks

  /** Only the expected outputs may be in the work directory: no temporaries, nothing else. */
  private static void checkClean(Path dir, Set<String> allowed, Check c, String stage) {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (AtomicFiles.isTempName(n) || n.contains("initkit-")) {
          c.problem(stage + ": temporary file left behind: " + n);
        } else if (!allowed.contains(n)) {
          c.problem(stage + ": unexpected file in the output directory: " + n);
        }
      }
    } catch (IOException e) {
      c.problem(stage + ": cannot list " + dir + ": " + e);
    }
  }

  /** The extraction temporaries of archives ({@code initkit-*.weights.h5}) must be gone. */
  private static void checkTmp(Path jtmp, Check c, String stage) {
    try (Stream<Path> s = Files.list(jtmp)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (n.startsWith("initkit-") || AtomicFiles.isTempName(n)) {
          c.problem(stage + ": temporary file left in java.io.tmpdir: " + n);
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      c.problem(stage + ": cannot list " + jtmp + ": " + e);
    }
  }

  /** What went wrong where: class, message and the first frames of initkit code. */
  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder(t.getClass().getName());
    if (t.getMessage() != null) {
      String m = t.getMessage();
      sb.append(": ").append(m.length() > 300 ? m.substring(0, 300) + "..." : m);
    }
    int shown = 0;
    for (StackTraceElement e : t.getStackTrace()) {
      if (shown >= 6) {
        break;
      }
      sb.append(" @ ")
          .append(e.getClassName().replace("dev.initkit.", ""))
          .append('.')
          .append(e.getMethodName())
          .append(':')
          .append(e.getLineNumber());
      shown++;
    }
    return sb.toString();
  }

  private static String firstLine(String s) {
    String l = s.strip().lines().findFirst().orElse("");
    return l.length() > 300 ? l.substring(0, 300) + "..." : l;
  }

  /** SHA-256 of a file, or of a directory's files with their relative paths. */
  static String hash(Path p) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      if (Files.isDirectory(p)) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(p)) {
          files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
          md.update(p.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
          digestFile(md, f);
        }
      } else {
        digestFile(md, p);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void digestFile(MessageDigest md, Path f) throws IOException {
    byte[] buf = new byte[1 << 16];
    try (var in = Files.newInputStream(f)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The outcome of one input. */
  private static final class Check {
    final String id;
    final ObjectNode lib = JSON.createObjectNode();
    final ObjectNode cli = JSON.createObjectNode();
    final ObjectNode cliErr = JSON.createObjectNode();
    final ArrayNode problems = JSON.createArrayNode();

    Check(String id) {
      this.id = id;
    }

    void problem(String p) {
      problems.add(p);
    }

    String toJson() {
      ObjectNode o = JSON.createObjectNode();
      o.put("id", id);
      o.set("lib", lib);
      o.set("cli", cli);
      o.set("cliErr", cliErr);
      o.set("problems", problems);
      return o.toString();
    }
  }
}
