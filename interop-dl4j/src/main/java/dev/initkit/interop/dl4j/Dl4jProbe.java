package dev.initkit.interop.dl4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.dl4j.InitialValues;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelUtils;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Imports one Keras full-model {@code .h5} (or several, one after another) with DL4J's Keras
 * import, runs a forward pass on a deterministic input and writes what happened as JSON.
 *
 * <p>Usage: {@code Dl4jProbe FILE OUTJSON [--input NPZ-or-seed]} or {@code Dl4jProbe --batch LIST},
 * optionally with {@value #AVOID_DISTRIBUTION_INIT} first, where each line of LIST is {@code
 * FILE<TAB>OUTJSON[<TAB>NPZ-or-seed]}. In batch mode the files are processed in order and each JSON
 * is written (atomically) as soon as that file is done, so that a launcher can tell which file a
 * crash or a hang belongs to: the first one without its JSON.
 *
 * <p>DL4J can crash the JVM (SIGSEGV in native code) or hang on some files: run this only in its
 * own process, with a time limit (see {@link Dl4jRunner}). It never throws out of {@code main}:
 * every failure is recorded in the JSON, and it exits 0 once the JSON is written (2 for a usage
 * error, 3 when the JSON itself cannot be written).
 *
 * <p>JSON: {@code {"file", "imported", "error", "kind", "inputShapes", "outputShapes", "outputs":
 * [[flattened float32, row-major]], "paramCount", "paramsHash" (sha256 of all parameters as float32
 * little-endian, in DL4J's parameter order), "paramTable": {name: {"shape", "sha256"}},
 * "forwardError", "millis"}}. Non-finite output values are written as the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"}.
 */
public final class Dl4jProbe {
  /**
   * Flag: replace DL4J's distribution-based initial values (Keras Orthogonal) by Xavier before the
   * weights are copied in. Not what KerasModelImport does: a work-around for its hang, used only to
   * retry files that timed out, and reported as such.
   */
  public static final String AVOID_DISTRIBUTION_INIT = "--avoid-distribution-init";

  /** Suffix of the file beside OUTJSON where the watchdog writes the probing thread's stack. */
  public static final String STACK_SUFFIX = ".stack";

  static final long STACK_EVERY_MILLIS = 2000;

  /** The batch size of the generated input. */
  public static final int BATCH = 2;

  /** The default seed of the generated input. */
  public static final long DEFAULT_SEED = 42L;

  /** What a dimension of unknown size (Keras {@code None}: time steps) becomes. */
  static final int UNKNOWN_DIM = 8;

  /** What an image dimension of unknown size becomes. */
  static final int UNKNOWN_IMAGE_DIM = 32;

  /**
   * The seed of DL4J's initial values. KerasModelImport leaves DL4J's default (the current time); a
   * fixed one keeps any parameter that the import does not overwrite equal from run to run.
   */
  static final long INIT_SEED = 12345L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Dl4jProbe() {}

  /** Runs the probe. See the class comment for the arguments. */
  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (
        Throwable t) { // nothing may escape: the launcher reads the JSON and the exit code only
      System.err.println("Dl4jProbe: " + describe(t));
      code = 3;
    }
    System.out.flush();
    System.err.flush();
    // halt, not exit: ND4J leaves threads and shutdown hooks behind, and everything is written by
    // now
    Runtime.getRuntime().halt(code);
  }

  private static int run(String[] rawArgs) throws IOException {
    List<String> args = new ArrayList<>(Arrays.asList(rawArgs));
    boolean avoidDistributionInit = args.remove(AVOID_DISTRIBUTION_INIT);
    List<String[]> jobs = new ArrayList<>();
    if (args.size() == 2 && args.get(0).equals("--batch")) {
      for (String line : Files.readAllLines(Path.of(args.get(1)), StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        String[] p = line.split("\t", -1);
        if (p.length < 2) {
          System.err.println(
              "Dl4jProbe: bad batch line (expected FILE<TAB>OUTJSON[<TAB>INPUT]): " + line);
          return 2;
        }
        jobs.add(new String[] {p[0], p[1], p.length > 2 && !p[2].isEmpty() ? p[2] : null});
      }
    } else if (args.size() == 2 || (args.size() == 4 && args.get(2).equals("--input"))) {
      jobs.add(new String[] {args.get(0), args.get(1), args.size() == 4 ? args.get(3) : null});
    } else {
      System.err.println(
          "usage: Dl4jProbe ["
              + AVOID_DISTRIBUTION_INIT
              + "] FILE OUTJSON [--input NPZ-or-seed]"
              + " | Dl4jProbe ["
              + AVOID_DISTRIBUTION_INIT
              + "] --batch LIST");
      return 2;
    }
    int code = 0;
    Watchdog watchdog = new Watchdog(Thread.currentThread());
    watchdog.start();
    for (String[] job : jobs) {
      watchdog.watch(Path.of(job[1] + STACK_SUFFIX));
      ObjectNode result = probe(Path.of(job[0]), job[2], avoidDistributionInit);
      watchdog.watch(null);
      try {
        writeAtomically(Path.of(job[1]), result);
      } catch (Throwable t) {
        System.err.println("Dl4jProbe: cannot write " + job[1] + ": " + describe(t));
        code = 3;
      }
    }
    return code;
  }

  /**
   * Writes where the probing thread is, every {@value #STACK_EVERY_MILLIS} ms, to {@code OUTJSON}
   * {@value #STACK_SUFFIX}, so that a launcher that kills a hung probe can tell where DL4J hung.
   */
  private static final class Watchdog extends Thread {
    private final Thread watched;
    private volatile Path target;

    Watchdog(Thread watched) {
      super("dl4j-probe-watchdog");
      this.watched = watched;
      setDaemon(true);
    }

    void watch(Path stackFile) {
      target = stackFile;
    }

    @Override
    public void run() {
      while (true) {
        try {
          Thread.sleep(STACK_EVERY_MILLIS);
          Path t = target;
          if (t != null) {
            StringBuilder sb = new StringBuilder();
            for (StackTraceElement e : watched.getStackTrace()) {
              sb.append(e).append('\n');
            }
            Path tmp = t.resolveSibling(t.getFileName() + ".tmp");
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            Files.move(tmp, t, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          }
        } catch (InterruptedException e) {
          return;
        } catch (Throwable t) { // best effort only
          // keep watching
        }
      }
    }
  }

  /** Imports and runs one file; every failure ends up in the returned JSON. */
  static ObjectNode probe(Path file, String input, boolean avoidDistributionInit) {
    long t0 = System.nanoTime();
    ObjectNode r = JSON.createObjectNode();
    r.put("file", file.toString());
    r.put("imported", false);
    r.putNull("error");
    if (avoidDistributionInit) {
      r.put("avoidDistributionInit", true);
    }
    Imported net = null;
    try {
      net = importModel(file.toString(), avoidDistributionInit);
      r.put("imported", true);
      r.put("kind", net.kind());
      INDArray params = net.params();
      r.put("paramCount", net.numParams());
      r.put("paramsHash", sha256(params));
      ObjectNode table = r.putObject("paramTable"); // per parameter, to tell which one differs
      for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
        ObjectNode t = table.putObject(e.getKey());
        t.set("shape", shape(e.getValue()));
        t.put("sha256", sha256(e.getValue()));
      }
    } catch (Throwable t) {
      r.put("error", describe(t));
      net = null;
    }
    if (net != null) {
      try {
        INDArray[] in = inputs(net, input);
        ArrayNode inShapes = r.putArray("inputShapes");
        for (INDArray a : in) {
          inShapes.add(shape(a));
        }
        INDArray[] out = net.output(in);
        ArrayNode outShapes = r.putArray("outputShapes");
        ArrayNode outputs = r.putArray("outputs");
        for (INDArray o : out) {
          outShapes.add(shape(o));
          ArrayNode values = outputs.addArray();
          for (float v : o.castTo(DataType.FLOAT).dup('c').data().asFloat()) {
            values.add(v); // non-finite values are written as strings by Jackson's default
          }
        }
      } catch (Throwable t) {
        r.put("forwardError", describe(t));
      }
    }
    r.put("millis", (System.nanoTime() - t0) / 1_000_000);
    return r;
  }

  /** A network imported either way, seen through one interface. */
  private interface Imported {
    String kind();

    INDArray params();

    long numParams();

    /** Parameters by DL4J name ({@code 0_W}, {@code dense_1_b}...), in order. */
    Map<String, INDArray> paramTable();

    /** DL4J's input types, in network input order. */
    List<InputType> inputTypes();

    /** The first layer that reads each input, or null (to spot embeddings). */
    List<Layer> inputConsumers();

    INDArray[] output(INDArray[] in);
  }

  /**
   * Sequential first ({@code importKerasSequentialModelAndWeights}), then functional ({@code
   * importKerasModelAndWeights}), both with enforceTrainingConfig=false. This is what {@code
   * KerasModelImport} does, spelled out so that the input types DL4J inferred from the Keras config
   * stay at hand for building the input.
   */
  private static Imported importModel(String path, boolean avoidDistributionInit) throws Exception {
    Throwable sequentialFailure;
    try {
      // KerasModelImport.importKerasSequentialModelAndWeights(path, false) spelled out (same calls
      // as
      // KerasSequentialModel.getMultiLayerNetwork()), plus a fixed seed for the initial values
      KerasSequentialModel km =
          new KerasSequentialModel()
              .modelBuilder()
              .modelHdf5Filename(path)
              .enforceTrainingConfig(false)
              .buildSequential();
      MultiLayerConfiguration conf = km.getMultiLayerConfiguration();
      for (NeuralNetConfiguration c : conf.getConfs()) {
        c.setSeed(INIT_SEED);
        if (avoidDistributionInit) {
          InitialValues.avoidDistributionInit(c.getLayer());
        }
      }
      MultiLayerNetwork fresh = new MultiLayerNetwork(conf);
      fresh.init();
      MultiLayerNetwork net =
          (MultiLayerNetwork) KerasModelUtils.copyWeightsToModel(fresh, km.getLayers());
      InputType inType = km.getOutputTypes().get(km.getInputLayerNames().get(0));
      return new Imported() {
        @Override
        public String kind() {
          return "MultiLayerNetwork";
        }

        @Override
        public INDArray params() {
          return net.params();
        }

        @Override
        public long numParams() {
          return net.numParams();
        }

        @Override
        public Map<String, INDArray> paramTable() {
          return net.paramTable();
        }

        @Override
        public List<InputType> inputTypes() {
          return Arrays.asList(inType);
        }

        @Override
        public List<Layer> inputConsumers() {
          return Arrays.asList(
              net.getnLayers() > 0 ? net.getLayerWiseConfigurations().getConf(0).getLayer() : null);
        }

        @Override
        public INDArray[] output(INDArray[] in) {
          return new INDArray[] {net.output(in[0], false)};
        }
      };
    } catch (Throwable t) {
      sequentialFailure = t;
    }
    try {
      // KerasModelImport.importKerasModelAndWeights(path, false) spelled out (same calls as
      // KerasModel.getComputationGraph()), plus a fixed seed for the initial values
      KerasModel km =
          new KerasModel()
              .modelBuilder()
              .modelHdf5Filename(path)
              .enforceTrainingConfig(false)
              .buildModel();
      ComputationGraphConfiguration conf = km.getComputationGraphConfiguration();
      conf.getDefaultConfiguration().setSeed(INIT_SEED);
      for (GraphVertex v : conf.getVertices().values()) {
        if (v instanceof LayerVertex lv && lv.getLayerConf() != null) {
          lv.getLayerConf().setSeed(INIT_SEED);
          if (avoidDistributionInit) {
            InitialValues.avoidDistributionInit(lv.getLayerConf().getLayer());
          }
        }
      }
      ComputationGraph fresh = new ComputationGraph(conf);
      fresh.init();
      ComputationGraph graph =
          (ComputationGraph) KerasModelUtils.copyWeightsToModel(fresh, km.getLayers());
      List<InputType> types = new ArrayList<>();
      List<Layer> consumers = new ArrayList<>();
      for (String name : conf.getNetworkInputs()) {
        types.add(km.getOutputTypes().get(name));
        consumers.add(consumerOf(conf, name));
      }
      return new Imported() {
        @Override
        public String kind() {
          return "ComputationGraph";
        }

        @Override
        public INDArray params() {
          return graph.params();
        }

        @Override
        public long numParams() {
          return graph.numParams();
        }

        @Override
        public Map<String, INDArray> paramTable() {
          return graph.paramTable();
        }

        @Override
        public List<InputType> inputTypes() {
          return types;
        }

        @Override
        public List<Layer> inputConsumers() {
          return consumers;
        }

        @Override
        public INDArray[] output(INDArray[] in) {
          return graph.output(false, in);
        }
      };
    } catch (Throwable functionalFailure) {
      // a functional model fails the sequential import on its class name only: report the
      // functional error then
      String seq = String.valueOf(sequentialFailure.getMessage());
      if (seq.contains("must be Sequential")
          || seq.contains("incompatible with MultiLayerNetwork")) {
        throw functionalFailure;
      }
      functionalFailure.addSuppressed(sequentialFailure);
      Exception e =
          new Exception(
              "sequential import: "
                  + describe(sequentialFailure)
                  + " | functional import: "
                  + describe(functionalFailure));
      throw e;
    }
  }

  private static Layer consumerOf(ComputationGraphConfiguration conf, String input) {
    for (Map.Entry<String, List<String>> e : new TreeMap<>(conf.getVertexInputs()).entrySet()) {
      if (e.getValue() != null && e.getValue().contains(input)) {
        GraphVertex v = conf.getVertices().get(e.getKey());
        if (v instanceof LayerVertex lv && lv.getLayerConf() != null) {
          return lv.getLayerConf().getLayer();
        }
      }
    }
    return null;
  }

  /**
   * The input: arrays from an .npz (sorted by name), or seeded uniform [0,1) of DL4J's input
   * shapes.
   */
  private static INDArray[] inputs(Imported net, String input) throws Exception {
    if (input != null && input.toLowerCase(java.util.Locale.ROOT).endsWith(".npz")) {
      Map<String, INDArray> arrays = new TreeMap<>(Nd4j.createFromNpzFile(new File(input)));
      return arrays.values().stream().map(a -> a.castTo(DataType.FLOAT)).toArray(INDArray[]::new);
    }
    long seed = input == null ? DEFAULT_SEED : Long.parseLong(input.trim());
    List<InputType> types = net.inputTypes();
    List<Layer> consumers = net.inputConsumers();
    INDArray[] in = new INDArray[types.size()];
    for (int i = 0; i < in.length; i++) {
      InputType t = types.get(i);
      if (t == null) {
        throw new IllegalStateException(
            "shape inference failed: DL4J has no input type for network input " + i);
      }
      long[] shape = t.getShape(true);
      shape[0] = BATCH;
      boolean image = t.getType() == InputType.Type.CNN || t.getType() == InputType.Type.CNN3D;
      for (int d = 1; d < shape.length; d++) {
        if (shape[d] <= 0) {
          // Keras None: variable time steps, or an image size (large enough for a few poolings)
          shape[d] = image ? UNKNOWN_IMAGE_DIM : UNKNOWN_DIM;
        }
      }
      Layer consumer = i < consumers.size() ? consumers.get(i) : null;
      if (consumer instanceof EmbeddingSequenceLayer e) {
        // indices [minibatch, sequence length]; DL4J's input type of an embedding's input is not
        // that shape
        // (its input length is 1 when Keras had input_length=None: then the input type's size
        // counts)
        long length =
            e.getInputLength() > 1
                ? e.getInputLength()
                : Arrays.stream(shape).skip(1).reduce(1L, Math::multiplyExact);
        shape = new long[] {BATCH, length};
      }
      int n = Math.toIntExact(Arrays.stream(shape).reduce(1L, Math::multiplyExact));
      float[] v = new float[n];
      SplittableRandom rnd = new SplittableRandom(seed + 1_000_003L * i);
      long vocab =
          consumer instanceof EmbeddingLayer || consumer instanceof EmbeddingSequenceLayer
              ? ((FeedForwardLayer) consumer).getNIn()
              : 0;
      for (int k = 0; k < n; k++) {
        // an embedding reads indices: draw them from its vocabulary instead of [0,1) (which is all
        // index 0)
        v[k] = vocab > 0 ? (float) rnd.nextLong(vocab) : (float) rnd.nextDouble();
      }
      in[i] = Nd4j.create(v, shape, 'c');
    }
    return in;
  }

  private static ArrayNode shape(INDArray a) {
    ArrayNode s = JSON.createArrayNode();
    for (long d : a.shape()) {
      s.add(d);
    }
    return s;
  }

  /** sha256 over the parameters as float32 little-endian, in order. */
  static String sha256(INDArray params) throws NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    if (params != null && params.length() > 0) {
      float[] f = params.castTo(DataType.FLOAT).dup('c').data().asFloat();
      ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(f);
      md.update(b.array());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Class, message and causes, on one line, with the top frames of the innermost cause. */
  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder();
    Throwable c = t;
    Throwable innermost = t;
    for (int depth = 0; c != null && depth < 6; depth++) {
      if (depth > 0) {
        sb.append(" <- caused by: ");
      }
      sb.append(c.getClass().getName()).append(": ").append(c.getMessage());
      innermost = c;
      c = c.getCause() == c ? null : c.getCause();
    }
    StackTraceElement[] st = innermost.getStackTrace();
    if (st.length > 0) {
      sb.append(" [at ");
      for (int i = 0; i < Math.min(3, st.length); i++) {
        sb.append(i > 0 ? " < " : "").append(st[i]);
      }
      sb.append("]");
    }
    return sb.toString().replace('\n', ' ');
  }

  private static void writeAtomically(Path out, ObjectNode result) throws IOException {
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".probe", ".tmp");
    try {
      JSON.writeValue(tmp.toFile(), result); // Jackson writes NaN/Infinity as strings by default
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
