package dev.initkit.savedmodel;

import com.google.common.hash.Hashing;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.tensorflow.proto.FingerprintDef;

/**
 * Keeps {@code fingerprint.pb} consistent with a rewritten checkpoint. TensorFlow stores there,
 * among hashes of the graph (unchanged by initkit), {@code checkpoint_hash}: FarmHash Fingerprint64
 * of {@code variables/variables.index} ({@code HashCheckpointIndexFile} in
 * tensorflow/cc/saved_model/fingerprinting.cc).
 */
final class Fingerprints {
  private Fingerprints() {}

  /** FarmHash Fingerprint64 of a file's bytes, as TensorFlow's {@code Fingerprint64}. */
  static long checkpointHash(Path index) throws IOException {
    return Hashing.farmHashFingerprint64().hashBytes(Files.readAllBytes(index)).asLong();
  }

  /** Recomputes the checkpoint hash of {@code dir}'s fingerprint, if it has one. */
  static void update(Path dir, Consumer<String> notes) throws IOException {
    Path fp = dir.resolve("fingerprint.pb");
    Path index = dir.resolve("variables").resolve("variables.index");
    if (!Files.isRegularFile(fp) || !Files.isRegularFile(index)) {
      return;
    }
    FingerprintDef def;
    try {
      def = FingerprintDef.parseFrom(Files.readAllBytes(fp));
    } catch (InvalidProtocolBufferException e) {
      notes.accept("fingerprint.pb is not a FingerprintDef: copied unchanged");
      return;
    }
    FingerprintDef updated = def.toBuilder().setCheckpointHash(checkpointHash(index)).build();
    Files.write(fp, updated.toByteArray());
  }
}
