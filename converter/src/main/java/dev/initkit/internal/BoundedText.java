package dev.initkit.internal;

import dev.initkit.MalformedModelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Text files and members initkit parses (configs, manifests, mapping files), read with a limit that
 * holds whatever the file system says of their size ({@code /dev/zero} reports 0 bytes) and decoded
 * as strict UTF-8, as Python's {@code json} does: an invalid byte is a malformed file, never a
 * silent U+FFFD.
 */
public final class BoundedText {
  private BoundedText() {}

  /**
   * Reads {@code file}, which must be a regular file (not a FIFO, device or directory) of at most
   * {@code max} bytes. Errors name {@code shown} and, as the place inside it, {@code where}.
   */
  public static String readFile(Path file, long max, Path shown, String where) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      throw new MalformedModelException(shown, where, "not a regular file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, max, shown, where);
    }
  }

  /** Reads at most {@code max} bytes of {@code in} (refusing more) and decodes them strictly. */
  public static String read(InputStream in, long max, Path shown, String where) throws IOException {
    byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
    if (b.length > max) {
      throw new MalformedModelException(
          shown, where, "larger than the " + max + " bytes initkit reads");
    }
    return utf8(b, shown, where);
  }

  /** Strict UTF-8: a malformed or truncated sequence names its byte offset. */
  public static String utf8(byte[] b, Path shown, String where) throws MalformedModelException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedModelException(
          shown, where, "not valid UTF-8 (at byte " + firstInvalid(b) + ")");
    }
  }

  private static int firstInvalid(byte[] b) {
    var d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    var out = java.nio.CharBuffer.allocate(b.length + 1);
    d.decode(in, out, true);
    return in.position();
  }
}
