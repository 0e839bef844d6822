package dev.initkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Base of every error about the content of a model file: it names the file and the place inside it.
 *
 * <p>The message reads {@code <file>: <location>: <detail>}, so a command line can print it as the
 * single line a user sees.
 */
public class ModelFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String location;
  private final String detail;
  private final List<Hint> hints;

  /**
   * Creates an error.
   *
   * @param file the file (or directory) being read or written; may be null when unknown
   * @param location where inside it: an HDF5 path, an archive entry, a JSON pointer or a layer; may
   *     be null or empty for the file as a whole
   * @param detail what is wrong, ideally "expected X, found Y" and what the user can do
   */
  public ModelFormatException(Path file, String location, String detail) {
    this(file, location, detail, (Throwable) null);
  }

  /** Like {@link #ModelFormatException(Path, String, String)} with a cause kept for debugging. */
  public ModelFormatException(Path file, String location, String detail, Throwable cause) {
    this(file, location, detail, cause, List.of());
  }

  /**
   * Like {@link #ModelFormatException(Path, String, String)} for a detail that tells the caller
   * what to do in the library's terms, naming each of {@code hints} by its {@link Hint#apiName()}.
   */
  public ModelFormatException(Path file, String location, String detail, Hint... hints) {
    this(file, location, detail, null, List.of(hints));
  }

  private ModelFormatException(
      Path file, String location, String detail, Throwable cause, List<Hint> hints) {
    super(format(file, location, detail), cause);
    this.file = file;
    this.location = location == null ? "" : location;
    this.detail = Objects.requireNonNull(detail, "detail");
    this.hints = List.copyOf(hints);
  }

  private static String format(Path file, String location, String detail) {
    StringBuilder sb = new StringBuilder();
    if (file != null) {
      sb.append(file).append(": ");
    }
    if (location != null && !location.isEmpty()) {
      sb.append(location).append(": ");
    }
    return sb.append(detail).toString();
  }

  /** The file this error is about, or null when unknown. */
  public Path file() {
    return file;
  }

  /**
   * The place inside the file (HDF5 path, archive entry, JSON pointer, layer), or "" for the whole.
   */
  public String location() {
    return location;
  }

  /** The message without file and location. */
  public String detail() {
    return detail;
  }

  /** The parts of the API the message points the caller to, by their {@link Hint#apiName()}. */
  public List<Hint> hints() {
    return hints;
  }
}
