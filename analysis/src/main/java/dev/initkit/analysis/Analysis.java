package dev.initkit.analysis;

import dev.initkit.Hint;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.ModelIO.WriteOptions;
import dev.initkit.ModelIO.WriteResult;
import dev.initkit.TargetRuntime;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Format;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Reinitializer.Scheme;
import dev.initkit.ops.Selector;
import dev.initkit.ops.WeightSite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The facade of analyze, lsuv and compare. Each call writes the model (or a reinitialized copy per
 * scheme) in a temporary directory, runs the engine on it in a child JVM ({@link ForkedWorker}):
 * TensorFlow Java on the graph the SavedModel exporter lowers ({@link TfEngine}, the default), or
 * DL4J's Keras import on a tf.keras-form .h5 ({@link Dl4jWorker}); and returns the result. Scheme
 * names are {@code file} (the weights as stored), {@code lsuv}, and whatever {@code reinit
 * --scheme} takes ({@code configured}, {@code auto}, a spec such as {@code he_normal} or {@code
 * small}): kernels are drawn, the rest is kept. Stateless.
 */
public final class Analysis {
  /** The scheme label of the weights as stored. */
  public static final String FILE = "file";

  /** The scheme label of LSUV (orthonormal pre-init, then scaled per layer). */
  public static final String LSUV = "lsuv";

  /**
   * The keras_version written into DL4J's copy of a Keras 3 model (its config is in the tf.keras
   * form).
   */
  /**
   * The copies DL4J reads: the dl4j form ({@code convert --for dl4j}): a Keras 2 header, nested
   * single input/output lists and tf-keras weight names, so that Keras-3-written files run too.
   */
  private static final WriteOptions DL4J_COPY =
      new WriteOptions(Format.H5, true, false, false, TargetRuntime.DL4J);

  private Analysis() {}

  /**
   * Common settings.
   *
   * @param read how to read the model
   * @param data the user's data (.npy, .npz, .csv, a folder of images) or null for standard-normal
   *     inputs
   * @param batch samples per analysis / LSUV batch
   * @param seed seed of the draws, the generated batch and the shuffles
   * @param launch how to start the engine's JVM
   * @param progress receives progress lines (from another thread too)
   * @param engine what runs the model: TensorFlow (the default) or DL4J
   */
  public record Settings(
      ReadOptions read,
      Path data,
      int batch,
      long seed,
      ForkedWorker.Launch launch,
      Consumer<String> progress,
      WorkerRequest.Engine engine) {
    public Settings {
      Objects.requireNonNull(read, "read");
      Objects.requireNonNull(launch, "launch");
      Objects.requireNonNull(progress, "progress");
      Objects.requireNonNull(engine, "engine");
      if (batch < 1) {
        throw new IllegalArgumentException("batch must be >= 1, got " + batch);
      }
    }

    /** On TensorFlow. */
    public Settings(
        ReadOptions read,
        Path data,
        int batch,
        long seed,
        ForkedWorker.Launch launch,
        Consumer<String> progress) {
      this(read, data, batch, seed, launch, progress, WorkerRequest.Engine.TENSORFLOW);
    }

    /** The same settings on another engine. */
    public Settings withEngine(WorkerRequest.Engine e) {
      return new Settings(read, data, batch, seed, launch, progress, e);
    }
  }

  /** LSUV's default stopping rule: tol 0.1, 10 iterations, layers of 32 outputs or more. */
  public static WorkerRequest.LsuvOptions lsuvDefaults() {
    return new WorkerRequest.LsuvOptions(0.1, 10, 32);
  }

  /** Per layer statistics under each scheme, in the order given. */
  public static List<SchemeAnalysis> analyze(
      Path file, List<String> schemes, WorkerRequest.LsuvOptions lsuv, Settings s)
      throws IOException {
    return withCopies(
        file,
        schemes,
        s,
        (entries, f) ->
            withEstimates(
                ForkedWorker.run(
                        new WorkerRequest(
                            "analyze",
                            entries,
                            dataPath(s),
                            s.batch(),
                            s.seed(),
                            lsuv,
                            null,
                            f.classes(),
                            f.activations(),
                            f.modelClass(),
                            s.engine().id()),
                        file,
                        s.data(),
                        s.launch(),
                        s.progress())
                    .analyses(),
                f.estimates()));
  }

  /** Each scheme's measurement with the data-free estimate of its weights beside it. */
  private static List<SchemeAnalysis> withEstimates(
      List<SchemeAnalysis> measured, Map<String, Map<String, Double>> estimates) {
    return measured.stream()
        .map(a -> a.withEstimate(estimates.getOrDefault(a.scheme(), Map.of())))
        .toList();
  }

  /**
   * {@code report}'s data-free estimate of each layer's output std on a copy's weights (the
   * observed basis: the values the worker runs), by layer path; empty when the model has no graph
   * to follow.
   */
  private static Map<String, Double> estimate(LoadedModel copy) throws IOException {
    Map<String, Double> out = new LinkedHashMap<>();
    for (InitReport.DepthStep step : InitReport.of(copy).observedDepth().steps()) {
      if (!Double.isNaN(step.mean()) && Double.isFinite(step.std())) {
        out.put(step.layerPath(), step.std());
      }
    }
    return out;
  }

  /**
   * LSUV: orthonormal kernels (seeded), then each kernel scaled until its layer's output variance
   * on the batch is 1 within tol; writes the result to {@code out} atomically in {@code write}'s
   * format.
   */
  public static LsuvOutcome lsuv(
      Path file, Path out, WriteOptions write, WorkerRequest.LsuvOptions lsuv, Settings s)
      throws IOException {
    checkData(s);
    Path dir = dev.initkit.internal.AtomicFiles.createScratchDirectory("initkit-lsuv");
    try (LoadedModel loaded = ModelIO.open(file, s.read())) {
      requireConfig(loaded, file);
      LoadedModel pre = orthonormal(loaded, s.seed());
      Path h5 = dir.resolve("orthonormal" + copyExtension(file, s));
      ModelIO.write(pre, h5, copyOptions(s));
      WorkerRequest req =
          new WorkerRequest(
              "lsuv",
              List.of(new WorkerRequest.ModelEntry(LSUV, h5.toString(), false)),
              dataPath(s),
              s.batch(),
              s.seed(),
              lsuv,
              null,
              layerClasses(loaded),
              layerActivations(loaded),
              modelClass(loaded),
              s.engine().id());
      LsuvResult r = ForkedWorker.run(req, file, s.data(), s.launch(), s.progress()).lsuv();
      Map<String, Double> factors = new LinkedHashMap<>();
      for (WeightSite site : WeightSite.of(pre.model())) {
        if (site.weight().role() != WeightRole.KERNEL) {
          continue;
        }
        for (LsuvResult.Layer l : r.layers()) {
          if (l.scaled() && l.name().equals(site.layerPath())) {
            factors.put(site.weight().key(), l.scale());
          }
        }
      }
      WriteResult w =
          ModelIO.write(pre.withTensors(new ScaledTensors(pre.tensors(), factors)), out, write);
      return new LsuvOutcome(r, w);
    } finally {
      dev.initkit.internal.AtomicFiles.deleteScratch(dir);
    }
  }

  /** What {@link #lsuv} did and wrote. */
  public record LsuvOutcome(LsuvResult result, WriteResult written) {}

  /** Trains one copy per scheme on labelled data; also the initial analysis of each copy. */
  public static Comparison compare(
      Path file,
      List<String> schemes,
      WorkerRequest.TrainingOptions training,
      WorkerRequest.LsuvOptions lsuv,
      Settings s)
      throws IOException {
    if (s.data() == null) {
      throw new IllegalArgumentException(
          "Analysis.compare needs Settings.data: labelled training data (.npz with"
              + " x_train/y_train, or CSV)");
    }
    return withCopies(
        file,
        schemes,
        s,
        (entries, f) -> {
          WorkerResult r =
              ForkedWorker.run(
                  new WorkerRequest(
                      "train",
                      entries,
                      dataPath(s),
                      s.batch(),
                      s.seed(),
                      lsuv,
                      training,
                      f.classes(),
                      f.activations(),
                      f.modelClass(),
                      s.engine().id()),
                  file,
                  s.data(),
                  s.launch(),
                  s.progress());
          return new Comparison(r.runs(), withEstimates(r.analyses(), f.estimates()));
        });
  }

  /** Training curves and the initial per layer statistics, per scheme. */
  public record Comparison(List<TrainingRun> runs, List<SchemeAnalysis> initial) {}

  /** What the worker is told about the model's layers. */
  private record Facts(
      Map<String, String> classes,
      Map<String, String> activations,
      String modelClass,
      Map<String, Map<String, Double>> estimates) {
    static Facts of(LoadedModel loaded, Map<String, Map<String, Double>> estimates) {
      return new Facts(
          layerClasses(loaded), layerActivations(loaded), Analysis.modelClass(loaded), estimates);
    }
  }

  private interface Task<T> {
    T run(List<WorkerRequest.ModelEntry> entries, Facts facts) throws IOException;
  }

  private static <T> T withCopies(Path file, List<String> schemes, Settings s, Task<T> task)
      throws IOException {
    if (schemes.isEmpty()) {
      throw new IllegalArgumentException("no scheme given");
    }
    List<Scheme> parsed = new ArrayList<>();
    for (String name : schemes) {
      parsed.add(
          FILE.equals(name) || LSUV.equals(name)
              ? null
              : Scheme.parse(name)); // bad names fail before any work
    }
    checkData(s);
    Path dir = dev.initkit.internal.AtomicFiles.createScratchDirectory("initkit-analysis-models");
    try (LoadedModel loaded = ModelIO.open(file, s.read())) {
      requireConfig(loaded, file);
      List<WorkerRequest.ModelEntry> entries = new ArrayList<>();
      Map<String, Map<String, Double>> estimates = new LinkedHashMap<>();
      for (int i = 0; i < schemes.size(); i++) {
        String name = schemes.get(i);
        s.progress().accept("preparing " + name);
        LoadedModel copy;
        if (FILE.equals(name)) {
          copy = loaded;
        } else if (LSUV.equals(name)) {
          copy = orthonormal(loaded, s.seed());
        } else {
          copy =
              Reinitializer.apply(
                  loaded,
                  Reinitializer.plan(loaded.model(), parsed.get(i), Selector.all(), s.seed()));
        }
        Path h5 = dir.resolve("scheme" + i + copyExtension(file, s));
        ModelIO.write(copy, h5, copyOptions(s));
        entries.add(new WorkerRequest.ModelEntry(name, h5.toString(), LSUV.equals(name)));
        if (!LSUV.equals(
            name)) { // LSUV's scales come from the batch: nothing to estimate before it
          estimates.put(name, estimate(copy));
        }
      }
      return task.run(entries, Facts.of(loaded, estimates));
    } finally {
      dev.initkit.internal.AtomicFiles.deleteScratch(dir);
    }
  }

  /**
   * How the copies the engine runs are written: DL4J's form for DL4J; for TensorFlow the source's
   * own form (a .keras stays a .keras), which the graph lowering reads as Keras wrote it.
   */
  private static WriteOptions copyOptions(Settings s) {
    return s.engine() == WorkerRequest.Engine.DL4J
        ? DL4J_COPY
        : WriteOptions.defaults().withOverwrite(true);
  }

  private static String copyExtension(Path file, Settings s) {
    String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return s.engine() == WorkerRequest.Engine.TENSORFLOW && n.endsWith(".keras") ? ".keras" : ".h5";
  }

  private static LoadedModel orthonormal(LoadedModel loaded, long seed) throws IOException {
    Scheme orth = Scheme.fixed(InitializerSpec.parse("orthogonal"));
    return Reinitializer.apply(
        loaded, Reinitializer.plan(loaded.model(), orth, Selector.all(), seed));
  }

  private static void requireConfig(LoadedModel loaded, Path file)
      throws UnsupportedModelException {
    if (loaded.model().config().isEmpty()) {
      throw new UnsupportedModelException(
          file,
          "",
          "a weights-only file has no architecture to run: give the architecture JSON as "
              + Hint.ARCHITECTURE_CONFIG.apiName(),
          Hint.ARCHITECTURE_CONFIG);
    }
  }

  private static Map<String, String> layerActivations(LoadedModel loaded) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Layer l : loaded.model().allLayers()) {
      String a = l.activation();
      if (a != null) {
        m.put(l.name(), a.toLowerCase(java.util.Locale.ROOT));
      }
    }
    return m;
  }

  private static String modelClass(LoadedModel loaded) {
    return loaded.model().config().map(c -> c.path("class_name").asText(null)).orElse(null);
  }

  private static Map<String, String> layerClasses(LoadedModel loaded) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Layer l : loaded.model().allLayers()) {
      m.put(l.name(), l.className());
    }
    return m;
  }

  /** A missing data file is an I/O error found before DL4J's JVM starts. */
  private static void checkData(Settings s) throws IOException {
    if (s.data() != null && !Files.exists(s.data())) {
      throw new java.nio.file.NoSuchFileException(
          s.data().toString(), null, "no such file or directory");
    }
  }

  private static String dataPath(Settings s) {
    return s.data() == null ? null : s.data().toAbsolutePath().toString();
  }
}
