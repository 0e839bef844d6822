package dev.initkit.scan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.format.Detection;
import dev.initkit.format.FormatDetector;
import dev.initkit.format.keras3.ZipDirectory;
import dev.initkit.internal.BoundedText;
import dev.initkit.internal.Json;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.OwnedModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Scans model files without running anything in them: what a path is comes from {@link
 * FormatDetector} (pure Java, before any native library sees the file); zip archives are read from
 * their central directory; HDF5 files are walked link by link, never following one, and a dataset's
 * declared size is held against the file before anything reads it; configs are read as JSON and
 * never resolved. The health rules then open the model through {@link ModelIO} (whose readers check
 * the same structure again) and sample its weights.
 *
 * <p>A directory is walked recursively without following symbolic links out of it; a SavedModel or
 * unzipped {@code .keras} directory is one model. Files are scanned on a bounded pool and results
 * come back in walk order, at most {@code 32 * threads} ahead of the sink (a bounded reorder
 * buffer: a caller can write each result as it comes). Nothing about one file stops the scan:
 * whatever goes wrong becomes that file's {@link FileScan#error()}.
 *
 * <p>Thread-safe: one instance may serve several scans.
 */
public final class Scanner {
  /**
   * How to scan.
   *
   * @param threads files scanned at once (at least 1)
   * @param health whether to open the model and apply the health rules
   * @param sampleBytes the most bytes read of one weight for the health rules
   */
  public record Options(int threads, boolean health, long sampleBytes) {
    /** Checks the values. */
    public Options {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1: " + threads);
      }
      if (sampleBytes < 1) {
        throw new IllegalArgumentException("sampleBytes must be positive: " + sampleBytes);
      }
    }

    /** All cores, health rules on, 1 MiB sampled per weight. */
    public static Options defaults() {
      return new Options(Runtime.getRuntime().availableProcessors(), true, 1L << 20);
    }

    /** These options with another thread count. */
    public Options withThreads(int n) {
      return new Options(n, health, sampleBytes);
    }

    /** These options with the health rules on or off. */
    public Options withHealth(boolean h) {
      return new Options(threads, h, sampleBytes);
    }
  }

  /** Extensions a directory walk picks up (any file given by name is scanned). */
  private static final List<String> MODEL_EXTENSIONS =
      List.of(".h5", ".hdf5", ".keras", ".json", ".safetensors");

  /**
   * Results a thread may run ahead of the sink: enough that one slow file (a large model among
   * small ones) does not idle the other threads while the sink waits for it in order.
   */
  static final int WINDOW_PER_THREAD = 32;

  private final Options options;

  /**
   * Whether HDF5 structure is walked in Java first ({@link H5JavaWalk}): where an SLF4J provider is
   * installed, and as tests choose.
   */
  private final boolean javaWalk;

  /** A scanner with {@code options}. */
  public Scanner(Options options) {
    this(options, H5JavaWalk.AVAILABLE);
  }

  /** With {@code javaWalk} false, every HDF5 file is walked natively (tests compare the two). */
  Scanner(Options options, boolean javaWalk) {
    this.options = Objects.requireNonNull(options, "options");
    this.javaWalk = javaWalk;
  }

  /**
   * Scans every model under {@code roots} and gives each result to {@code sink}, in walk order,
   * from the calling thread.
   *
   * @throws IOException when a root cannot be walked (a missing root gives an error entry instead)
   * @throws InterruptedException when the calling thread is interrupted
   */
  public void scan(List<Path> roots, Consumer<FileScan> sink)
      throws IOException, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(options.threads(), Scanner::daemon);
    Deque<Future<FileScan>> window = new ArrayDeque<>();
    try {
      Consumer<Target> submit =
          t -> {
            if (t.skip() != null) {
              FileScan skipped = new FileScan(t.path().toString(), "", List.of(), t.skip());
              window.add(java.util.concurrent.CompletableFuture.completedFuture(skipped));
            } else {
              window.add(pool.submit(() -> scan(t.path(), t.explicit())));
            }
            while (window.size() > WINDOW_PER_THREAD * options.threads()) {
              emit(window.poll(), sink);
            }
          };
      for (Path root : roots) {
        walk(root, submit);
      }
      while (!window.isEmpty()) {
        emit(window.poll(), sink);
      }
    } catch (Interrupted e) {
      throw e.cause;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A path to scan; {@code explicit} when the user named it rather than the walk finding it; {@code
   * skip} says why it is not scanned, or is null.
   */
  private record Target(Path path, boolean explicit, String skip) {
    Target(Path path, boolean explicit) {
      this(path, explicit, null);
    }
  }

  /** Carries an interruption out of the walk's visitor. */
  private static final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient InterruptedException cause;

    Interrupted(InterruptedException cause) {
      super(cause);
      this.cause = cause;
    }
  }

  private static void emit(Future<FileScan> f, Consumer<FileScan> sink) {
    FileScan r;
    try {
      r = f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Interrupted(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("scan task failed", e.getCause()); // scan(Path) never throws
    }
    if (r != null) {
      sink.accept(r);
    }
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "initkit-scan");
    t.setDaemon(true);
    return t;
  }

  private static void walk(Path root, Consumer<Target> submit) throws IOException {
    if (!Files.isDirectory(root) || isModelDirectory(root)) {
      submit.accept(new Target(root, true));
      return;
    }
    boolean[] any = {false};
    walkDirectory(
        root,
        root.toRealPath(),
        t -> {
          any[0] = true;
          submit.accept(t);
        });
    if (!any[0]) {
      // a directory the user named is never silently dropped from the results
      submit.accept(
          new Target(
              root,
              true,
              "no model file in the directory (looked for "
                  + String.join(", ", MODEL_EXTENSIONS)
                  + " files, SavedModels and unzipped .keras directories)"));
    }
  }

  /** Entries in name order, so results come in the same order on every file system. */
  private static void walkDirectory(Path dir, Path realRoot, Consumer<Target> submit) {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(entries::add);
    } catch (IOException e) {
      submit.accept(new Target(dir, false, "cannot list the directory: " + e.getMessage()));
      return;
    }
    entries.sort(Comparator.comparing(p -> p.getFileName().toString()));
    for (Path p : entries) {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        continue; // gone since the listing
      }
      if (a.isSymbolicLink()) {
        link(p, realRoot, submit);
      } else if (a.isDirectory()) {
        if (isModelDirectory(p)) {
          submit.accept(new Target(p, false));
        } else {
          walkDirectory(p, realRoot, submit);
        }
      } else if (a.isRegularFile() && hasModelExtension(p)) {
        submit.accept(new Target(p, false));
      }
    }
  }

  /** A link is scanned as the file it names when that lies in the tree; never followed out. */
  private static void link(Path file, Path realRoot, Consumer<Target> submit) {
    Path real;
    try {
      real = file.toRealPath();
    } catch (IOException e) {
      return; // dangling: nothing to scan
    }
    if (!real.startsWith(realRoot)) {
      submit.accept(
          new Target(file, false, "symbolic link to " + real + ", outside the tree: not followed"));
    } else if (Files.isRegularFile(real) && hasModelExtension(file)) {
      submit.accept(new Target(file, false));
    }
    // a link to a directory inside the tree is walked where the directory is
  }

  private static boolean hasModelExtension(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return MODEL_EXTENSIONS.stream().anyMatch(n::endsWith);
  }

  private static boolean isModelDirectory(Path dir) {
    return Files.isRegularFile(dir.resolve("saved_model.pb"))
        || Files.isRegularFile(dir.resolve("saved_model.pbtxt"))
        // a SavedModel that lost its graph is one damaged model (an error entry), not a tree
        // whose files are all skipped
        || Files.isRegularFile(dir.resolve("keras_metadata.pb"))
        || Files.isRegularFile(dir.resolve("fingerprint.pb"))
        || Files.isRegularFile(dir.resolve("variables").resolve("variables.index"))
        || (Files.isRegularFile(dir.resolve("config.json"))
            && (Files.isRegularFile(dir.resolve("model.weights.h5"))
                || Files.isRegularFile(dir.resolve("model.weights.npz"))));
  }

  /**
   * Scans one file or model directory. Never throws: what cannot be scanned becomes the result's
   * error.
   */
  public FileScan scan(Path path) {
    return scan(path, true);
  }

  private FileScan scan(Path path, boolean explicit) {
    String shown = path.toString();
    List<Finding> out = new ArrayList<>();
    Location base = new Location(shown, "", "");
    String format = "";
    try {
      Detection d;
      try {
        d = FormatDetector.detect(path);
      } catch (ModelFormatException e) {
        if (!explicit && shown.toLowerCase(Locale.ROOT).endsWith(".json")) {
          return null; // a JSON file beside the models that is not one
        }
        if (looksLikeZip(path)) {
          // the reader refuses the archive (traversal, duplicates...): say why, rule by rule
          try {
            keras(path, base, out, javaWalk);
          } catch (IOException | RuntimeException x) {
            // the detector's message below says what is wrong
          }
        }
        return new FileScan(shown, "", out, e.getMessage());
      }
      format = d.kind() == Detection.Kind.KERAS_JSON_CONFIG ? "json" : d.format().extension();
      boolean structural = structure(path, d, base, out, javaWalk);
      boolean savedModel = d.kind() == Detection.Kind.SAVED_MODEL_DIR; // its config needs a reader
      if (savedModel && !options.health() && !structural) {
        var meta = SavedModelRules.kerasConfig(path);
        if (meta.isPresent()) {
          // keras_metadata.pb alone: the config rules never need saved_model.pb parsed whole
          if (meta.get().config() != null) {
            ConfigRules.check(
                meta.get().config(), base.withMember("keras_metadata.pb"), false, out);
          }
          return new FileScan(shown, format, out, null);
        }
      }
      if ((options.health() || savedModel)
          && !structural
          && d.kind() != Detection.Kind.KERAS_JSON_CONFIG) {
        health(path, d, base, out, options.health());
      }
      return new FileScan(shown, format, out, null);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      String m = e.getMessage();
      return new FileScan(
          shown, format, out, e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    }
  }

  /**
   * The structure and config rules.
   *
   * @return true when a structural finding makes the file one not to hand to a reader
   */
  private static boolean structure(
      Path path, Detection d, Location base, List<Finding> out, boolean javaWalk)
      throws IOException {
    int before = out.size();
    switch (d.kind()) {
      case HDF5:
        H5JavaWalk.Outcome walked = javaWalk ? H5JavaWalk.file(path, true) : null;
        if (walked != null && walked.clean()) {
          String text = walked.modelConfig();
          JsonNode parsed = text == null ? null : parseOrNull(text);
          if (text == null || parsed != null) {
            if (parsed != null) {
              ConfigRules.check(parsed, base.withMember("/@model_config"), true, out);
            }
            break;
          }
          // a config that does not parse (a damaged string?): read again as the loader reads it
        }
        try (H5File f = H5File.openReadOnly(path)) {
          H5Rules.check(f, "", base, out);
          if (f.root().hasAttribute("model_config")) {
            AttrValue v = f.root().attribute("model_config");
            String text = v instanceof AttrValue.Str ? ((AttrValue.Str) v).value() : null;
            config(text, base.withMember("/@model_config"), true, out);
          }
        } catch (H5Exception e) {
          out.add(Rules.UNREADABLE.at(base, "HDF5 structure not readable: " + e.getMessage()));
        }
        break;
      case KERAS_ZIP:
        keras(path, base, out, javaWalk);
        break;
      case KERAS_DIR:
        Path dir = path;
        config(text(dir.resolve("config.json"), path), base.withMember("config.json"), false, out);
        Path meta = dir.resolve("metadata.json");
        if (Files.isRegularFile(meta)) {
          config(text(meta, path), base.withMember("metadata.json"), false, out);
        }
        Path weights = dir.resolve("model.weights.h5");
        if (Files.isRegularFile(weights)
            && FormatDetector.detect(weights).hdf5()
            && !(javaWalk && H5JavaWalk.file(weights, false).clean())) {
          try (H5File f = H5File.openReadOnly(weights)) {
            H5Rules.check(f, "model.weights.h5:", base, out);
          } catch (H5Exception e) {
            out.add(
                Rules.UNREADABLE.at(
                    base.withMember("model.weights.h5"), "not readable HDF5: " + e.getMessage()));
          }
        }
        break;
      case KERAS_JSON_CONFIG:
        config(text(path, path), base, false, out);
        break;
      case SAVED_MODEL_DIR:
        SavedModelRules.check(path, base, out); // the graph; the Keras metadata comes with health
        break;
      default:
        break;
    }
    for (int i = before; i < out.size(); i++) {
      String rule = out.get(i).rule();
      if (rule.startsWith("h5-external")
          || rule.equals(Rules.H5_VIRTUAL_DATASET.id())
          || rule.equals(Rules.SHAPE_BOMB.id())
          || rule.startsWith("zip-")
          || rule.equals(Rules.UNREADABLE.id())) {
        return true;
      }
    }
    return false;
  }

  private static void keras(Path path, Location base, List<Finding> out, boolean javaWalk)
      throws IOException {
    ZipDirectory dir;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      dir = ZipRules.check(path, ch, base, out);
      for (ZipDirectory.Entry e : dir.entries()) {
        if (e.name().equals("model.weights.h5") && e.method() == 0 && e.size() >= 8) {
          long at = ZipDirectory.dataStart(path, ch, e);
          ByteBuffer head = ByteBuffer.allocate(8);
          ch.read(head, at);
          if (java.util.Arrays.equals(head.array(), ZipRules.HDF5_MAGIC)
              && !(javaWalk && H5JavaWalk.member(ch, at, e.size()).clean())) {
            try (H5File f = H5File.openMember(path, at, e.size(), path)) {
              H5Rules.check(f, "model.weights.h5:", base, out);
            } catch (H5Exception x) {
              out.add(
                  Rules.UNREADABLE.at(
                      base.withMember("model.weights.h5"), "not readable HDF5: " + x.getMessage()));
            }
          }
          break; // a duplicate is reported by the zip rules; one is enough to walk
        }
      }
    }
    try (ZipFile zip = new ZipFile(path.toFile(), StandardCharsets.UTF_8)) {
      for (String name : List.of("config.json", "metadata.json")) {
        ZipEntry e = zip.getEntry(name);
        if (e != null) {
          String text;
          try (java.io.InputStream in = zip.getInputStream(e)) {
            text = BoundedText.read(in, Json.MAX_CONFIG_CHARS, path, name);
          }
          config(text, base.withMember(name), false, out);
        }
      }
    }
  }

  private static boolean looksLikeZip(Path path) {
    if (!Files.isRegularFile(path)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(4);
      ch.read(head, 0);
      return ZipDirectory.hasSignature(head.array());
    } catch (IOException e) {
      return false;
    }
  }

  private static String text(Path file, Path shown) throws IOException {
    return BoundedText.readFile(file, Json.MAX_CONFIG_CHARS, shown, file.getFileName().toString());
  }

  private static JsonNode parseOrNull(String text) {
    try {
      return Json.parse(text);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return null;
    }
  }

  private static void config(String text, Location at, boolean h5, List<Finding> out) {
    if (text == null) {
      return;
    }
    JsonNode n;
    try {
      n = Json.parse(text);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      out.add(Rules.ZIP_MEMBER_MISMATCH.at(at, "not valid JSON: " + e.getMessage()));
      return;
    }
    ConfigRules.check(n, at, h5, out);
  }

  private void health(Path path, Detection d, Location base, List<Finding> out, boolean weights) {
    try (OwnedModel m = ModelIO.open(path)) {
      if (d.kind() == Detection.Kind.SAVED_MODEL_DIR && m.model().config().isPresent()) {
        ConfigRules.check(
            m.model().config().get(), base.withMember("keras_metadata.pb"), false, out);
      }
      if (weights) {
        HealthRules.check(m, options.sampleBytes(), base, out);
      }
    } catch (ModelFormatException e) {
      out.add(Rules.UNREADABLE.at(base, e.getMessage()));
    } catch (IOException | RuntimeException e) {
      String msg = e.getMessage();
      out.add(
          Rules.UNREADABLE.at(
              base, e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg)));
    }
  }
}
