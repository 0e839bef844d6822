package dev.initkit;

import java.nio.file.Path;

/** The input is a valid model file, but it uses something initkit does not handle (yet). */
public class UnsupportedModelException extends ModelFormatException {
  private static final long serialVersionUID = 1L;

  /** See {@link ModelFormatException#ModelFormatException(Path, String, String)}. */
  public UnsupportedModelException(Path file, String location, String detail) {
    super(file, location, detail);
  }

  /** See {@link ModelFormatException#ModelFormatException(Path, String, String, Throwable)}. */
  public UnsupportedModelException(Path file, String location, String detail, Throwable cause) {
    super(file, location, detail, cause);
  }

  /** See {@link ModelFormatException#ModelFormatException(Path, String, String, Hint...)}. */
  public UnsupportedModelException(Path file, String location, String detail, Hint... hints) {
    super(file, location, detail, hints);
  }
}
