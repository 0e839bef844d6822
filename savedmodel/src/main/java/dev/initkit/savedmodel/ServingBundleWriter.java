package dev.initkit.savedmodel;

import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.EagerSession;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Saves a built serving graph: the variables' values through the graph's own {@code SaveV2}, the
 * {@code SaverDef} the loader restores them with, and the {@code serving_default} signature.
 */
final class ServingBundleWriter {
  /** One signature entry: its key, the graph tensor, dtype and static shape. */
  record Port(String key, Operand<?> op, DataType dtype, long[] shape) {
    Port {
      shape = shape.clone();
    }
  }

  private ServingBundleWriter() {}

  static void write(
      Graph g,
      Ops tf,
      List<ExportContext.Variable> variables,
      TensorSource tensors,
      List<Port> inputs,
      List<Port> outputs,
      Path dir)
      throws IOException {
    String[] names = variables.stream().map(ExportContext.Variable::name).toArray(String[]::new);
    String[] blanks = new String[names.length];
    Arrays.fill(blanks, "");
    Ops s = tf.withSubScope("save");
    Operand<TString> filename =
        s.withName("Const").placeholderWithDefault(s.constant("model"), Shape.scalar());
    List<Operand<?>> reads = new ArrayList<>();
    List<Class<? extends TType>> types = new ArrayList<>();
    for (ExportContext.Variable v : variables) {
      reads.add(s.readVariableOp(v.handle(), v.type()));
      types.add(v.type());
    }
    var save =
        s.withName("SaveV2")
            .train
            .save(
                filename,
                s.constant(StandardCharsets.UTF_8, names),
                s.constant(StandardCharsets.UTF_8, blanks),
                reads);
    var saveDone =
        s.withName("control_dependency").withControlDependencies(save).identity(filename);
    Restore restore =
        s.withName("RestoreV2")
            .train
            .restore(
                filename,
                s.constant(StandardCharsets.UTF_8, names),
                s.constant(StandardCharsets.UTF_8, blanks),
                types);
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < variables.size(); i++) {
      assigns.add(s.assignVariableOp(variables.get(i).handle(), restore.tensors().get(i)));
    }
    var restoreAll = s.withName("restore_all").withControlDependencies(assigns).noOp();

    // The initial values go straight into the checkpoint, through an eager SaveV2 with the same
    // keys the graph's SaveV2 and RestoreV2 use. Not through a session running the graph's own
    // assign and save ops: a session's first run goes through TensorFlow's graph optimization
    // passes, whose Abseil log line ("MLIR V1 optimization pass is not enabled") no setting
    // silences.
    Files.createDirectories(dir.resolve("variables"));
    List<Tensor> fed = new ArrayList<>();
    try (EagerSession es = EagerSession.create()) {
      Ops e = Ops.create(es);
      List<Operand<?>> initial = new ArrayList<>();
      for (ExportContext.Variable v : variables) {
        TType t = tensorOf(v, tensors);
        fed.add(t);
        initial.add(e.constantOf(t));
      }
      e.train.save(
          e.constant(dir.resolve("variables").resolve("variables").toString()),
          e.constant(StandardCharsets.UTF_8, names),
          e.constant(StandardCharsets.UTF_8, blanks),
          initial);
    } finally {
      fed.forEach(Tensor::close);
    }
    SignatureDef.Builder sig =
        SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict");
    for (Port p : inputs) {
      sig.putInputs(p.key(), info(p));
    }
    for (Port p : outputs) {
      sig.putOutputs(p.key(), info(p));
    }
    SaverDef saver =
        SaverDef.newBuilder()
            .setFilenameTensorName(filename.asOutput().op().name() + ":0")
            .setSaveTensorName(saveDone.asOutput().op().name() + ":0")
            .setRestoreOpName(restoreAll.op().name())
            .setVersion(SaverDef.CheckpointFormatVersion.V2)
            .build();
    MetaGraphDef mg =
        MetaGraphDef.newBuilder()
            .setMetaInfoDef(
                MetaGraphDef.MetaInfoDef.newBuilder()
                    .addTags("serve")
                    .setTensorflowVersion(org.tensorflow.TensorFlow.version())
                    .setTensorflowGitVersion("initkit"))
            .setGraphDef(g.toGraphDef())
            .setSaverDef(saver)
            .putSignatureDef("serving_default", sig.build())
            .build();
    SavedModel sm = SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(mg).build();
    Files.write(dir.resolve("saved_model.pb"), sm.toByteArray());
  }

  private static TensorInfo info(Port p) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : p.shape()) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorInfo.newBuilder()
        .setName(p.op().asOutput().op().name() + ":" + p.op().asOutput().index())
        .setDtype(p.dtype())
        .setTensorShape(b.build())
        .build();
  }

  /** Assigns every variable its value from {@code tensors}, fed once through placeholders. */
  static void initialize(
      Session session, Ops tf, List<ExportContext.Variable> variables, TensorSource tensors)
      throws IOException {
    Ops init = tf.withSubScope("initkit_init");
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner r = session.runner();
      for (ExportContext.Variable v : variables) {
        Placeholder<? extends TType> p = init.placeholder(v.type());
        Tensor t = tensorOf(v, tensors);
        fed.add(t);
        r.feed(p, t);
        r.addTarget(init.assignVariableOp(v.handle(), p));
      }
      if (!variables.isEmpty()) {
        r.run().close();
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** The variable's initial value from {@code tensors}, in its dtype; the caller closes it. */
  private static TType tensorOf(ExportContext.Variable v, TensorSource tensors) throws IOException {
    return Tensor.of(
        v.type(),
        Shape.of(v.weight().shape().dims()),
        DataBuffers.of(values(tensors, v.weight()), true, false));
  }

  private static byte[] values(TensorSource tensors, Weight w) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    if (rows > 0) {
      tensors.readRows(w, 0, rows, buf);
    }
    byte[] out = new byte[(int) w.byteSize()];
    buf.flip().get(out);
    return out;
  }
}
