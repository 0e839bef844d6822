package dev.initkit.scan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rules that read a SavedModel's {@code saved_model.pb}: ops in the graph and in every function
 * of its library that touch the host (files, connections) or call Python, what the loader's init op
 * reaches, asset names that leave the directory and object-graph types that are neither
 * TensorFlow's nor Keras's. The file is read by the installed {@link SavedModelGraphReader} as
 * data; nothing is run.
 */
final class SavedModelRules {
  /**
   * The largest saved_model.pb the rules read. The reader streams it (large attribute values are
   * skipped unread) but keeps every node's name, op and inputs: this bounds that.
   */
  static final long MAX_GRAPH_BYTES = 1L << 30;

  /**
   * The largest saved_model.pbtxt the rules read: text is parsed whole into a message (then walked
   * as the binary form is), so it costs a few times its size in memory.
   */
  static final long MAX_TEXT_BYTES = 256L << 20;

  /** Looked up once: the service list does not change while the JVM runs. */
  private static final Optional<SavedModelGraphReader> READER = SavedModelGraphReader.installed();

  /** Ops that touch files or the network whatever their inputs, with what they do. */
  private static final Map<String, String> HOST_OPS =
      Map.ofEntries(
          Map.entry("ReadFile", "reads a file"),
          Map.entry("WriteFile", "writes a file"),
          Map.entry("MatchingFiles", "lists the files matching a pattern"),
          Map.entry("WholeFileReader", "reads whole files"),
          Map.entry("WholeFileReaderV2", "reads whole files"),
          Map.entry("ImmutableConst", "memory-maps a file"),
          Map.entry("RpcClient", "connects to an RPC server"),
          Map.entry("RpcCall", "calls an RPC server"),
          Map.entry("RpcServer", "starts an RPC server"),
          Map.entry("RpcServerStart", "starts an RPC server"),
          Map.entry("DataServiceDataset", "reads from a tf.data service"),
          Map.entry("DataServiceDatasetV2", "reads from a tf.data service"),
          Map.entry("DataServiceDatasetV3", "reads from a tf.data service"),
          Map.entry("DataServiceDatasetV4", "reads from a tf.data service"));

  /**
   * Ops that work on the path their input at these indexes holds: flagged when it is a constant.
   */
  private static final Map<String, List<Integer>> PATH_OPS =
      Map.ofEntries(
          Map.entry("Save", List.of(0)),
          Map.entry("SaveV2", List.of(0)),
          Map.entry("SaveSlices", List.of(0)),
          Map.entry("Restore", List.of(0)),
          Map.entry("RestoreV2", List.of(0)),
          Map.entry("RestoreSlice", List.of(0)),
          Map.entry("MergeV2Checkpoints", List.of(0, 1)),
          Map.entry("InitializeTableFromTextFile", List.of(1)),
          Map.entry("InitializeTableFromTextFileV2", List.of(1)),
          Map.entry("TFRecordDataset", List.of(0)),
          Map.entry("TFRecordDatasetV2", List.of(0)),
          Map.entry("TextLineDataset", List.of(0)),
          Map.entry("FixedLengthRecordDataset", List.of(0)),
          Map.entry("FixedLengthRecordDatasetV2", List.of(0)),
          Map.entry("CreateSummaryFileWriter", List.of(1)),
          Map.entry("CacheDataset", List.of(1)),
          Map.entry("CacheDatasetV2", List.of(1)),
          Map.entry("SnapshotDataset", List.of(1)),
          Map.entry("SnapshotDatasetV2", List.of(1)),
          Map.entry("SaveDataset", List.of(1)),
          Map.entry("SaveDatasetV2", List.of(1)),
          Map.entry("LoadDataset", List.of(0)),
          Map.entry("DatasetToTFRecord", List.of(1)),
          Map.entry("LoadAndRemapMatrix", List.of(0)),
          Map.entry("GenerateVocabRemapping", List.of(0, 1)));

  /** Ops that run a Python function of the process that runs the graph. */
  private static final Map<String, String> PYTHON_OPS =
      Map.of(
          "PyFunc", "tf.numpy_function / tf.compat.v1.py_func",
          "PyFuncStateless", "tf.compat.v1.py_func (stateless)",
          "EagerPyFunc", "tf.py_function");

  /** Debug ops whose {@code debug_urls} may name a file or a server. */
  private static final Set<String> DEBUG_OPS =
      Set.of("DebugIdentity", "DebugNanCount", "DebugNumericSummary");

  /** User-object identifiers TensorFlow and Keras write. */
  private static final Set<String> KNOWN_IDENTIFIERS =
      Set.of(
          "",
          "_generic_user_object",
          "trackable_dict_wrapper",
          "trackable_list_wrapper",
          "trackable_tuple_wrapper",
          "signature_map",
          "optimizer",
          "experimentalOptimizer");

  private static final Set<String> KNOWN_PREFIXES = Set.of("_tf_keras_", "tf_keras.", "keras.");

  private final Location at;
  private final List<Finding> out;
  private final String graphPrefix;

  private SavedModelRules(Location at, List<Finding> out, String graphPrefix) {
    this.at = at;
    this.out = out;
    this.graphPrefix = graphPrefix;
  }

  /**
   * Applies every graph rule to the SavedModel directory {@code dir}.
   *
   * @param base the directory's location
   * @param out where findings go
   */
  static void check(Path dir, Location base, List<Finding> out) throws IOException {
    check(dir, base, out, READER, MAX_GRAPH_BYTES);
  }

  /**
   * The Keras config from {@code dir}'s {@code keras_metadata.pb} alone, when the savedmodel module
   * is installed and the file reads; empty otherwise (the caller opens the model, whose reader
   * reports what is wrong).
   */
  static Optional<SavedModelGraphReader.KerasConfig> kerasConfig(Path dir) {
    if (READER.isEmpty()) {
      return Optional.empty();
    }
    try {
      return READER.get().kerasConfig(dir);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** {@link #check(Path, Location, List)} with another reader and cap (tests). */
  static void check(
      Path dir,
      Location base,
      List<Finding> out,
      Optional<SavedModelGraphReader> reader,
      long maxBytes)
      throws IOException {
    Path pb = dir.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      // TensorFlow's loader reads the text form when there is no binary one
      pb = dir.resolve("saved_model.pbtxt");
      if (!Files.isRegularFile(pb)) {
        return; // a missing graph: the reader's error says so
      }
      maxBytes = Math.min(maxBytes, MAX_TEXT_BYTES);
    }
    String member = pb.getFileName().toString();
    Location at = base.withMember(member);
    if (reader.isEmpty()) {
      out.add(
          Rules.SAVEDMODEL_GRAPH_UNCHECKED.at(
              at,
              member
                  + " was not examined (its ops, init op, assets and object graph): the"
                  + " savedmodel module (initkit-savedmodel) that reads it is not installed"));
      return;
    }
    long size = Files.size(pb);
    if (size > maxBytes) {
      out.add(
          Rules.UNREADABLE.at(
              at,
              member
                  + " is "
                  + (size >> 20)
                  + " MiB, over the "
                  + (maxBytes >> 20)
                  + " MiB the graph rules read: its ops, init op and assets were not examined"));
      return;
    }
    SavedModelGraph g;
    try {
      g = reader.get().read(pb);
    } catch (IOException | RuntimeException e) {
      out.add(Rules.UNREADABLE.at(at, member + ": " + e.getMessage()));
      return;
    }
    List<SavedModelGraph.MetaGraph> mgs = g.metaGraphs();
    for (int i = 0; i < mgs.size(); i++) {
      String prefix = mgs.size() > 1 ? "meta_graphs[" + i + "]/" : "";
      new SavedModelRules(at, out, prefix).metaGraph(mgs.get(i));
    }
  }

  private void metaGraph(SavedModelGraph.MetaGraph mg) {
    Set<String> fedNodes = new HashSet<>();
    mg.fedTensors().forEach(t -> fedNodes.add(nodeName(t)));
    Map<String, SavedModelGraph.Node> graph = byName(mg.nodes());
    // the loader feeds these (TF1's saver filename is a Const it overrides): to constant(), and to
    // the walk of what the init op reaches, they are arguments
    graph.keySet().removeAll(fedNodes);
    Map<String, SavedModelGraph.Function> functions = new HashMap<>();
    for (SavedModelGraph.Function f : mg.functions()) {
      functions.putIfAbsent(f.name(), f);
    }
    // every op, where it is: the graph's own nodes, then each function's
    for (SavedModelGraph.Node n : mg.nodes()) {
      ops(n, graph, "");
    }
    for (SavedModelGraph.Function f : mg.functions()) {
      Map<String, SavedModelGraph.Node> scope = byName(f.nodes());
      for (SavedModelGraph.Node n : f.nodes()) {
        ops(n, scope, f.name() + "/");
      }
    }
    initOps(mg, graph, functions);
    assets(mg.assetFiles());
    objects(mg.userObjects());
  }

  private static Map<String, SavedModelGraph.Node> byName(List<SavedModelGraph.Node> nodes) {
    Map<String, SavedModelGraph.Node> m = new HashMap<>();
    for (SavedModelGraph.Node n : nodes) {
      m.putIfAbsent(n.name(), n);
    }
    return m;
  }

  private Location where(String path) {
    return at.atLayer(graphPrefix + path);
  }

  /** Reports {@code n} when it is a host or Python op. */
  private void ops(SavedModelGraph.Node n, Map<String, SavedModelGraph.Node> scope, String in) {
    String host = host(n, scope);
    if (host != null) {
      out.add(
          Rules.SAVEDMODEL_HOST_OP.at(
              where(in + n.name()), n.op() + " " + host + " when the graph runs"));
    }
    String py = PYTHON_OPS.get(n.op());
    if (py != null) {
      out.add(
          Rules.SAVEDMODEL_PYTHON_OP.at(
              where(in + n.name()),
              n.op() + " (" + py + ") calls a Python function of the process that runs the graph"));
    }
  }

  /** What {@code n} does to the host, or null when it is not flagged. */
  private static String host(SavedModelGraph.Node n, Map<String, SavedModelGraph.Node> scope) {
    String what = HOST_OPS.get(n.op());
    if (what != null) {
      String path = n.inputs().isEmpty() ? null : constant(n.inputs().get(0), scope);
      return what + (path == null ? "" : " (the constant " + ConfigRules.quoted(path) + ")");
    }
    List<Integer> paths = PATH_OPS.get(n.op());
    if (paths != null) {
      for (int i : paths) {
        String path = i < n.inputs().size() ? constant(n.inputs().get(i), scope) : null;
        if (path != null) {
          return "works on the constant path "
              + ConfigRules.quoted(path)
              + " (not one the loader passes in)";
        }
      }
      return null;
    }
    if (n.op().equals("PrintV2")) {
      for (String s : n.strings().getOrDefault("output_stream", List.of())) {
        if (s.startsWith("file://")) {
          return "prints to the file " + ConfigRules.quoted(s.substring("file://".length()));
        }
      }
    } else if (DEBUG_OPS.contains(n.op())) {
      for (String s : n.strings().getOrDefault("debug_urls", List.of())) {
        if (s.startsWith("file://") || s.startsWith("grpc://")) {
          return "sends debug data to " + ConfigRules.quoted(s);
        }
      }
    } else if (n.op().equals("DecodeProtoV2") || n.op().equals("EncodeProto")) {
      for (String s : n.strings().getOrDefault("descriptor_source", List.of())) {
        if (!s.isEmpty() && !s.equals("local://")) {
          return "reads proto descriptors from the file " + ConfigRules.quoted(s);
        }
      }
    }
    return null;
  }

  /**
   * The first string constant {@code input} is computed from, when everything it is computed from
   * is a constant (no placeholder, argument or variable): a path fixed in the file.
   */
  private static String constant(String input, Map<String, SavedModelGraph.Node> scope) {
    Deque<String> todo = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    todo.add(nodeName(input));
    String first = null;
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (seen.size() > 10_000) {
        return null; // not worth following further: not reported
      }
      if (!seen.add(name)) {
        continue;
      }
      SavedModelGraph.Node n = scope.get(name);
      if (n == null) {
        return null; // a function argument: given at run time
      }
      if (n.op().equals("Const")) {
        if (first == null && n.constant() != null) {
          first = n.constant();
        }
        continue;
      }
      boolean any = false;
      for (String in : n.inputs()) {
        if (!in.startsWith("^")) {
          todo.add(nodeName(in));
          any = true;
        }
      }
      if (!any) {
        return null; // a placeholder, a variable read, a source op: not a constant
      }
    }
    return first;
  }

  /** The node an input names: {@code x:0}, {@code f:output:0} and {@code ^x} are all {@code x}. */
  private static String nodeName(String input) {
    String s = input.startsWith("^") ? input.substring(1) : input;
    int colon = s.indexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }

  /** What the loader runs by itself: every host or Python op its init nodes reach. */
  private void initOps(
      SavedModelGraph.MetaGraph mg,
      Map<String, SavedModelGraph.Node> graph,
      Map<String, SavedModelGraph.Function> functions) {
    Set<String> roots = new LinkedHashSet<>();
    for (String r : mg.initNodes()) {
      roots.add(nodeName(r));
    }
    Set<String> reported = new HashSet<>();
    for (String root : roots) {
      Deque<String> nodes = new ArrayDeque<>(List.of(root));
      Deque<String> fns = new ArrayDeque<>();
      Set<String> seenNodes = new HashSet<>();
      Set<String> seenFns = new HashSet<>();
      while (!nodes.isEmpty() || !fns.isEmpty()) {
        if (!nodes.isEmpty()) {
          SavedModelGraph.Node n = graph.get(nodes.poll());
          if (n == null || !seenNodes.add(n.name())) {
            continue;
          }
          reach(root, n, graph, "", reported);
          n.inputs().forEach(i -> nodes.add(nodeName(i)));
          fns.addAll(n.calls());
        } else {
          SavedModelGraph.Function f = functions.get(fns.poll());
          if (f == null || !seenFns.add(f.name())) {
            continue;
          }
          Map<String, SavedModelGraph.Node> scope = byName(f.nodes());
          for (SavedModelGraph.Node n : f.nodes()) {
            reach(root, n, scope, f.name() + "/", reported);
            fns.addAll(n.calls());
          }
        }
      }
    }
  }

  private void reach(
      String root,
      SavedModelGraph.Node n,
      Map<String, SavedModelGraph.Node> scope,
      String in,
      Set<String> reported) {
    String host = host(n, scope);
    String py = PYTHON_OPS.containsKey(n.op()) ? "calls Python" : null;
    String what = host != null ? host : py;
    if (what == null || !reported.add(in + n.name())) {
      return;
    }
    out.add(
        Rules.SAVEDMODEL_INIT_OP.at(
            where(root),
            "the init op "
                + ConfigRules.quoted(root)
                + ", which the SavedModel loader runs as it loads, reaches "
                + n.op()
                + " ("
                + in
                + n.name()
                + "), which "
                + what));
  }

  private void assets(List<String> files) {
    for (int i = 0; i < files.size(); i++) {
      String f = files.get(i);
      if (escapes(f)) {
        out.add(
            Rules.SAVEDMODEL_ASSET_PATH.at(
                where("asset_file_def[" + i + "]"),
                "asset file name "
                    + ConfigRules.quoted(f)
                    + " is absolute or climbs out with '..': the loader joins it to assets/ and"
                    + " hands the graph a path outside the SavedModel"));
      }
    }
  }

  static boolean escapes(String name) {
    if (name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*")) {
      return true;
    }
    for (String seg : name.split("[/\\\\]")) {
      if (seg.equals("..")) {
        return true;
      }
    }
    return false;
  }

  private void objects(List<SavedModelGraph.UserObject> objects) {
    for (SavedModelGraph.UserObject o : objects) {
      String id = o.identifier();
      String reg = o.registeredName();
      boolean known =
          KNOWN_IDENTIFIERS.contains(id) || KNOWN_PREFIXES.stream().anyMatch(id::startsWith);
      boolean knownReg = reg.isEmpty() || reg.startsWith("tf.") || reg.startsWith("keras.");
      if (known && knownReg) {
        continue;
      }
      String name =
          !known
              ? "identifier " + ConfigRules.quoted(id)
              : "registered name " + ConfigRules.quoted(reg);
      out.add(
          Rules.SAVEDMODEL_FOREIGN_OBJECT.at(
              where("object_graph_def/nodes[" + o.node() + "]"),
              "user object with "
                  + name
                  + ", neither TensorFlow's nor Keras's: a process that registered that type"
                  + " revives it with its own Python code when loading"));
    }
  }
}
