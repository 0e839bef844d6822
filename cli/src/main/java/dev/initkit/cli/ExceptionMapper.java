package dev.initkit.cli;

import dev.initkit.Hint;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.Note;
import dev.initkit.OutputExistsException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.render.TerminalText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.ParameterException;

/**
 * The one place that decides what an exception means to the user: its exit code ({@link
 * ExitCodes}), its one-line message and, where known, the file and the place inside it.
 *
 * <p>The mapping:
 *
 * <ul>
 *   <li>{@link ParameterException}, {@link IllegalArgumentException} (the library's "misuse", such
 *       as an output that is the input): {@link ExitCodes#USAGE}
 *   <li>{@link MalformedModelException} and any other {@link ModelFormatException}: {@link
 *       ExitCodes#MALFORMED}
 *   <li>{@link UnsupportedModelException}: {@link ExitCodes#UNSUPPORTED}
 *   <li>any other {@link IOException} (also inside {@link UncheckedIOException}): {@link
 *       ExitCodes#IO}
 *   <li>everything else, errors included: {@link ExitCodes#INTERNAL}
 * </ul>
 *
 * <p>Library messages name the library's settings ({@link Hint}, e.g. {@code
 * WriteOptions.overwrite}); the exception lists them, and this class puts the flag in their place
 * ({@link #respell}: {@code --force}).
 *
 * <p>Thread-safe (stateless).
 */
public final class ExceptionMapper implements IExitCodeExceptionMapper {

  /**
   * What the user is told about a failure.
   *
   * @param code the exit code
   * @param message one line, without the {@code initkit: } prefix
   * @param file the file the error is about, or null
   * @param location the place inside the file (HDF5 path, archive entry, layer), or null
   * @param cause the exception, for {@code --stacktrace}; may be null
   */
  public record Failure(int code, String message, String file, String location, Throwable cause) {
    /** The name of the code, as in {@link ExitCodes#kind(int)}. */
    public String kind() {
      return ExitCodes.kind(code);
    }
  }

  /** {@inheritDoc} */
  @Override
  public int getExitCode(Throwable exception) {
    return describe(exception).code();
  }

  /** Describes a failure; never throws, whatever the exception. */
  public static Failure describe(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof ParameterException) {
      return new Failure(ExitCodes.USAGE, oneLine(e.getMessage()), null, null, e);
    }
    if (e instanceof UnsupportedModelException u) {
      return formatFailure(ExitCodes.UNSUPPORTED, u);
    }
    if (e instanceof ModelFormatException m) {
      return formatFailure(ExitCodes.MALFORMED, m);
    }
    if (e instanceof FileSystemException f) {
      String message = fileSystemMessage(f);
      if (f instanceof OutputExistsException o) {
        message = respell(message, o.hints());
      }
      return new Failure(ExitCodes.IO, oneLine(message), f.getFile(), null, e);
    }
    if (e instanceof IOException) {
      return new Failure(ExitCodes.IO, oneLine(messageOf(e)), null, null, e);
    }
    if (e instanceof IllegalArgumentException) {
      return new Failure(ExitCodes.USAGE, oneLine(messageOf(e)), null, null, e);
    }
    return new Failure(ExitCodes.INTERNAL, oneLine(internalMessage(e)), null, null, e);
  }

  private static Failure formatFailure(int code, ModelFormatException m) {
    String file = m.file() == null ? null : m.file().toString();
    String location = m.location().isEmpty() ? null : m.location();
    return new Failure(code, oneLine(respell(messageOf(m), m.hints())), file, location, m);
  }

  /**
   * A library message in the command line's terms: each part of the API it names ({@link Hint})
   * becomes the flag that sets it, e.g. {@code WriteOptions.overwrite} becomes {@code --force}.
   */
  public static String respell(String message, List<Hint> hints) {
    return Hint.respell(message, hints, ExceptionMapper::flag);
  }

  /** Notes in the command line's terms: the parts of the API each names become flags. */
  public static List<String> respell(List<Note> notes) {
    return notes.stream().map(n -> n.respelled(ExceptionMapper::flag)).toList();
  }

  /** How the command line spells a hint. */
  public static String flag(Hint hint) {
    return switch (hint) {
      case OVERWRITE -> "--force";
      case ARCHITECTURE_CONFIG -> "--config";
      case REINIT_SCHEME -> "reinit --scheme";
      case REINIT_SELECTOR -> "--only";
      case MATCH_STRATEGY -> "--match";
      case MATCH_NAME -> "--match name";
      case MATCH_ORDER -> "--match order";
      case MATCH_STRUCTURE -> "--match structure";
      case LAYER_MAPPING -> "--map FILE";
      case ADAPTATIONS -> "--adapt";
      case ADAPT_INPUT_CHANNELS -> "--adapt input-channels";
      case ADAPT_HEAD -> "--adapt head=keep or head=fresh";
      case ADAPT_HEAD_FRESH -> "--adapt head=fresh";
      case ADAPT_GATES -> "--adapt gates";
      case ADAPT_VOCAB -> "--adapt vocab";
      case ADAPT_UNITS -> "--adapt units";
      case FREEZE -> "--freeze";
      case CONFIG_REWRITE -> "set-init";
      case REINIT_DRAW -> "--reinit";
      case REINITIALIZER -> "reinit";
      case COMPARE -> "compare";
      case DATA -> "--data";
      case TIMEOUT -> "--timeout";
    };
  }

  /** Strips the wrappers that only carry another exception. */
  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    for (int i = 0; i < 10 && e.getCause() != null; i++) {
      if (e instanceof CommandLine.ExecutionException || e instanceof UncheckedIOException) {
        e = e.getCause();
      } else {
        break;
      }
    }
    return e;
  }

  /** FileSystemException's message is the bare path when no reason is given: say what happened. */
  private static String fileSystemMessage(FileSystemException f) {
    String reason = f.getReason();
    if (reason == null || reason.isBlank()) {
      if (f instanceof NoSuchFileException) {
        reason = "no such file or directory";
      } else if (f instanceof AccessDeniedException) {
        reason = "permission denied";
      } else if (f instanceof FileAlreadyExistsException) {
        reason = "already exists; use --force to overwrite it";
      } else if (f instanceof NotDirectoryException) {
        reason = "not a directory";
      } else if (f instanceof DirectoryNotEmptyException) {
        reason = "directory not empty";
      } else {
        reason = "file system error";
      }
    }
    StringBuilder sb = new StringBuilder();
    if (f.getFile() != null) {
      sb.append(f.getFile());
      if (f.getOtherFile() != null) {
        sb.append(" -> ").append(f.getOtherFile());
      }
      sb.append(": ");
    }
    return sb.append(reason).toString();
  }

  private static String internalMessage(Throwable e) {
    if (e instanceof OutOfMemoryError) {
      return "internal error: out of memory ("
          + messageOf(e)
          + "): give Java more heap, e.g. JAVA_OPTS=-Xmx8g";
    }
    if (e instanceof StackOverflowError) {
      return "internal error: stack overflow (a deeply nested model?): please report this";
    }
    return "internal error: "
        + e.getClass().getName()
        + (e.getMessage() == null ? "" : ": " + e.getMessage())
        + " (please report this; --stacktrace shows where it happened)";
  }

  private static String messageOf(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /**
   * Folds a message onto one line (native libraries and parsers like multi-line messages) and shows
   * any other control character escaped, as all text from a model file is ({@link TerminalText}).
   */
  static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    String s = message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ").replace('\t', ' ');
    return TerminalText.escape(s);
  }
}
