package dev.initkit.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph rules on graphs built here, in the shapes TF1 and TF2 write (the real files are in
 * SavedModelScanTest of the savedmodel module, which reads them): what counts as a constant path,
 * what the init op reaches through function calls, the size cap and a reader that fails.
 */
class SavedModelRulesTest {
  @TempDir Path dir;

  private static SavedModelGraph.Node node(String name, String op, String... inputs) {
    return new SavedModelGraph.Node(name, op, List.of(inputs), List.of(), null, Map.of());
  }

  private static SavedModelGraph.Node constant(String name, String value) {
    return new SavedModelGraph.Node(name, "Const", List.of(), List.of(), value, Map.of());
  }

  private static SavedModelGraph.Node call(String name, String function, String... inputs) {
    return new SavedModelGraph.Node(
        name, "StatefulPartitionedCall", List.of(inputs), List.of(function), null, Map.of());
  }

  private static SavedModelGraph.MetaGraph graph(
      List<SavedModelGraph.Node> nodes,
      List<SavedModelGraph.Function> functions,
      List<String> init,
      List<String> fed) {
    return new SavedModelGraph.MetaGraph(
        List.of("serve"), nodes, functions, init, fed, List.of(), List.of());
  }

  private List<Finding> check(SavedModelGraph g, long max) throws IOException {
    Files.write(dir.resolve("saved_model.pb"), new byte[100]);
    List<Finding> out = new ArrayList<>();
    SavedModelRules.check(dir, new Location("sm", "", ""), out, Optional.of(pb -> g), max);
    return out;
  }

  private static Set<String> described(List<Finding> out) {
    return out.stream()
        .map(f -> f.rule() + "|" + f.location().layerPath())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void aSavePathBuiltFromConstantsIsFlaggedAndOneFromAnArgumentOrTheSaverIsNot() throws Exception {
    SavedModelGraph.Function save =
        new SavedModelGraph.Function(
            "f_save",
            List.of(
                constant("c", "_temp/part"),
                node("join", "StringJoin", "file_prefix", "c:output:0"),
                node("SaveV2", "SaveV2", "join:output:0", "names", "slices")));
    SavedModelGraph.Function evil =
        new SavedModelGraph.Function(
            "f_evil",
            List.of(
                constant("dir", "/home/user/.bashrc"),
                constant("suffix", ""),
                node("join", "StringJoin", "dir:output:0", "suffix:output:0"),
                node("id", "Identity", "join:output:0", "^dir"),
                node("SaveV2", "SaveV2", "id:output:0", "names", "slices")));
    // TF1: the saver's filename is a Const the loader feeds
    List<SavedModelGraph.Node> tf1 =
        List.of(
            constant("save/Const", "model"),
            node("save/SaveV2", "SaveV2", "save/Const", "save/names", "save/slices"));
    List<Finding> out =
        check(
            new SavedModelGraph(
                List.of(graph(tf1, List.of(save, evil), List.of(), List.of("save/Const:0")))),
            1 << 20);
    assertEquals(Set.of("savedmodel-host-op|f_evil/SaveV2"), described(out));
    assertTrue(out.get(0).message().contains("'/home/user/.bashrc'"), out.get(0).message());
    // without the saver's feed, the TF1 Const is a constant path
    out = check(new SavedModelGraph(List.of(graph(tf1, List.of(), List.of(), List.of()))), 1 << 20);
    assertEquals(Set.of("savedmodel-host-op|save/SaveV2"), described(out));
  }

  @Test
  void theInitOpReachesOpsThroughInputsAndNestedFunctions() throws Exception {
    SavedModelGraph.Function inner =
        new SavedModelGraph.Function(
            "inner", List.of(node("p", "EagerPyFunc", "x"), node("r", "ReadFile", "x")));
    SavedModelGraph.Function outer =
        new SavedModelGraph.Function("outer", List.of(call("c", "inner", "x")));
    SavedModelGraph.Function unused =
        new SavedModelGraph.Function("unused", List.of(node("w", "WriteFile", "a", "b")));
    List<SavedModelGraph.Node> nodes =
        List.of(call("call", "outer"), node("init", "NoOp", "^call"), node("other", "NoOp"));
    List<Finding> out =
        check(
            new SavedModelGraph(
                List.of(graph(nodes, List.of(inner, outer, unused), List.of("init:0"), List.of()))),
            1 << 20);
    assertEquals(
        Set.of(
            "savedmodel-python-op|inner/p",
            "savedmodel-host-op|inner/r",
            "savedmodel-host-op|unused/w",
            "savedmodel-init-op|init"),
        described(out));
    assertEquals(
        2, out.stream().filter(f -> f.rule().equals("savedmodel-init-op")).count(), "p and r");
  }

  @Test
  void attributesNamingFilesAssetsAndObjects() throws Exception {
    SavedModelGraph.Node print =
        new SavedModelGraph.Node(
            "print",
            "PrintV2",
            List.of("x"),
            List.of(),
            null,
            Map.of("output_stream", List.of("file:///tmp/log")));
    SavedModelGraph.Node stderr =
        new SavedModelGraph.Node(
            "quiet",
            "PrintV2",
            List.of("x"),
            List.of(),
            null,
            Map.of("output_stream", List.of("stderr")));
    SavedModelGraph.MetaGraph mg =
        new SavedModelGraph.MetaGraph(
            List.of("serve"),
            List.of(print, stderr),
            List.of(),
            List.of(),
            List.of(),
            List.of("vocab.txt", "sub/../../x", "C:\\\\x", "ok/..data"),
            List.of(
                new SavedModelGraph.UserObject(1, "_tf_keras_layer", ""),
                new SavedModelGraph.UserObject(2, "_generic_user_object", "evil.Reviver"),
                new SavedModelGraph.UserObject(3, "_generic_user_object", "tf.TPUEmbedding")));
    // two meta graphs: locations say which
    List<Finding> out = check(new SavedModelGraph(List.of(mg, mg)), 1 << 20);
    assertEquals(
        Set.of(
            "savedmodel-host-op|meta_graphs[0]/print",
            "savedmodel-asset-path|meta_graphs[0]/asset_file_def[1]",
            "savedmodel-asset-path|meta_graphs[0]/asset_file_def[2]",
            "savedmodel-foreign-object|meta_graphs[0]/object_graph_def/nodes[2]",
            "savedmodel-host-op|meta_graphs[1]/print",
            "savedmodel-asset-path|meta_graphs[1]/asset_file_def[1]",
            "savedmodel-asset-path|meta_graphs[1]/asset_file_def[2]",
            "savedmodel-foreign-object|meta_graphs[1]/object_graph_def/nodes[2]"),
        described(out));
  }

  @Test
  void aGraphOverTheCapIsOneFindingAndIsNotRead() throws Exception {
    Files.write(dir.resolve("saved_model.pb"), new byte[3 << 20]);
    List<Finding> out = new ArrayList<>();
    SavedModelRules.check(
        dir,
        new Location("sm", "", ""),
        out,
        Optional.of(
            pb -> {
              throw new AssertionError("read despite the cap");
            }),
        1 << 20);
    assertEquals(1, out.size());
    assertEquals("unreadable", out.get(0).rule());
    assertEquals("saved_model.pb", out.get(0).location().member());
    assertTrue(out.get(0).message().contains("3 MiB, over the 1 MiB"), out.get(0).message());
  }

  @Test
  void aReaderThatFailsOrNoReaderAtAllIsOneFinding() throws Exception {
    Files.write(dir.resolve("saved_model.pb"), new byte[10]);
    List<Finding> out = new ArrayList<>();
    SavedModelRules.check(
        dir,
        new Location("sm", "", ""),
        out,
        Optional.of(
            pb -> {
              throw new IOException("not a SavedModel proto: truncated");
            }),
        1 << 20);
    assertEquals(
        List.of("unreadable"), out.stream().map(Finding::rule).collect(Collectors.toList()));
    assertTrue(out.get(0).message().contains("truncated"));
    out.clear();
    SavedModelRules.check(dir, new Location("sm", "", ""), out, Optional.empty(), 1 << 20);
    assertEquals(
        List.of("savedmodel-graph-unchecked"),
        out.stream().map(Finding::rule).collect(Collectors.toList()));
    assertEquals(Severity.INFO, out.get(0).severity());
  }
}
