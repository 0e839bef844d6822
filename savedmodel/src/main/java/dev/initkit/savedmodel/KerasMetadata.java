package dev.initkit.savedmodel;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * tf-keras's {@code keras_metadata.pb}: a {@code SavedMetadata} proto, one {@code SavedObject} per
 * Keras object ({@code node_id = 2}, {@code node_path = 3}, {@code identifier = 4}, {@code metadata
 * = 5} JSON, {@code version = 6}). TensorFlow Java does not ship this tf-keras proto, so it is read
 * with protobuf's {@link CodedInputStream}; fields are kept as raw bytes so that a rewrite changes
 * only the metadata strings it is asked to.
 */
final class KerasMetadata {
  static final int NODE_ID = 2;
  static final int NODE_PATH = 3;
  static final int IDENTIFIER = 4;
  static final int METADATA = 5;

  /** One field of a node as stored: its tag and raw payload (length-delimited or varint). */
  private record Field(int tag, ByteString payload) {}

  /** One Keras object of the SavedModel. */
  static final class Node {
    private final List<Field> fields;

    private Node(List<Field> fields) {
      this.fields = fields;
    }

    int nodeId() {
      for (Field f : fields) {
        if (WireFormat.getTagFieldNumber(f.tag()) == NODE_ID) {
          try {
            return (int) f.payload().newCodedInput().readInt64();
          } catch (IOException e) {
            return -1;
          }
        }
      }
      return 0; // proto3 default: not written when 0 (the root)
    }

    String nodePath() {
      return string(NODE_PATH);
    }

    String identifier() {
      return string(IDENTIFIER);
    }

    String metadata() {
      return string(METADATA);
    }

    /** A copy with another metadata JSON. */
    Node withMetadata(String json) {
      List<Field> out = new ArrayList<>();
      boolean set = false;
      for (Field f : fields) {
        if (WireFormat.getTagFieldNumber(f.tag()) == METADATA) {
          out.add(new Field(f.tag(), ByteString.copyFromUtf8(json)));
          set = true;
        } else {
          out.add(f);
        }
      }
      if (!set) {
        out.add(
            new Field(
                (METADATA << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED,
                ByteString.copyFromUtf8(json)));
      }
      return new Node(out);
    }

    private String string(int number) {
      for (Field f : fields) {
        if (WireFormat.getTagFieldNumber(f.tag()) == number) {
          return f.payload().toStringUtf8();
        }
      }
      return "";
    }
  }

  private KerasMetadata() {}

  /** The model's own node (path {@code root}), or null. */
  static Node root(List<Node> nodes) {
    for (Node n : nodes) {
      if (n.nodePath().equals("root")) {
        return n;
      }
    }
    return null;
  }

  /** Parses a {@code SavedMetadata} message. */
  static List<Node> parse(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    List<Node> nodes = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == 1
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        nodes.add(new Node(fields(in.readBytes())));
      } else {
        in.skipField(tag);
      }
    }
    return nodes;
  }

  private static List<Field> fields(ByteString message) throws IOException {
    CodedInputStream in = message.newCodedInput();
    List<Field> out = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagWireType(tag)) {
        case WireFormat.WIRETYPE_LENGTH_DELIMITED:
          out.add(new Field(tag, in.readBytes()));
          break;
        case WireFormat.WIRETYPE_VARINT:
          {
            ByteString.Output o = ByteString.newOutput();
            CodedOutputStream c = CodedOutputStream.newInstance(o);
            c.writeUInt64NoTag(in.readUInt64());
            c.flush();
            out.add(new Field(tag, o.toByteString()));
            break;
          }
        default:
          throw new IOException("unexpected wire type in SavedObject field " + tag);
      }
    }
    return out;
  }

  /** Serializes nodes back into a {@code SavedMetadata} message. */
  static byte[] serialize(List<Node> nodes) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (Node n : nodes) {
      ByteString.Output body = ByteString.newOutput();
      CodedOutputStream b = CodedOutputStream.newInstance(body);
      for (Field f : n.fields) {
        b.writeUInt32NoTag(f.tag());
        if (WireFormat.getTagWireType(f.tag()) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          b.writeBytesNoTag(f.payload());
        } else {
          b.writeRawBytes(f.payload());
        }
      }
      b.flush();
      out.writeBytes(1, body.toByteString());
    }
    out.flush();
    return bytes.toByteArray();
  }
}
