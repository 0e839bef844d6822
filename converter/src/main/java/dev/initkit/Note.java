package dev.initkit;

import java.util.Objects;
import java.util.Set;

/**
 * A line a plan or a result tells its caller, with the parts of the API it names ({@link Hint}), so
 * that a front end can {@link Hint#respell} them in its own terms without reading the text.
 *
 * @param text the line, naming each of {@code hints} by its {@link Hint#apiName()}
 * @param hints the parts of the API the line names
 */
public record Note(String text, Set<Hint> hints) {
  public Note {
    Objects.requireNonNull(text, "text");
    hints = Set.copyOf(hints);
  }

  /** A line naming {@code hints}. */
  public static Note of(String text, Hint... hints) {
    return new Note(text, Set.of(hints));
  }

  /** The line in a front end's terms ({@link Hint#respell}). */
  public String respelled(java.util.function.Function<Hint, String> spelling) {
    return Hint.respell(text, java.util.List.copyOf(hints), spelling);
  }

  /** The text. */
  @Override
  public String toString() {
    return text;
  }
}
