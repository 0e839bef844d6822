package dev.initkit.savedmodel;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import com.google.protobuf.WireFormat;
import dev.initkit.scan.SavedModelGraph;
import dev.initkit.scan.SavedModelGraphReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * The scanner's {@link SavedModelGraphReader}: walks {@code saved_model.pb} as a stream of protobuf
 * fields, one node at a time, so a graph whose {@code Const} nodes hold gigabytes of weights costs
 * the size of its largest small part, not of the file. Attribute values over 1 MiB (weights) are
 * skipped unread; the small messages (signatures, collections, assets, the object graph) are parsed
 * with TensorFlow Java's protobuf classes. Nothing is run and no native library is loaded.
 */
public final class TfSavedModelGraphReader implements SavedModelGraphReader {
  /** Attribute entries larger than this are skipped (tensors of weights, not paths). */
  private static final int MAX_ATTR_BYTES = 1 << 20;

  /** Signatures, collections and the object graph larger than this are skipped. */
  private static final int MAX_MESSAGE_BYTES = 256 << 20;

  private static final int MAX_STRING = 256;

  /** Called by {@link java.util.ServiceLoader}. */
  public TfSavedModelGraphReader() {}

  /** {@inheritDoc} */
  @Override
  public SavedModelGraph read(Path savedModelPb) throws IOException {
    if (savedModelPb.getFileName().toString().endsWith(".pbtxt")) {
      return text(savedModelPb);
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(savedModelPb), 1 << 16)) {
      return stream(raw);
    }
  }

  /**
   * A text-format graph ({@code saved_model.pbtxt}, which TensorFlow's loader reads when there is
   * no {@code saved_model.pb}): parsed whole by protobuf's text parser, then walked as the binary
   * form is.
   */
  private SavedModelGraph text(Path pbtxt) throws IOException {
    SavedModel.Builder b = SavedModel.newBuilder();
    try (Reader r = Files.newBufferedReader(pbtxt, StandardCharsets.UTF_8)) {
      TextFormat.Parser.newBuilder().build().merge(r, b);
    } catch (TextFormat.ParseException e) {
      throw new IOException("not a SavedModel in text format: " + e.getMessage(), e);
    }
    return stream(new java.io.ByteArrayInputStream(b.build().toByteArray()));
  }

  private SavedModelGraph stream(InputStream raw) throws IOException {
    try {
      CodedInputStream in = CodedInputStream.newInstance(raw);
      in.setSizeLimit(Integer.MAX_VALUE);
      List<SavedModelGraph.MetaGraph> out = new ArrayList<>();
      int tag;
      while ((tag = in.readTag()) != 0) {
        if (field(tag) == 2 && lengthDelimited(tag)) {
          int old = in.pushLimit(in.readRawVarint32());
          out.add(metaGraph(in));
          in.popLimit(old);
        } else {
          in.skipField(tag);
        }
      }
      if (out.isEmpty()) {
        throw new InvalidProtocolBufferException("no meta graph");
      }
      return new SavedModelGraph(out);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("not a SavedModel proto: " + e.getMessage(), e);
    }
  }

  /** {@inheritDoc} */
  @Override
  public Optional<KerasConfig> kerasConfig(Path dir) throws IOException {
    Path pb = dir.resolve("keras_metadata.pb");
    if (!Files.isRegularFile(pb) || Files.size(pb) > SavedModelReader.MAX_PB_BYTES) {
      return Optional.empty();
    }
    KerasMetadata.Node root = KerasMetadata.root(KerasMetadata.parse(Files.readAllBytes(pb)));
    if (root == null) {
      return Optional.empty();
    }
    return Optional.of(
        new KerasConfig(SavedModelReader.rootConfig(SavedModelReader.parseMetadata(dir, root))));
  }

  private static int field(int tag) {
    return WireFormat.getTagFieldNumber(tag);
  }

  private static boolean lengthDelimited(int tag) {
    return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  /** The length-delimited field's bytes, or null (skipped) when longer than {@code max}. */
  private static ByteString bounded(CodedInputStream in, int max) throws IOException {
    int len = in.readRawVarint32();
    if (len < 0) {
      throw new InvalidProtocolBufferException("negative length");
    }
    if (len > max) {
      in.skipRawBytes(len);
      return null;
    }
    return ByteString.copyFrom(in.readRawBytes(len));
  }

  private static SavedModelGraph.MetaGraph metaGraph(CodedInputStream in) throws IOException {
    List<String> tags = new ArrayList<>();
    List<SavedModelGraph.Node> nodes = new ArrayList<>();
    List<SavedModelGraph.Function> functions = new ArrayList<>();
    List<String> init = new ArrayList<>();
    List<String> fed = new ArrayList<>();
    List<String> assets = new ArrayList<>();
    List<SavedModelGraph.UserObject> objects = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (!lengthDelimited(tag)) {
        in.skipField(tag);
        continue;
      }
      switch (field(tag)) {
        case 1: // meta_info_def: its tags (field 4)
          {
            int old = in.pushLimit(in.readRawVarint32());
            int t;
            while ((t = in.readTag()) != 0) {
              if (field(t) == 4 && lengthDelimited(t)) {
                tags.add(in.readStringRequireUtf8());
              } else {
                in.skipField(t);
              }
            }
            in.popLimit(old);
            break;
          }
        case 2: // graph_def
          {
            int old = in.pushLimit(in.readRawVarint32());
            graphDef(in, nodes, functions);
            in.popLimit(old);
            break;
          }
        case 3: // saver_def: the loader feeds the checkpoint path into its filename tensor
          {
            ByteString b = bounded(in, MAX_MESSAGE_BYTES);
            if (b != null) {
              String t = SaverDef.parseFrom(b).getFilenameTensorName();
              if (!t.isEmpty()) {
                fed.add(t);
              }
            }
            break;
          }
        case 4: // collection_def entry
          {
            ByteString entry = bounded(in, MAX_MESSAGE_BYTES);
            if (entry != null) {
              collection(entry, init);
            }
            break;
          }
        case 5: // signature_def entry
          {
            ByteString entry = bounded(in, MAX_MESSAGE_BYTES);
            if (entry != null) {
              signature(entry, init);
            }
            break;
          }
        case 6: // asset_file_def
          {
            ByteString b = bounded(in, MAX_MESSAGE_BYTES);
            if (b != null) {
              assets.add(AssetFileDef.parseFrom(b).getFilename());
            }
            break;
          }
        case 7: // object_graph_def
          {
            ByteString b = bounded(in, MAX_MESSAGE_BYTES);
            if (b != null) {
              List<SavedObject> all = SavedObjectGraph.parseFrom(b).getNodesList();
              for (int i = 0; i < all.size(); i++) {
                SavedObject o = all.get(i);
                if (o.hasUserObject() || !o.getRegisteredName().isEmpty()) {
                  objects.add(
                      new SavedModelGraph.UserObject(
                          i,
                          o.hasUserObject() ? o.getUserObject().getIdentifier() : "",
                          o.getRegisteredName()));
                }
              }
            }
            break;
          }
        default:
          in.skipField(tag);
      }
    }
    return new SavedModelGraph.MetaGraph(tags, nodes, functions, init, fed, assets, objects);
  }

  /** A map entry's key (field 1) and value bytes (field 2). */
  private record Entry(String key, ByteString value) {}

  private static Entry entry(ByteString bytes) throws IOException {
    CodedInputStream in = bytes.newCodedInput();
    String key = "";
    ByteString value = ByteString.EMPTY;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (field(tag) == 1 && lengthDelimited(tag)) {
        key = in.readStringRequireUtf8();
      } else if (field(tag) == 2 && lengthDelimited(tag)) {
        value = in.readBytes();
      } else {
        in.skipField(tag);
      }
    }
    return new Entry(key, value);
  }

  /** The main op and legacy init op collections: node names the TF1 loader runs. */
  private static void collection(ByteString bytes, List<String> init) throws IOException {
    Entry e = entry(bytes);
    if (e.key().equals("saved_model_main_op") || e.key().equals("legacy_init_op")) {
      init.addAll(CollectionDef.parseFrom(e.value()).getNodeList().getValueList());
    }
  }

  /** The TF2 init signature: its outputs are what the loader runs. */
  private static void signature(ByteString bytes, List<String> init) throws IOException {
    Entry e = entry(bytes);
    if (e.key().equals("__saved_model_init_op")) {
      for (TensorInfo t : SignatureDef.parseFrom(e.value()).getOutputsMap().values()) {
        init.add(t.getName());
      }
    }
  }

  private static void graphDef(
      CodedInputStream in,
      List<SavedModelGraph.Node> nodes,
      List<SavedModelGraph.Function> functions)
      throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (field(tag) == 1 && lengthDelimited(tag)) {
        int old = in.pushLimit(in.readRawVarint32());
        nodes.add(node(in));
        in.popLimit(old);
      } else if (field(tag) == 2 && lengthDelimited(tag)) {
        int old = in.pushLimit(in.readRawVarint32());
        library(in, functions);
        in.popLimit(old);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static void library(CodedInputStream in, List<SavedModelGraph.Function> functions)
      throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (field(tag) == 1 && lengthDelimited(tag)) {
        int old = in.pushLimit(in.readRawVarint32());
        functions.add(function(in));
        in.popLimit(old);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static SavedModelGraph.Function function(CodedInputStream in) throws IOException {
    String name = "";
    List<SavedModelGraph.Node> nodes = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (field(tag) == 1 && lengthDelimited(tag)) { // signature (OpDef): its name is field 1
        int old = in.pushLimit(in.readRawVarint32());
        int t;
        while ((t = in.readTag()) != 0) {
          if (field(t) == 1 && lengthDelimited(t)) {
            name = in.readStringRequireUtf8();
          } else {
            in.skipField(t);
          }
        }
        in.popLimit(old);
      } else if (field(tag) == 3 && lengthDelimited(tag)) { // node_def
        int old = in.pushLimit(in.readRawVarint32());
        nodes.add(node(in));
        in.popLimit(old);
      } else {
        in.skipField(tag);
      }
    }
    return new SavedModelGraph.Function(name, nodes);
  }

  /** A NodeDef, its large attribute values skipped. */
  private static SavedModelGraph.Node node(CodedInputStream in) throws IOException {
    String name = "";
    String op = "";
    List<String> inputs = new ArrayList<>();
    List<String> calls = new ArrayList<>();
    Map<String, List<String>> strings = new LinkedHashMap<>();
    String constant = null;
    boolean skippedValue = false;
    int tag;
    while ((tag = in.readTag()) != 0) {
      int f = field(tag);
      if (!lengthDelimited(tag)) {
        in.skipField(tag);
      } else if (f == 1) {
        name = in.readStringRequireUtf8();
      } else if (f == 2) {
        op = in.readStringRequireUtf8();
      } else if (f == 3) {
        inputs.add(in.readStringRequireUtf8());
      } else if (f == 5) {
        ByteString bytes = bounded(in, MAX_ATTR_BYTES);
        if (bytes == null) {
          skippedValue = true; // a tensor of weights, most likely
          continue;
        }
        Entry e = entry(bytes);
        AttrValue v = AttrValue.parseFrom(e.value());
        if (v.hasFunc()) {
          calls.add(v.getFunc().getName());
        }
        if (v.getValueCase() == AttrValue.ValueCase.S) {
          strings.put(e.key(), List.of(text(v.getS())));
        }
        if (v.hasList()) {
          for (NameAttrList fn : v.getList().getFuncList()) {
            calls.add(fn.getName());
          }
          if (v.getList().getSCount() > 0) {
            List<String> s = new ArrayList<>();
            for (ByteString b : v.getList().getSList()) {
              s.add(text(b));
            }
            strings.put(e.key(), s);
          }
        }
        if (e.key().equals("value")
            && v.hasTensor()
            && v.getTensor().getDtype() == DataType.DT_STRING
            && v.getTensor().getStringValCount() > 0) {
          constant = text(v.getTensor().getStringVal(0));
        }
      } else {
        in.skipField(tag);
      }
    }
    if (constant == null && skippedValue && op.equals("Const")) {
      constant = "(a constant over 1 MiB, not read)";
    }
    return new SavedModelGraph.Node(name, op, inputs, calls, constant, strings);
  }

  private static String text(ByteString b) {
    ByteString s = b.size() > MAX_STRING ? b.substring(0, MAX_STRING) : b;
    return s.toString(StandardCharsets.UTF_8);
  }
}
