package dev.initkit;

import java.nio.file.FileAlreadyExistsException;
import java.util.List;

/**
 * The output path is taken: it exists and overwriting is off ({@link Reason#OVERWRITE_OFF}), or it
 * is something initkit never replaces, even with overwriting on. The message names the setting in
 * the library's terms ({@link Hint#OVERWRITE}: {@code WriteOptions.overwrite}).
 */
public final class OutputExistsException extends FileAlreadyExistsException {
  private static final long serialVersionUID = 1L;

  /** Why the output is not written. */
  public enum Reason {
    /** The output exists and overwriting is off. */
    OVERWRITE_OFF,
    /** A device, FIFO or socket: only files and recognised model directories are replaced. */
    NOT_A_FILE,
    /** A directory that is not a model directory: its files would be deleted. */
    FOREIGN_DIRECTORY
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param file the output path
   * @param reason why it is not written
   * @param detail what is wrong, naming {@link Hint#OVERWRITE} by its {@link Hint#apiName()}
   */
  public OutputExistsException(String file, Reason reason, String detail) {
    super(file, null, detail);
    this.reason = reason;
  }

  /** Why the output is not written. */
  public Reason reason() {
    return reason;
  }

  /** The parts of the API the message points the caller to: {@link Hint#OVERWRITE}. */
  public List<Hint> hints() {
    return List.of(Hint.OVERWRITE);
  }
}
