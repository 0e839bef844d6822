package dev.initkit;

import java.nio.file.Path;

/** The input breaks its format's rules: truncated, corrupt, not a model file, malformed config. */
public class MalformedModelException extends ModelFormatException {
  private static final long serialVersionUID = 1L;

  /** See {@link ModelFormatException#ModelFormatException(Path, String, String)}. */
  public MalformedModelException(Path file, String location, String detail) {
    super(file, location, detail);
  }

  /** See {@link ModelFormatException#ModelFormatException(Path, String, String, Throwable)}. */
  public MalformedModelException(Path file, String location, String detail, Throwable cause) {
    super(file, location, detail, cause);
  }

  /** See {@link ModelFormatException#ModelFormatException(Path, String, String, Hint...)}. */
  public MalformedModelException(Path file, String location, String detail, Hint... hints) {
    super(file, location, detail, hints);
  }
}
